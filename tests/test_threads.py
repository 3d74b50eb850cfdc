"""gaiml/threads.py: workers × torch threads never exceed the cores, and every entry point says so.

Torch with its default thread per core, in two processes on two cores, reads 2-4 times slower than
with one thread each (issue #19): these tests pin the rule and that the workers really apply it.
"""

import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from gaiml import threads
from gaiml.batch import _start_worker, extract_many
from gaiml.pipeline import ExtractSettings

from conftest import ALL_SEEDS, REPO, SEEDS


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv(threads.THREADS_VAR, raising=False)


def test_plan_never_gives_more_threads_than_cores():
    for cores in range(1, 17):
        for workers in range(1, 2 * cores + 1):
            plan = threads.plan(workers, cores=cores)
            assert plan.threads >= 1 and plan.workers == workers
            if workers <= cores:
                assert plan.workers * plan.threads <= cores
                assert plan.workers * (plan.threads + 1) > cores  # and no core left idle that a thread could use
            else:
                assert plan.threads == 1


def test_plan_describes_itself_and_says_when_workers_share_cores():
    assert threads.plan(2, cores=2).describe() == "2 workers × 1 thread on 2 cores"
    assert threads.plan(1, cores=2).describe() == "1 worker × 2 threads on 2 cores"
    assert threads.plan(1, cores=1).describe() == "1 worker × 1 thread on 1 core"
    assert "take turns" in threads.plan(4, cores=2).describe()


def test_gaiml_threads_overrides_and_bad_values_are_named(monkeypatch):
    monkeypatch.setenv(threads.THREADS_VAR, "3")
    assert threads.plan(2, cores=2).threads == 3
    for bad in ("0", "two"):
        monkeypatch.setenv(threads.THREADS_VAR, bad)
        with pytest.raises(ValueError, match="GAIML_THREADS"):
            threads.plan(1, cores=2)


def test_cgroup_quota_bounds_the_cores(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert threads._cgroup_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert threads._cgroup_quota(tmp_path) is None
    assert threads._cgroup_quota(tmp_path / "missing") is None
    assert 1 <= threads.available_cores() <= (os.cpu_count() or 1)


@pytest.mark.parametrize("torch_first", [True, False])
def test_apply_sets_torch_threads_whether_torch_is_imported_before_or_after(torch_first):
    """A fresh interpreter (~3 s: it imports torch): the count holds both ways."""
    code = ("import torch\nfrom gaiml.threads import apply\napply(1)\n" if torch_first
            else "from gaiml.threads import apply\napply(1)\nimport torch\n")
    code += "import os\nprint(torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])\n"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]


def _worker_threads() -> tuple[str, int]:
    import torch

    return os.environ["OMP_NUM_THREADS"], torch.get_num_threads()


def test_batch_worker_applies_its_share_of_the_cores():
    """The pool initializer of extract_many's workers (fork, rules engine: ~1 s plus a torch import)."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker,
                             initargs=(ExtractSettings(engine="rules"), {}, None, 1)) as pool:
        assert pool.submit(_worker_threads).result(timeout=120) == ("1", 1)


def test_batch_prints_workers_and_threads_at_start(tmp_path, capsys):
    """Two worker processes, rules engine, two seeds (~2 s)."""
    summary = extract_many([s.path for s in ALL_SEEDS[:2]], ExtractSettings(engine="rules"), workers=2,
                           out=tmp_path / "out.jsonl", progress=True)
    assert summary.failed == 0
    expected = threads.plan(2).describe()
    assert f"in 2 worker processes ({expected}) ..." in capsys.readouterr().err


def test_eval_says_its_threads(capsys):
    """Eval in one process takes every core for torch (rules engine on the five seeds, ~1 s)."""
    from gaiml.evaluate import evaluate

    evaluate(SEEDS / "gold", SEEDS / "raw", ExtractSettings(engine="rules"), progress=True)
    assert f"({threads.plan(1).describe()}) ..." in capsys.readouterr().err


def test_service_worker_takes_its_share(monkeypatch, caplog):
    """`gaiml serve --workers 2` tells each worker; the worker logs and applies its share (rules engine)."""
    import logging

    from gaiml.service import WORKERS_VAR, load_pipeline

    monkeypatch.setenv(WORKERS_VAR, "2")
    monkeypatch.setenv("OMP_NUM_THREADS", "99")  # restored after: apply() rewrites it
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        load_pipeline(ExtractSettings(engine="rules"))
    plan = threads.plan(2)
    assert f"({plan.describe()})" in caplog.text
    assert os.environ["OMP_NUM_THREADS"] == str(plan.threads)
