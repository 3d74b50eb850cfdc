"""`gaiml extract --ray`: the same batch on a Ray cluster, every document out exactly once.

One local Ray head for the module, bound to 127.0.0.1 (nothing listens beyond loopback), 2 CPUs
and a small object store so it fits CI; stopped after. Starting it takes ~10 s on a busy 2-core
machine, each test a few seconds more (rules engine), the scan's ~20 s: ~1.5 minutes for the module.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import ray

from gaiml.batch import extract_many
from gaiml.errors import GaimlError
from gaiml.pipeline import ExtractSettings
from gaiml.ray_batch import RayRunner, _nodes_for, is_address

from conftest import ALL_SEEDS, REPO
from formats import report_parts, to_scanned_pdf
from relayout import vary_values

LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # Ray then takes 127.0.0.1 as this node's address
RULES = ExtractSettings(engine="rules")


@pytest.fixture(scope="module")
def cluster():
    """The GCS address of a local head on 127.0.0.1; this process is its driver."""
    saved = {k: os.environ.get(k) for k in LOOPBACK}
    os.environ.update(LOOPBACK)  # for the drivers started as subprocesses
    from ray._private import ray_constants

    # What the variable sets, read once when ray was imported: this node's address is 127.0.0.1.
    was, ray_constants.ENABLE_RAY_CLUSTER = ray_constants.ENABLE_RAY_CLUSTER, False
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 * 2**20,
             logging_level="WARNING")
    try:
        address = ray.get_runtime_context().gcs_address
        assert address.startswith("127.0.0.1:"), address
        yield address
    finally:
        ray.shutdown()
        ray_constants.ENABLE_RAY_CLUSTER = was
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def lines(path) -> list[dict]:
    return [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def archive(tmp_path):
    """The five seeds, a copy of each under another name, an empty file and a broken PDF."""
    root = tmp_path / "archive"
    (root / "copies").mkdir(parents=True)
    for seed in ALL_SEEDS:
        (root / f"{seed.doc_id}.txt").write_text(seed.text, encoding="utf-8")
        (root / "copies" / f"{seed.doc_id}.txt").write_text(seed.text, encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n\x00\x01 not really a pdf\n" * 20)
    return root


def test_addresses_are_told_from_paths():
    for address in ("127.0.0.1:6379", "head.cluster:6379", "ray://10.0.0.5:10001", "auto", "local", "[::1]:6379"):
        assert is_address(address), address
    for path in ("reports", "reports/2021", "a.txt", "C:/x", "archive:old"):
        assert not is_address(path), path


def test_actors_stand_on_the_nodes_in_proportion_to_their_cpus():
    """They hold no CPU (a scan's page tasks take them), so they are placed by the nodes' CPUs:
    none on a head without CPUs or a dead node (no cluster needed)."""
    class Cluster:
        @staticmethod
        def nodes():
            return [{"NodeID": "big", "Alive": True, "Resources": {"CPU": 16.0}},
                    {"NodeID": "small", "Alive": True, "Resources": {"CPU": 4.0}},
                    {"NodeID": "head", "Alive": True, "Resources": {}},
                    {"NodeID": "lost", "Alive": False, "Resources": {"CPU": 8.0}}]

    assert sorted(_nodes_for(Cluster, 20)) == ["big"] * 16 + ["small"] * 4
    assert sorted(_nodes_for(Cluster, 3)) == ["big", "big", "small"]  # 2.4 and 0.6: the larger remainder


def test_cli_on_ray_writes_what_a_local_run_writes_and_resumes(cluster, archive, tmp_path):
    """`gaiml extract ARCHIVE --ray ADDRESS` in a fresh process joined to the head (~15 s for two
    runs): the same lines as the local batch, errors named; then --resume after a cut."""
    local = tmp_path / "local.jsonl"
    extract_many([archive], RULES, workers=1, out=local)
    out = tmp_path / "ray.jsonl"
    env = {**os.environ, **LOOPBACK}
    command = [sys.executable, "-m", "gaiml", "extract", str(archive), "--engine", "rules", "-o", str(out),
               "--ray", cluster]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 1, done.stderr  # two files failed, the others did not
    assert f"in 2 Ray actors on the Ray cluster at {cluster} (2 workers × 1 thread on 2 cores)" in done.stderr
    assert "12 documents:" in done.stderr and "10 extracted, 2 failed" in done.stderr
    assert sorted(lines(out), key=lambda d: d["source"]) == sorted(lines(local), key=lambda d: d["source"])
    errors = {os.path.basename(d["source"]): d["error"] for d in lines(out) if "error" in d}
    assert set(errors) == {"empty.txt", "broken.pdf"} and all(name in errors[name] for name in errors)

    written = out.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = written[:5]
    out.write_text("".join(kept) + written[5][:40], encoding="utf-8")  # a run killed mid-line
    done = subprocess.run(command + ["--resume"], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "5 already done" in done.stderr
    resumed = lines(out)
    assert [d["source"] for d in resumed[:5]] == [json.loads(k)["source"] for k in kept]
    assert sorted(resumed, key=lambda d: d["source"]) == sorted(lines(local), key=lambda d: d["source"])


def test_every_document_exactly_once_after_an_actor_is_killed(cluster, tmp_path):
    """60 reports (each seed four times over, ~30 kB, so the run lasts a few seconds); one actor
    process is killed with SIGKILL mid-run. Its documents are read again by a new actor; none is
    lost, none written twice, none failed (~15 s)."""
    root = tmp_path / "many"
    root.mkdir()
    for n in range(60):
        seed = ALL_SEEDS[n % len(ALL_SEEDS)]
        (root / f"r{n:02d}.txt").write_text(seed.text * 4, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    runner = RayRunner()
    result = {}

    def run():
        try:
            result["summary"] = extract_many([root], RULES, workers=2, out=out, runner=runner)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (runner.pids and out.exists() and len(out.read_bytes().splitlines()) >= 3):
        time.sleep(0.01)
    written_before_kill = len(out.read_bytes().splitlines())
    assert 3 <= written_before_kill < 60, "the run ended before the kill: make the documents longer"
    os.kill(runner.pids[0], signal.SIGKILL)
    worker.join(timeout=240)
    assert not worker.is_alive() and "error" not in result, result.get("error")
    assert runner.deaths >= 1  # the kill was seen while the actor held documents
    got = lines(out)
    sources = [d["source"] for d in got]
    assert sorted(sources) == sorted(str(root / f"r{n:02d}.txt") for n in range(60))  # each exactly once
    assert not [d for d in got if "error" in d]
    assert sorted(d["doc_id"] for d in got) == [f"r{n:02d}" for n in range(60)]
    assert result["summary"].documents == 60 and result["summary"].failed == 0
    assert ray.is_initialized()  # the runner leaves a cluster it did not start alone


def test_an_engine_that_cannot_load_stops_the_run_with_the_reason(cluster, tmp_path):
    """As in a local run: a missing model directory is one GaimlError, not 5 error lines (~5 s)."""
    settings = ExtractSettings(engine="model", model_dir=str(tmp_path / "no-model"))
    with pytest.raises(GaimlError, match="cannot be loaded.*no-model"):
        extract_many([ALL_SEEDS[0].path], settings, workers=1, out=tmp_path / "out.jsonl", runner=RayRunner())


def test_an_address_nothing_answers_at_is_one_error_line(tmp_path):
    """No cluster needed (~2 s): Ray itself would retry for minutes; the CLI says why at once (exit 2)."""
    import socket

    with socket.socket() as probe:  # a loopback port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run([sys.executable, "-m", "gaiml", "extract", str(ALL_SEEDS[0].path), "--engine", "rules",
                           "-o", str(tmp_path / "out.jsonl"), "--ray", f"127.0.0.1:{port}"],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: cannot reach the Ray cluster at 127.0.0.1:{port}")


class _Poisoned:
    """An actor that dies (as on a segfault or the OOM killer) whenever it reads a file named poison.txt."""

    def __init__(self, *args):
        from gaiml.ray_batch import _Extractor

        self.inner = _Extractor(*args)

    def pid(self):
        return self.inner.pid()

    def extract(self, path, absolute, with_text, doc_id):
        if os.path.basename(path) == "poison.txt":
            os._exit(1)
        return self.inner.extract(path, absolute, with_text, doc_id)


def test_a_document_that_kills_its_actor_gets_an_error_line_and_the_rest_go_on(cluster, tmp_path):
    """poison.txt kills every actor that reads it: after two deaths it gets an error line naming it,
    as in a local run; the five seeds come out once each (~10 s)."""
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the actors cannot import this test module
    for seed in ALL_SEEDS:
        (tmp_path / f"{seed.doc_id}.txt").write_text(seed.text, encoding="utf-8")
    (tmp_path / "poison.txt").write_text(ALL_SEEDS[0].text, encoding="utf-8")
    runner = RayRunner()
    runner.actor_class = _Poisoned
    out = tmp_path / "out.jsonl"
    summary = extract_many([tmp_path], RULES, workers=2, out=out, runner=runner)
    got = {os.path.basename(d["source"]): d for d in lines(out)}
    assert sorted(got) == sorted([f"{s.doc_id}.txt" for s in ALL_SEEDS] + ["poison.txt"])
    assert len(lines(out)) == 6
    assert "poison.txt: the worker process died while reading it" in got["poison.txt"]["error"]
    assert not [name for name, d in got.items() if "error" in d and name != "poison.txt"]
    # At least two deaths: a result the actor finished just before dying can be lost in flight,
    # and then the document it held first is blamed once and read again (it must still come out,
    # once, without an error: asserted above).
    assert runner.deaths >= 2 and summary.failed == 1


def _two_page_scan(folder: Path) -> Path:
    """An image-only PDF of two short pages: the title and 表二 drawn on the first, a line of the
    closing prose on the second (tests/formats.py's scanner, pages joined by pdfunite)."""
    seed = next(s for s in ALL_SEEDS if s.gold["template"] == "2021")
    gold = vary_values(seed.gold, random.Random(3))  # figures other than the seed's many zeros
    before, tables, after = report_parts(seed.text, gold, tables=("t2",))
    to_scanned_pdf(before.strip().splitlines()[0], tables, folder / "p1.pdf")
    to_scanned_pdf(after.strip().splitlines()[0][:30], [], folder / "p2.pdf")
    scan = folder / "scan.pdf"
    subprocess.run(["pdfunite", folder / "p1.pdf", folder / "p2.pdf", scan], check=True)
    return scan


@pytest.mark.skipif(not shutil.which("pdfunite") or not shutil.which("pdftoppm"), reason="poppler-utils missing")
def test_a_scans_pages_are_read_as_tasks_of_their_own(cluster, tmp_path):
    """A two-page scan: each page is OCR'd by a Ray task of its own (two task ids), and the line,
    text included, is byte for byte the one a local run writes (~25 s)."""
    pytest.importorskip("rapidocr")
    folder = tmp_path / "in"
    folder.mkdir()
    scan = _two_page_scan(folder)
    local = tmp_path / "local.jsonl"
    extract_many([scan], RULES, workers=1, out=local, with_text=True)
    runner = RayRunner()
    out = tmp_path / "ray.jsonl"
    extract_many([scan], RULES, workers=1, out=out, with_text=True, runner=runner)
    assert [(source, page) for source, page, _ in runner.page_tasks] == [(str(scan), 1), (str(scan), 2)]
    assert len({task for _, _, task in runner.page_tasks}) == 2
    assert out.read_bytes() == local.read_bytes()
    document = lines(out)[0]
    assert "error" not in document and document["encoding"] == "pdf:ocr"
    assert [page["read"] for page in document["pages"]] == ["ocr", "ocr"]
