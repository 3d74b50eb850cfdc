"""The HTTP service end to end: the real `gaiml serve` in a subprocess on loopback, called over HTTP."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata

import httpx
import pytest

from gaiml import ExtractSettings, Pipeline
from gaiml.output import review_cells
from gaiml.pipeline import DEFAULT_ENGINE
from gaiml.output import check_output
from gaiml.schema import schema_version

from conftest import ALL_SEEDS, REPO, free_port
from formats import to_docx, to_html

MAX_BYTES = 1024 * 1024  # small, so "too large" is cheap to send; a batch of 100 seeds fits
START_TIMEOUT = 60
PROSE = "关于做好春节期间安全生产工作的通知\n各单位：请认真做好值班值守工作。\n"
JUNK = bytes(range(256)) * 40



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Base URL of a running `gaiml serve`; the test fails (never skips) if it does not come up."""
    with running_server(tmp_path_factory.mktemp("serve"), "--max-bytes", str(MAX_BYTES)) as url:
        yield url


@contextmanager
def running_server(folder, *options):
    port = free_port()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    # The server's log goes to a file: a pipe nobody reads could fill and stall it.
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gaiml", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--log-level", "warning", *options],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(proc, url, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for_health(proc: subprocess.Popen, url: str, log) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gaiml serve exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gaiml serve did not answer /health within {START_TIMEOUT} s")


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


@functools.cache
def local_pipeline() -> Pipeline:
    """The default engine, loaded once for all comparisons."""
    return Pipeline.load(ExtractSettings())


def local_document(seed, **fields) -> dict:
    """What `gaiml extract` gives for this seed, with the fields the service names differently."""
    doc = local_pipeline().extract(seed.path).to_json()
    return {**doc, **fields}


def assert_gold(doc: dict, seed) -> None:
    check_output(doc)
    assert {k: c["value"] for k, c in doc["cells"].items()} == seed.gold["cells"]
    assert (doc["template"], doc["year"]) == (seed.gold["template"], seed.gold["year"])


def assert_problem(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    for word in words:
        assert word in detail


# ------------------------------------------------------------------ health, version, docs

def test_service_health_and_version(client):
    assert client.get("/health").json() == {"status": "ok", "engine": DEFAULT_ENGINE}
    version = client.get("/version").json()
    assert version["package"] == "gaiml"
    assert version["version"] == metadata.version("gaiml")
    assert version["engine"] == DEFAULT_ENGINE and version["engine_version"]
    assert version["schema_version"] == schema_version()


def test_service_version_names_the_model_auto_uses(client):
    """The default engine (auto) uses models/default: its name, version and training date from its gaiml.json."""
    meta = json.loads((REPO / "models" / "default" / "gaiml.json").read_text(encoding="utf-8"))
    model = client.get("/version").json()["model"]
    assert model is not None
    assert (model["name"], model["version"], model["trained_at"]) == (meta["name"], meta["version"], meta["trained_at"])
    assert model["tags_version"] == meta["tags_version"] and model["model_dir"].endswith("default")


def test_serve_model_engine_logs_its_loading_and_names_its_model(tmp_path):
    with running_server(tmp_path, "--engine", "model", "--log-level", "info") as url:
        version = httpx.get(f"{url}/version", timeout=30).json()
    assert version["engine"] == "model"
    assert {"name": "gaiml-default", "version": "3", "trained_at": "2026-12-01"}.items() <= version["model"].items()
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert "loading the model engine (models/default)" in log
    assert log.index("engine loaded in") < log.index("Uvicorn running on")


def test_service_version_of_a_model_whose_gaiml_json_lacks_the_identity(tmp_path):
    """An older or fine-tuned model without name/version/trained_at: the folder's name and a hash of its weights."""
    from fastapi.testclient import TestClient

    from gaiml.service import create_app

    model_dir = tmp_path / "round-007"
    model_dir.mkdir()
    for f in (REPO / "models" / "default").iterdir():
        if f.name == "gaiml.json":
            meta = json.loads(f.read_text(encoding="utf-8"))
            for key in ("name", "version", "trained_at"):
                meta.pop(key, None)
            (model_dir / f.name).write_text(json.dumps(meta), encoding="utf-8")
        else:
            (model_dir / f.name).write_bytes(f.read_bytes())
    with TestClient(create_app(ExtractSettings(engine="model", model_dir=str(model_dir)))) as test_client:
        model = test_client.get("/version").json()["model"]
    assert model["name"] == "round-007" and model["version"].startswith("round-007@") and model["trained_at"] is None
    with TestClient(create_app(ExtractSettings(engine="rules"))) as test_client:
        assert test_client.get("/version").json()["model"] is None


def test_service_openapi_describes_requests_and_the_document(client):
    spec = client.get("/openapi.json").json()
    assert {"/extract", "/extract/batch", "/health", "/version"} <= set(spec["paths"])
    extract = spec["paths"]["/extract"]["post"]
    assert {"text/plain", "multipart/form-data", "application/json"} <= set(extract["requestBody"]["content"])
    assert extract["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Document"}
    assert {"400", "413", "415", "422"} <= set(extract["responses"])
    assert "cells" in spec["components"]["schemas"]["Document"]["properties"]
    assert "#/$defs/" not in json.dumps(spec)
    assert client.get("/docs").status_code == 200


# ------------------------------------------------------------------ one report

@pytest.mark.parametrize("seed", ALL_SEEDS, ids=lambda s: s.doc_id[:3])
def test_service_extract_text_body_equals_gaiml_extract(client, seed):
    response = client.post("/extract", params={"doc_id": seed.doc_id}, content=seed.text.encode("utf-8"),
                           headers={"Content-Type": "text/plain; charset=utf-8"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert_gold(doc, seed)
    assert doc == local_document(seed, source=None)


@pytest.mark.parametrize("seed", ALL_SEEDS, ids=lambda s: s.doc_id[:3])
def test_service_extract_upload_equals_gaiml_extract(client, seed):
    response = client.post("/extract", files={"file": (seed.path.name, seed.path.read_bytes(), "text/plain")})
    assert response.status_code == 200, response.text
    assert response.json() == local_document(seed, source=seed.path.name)


@pytest.mark.parametrize("encoding, detected", [("gbk", "gb18030"), ("utf-16", "utf-16"), ("utf-8-sig", "utf-8-sig")])
def test_service_extract_other_encodings(client, encoding, detected):
    seed = ALL_SEEDS[4]
    response = client.post("/extract", content=seed.text.encode(encoding), headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["encoding"] == detected
    assert_gold(doc, seed)
    assert doc["cells"]["t2.other_services.decisions"]["text"] == "2259"


@pytest.mark.parametrize("name", ["page.html", "page.htm", "report.docx"])
def test_service_extract_upload_of_other_formats_equals_gaiml_extract(client, name, tmp_path):
    seed = ALL_SEEDS[2]
    path = tmp_path / name
    if name.endswith("docx"):
        to_docx(seed.text, seed.gold, path)
    else:
        path.write_bytes(to_html(seed.text, seed.gold, charset="gbk" if name.endswith("htm") else "utf-8"))
    response = client.post("/extract", files={"file": (name, path.read_bytes())})
    assert response.status_code == 200, response.text
    local = local_pipeline().extract(path).to_json()
    assert response.json() == {**local, "source": name}


def test_service_broken_document_upload_is_400(client):
    assert_problem(client.post("/extract", files={"file": ("scan.pdf", b"%PDF-1.4 not really")}), 400, "scan.pdf")
    assert "gaiml-upload" not in client.post("/extract", files={"file": ("x.docx", b"PK junk")}).json()["detail"]


def test_service_extract_ocr_output_holds_unchecked_figures_for_review(client):
    seed = next(s for s in ALL_SEEDS if s.doc_id.startswith("002"))  # verified, with 表二 figures
    plain, ocr = (client.post("/extract", params=params, content=seed.text.encode("utf-8"),
                              headers={"Content-Type": "text/plain; charset=utf-8"}).json()
                  for params in ({}, {"ocr": "true"}))
    assert plain["status"] == "verified" and ocr["status"] == "needs review"
    assert "t2.procurement.amount" in review_cells(ocr)
    assert {k: c["value"] for k, c in ocr["cells"].items()} == {k: c["value"] for k, c in plain["cells"].items()}


def test_service_extract_json_text(client):
    seed = ALL_SEEDS[0]
    response = client.post("/extract", json={"doc_id": "mine", "text": seed.text})
    assert response.status_code == 200, response.text
    assert response.json()["doc_id"] == "mine"
    assert_gold(response.json(), seed)


def test_service_concurrent_requests_all_correct(client):
    jobs = [ALL_SEEDS[n % len(ALL_SEEDS)] for n in range(20)]

    def call(seed):
        return seed, client.post("/extract", params={"doc_id": seed.doc_id}, content=seed.text.encode("utf-8"),
                                 headers={"Content-Type": "text/plain"})

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(call, jobs))
    for seed, response in answers:
        assert response.status_code == 200, response.text
        assert response.json()["doc_id"] == seed.doc_id
        assert_gold(response.json(), seed)


def test_service_answers_health_while_extracting(client):
    """Extraction runs in the threadpool: /health is answered while a long batch is in flight."""
    texts = [ALL_SEEDS[n % len(ALL_SEEDS)].text for n in range(40)]
    finished = {}

    def batch():
        body = json.dumps(texts, ensure_ascii=False).encode("utf-8")
        finished["response"] = client.post("/extract/batch", content=body, headers={"Content-Type": "application/json"},
                                           timeout=300)
        finished["at"] = time.monotonic()

    worker = threading.Thread(target=batch)
    worker.start()
    time.sleep(0.3)
    assert client.get("/health").status_code == 200
    health_at = time.monotonic()
    worker.join(timeout=120)
    assert finished["response"].status_code == 200
    assert len(finished["response"].json()) == 40
    assert health_at < finished["at"]


# ------------------------------------------------------------------ bad input: 4xx with a reason

def test_service_empty_body_is_400(client):
    assert_problem(client.post("/extract", content=b"", headers={"Content-Type": "text/plain"}), 400, "empty")
    assert_problem(client.post("/extract", content=b" \n\t ", headers={"Content-Type": "text/plain"}), 400, "empty")


def test_service_binary_junk_is_400(client):
    assert_problem(client.post("/extract", content=JUNK, headers={"Content-Type": "text/plain"}), 400, "binary")
    assert_problem(client.post("/extract", files={"file": ("junk.txt", JUNK)}), 400, "junk.txt", "binary")


def test_service_prose_is_422(client):
    response = client.post("/extract", content=PROSE.encode("utf-8"), headers={"Content-Type": "text/plain"})
    assert_problem(response, 422, "not a government information-disclosure annual report")


def test_service_too_large_is_413(client):
    big = b"a" * (MAX_BYTES + 1)
    assert_problem(client.post("/extract", content=big, headers={"Content-Type": "text/plain"}), 413, str(MAX_BYTES))
    assert_problem(client.post("/extract", files={"file": ("big.txt", big)}), 413)
    # Without Content-Length (chunked), the limit is enforced while reading.
    chunks = (b"a" * 65536 for _ in range(MAX_BYTES // 65536 + 2))
    assert_problem(client.post("/extract", content=chunks, headers={"Content-Type": "text/plain"}), 413)
    assert client.get("/health").status_code == 200


def test_service_unsupported_types_are_415(client):
    assert_problem(client.post("/extract", content=b"<x/>", headers={"Content-Type": "application/xml"}), 415, "application/xml")
    assert_problem(client.post("/extract", content=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert_problem(client.post("/extract", files={"file": ("report.exe", b"MZ")}), 415, "report.exe")


def test_service_malformed_requests_are_400(client):
    assert_problem(client.post("/extract", content=b"{oops", headers={"Content-Type": "application/json"}), 400, "JSON")
    fields_only = b'--xyz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--xyz--\r\n'
    multipart = {"Content-Type": "multipart/form-data; boundary=xyz"}
    assert_problem(client.post("/extract", content=fields_only, headers=multipart), 400, "no file")
    assert_problem(client.post("/extract", content=b"garbage", headers=multipart), 400)
    assert_problem(client.post("/extract", files=[("file", ("a.txt", b"x")), ("file", ("b.txt", b"y"))]), 400, "batch")
    assert_problem(client.post("/extract/batch", json={"text": "not a list"}), 422, "list")


# ------------------------------------------------------------------ batch

def test_service_batch_upload_keeps_going_past_bad_files(client):
    good, gbk = ALL_SEEDS[1], ALL_SEEDS[2]
    files = [("files", (good.path.name, good.path.read_bytes())),
             ("files", ("junk.txt", JUNK)),
             ("files", ("gbk.txt", gbk.text.encode("gbk"))),
             ("files", ("prose.txt", PROSE.encode("utf-8"))),
             ("files", ("sheet.xls", b"\xd0\xcf\x11\xe0")),
             ("files", ("empty.txt", b""))]
    response = client.post("/extract/batch", files=files)
    assert response.status_code == 200, response.text
    results = response.json()
    assert [r["doc_id"] for r in results] == [good.doc_id, "junk", "gbk", "prose", "sheet", "empty"]
    assert_gold(results[0], good)
    assert_gold(results[2], gbk)
    assert results[2]["encoding"] == "gb18030"
    assert [(r.get("http_status"), "error" in r) for r in results[1:]] == [(400, True), (None, False), (422, True),
                                                                       (415, True), (400, True)]
    assert "binary" in results[1]["error"] and "empty" in results[5]["error"]


def test_service_batch_json_texts(client):
    seeds = ALL_SEEDS[:3]
    body = [{"doc_id": s.doc_id, "text": s.text} for s in seeds] + [PROSE, "  "]
    results = client.post("/extract/batch", json=body).json()
    assert len(results) == 5
    for seed, doc in zip(seeds, results):
        assert doc["doc_id"] == seed.doc_id
        assert_gold(doc, seed)
    assert results[3] == {"doc_id": "text-4", "error": results[3]["error"], "http_status": 422}
    assert results[4]["http_status"] == 400


def test_service_batch_over_the_limit_is_413(client):
    files = [("files", (f"{n}.txt", b"x")) for n in range(150)]
    assert_problem(client.post("/extract/batch", files=files), 413, "at most 100")
    assert_problem(client.post("/extract/batch", json=["x"] * 101), 413, "at most 100")


def test_service_batch_rejects_text_plain(client):
    assert_problem(client.post("/extract/batch", content=b"x", headers={"Content-Type": "text/plain"}), 415)


# ------------------------------------------------------------------ command line

def test_serve_with_two_workers(tmp_path):
    seed = ALL_SEEDS[3]
    with running_server(tmp_path, "--workers", "2", "--max-bytes", "100000") as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(4):  # keep-alive: later requests reuse the connection
            response = client.post("/extract", content=seed.text.encode("gbk"), headers={"Content-Type": "text/plain"})
            assert response.status_code == 200, response.text
            assert_gold(response.json(), seed)
        assert_problem(client.post("/extract", content=b"a" * 100001, headers={"Content-Type": "text/plain"}), 413, "100000")
        assert client.get("/version").json()["engine"] == DEFAULT_ENGINE == "auto"  # the CLI's default


def test_serve_unknown_engine_is_a_usage_error():
    done = subprocess.run([sys.executable, "-m", "gaiml", "serve", "--engine", "magic", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "magic" in done.stderr
