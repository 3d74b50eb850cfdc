"""The extraction service over HTTP: `create_app(settings, max_bytes)` builds the FastAPI app.

POST /extract takes one report (a text/plain body in any encoding gaiml reads, a multipart
upload, or JSON ``{"text", "doc_id"}``) and answers the document `gaiml extract` writes for it;
POST /extract/batch takes several and answers one entry per input, a document or
``{"doc_id", "error"}``, so one bad input does not lose the others. Bad input always gets a 4xx
with ``{"detail": ...}``: 400 empty/undecodable/malformed, 413 too large, 415 unsupported type,
422 not a report. The pipeline is loaded once at start; extraction runs in the threadpool so
the event loop keeps answering while a report is read.
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import json
import tempfile
import threading
from contextlib import asynccontextmanager
from importlib import metadata
from pathlib import Path, PurePath

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, Response

from .errors import GaimlError, InputError
from .output import output_schema
from .pipeline import ExtractSettings, Pipeline
from .readers import SUFFIXES, ReadDocument, read_document
from .schema import schema_version
from .text import LimitError, TimeLimit, decode_report_notes, set_deadline

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
# A request's extraction is stopped after this many seconds (503); a body not received in full
# within BODY_TIMEOUT seconds is answered 408 and its connection closed.
DEFAULT_TIMEOUT = 300
BODY_TIMEOUT = 30
# Extraction requests in flight at once; one more is answered 503 with Retry-After.
DEFAULT_MAX_IN_FLIGHT = 32
RETRY_AFTER = 5
# Host names a service listening on loopback answers to (any port): a page of another site that
# resolves its own name to 127.0.0.1 (DNS rebinding) is refused.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# A batch is answered in one response: bound it so one request cannot hold a worker for long.
MAX_BATCH = 100
# Uploads decoded here as text files (a name without suffix too); gaiml.readers reads the others.
TEXT_SUFFIXES = (".txt", "")
# What /version tells of the model an engine uses (model, auto), from its directory's gaiml.json.
MODEL_IDENTITY = ("name", "version", "trained_at", "model_dir", "schema_version", "tags_version", "created")


class Problem(BaseModel):
    """Every 4xx answer: what was wrong with the request."""

    detail: str


class BatchError(BaseModel):
    """A batch entry for an input that could not be extracted."""

    doc_id: str
    error: str
    http_status: int  # what /extract would have answered for this input alone


class Health(BaseModel):
    status: str
    engine: str


class Version(BaseModel):
    package: str
    version: str
    engine: str
    engine_version: str
    model: dict | None = None  # the identity of the model the engine uses (model, auto), from its gaiml.json
    schema_version: str


class BadInput(HTTPException):
    """A request the service refuses, with the status code that says why."""

    def __init__(self, status: int, detail: str, headers: dict | None = None):
        super().__init__(status_code=status, detail=detail, headers=headers)


def create_app(settings: ExtractSettings = ExtractSettings(), max_bytes: int = DEFAULT_MAX_BYTES,
               pipeline: Pipeline | None = None, *, token: str | None = None,
               allowed_hosts: list[str] | None = None, allowed_origins: list[str] | None = None,
               max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, timeout: float = DEFAULT_TIMEOUT,
               body_timeout: float = BODY_TIMEOUT) -> FastAPI:
    """The FastAPI app: load the engine of ``settings`` once (or use ``pipeline``, loaded already),
    refuse bodies over ``max_bytes``. The loading and its time are logged (logger ``uvicorn.error``).

    ``token``: every request but GET /health must carry ``Authorization: Bearer <token>`` (401).
    ``allowed_hosts``: the Host header must name one of these (any port; None: any host) (400).
    ``allowed_origins``: a browser request from another origin (its ``Origin`` header, or
    ``Sec-Fetch-Site: cross-site``) is refused (403) unless its origin is listed ("*": any).
    ``max_in_flight``: extraction requests at once; more get 503 with Retry-After.
    ``timeout``: seconds one request may extract (503 after); a client that leaves stops its work.
    ``body_timeout``: seconds to receive a body in full (408, connection closed).

    >>> import uvicorn  # doctest: +SKIP
    >>> uvicorn.run(create_app(ExtractSettings(engine="rules")), host="127.0.0.1", port=8000)  # doctest: +SKIP
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pipeline = pipeline or await run_in_threadpool(load_pipeline, settings)
        yield

    app = FastAPI(title="gaiml", version=_package_version(), lifespan=lifespan,
                  description=__doc__.split("\n\n", 1)[1])
    app.add_middleware(_BodyLimit, max_bytes=max_bytes, body_timeout=body_timeout)
    app.add_middleware(_Guard, token=token, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins or [],
                       max_in_flight=max_in_flight)
    app.state.timeout = timeout
    _add_routes(app, settings)
    app.openapi = lambda: _openapi(app)
    return app


# ------------------------------------------------------------------ routes

_ERRORS = {
    400: {"model": Problem, "description": "Empty, undecodable or malformed input.",
          "content": {"application/json": {"example": {"detail": "upload.txt: binary or undecodable content (not UTF-8, UTF-16, GB18030/GBK text)"}}}},
    413: {"model": Problem, "description": "Body larger than --max-bytes.",
          "content": {"application/json": {"example": {"detail": "request body exceeds the limit of 16777216 bytes"}}}},
    415: {"model": Problem, "description": "Content type or file type not supported.",
          "content": {"application/json": {"example": {"detail": "unsupported content type 'application/xml'; send text/plain, multipart/form-data or application/json"}}}},
    422: {"model": Problem, "description": "Readable text, but not a government information-disclosure annual report.",
          "content": {"application/json": {"example": {"detail": "text: not a government information-disclosure annual report: found 0 table rows (表二/表三/表四 missing)"}}}},
}
_DOCUMENT_REF = {"$ref": "#/components/schemas/Document"}
_EXTRACT_BODY = {"requestBody": {"required": True, "content": {
    "text/plain": {"schema": {"type": "string", "format": "binary"},
                   "example": "XX县人民政府2023年政府信息公开工作年度报告\n..."},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": f"A report file: {', '.join(SUFFIXES)}."}}}},
    "application/json": {"schema": {"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string"}, "doc_id": {"type": "string"}}}},
}}}
_BATCH_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
    "application/json": {"schema": {"type": "array", "maxItems": MAX_BATCH, "items": {"oneOf": [
        {"type": "string"},
        {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}, "doc_id": {"type": "string"}}}]}},
        "example": [{"doc_id": "a", "text": "..."}, "..."]},
}}}


def _add_routes(app: FastAPI, settings: ExtractSettings) -> None:
    @app.get("/health", response_model=Health)
    async def health(request: Request) -> Health:
        """Answers while the engine is loaded and the service accepts requests."""
        return Health(status="ok", engine=settings.engine)

    @app.get("/version", response_model=Version)
    async def version(request: Request) -> Version:
        """The package, the engine (name and version) and the cell-key schema version."""
        engine = request.app.state.pipeline.engine
        meta = getattr(engine, "meta", None) or {}
        if not hasattr(request.app.state, "model_identity"):  # hashing the weights once is enough
            request.app.state.model_identity = model_identity(engine, settings)
        model = request.app.state.model_identity
        # The rules engine is code of this package: its version is the package's.
        engine_version = getattr(engine, "version", None) or meta.get("version") or _package_version()
        return Version(package="gaiml", version=_package_version(), engine=settings.engine,
                       engine_version=str(engine_version), model=model, schema_version=schema_version())

    @app.post("/extract", openapi_extra=_EXTRACT_BODY, responses={
        200: {"description": "The document `gaiml extract` writes for this report.",
              "content": {"application/json": {"schema": _DOCUMENT_REF}}}, **_ERRORS})
    async def extract(request: Request, doc_id: str = "text", ocr: bool = False) -> Response:
        """Extract one report. A text/plain body is decoded like a file (UTF-8, UTF-16 or
        GB18030/GBK, detected); ``doc_id`` names it in the answer (an upload is named by its file).
        ``ocr=true``: the text is OCR output (as `gaiml extract --ocr`)."""
        inputs = await _read_inputs(request, doc_id, single=True)
        pipeline = request.app.state.pipeline
        return _json_response(await _run_extraction(request, lambda: _to_json(_extract_one(pipeline, inputs[0], ocr))))

    @app.post("/extract/batch", openapi_extra=_BATCH_BODY, responses={
        200: {"description": "One entry per input, in order: a document, or `{doc_id, error, http_status}`.",
              "content": {"application/json": {"schema": {"type": "array", "items": {"oneOf": [
                  _DOCUMENT_REF, {"$ref": "#/components/schemas/BatchError"}]}}}}}, **_ERRORS})
    async def extract_batch(request: Request, ocr: bool = False) -> Response:
        """Extract several reports: files in one multipart body, or a JSON list of texts (strings
        or ``{"doc_id", "text"}``). A bad input gets an error entry; the others go on. ``ocr=true``:
        the texts are OCR output."""
        inputs = await _read_inputs(request, "text", single=False)
        pipeline = request.app.state.pipeline
        return _json_response(await _run_extraction(request, lambda: _to_json(_extract_many(pipeline, inputs, ocr))))


async def _run_extraction(request: Request, work) -> bytes:
    """``work()`` in the threadpool, bounded: after the app's timeout the request gets 503 and the
    work stops at its next check (between pages and stages); a client that disconnects stops it too."""
    timeout = request.app.state.timeout
    cancelled = threading.Event()

    def bounded():
        set_deadline(timeout, cancelled)
        try:
            return work()
        finally:
            set_deadline(None)

    job = asyncio.ensure_future(run_in_threadpool(bounded))
    watcher = asyncio.ensure_future(_watch_disconnect(request, cancelled))
    try:
        done, _ = await asyncio.wait({job}, timeout=timeout)
        if not done:
            cancelled.set()
            raise BadInput(503, f"extraction took more than {timeout:g} s and was stopped "
                                "(gaiml serve --timeout)", headers={"Retry-After": str(RETRY_AFTER)})
        return job.result()
    except TimeLimit as exc:
        raise BadInput(503, str(exc), headers={"Retry-After": str(RETRY_AFTER)}) from exc
    finally:
        watcher.cancel()
        if not job.done():
            cancelled.set()


async def _watch_disconnect(request: Request, cancelled: threading.Event) -> None:
    while not cancelled.is_set():
        await asyncio.sleep(0.5)
        if await request.is_disconnected():
            cancelled.set()


# ------------------------------------------------------------------ reading requests

class _Input:
    """One report as received: already text (JSON), or bytes of a body or of an uploaded file.

    ``source`` is the uploaded file's name, None for a body (there is no file to name)."""

    def __init__(self, doc_id: str, source: str | None, text: str | None = None, data: bytes | None = None,
                 problem: BadInput | None = None):
        self.doc_id, self.source, self.text, self.data = doc_id, source, text, data
        self.problem = problem  # what is wrong with this input alone (answered per entry in a batch)

    @property
    def name(self) -> str:
        return self.source or self.doc_id


async def _read_inputs(request: Request, doc_id: str, single: bool) -> list[_Input]:
    """The request's reports, or BadInput saying what is wrong with the request itself."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        inputs = await _read_uploads(request)
    elif kind in ("text/plain", "application/json"):
        body = await request.body()
        if not body.strip():
            raise BadInput(400, "empty body: send the report's text")
        if kind == "text/plain":
            if not single:
                raise BadInput(415, "a batch takes multipart/form-data files or an application/json list of texts")
            inputs = [_Input(_checked_id(doc_id), None, data=body)]
            if single and inputs[0].problem:
                raise inputs[0].problem
        else:
            inputs = await run_in_threadpool(_json_inputs, body, single, doc_id)
    else:
        raise BadInput(415, f"unsupported content type {kind or 'none'!r}; send text/plain, "
                            "multipart/form-data or application/json")
    if single and len(inputs) != 1:
        raise BadInput(400, f"expected one report, got {len(inputs)}: use /extract/batch for several")
    if single and inputs[0].problem:
        raise inputs[0].problem
    if len(inputs) > MAX_BATCH:
        raise BadInput(413, f"{len(inputs)} reports in one batch; at most {MAX_BATCH}")
    return inputs


async def _read_uploads(request: Request) -> list[_Input]:
    try:
        # The body limit bounds the parts; counting files is left to the batch limit (413).
        form = await request.form(max_files=10_000, max_fields=10_000, max_part_size=DEFAULT_MAX_BYTES)
    except HTTPException as exc:
        if exc.status_code == 413:
            raise
        raise BadInput(400, f"malformed multipart body: {exc.detail}") from exc
    try:
        uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not uploads:
            raise BadInput(400, "multipart body holds no file: send the report as a file field")
        inputs = []
        for upload in uploads:
            name = PurePath(_safe_text(upload.filename or "upload.txt")).name or "upload.txt"
            item = _Input(name, name, data=await upload.read())
            item.problem = _id_problem(PurePath(name).stem, "file name")
            if item.problem is None and len(_safe_text(name).encode("utf-8")) > MAX_NAME_BYTES:
                item.problem = BadInput(400, f"file name of {len(name.encode('utf-8'))} bytes; at most "
                                             f"{MAX_NAME_BYTES} (a file system's limit)")
            item.doc_id = PurePath(name).stem if item.problem is None else _safe_text(PurePath(name).stem) or "upload"
            inputs.append(item)
        return inputs
    finally:
        await form.close()


def _json_inputs(body: bytes, single: bool, doc_id: str) -> list[_Input]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(400, f"body is not valid JSON ({exc})") from exc
    except RecursionError:
        raise BadInput(400, "body is not valid JSON (nested too deeply)") from None
    items = [payload] if single else payload
    if not isinstance(items, list):
        raise BadInput(422, "a batch's JSON body must be a list of texts or {\"doc_id\", \"text\"} objects")
    inputs = []
    for n, item in enumerate(items, 1):
        if isinstance(item, str) and not single:
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise BadInput(422, f"item {n}: expected {{\"text\": ..., \"doc_id\": ...}} with text a string")
        name = item.get("doc_id") or (doc_id if single else f"text-{n}")
        if not isinstance(name, str):
            raise BadInput(422, f"item {n}: doc_id must be a string")
        entry = _Input(name, None, text=item["text"], problem=_id_problem(name))
        if entry.problem is not None:
            entry.doc_id = _safe_text(name) or f"text-{n}"
        elif _has_surrogate(item["text"]):
            entry.problem = BadInput(400, f"{name}: text holds a lone surrogate (\\ud800-\\udfff), "
                                          "which is not a character: send valid Unicode")
        inputs.append(entry)
    return inputs


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _safe_text(text: str) -> str:
    """Text that UTF-8 (and JSON) can carry: lone surrogates written as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if _has_surrogate(text) else text


MAX_ID_CHARS = 1000
MAX_NAME_BYTES = 255


def _id_problem(doc_id: str, what: str = "doc_id") -> BadInput | None:
    """Why a doc_id (or an upload's file name) cannot name a document, or None."""
    if not doc_id.strip():
        return BadInput(400, f"{what} must not be empty")
    if _has_surrogate(doc_id):
        return BadInput(400, f"{what} {_safe_text(doc_id)[:80]!r} holds a lone surrogate, which is not a character")
    if "\x00" in doc_id:
        return BadInput(400, f"{what} {doc_id[:80]!r} holds a NUL character")
    if len(doc_id) > MAX_ID_CHARS:
        return BadInput(400, f"{what} of {len(doc_id):,} characters; at most {MAX_ID_CHARS}")
    return None


def _check_suffix(item: _Input) -> None:
    if item.source is None:
        return
    suffix = PurePath(item.source).suffix.lower()
    if suffix not in TEXT_SUFFIXES and suffix not in SUFFIXES:
        raise BadInput(415, f"{item.source}: unsupported file type {suffix!r}; this service reads {', '.join(SUFFIXES)}")


def _checked_id(doc_id: str) -> str:
    problem = _id_problem(doc_id)
    if problem is not None:
        raise problem
    return doc_id


# ------------------------------------------------------------------ extracting (in the threadpool)

def _extract_one(pipeline: Pipeline, item: _Input, ocr: bool = False) -> dict:
    """The output document, or BadInput: 400 when the input cannot be read, 415 when its type is not
    supported, 422 when it is not a report."""
    if item.problem is not None:
        raise item.problem
    _check_suffix(item)
    try:
        document = _input_document(item)
    except TimeLimit:
        raise
    except LimitError as exc:
        raise BadInput(413, str(exc)) from exc
    except GaimlError as exc:
        raise BadInput(400, str(exc)) from exc
    except RecursionError as exc:
        raise BadInput(400, f"{item.name}: nested too deeply to be read") from exc
    if not document.text.strip():
        raise BadInput(400, f"{item.name}: empty text")
    try:
        return pipeline.extract_document(document, doc_id=item.doc_id, source=item.source,
                                         ocr=ocr or None).to_json()
    except TimeLimit:
        raise
    except LimitError as exc:
        raise BadInput(413, str(exc)) from exc
    except GaimlError as exc:
        raise BadInput(422, str(exc)) from exc


def _extract_many(pipeline: Pipeline, items: list[_Input], ocr: bool = False) -> list[dict]:
    results = []
    for item in items:
        try:
            results.append(_extract_one(pipeline, item, ocr))
        except TimeLimit:
            raise  # the request's time is up: the whole answer is 503
        except BadInput as exc:
            results.append({"doc_id": item.doc_id, "error": exc.detail, "http_status": exc.status_code})
        except Exception as exc:  # a bug on one input must not lose the others' answers
            results.append({"doc_id": item.doc_id, "error": f"internal error: {exc!r}", "http_status": 500})
    return results


def _input_document(item: _Input) -> ReadDocument:
    """Decode an input the way `gaiml extract` reads a file of its type."""
    if item.text is not None:
        return ReadDocument(item.text, None)
    if item.source is None or PurePath(item.source).suffix.lower() in TEXT_SUFFIXES:
        text, encoding, notes = decode_report_notes(item.data, item.name)
        return ReadDocument(text, encoding, notes=notes)
    # Readers take a path: the upload goes to a temporary file named by its suffix only (the name
    # sent may be too long for the file system or hold characters no file name can).
    with tempfile.TemporaryDirectory(prefix="gaiml-upload-") as folder:
        path = Path(folder) / ("upload" + PurePath(item.source).suffix.lower())
        path.write_bytes(item.data)
        try:
            return read_document(path)
        except InputError as exc:  # name the upload, not the temporary file
            renamed = InputError(item.source, exc.problem.replace(str(path), item.source))
            renamed.__class__ = type(exc)  # a LimitError stays one (413)
            renamed.limit = getattr(exc, "limit", None)
            raise renamed from exc
        except Exception as exc:  # a damaged file can fail inside its parser library
            raise InputError(item.source, f"cannot be read ({type(exc).__name__}: {exc})") from exc


# ------------------------------------------------------------------ plumbing

class _BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413: at once by Content-Length, else while reading."""

    def __init__(self, app, max_bytes: int, body_timeout: float = BODY_TIMEOUT):
        self.app, self.max_bytes, self.body_timeout = app, max_bytes, body_timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit():
            return await JSONResponse({"detail": "invalid Content-Length"}, 400)(scope, receive, send)
        if int(length) > self.max_bytes:
            return await self._too_large(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except asyncio.TimeoutError:  # half a body, then silence: answer and close
                raise BadInput(408, f"request body not received in full within {self.body_timeout:g} s",
                               headers={"Connection": "close"}) from None
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:  # a chunked body without Content-Length
                raise BadInput(413, self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"request body exceeds the limit of {self.max_bytes} bytes (gaiml serve --max-bytes)"

    async def _too_large(self, scope, receive, send):
        await JSONResponse({"detail": self._message()}, 413, headers={"Connection": "close"})(scope, receive, send)


class _Guard:
    """Who may ask, and how many at once: the bearer token, the Host header (DNS rebinding), the
    browser's Origin (a page of another site posting to a local service), and the bound on
    extraction requests in flight (503 with Retry-After)."""

    def __init__(self, app, token: str | None, allowed_hosts: list[str] | None, allowed_origins: list[str],
                 max_in_flight: int):
        self.app, self.token = app, token
        self.allowed_hosts = None if allowed_hosts is None else {h.lower().strip("[]") for h in allowed_hosts}
        self.allowed_origins = {o.rstrip("/").lower() for o in allowed_origins}
        self.max_in_flight, self.in_flight = max_in_flight, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self._problem(scope, headers)
        if problem is not None:
            status, detail, extra = problem
            return await JSONResponse({"detail": detail}, status, headers=extra)(scope, receive, send)
        if not (scope["method"] == "POST" and scope["path"].startswith("/extract")):
            return await self.app(scope, receive, send)
        if self.in_flight >= self.max_in_flight:
            return await JSONResponse(
                {"detail": f"busy: {self.in_flight} extractions in flight (gaiml serve --max-in-flight); "
                           f"try again in {RETRY_AFTER} s"}, 503,
                headers={"Retry-After": str(RETRY_AFTER)})(scope, receive, send)
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _problem(self, scope, headers: dict) -> tuple[int, str, dict | None] | None:
        host = headers.get("host", "")
        if self.allowed_hosts is not None:
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
            if name.lower() not in self.allowed_hosts:
                return 400, f"Host {host!r} is not served here (gaiml serve --allowed-host)", None
        origin = headers.get("origin")
        if origin is not None and origin.lower() != "null":
            own = {f"http://{host}".lower(), f"https://{host}".lower()}
            if origin.rstrip("/").lower() not in own | self.allowed_origins and "*" not in self.allowed_origins:
                return 403, f"cross-origin request from {origin!r} refused (gaiml serve --allow-origin)", None
        elif headers.get("sec-fetch-site") == "cross-site" and "*" not in self.allowed_origins:
            return 403, "cross-site browser request refused (gaiml serve --allow-origin)", None
        elif origin is not None and "*" not in self.allowed_origins:
            return 403, "request from an opaque origin refused (gaiml serve --allow-origin)", None
        if self.token is not None and scope["path"] != "/health":
            sent = headers.get("authorization", "")
            scheme, _, value = sent.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), self.token.encode()):
                return 401, "missing or wrong bearer token (Authorization: Bearer ...)", {"WWW-Authenticate": "Bearer"}
        return None


def _to_json(value) -> bytes:
    """Serialised as JSONResponse does, but in the threadpool: a batch's answer runs to megabytes."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _json_response(body: bytes) -> Response:
    return Response(body, media_type="application/json")


WORKERS_VAR = "GAIML_SERVE_WORKERS"  # set by `gaiml serve --workers N` for its worker processes


def load_pipeline(settings: ExtractSettings) -> Pipeline:
    """The engine of ``settings``, loaded with a log line before and after (how long it took)."""
    import logging
    import os
    import time

    from .batch import describe_engine

    from .threads import apply, plan

    log = logging.getLogger("uvicorn.error")
    # Workers × torch threads never exceed the cores (gaiml/threads.py); `gaiml serve --workers N` says N.
    threads = plan(int(os.environ.get(WORKERS_VAR, "1")))
    apply(threads.threads)
    log.info("loading the %s (%s) ...", describe_engine(settings), threads.describe())
    started = time.perf_counter()
    pipeline = Pipeline.load(settings)
    log.info("engine loaded in %.1f s", time.perf_counter() - started)
    return pipeline


def model_identity(engine, settings: ExtractSettings) -> dict | None:
    """The model an engine uses (the model engine itself, or the model inside ``auto``): name,
    version and training date from its gaiml.json; where the file lacks them, the folder's name,
    ``<folder>@<hash of the weights>`` and null. None for an engine without a model."""
    from .annotate.rounds import model_version
    from .model import DEFAULT_MODEL_DIR

    model = engine if hasattr(engine, "meta") else getattr(engine, "model", None)
    meta = getattr(model, "meta", None)
    if meta is None:
        return None
    directory = Path(settings.model_dir or DEFAULT_MODEL_DIR)
    identity = {k: meta[k] for k in MODEL_IDENTITY if isinstance(meta.get(k), (str, int, float))}
    identity.setdefault("name", directory.resolve().name)
    identity.setdefault("version", model_version(directory))
    identity.setdefault("trained_at", None)
    identity.setdefault("model_dir", str(directory))
    return identity


def _package_version() -> str:
    try:
        return metadata.version("gaiml")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _openapi(app: FastAPI) -> dict:
    """FastAPI's schema plus the output document's JSON Schema (output.schema.json) as `Document`."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    document = copy.deepcopy(output_schema())
    for key in ("$schema", "$id"):
        document.pop(key, None)
    for name, part in document.pop("$defs", {}).items():
        schemas[f"Document_{name}"] = _rewrite_refs(part)
    schemas["Document"] = _rewrite_refs(document)
    schemas["BatchError"] = BatchError.model_json_schema()
    app.openapi_schema = spec
    return spec


def _rewrite_refs(node):
    """JSON Schema's local ``#/$defs/x`` becomes OpenAPI's ``#/components/schemas/Document_x``."""
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", "#/components/schemas/Document_") if k == "$ref" else _rewrite_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node
