"""extract_many(): a whole collection of report files through worker processes, into JSON Lines.

Each worker process builds one Pipeline (the engine loads once, not per document). Lines are
written as documents complete, one write and flush each, so a crash or a kill loses nothing
finished, and ``resume`` skips every source already in the output file.
"""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable

from .errors import GaimlError
from .pipeline import ExtractSettings, Pipeline
from .readers import SUFFIXES, read_document
from .reconcile import NEEDS_REVIEW, REVIEW_BELOW, SOURCE_INCONSISTENT, VERIFIED

FAILED = "failed"
# A file in flight when a worker process died this many times is recorded as failed, not retried.
MAX_CRASHES = 2
_GLOB_CHARS = set("*?[")


def collect_paths(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders searched recursively for readable reports, globs expanded;
    each file once, in the order found (folders and globs sorted)."""
    found: dict[str, Path] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif not path.exists() and _GLOB_CHARS & set(str(item)):
            matches = sorted(Path(p) for p in glob.glob(str(item), recursive=True) if Path(p).is_file())
            matches = matches or [path]  # a glob matching nothing is reported like a missing file
        else:
            matches = [path]
        for match in matches:
            found.setdefault(source_key(match), match)
    return list(found.values())


def assign_ids(paths: Iterable[Path], taken: Iterable[str] = ()) -> dict[str, str]:
    """Each file's doc_id, unique in the run: its file stem, or, when an earlier file of the run
    (in the order found) or a document already in a resumed output holds that id, the stem with
    ``-2``, ``-3``, ... added (the first one free). ``report.txt``, ``report.pdf``, ``report.html``
    in that order are ``report``, ``report-2``, ``report-3``. Keyed by ``source_key``."""
    used = set(taken)
    ids = {}
    for path in paths:
        stem = Path(path).stem
        doc_id, n = stem, 1
        while doc_id in used:
            n += 1
            doc_id = f"{stem}-{n}"
        used.add(doc_id)
        ids[source_key(path)] = doc_id
    return ids


def source_key(source: str | Path) -> str:
    """The identity of a document across runs: its absolute path (``resume`` compares these)."""
    return os.path.abspath(source)


@dataclass(frozen=True)
class Outcome:
    """What the summary needs of one output line, so workers send the line already serialised."""

    source: str
    status: str
    error: str | None = None

    @classmethod
    def of(cls, line: dict) -> Outcome:
        return cls(line.get("source") or line.get("doc_id", "?"), document_status(line), line.get("error"))


@dataclass
class Summary:
    """What a batch produced: the counts the CLI prints, over every document of the run
    (those found already done by ``resume`` included)."""

    documents: int = 0
    verified: int = 0  # every relation holds, every cell sure
    source_inconsistent: int = 0  # the report's own arithmetic is off (values kept as printed)
    needs_review: int = 0  # a broken relation the engine cannot blame on the report, warnings, unsure cells
    failed: int = 0
    resumed: int = 0  # already in the output file, not extracted again
    resumed_failed: int = 0  # of those, error lines
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)  # source -> reason

    def add(self, line: dict) -> None:
        self.count(Outcome.of(line))

    def count(self, outcome: Outcome) -> None:
        self.documents += 1
        status = outcome.status
        if status == FAILED:
            self.failed += 1
            self.failures[outcome.source] = outcome.error
        elif status == VERIFIED:
            self.verified += 1
        elif status == SOURCE_INCONSISTENT:
            self.source_inconsistent += 1
        else:
            self.needs_review += 1

    def to_text(self) -> str:
        """One line, e.g. ``6 documents: 3 verified, 0 source-inconsistent, 1 needs review, 2 failed;
        4 extracted, 2 failed in 1.2 s (5.0/s)``: a failed file is not counted as extracted."""
        attempted = self.documents - self.resumed
        failed_now = self.failed - self.resumed_failed
        extracted = attempted - failed_now
        rate = attempted / self.seconds if self.seconds else 0.0
        resumed = f", {self.resumed} already done" if self.resumed else ""
        review = "needs" if self.needs_review == 1 else "need"
        failed = f", {failed_now} failed" if failed_now else ""
        return (f"{_plural(self.documents, 'document')}{resumed}: {self.verified} verified, {self.source_inconsistent} "
                f"source-inconsistent, {self.needs_review} {review} review, {self.failed} failed; "
                f"{extracted} extracted{failed} in {self.seconds:.1f} s ({rate:.1f}/s)")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def document_status(line: dict) -> str:
    """failed, or the document's own status: verified, source-inconsistent or needs review."""
    if "error" in line:
        return FAILED
    if "status" in line:
        return line["status"]
    # A line written before documents carried a status (resuming an older output file).
    unsure = line["warnings"] or any(c["confidence"] < REVIEW_BELOW for c in line["cells"].values())
    return VERIFIED if not line["validation"]["broken"] and not unsure else NEEDS_REVIEW


def extract_many(paths: Iterable[str | Path], settings: ExtractSettings = ExtractSettings(),
                 workers: int | None = None, out: str | Path | IO[str] | None = None, resume: bool = False,
                 with_text: bool = False, progress: bool = False) -> Summary:
    """Extract many report files in parallel, one JSON line per document as each completes.

    Parameters
    ----------
    paths : files, folders (searched recursively for .txt, .html, .htm, .pdf, .docx) and globs.
    settings : the engine; each worker process builds one Pipeline from it.
    workers : worker processes (default: the number of CPU cores).
    out : the JSON Lines file (or an open text stream; None: standard output).
    resume : keep the lines already in ``out`` and skip their sources; otherwise ``out`` is rewritten.
    with_text : add each document's extracted text (what its spans index) as ``"text"``.
    progress : show a progress bar with rate and ETA, and each failure, on standard error.

    Returns
    -------
    Summary of the whole run; a file that fails gets a line ``{"doc_id", "source", "error"}``.

    Examples
    --------
    >>> summary = extract_many(["../shared/seeds/raw"], out="results.jsonl")  # doctest: +SKIP
    >>> summary.failed  # doctest: +SKIP
    0
    """
    files = collect_paths(paths)
    summary = Summary()
    done = load_done(Path(out)) if resume and _is_path(out) else {}
    if resume and not _is_path(out):
        raise ValueError("resume needs an output file")
    ids = assign_ids([p for p in files if source_key(p) not in done],
                     taken=[line.get("doc_id") for line in done.values()])
    todo = []
    for path in files:
        line = done.get(source_key(path))
        if line is None:
            todo.append(path)
        else:
            summary.add(line)
            summary.resumed += 1
            summary.resumed_failed += "error" in line
    started = time.perf_counter()
    stream, close = _open_output(out, append=bool(resume))
    try:
        n_workers = min(workers or os.cpu_count() or 1, max(len(todo), 1))
        if progress and todo:
            print(f"loading the {describe_engine(settings)} in {_plural(n_workers, 'worker process')} ...",
                  file=sys.stderr, flush=True)
        bar = _progress_bar(len(todo), progress)
        loaded = False
        for serialised, outcome, load_seconds in _run(todo, settings, n_workers, with_text, ids):
            if progress and load_seconds is not None and not loaded:
                loaded = True
                bar.write(f"engine loaded in {load_seconds:.1f} s", file=sys.stderr)
            stream.write(serialised)
            stream.flush()
            summary.count(outcome)
            if progress and outcome.error:
                bar.write(f"error: {outcome.error}", file=sys.stderr)
            bar.update(1)
        bar.close()
    finally:
        if close:
            stream.close()
    summary.seconds = time.perf_counter() - started
    return summary


def load_done(out: Path) -> dict[str, dict]:
    """Lines already in ``out`` by source key; a last line cut off by a kill is removed from the file."""
    if not out.exists():
        return {}
    data = out.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    if len(complete) < len(data):
        with out.open("r+b") as f:
            f.truncate(len(complete))
    done = {}
    for n, raw in enumerate(complete.decode("utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise GaimlError(f"{out}: line {n} is not JSON ({exc.msg}); cannot resume from it") from exc
        if line.get("source"):
            done[source_key(line["source"])] = line
    return done


def _is_path(out) -> bool:
    return isinstance(out, (str, Path))


def _open_output(out, append: bool):
    if out is None:
        return sys.stdout, False
    if not _is_path(out):
        return out, False
    return open(out, "a" if append else "w", encoding="utf-8"), True


def _progress_bar(total: int, show: bool):
    from tqdm import tqdm

    # Not a terminal (a log file, CI): redraw rarely instead of hundreds of times a second.
    interval = 0.1 if sys.stderr.isatty() else 5.0
    return tqdm(total=total, unit="doc", file=sys.stderr, disable=not show, mininterval=interval,
                dynamic_ncols=True, smoothing=0.05)


# ------------------------------------------------------------------ worker processes

_pipeline: Pipeline | None = None
_load_error: GaimlError | None = None
_load_seconds: float | None = None  # how long this worker took to load its engine, sent with its first result


def describe_engine(settings: ExtractSettings) -> str:
    """The engine in words for start-up messages: ``auto engine (rules + model models/default)``."""
    from .model import DEFAULT_MODEL_DIR

    model = Path(settings.model_dir or DEFAULT_MODEL_DIR)
    if model.is_absolute() and model.is_relative_to(Path.cwd()):
        model = model.relative_to(Path.cwd())
    if settings.engine == "rules":
        return "rules engine"
    if settings.engine == "model":
        return f"model engine ({model})"
    return f"{settings.engine} engine (rules + model {model})"


def _start_worker(settings: ExtractSettings) -> None:
    """Pool initializer: the one Pipeline of this worker process. A failure to load the engine is
    kept and raised by the first task, so the run stops with the reason instead of a dead pool."""
    global _pipeline, _load_error, _load_seconds
    started = time.perf_counter()
    try:
        _pipeline = Pipeline(settings)
        _load_seconds = time.perf_counter() - started
    except Exception as exc:  # a missing model directory, a model of another schema, ...
        _load_error = GaimlError(f"engine {settings.engine!r} cannot be loaded: {exc}")


def extract_line(path: str, with_text: bool = False, pipeline: Pipeline | None = None,
                 doc_id: str | None = None) -> dict:
    """One file's output line: the result document, or an error line naming the file and the reason.
    ``doc_id``: the id to give it (default: the file's stem; ``assign_ids`` makes them unique in a run)."""
    pipeline = pipeline or _pipeline
    if pipeline is None:
        raise _load_error or GaimlError("no pipeline in this worker process")
    doc_id = doc_id or Path(path).stem
    try:
        extraction = pipeline.extract_document(read_document(Path(path)), doc_id=doc_id, source=str(path))
    except GaimlError as exc:
        return error_line(path, str(exc), doc_id)
    except Exception as exc:  # a bug on one odd file must not stop a run of thousands
        return error_line(path, f"{path}: internal error ({type(exc).__name__}: {exc})", doc_id)
    line = extraction.to_json()
    if with_text:
        line["text"] = extraction.text
    return line


def _extract_task(path: str, with_text: bool, doc_id: str | None = None) -> tuple[str, Outcome, float | None]:
    """In a worker: the JSON line, serialised here (a string crosses processes far cheaper than a
    nested dict, and the parent's one core is left to writing), its outcome, and the seconds the
    worker took to load its engine (with its first result only, else None)."""
    global _load_seconds
    line = extract_line(path, with_text, doc_id=doc_id)
    load_seconds, _load_seconds = _load_seconds, None
    return json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line), load_seconds


def _failure(path: Path, reason: str, doc_id: str | None = None) -> tuple[str, Outcome, None]:
    line = error_line(path, reason, doc_id)
    return json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line), None


def error_line(path: str | Path, reason: str, doc_id: str | None = None) -> dict:
    return {"doc_id": doc_id or Path(path).stem, "source": str(path), "error": reason}


def _run(todo: list[Path], settings: ExtractSettings, workers: int, with_text: bool,
         ids: dict[str, str] | None = None):
    """Yield (JSON line, outcome, engine load seconds or None) per file as completed; a file that
    keeps killing its worker gets an error line. ``ids``: doc_id by source key (default: stems)."""
    ids = ids or {}
    crashes: Counter[Path] = Counter()
    # forkserver: workers start clean, safe with the threads the parent runs (progress bar, pool manager).
    context = multiprocessing.get_context("forkserver")
    while todo:
        broken = []
        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=context, initializer=_start_worker,
                                 initargs=(settings,)) as pool:
            futures = {pool.submit(_extract_task, str(path), with_text, ids.get(source_key(path))): path
                       for path in todo}
            try:
                for future in as_completed(futures):
                    path = futures.pop(future)  # drop the finished result: memory stays flat over a run
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken.append(path)
            except BaseException:  # interrupted or the consumer stopped: drop what has not started
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        # A worker died (crash, out of memory): the files it may have held are tried again.
        crashes.update(broken)
        for path in broken:
            if crashes[path] >= MAX_CRASHES:
                yield _failure(path, f"{path}: the worker process died while reading it (crash or out of memory)",
                               ids.get(source_key(path)))
        todo = [p for p in broken if crashes[p] < MAX_CRASHES]
