"""A newcomer's first hour (issue #20): progress and start-up words, a readable summary on a
terminal, Label Studio in the background, no traceback for a user's mistake, honest help texts,
unique doc ids, a summary line that counts right. Through subprocesses, as a user runs gaiml."""

from __future__ import annotations

import json
import os
import pty
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gaiml.batch import Summary, assign_ids, extract_many, source_key
from gaiml.pipeline import ExtractSettings

from conftest import ALL_SEEDS, REPO, SEEDS, free_port

GAIML = [sys.executable, "-m", "gaiml"]
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
SEED_001 = next(s for s in ALL_SEEDS if s.doc_id.startswith("001"))  # four short 表三 rows: cells to review


def run(*args, cwd=REPO, timeout=300, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*GAIML, *map(str, args)], capture_output=True, text=True, encoding="utf-8",
                          cwd=cwd, env=env or ENV, timeout=timeout)


def run_on_terminal(*args, timeout=300) -> tuple[int, str, str]:
    """Run with standard output on a pseudo-terminal (as a person's shell), standard error piped."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*GAIML, *map(str, args)], stdout=slave, stderr=subprocess.PIPE, cwd=REPO, env=ENV)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stderr = proc.stderr.read().decode("utf-8")
    proc.wait(timeout=timeout)
    return proc.returncode, b"".join(chunks).decode("utf-8").replace("\r\n", "\n"), stderr


def no_traceback(done: subprocess.CompletedProcess) -> None:
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.stderr.strip().startswith(("error:", "Usage:", "loading", "INFO:")), done.stderr


# ------------------------------------------------------------------ 1, 2: progress and start-up words

def test_eval_shows_what_loads_and_a_progress_bar_on_stderr():
    done = run("eval", "--gold", SEEDS / "gold", "--inputs", SEEDS / "raw", "--engine", "rules")
    assert done.returncode == 0, done.stderr
    assert "loading the rules engine" in done.stderr and "engine loaded in" in done.stderr
    assert "5/5" in done.stderr and "doc/s" in done.stderr  # the bar: count and rate
    assert "engine: rules" in done.stdout and "doc/s" not in done.stdout
    quiet = run("eval", "--gold", SEEDS / "gold", "--inputs", SEEDS / "raw", "--engine", "rules", "--no-progress")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_extract_says_what_engine_loads_and_how_long_it_took():
    done = run("extract", SEED_001.path, "--engine", "auto", "-o", os.devnull)
    assert done.returncode == 0, done.stderr
    assert "loading the auto engine (rules + model models/default) in 1 worker process" in done.stderr
    assert re.search(r"engine loaded in \d+\.\d s", done.stderr)


def test_al_select_says_the_model_loads_and_shows_progress(tmp_path):
    done = run("al", "select", "--pool", SEEDS / "raw", "-k", "2", "-o", tmp_path / "selection.jsonl")
    assert done.returncode == 0, done.stderr
    assert "loading the model" in done.stderr and re.search(r"model loaded in \d+\.\d s", done.stderr)
    assert "scoring" in done.stderr and "5/5" in done.stderr


# ------------------------------------------------------------------ 3: readable on a terminal

def test_extract_one_report_on_a_terminal_is_a_readable_summary():
    code, out, err = run_on_terminal("extract", SEED_001.path, "--engine", "rules")
    assert code == 0, err
    assert not out.lstrip().startswith("{") and '"cells"' not in out
    for what in ("status:   needs review", "template: 2021", "year: 2021", "agency: 赣州经开区党群工作部",
                 "表二 主动公开政府信息情况", "表三 收到和处理政府信息公开申请情况", "表四", "自然人", "relations: 42 of 42 hold",
                 "warning: t3.granted: 6 figures for 7 columns"):
        assert what in out, what
    assert re.search(r"\b0\?", out)  # a cell to review is marked
    assert "add -o FILE.jsonl or --json" in err
    assert len(out.splitlines()) < 80
    # --json: the document, as on a pipe
    code, out, _ = run_on_terminal("extract", SEED_001.path, "--engine", "rules", "--json")
    assert code == 0 and json.loads(out)["doc_id"] == SEED_001.doc_id


def test_extract_on_a_pipe_still_writes_json():
    done = run("extract", SEED_001.path, "--engine", "rules")
    assert done.returncode == 0 and json.loads(done.stdout)["status"] == "needs review"


# ------------------------------------------------------------------ 5: no traceback for a user error

@pytest.mark.parametrize("args, code", [
    (["serve", "--model", "MISSING", "--port", "0"], 3),
    (["serve", "--model", "MISSING", "--workers", "2", "--port", "0"], 3),
    (["extract", "README.md", "--model", "MISSING"], 2),
    (["eval", "--gold", "MISSING", "--inputs", "MISSING"], 2),
    (["eval", "--gold", str(SEEDS / "gold"), "--inputs", str(SEEDS / "raw"), "--model", "MISSING"], 2),
    (["validate", "MISSING.jsonl"], 2),
    (["export", "MISSING.jsonl", "-o", os.devnull], 2),
    (["al", "select", "--pool", "MISSING", "--model", "MISSING"], 2),
    (["al", "select", "--pool", str(SEEDS / "raw"), "--exclude", "MISSING.jsonl", "--model", "MISSING"], 2),
    (["al", "push", "--url", "http://127.0.0.1:9", "--api-key", "x", "--project", "p",
      "--selection", "MISSING.jsonl", "--no-predictions"], 2),
    (["train", "--annotations", "MISSING.jsonl", "--base", "MISSING"], 2),
])
def test_a_user_error_is_one_line_never_a_traceback(args, code):
    done = run(*args, timeout=120)
    assert done.returncode == code, done.stdout + done.stderr
    no_traceback(done)
    assert "MISSING" in done.stderr


def test_serve_missing_model_is_one_line_before_anything_else():
    done = run("serve", "--model", "MISSING", "--port", "0", timeout=120)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "MISSING: not a gaiml model directory" in errors[0]
    assert len(done.stderr.splitlines()) <= 2  # at most the "loading ..." line before it


# ------------------------------------------------------------------ 7: unique doc ids

def test_assign_ids_adds_a_suffix_to_a_later_duplicate_stem():
    paths = [Path("a/report.txt"), Path("a/report.pdf"), Path("b/report.html"), Path("c/other.txt")]
    ids = assign_ids(paths)
    assert [ids[source_key(p)] for p in paths] == ["report", "report-2", "report-3", "other"]
    ids = assign_ids(paths[1:], taken=["report"])  # resuming: ids in the output are taken
    assert [ids[source_key(p)] for p in paths[1:]] == ["report-2", "report-3", "other"]


def test_batch_ids_are_unique_in_a_run_and_when_resumed(tmp_path):
    from formats import to_html

    seed = ALL_SEEDS[0]
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(seed.text, encoding="utf-8")
    (tmp_path / "a" / "report.html").write_bytes(to_html(seed.text, seed.gold))
    settings = ExtractSettings(engine="rules")
    out = tmp_path / "out.jsonl"
    extract_many([tmp_path / "a" / "report.txt"], settings, workers=1, out=out)
    extract_many([tmp_path / "a", tmp_path / "b"], settings, workers=2, out=out, resume=True)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_source = {Path(line["source"]).relative_to(tmp_path).as_posix(): line["doc_id"] for line in lines}
    # folders sorted, files sorted in them: a/report.html, a/report.txt (kept from the first run), b/report.txt
    assert by_source == {"a/report.txt": "report", "a/report.html": "report-2", "b/report.txt": "report-3"}
    out2 = tmp_path / "fresh.jsonl"
    extract_many([tmp_path / "a", tmp_path / "b"], settings, workers=2, out=out2)
    fresh = {Path(json.loads(line)["source"]).relative_to(tmp_path).as_posix(): json.loads(line)["doc_id"]
             for line in out2.read_text(encoding="utf-8").splitlines()}
    assert fresh == {"a/report.html": "report", "a/report.txt": "report-2", "b/report.txt": "report-3"}


# ------------------------------------------------------------------ 8: help texts

STATUS_WORDS = {"verified", "source-inconsistent", "needs review", "reviewed", "failed"}
CELL_STATUS_WORDS = {"ok", "review", "repaired", "source-inconsistent", "in-broken-relation", "failed"}  # the long export's


def _all_help() -> dict[str, str]:
    commands = [[], ["extract"], ["validate"], ["eval"], ["export"], ["serve"], ["train"], ["al"],
                ["al", "select"], ["al", "push"], ["al", "pull"], ["al", "server"], ["al", "server", "start"],
                ["al", "server", "stop"], ["al", "server", "status"]]
    helps = {}
    for command in commands:
        done = run(*command, "--help", timeout=60)
        assert done.returncode == 0, done.stderr
        helps[" ".join(command) or "gaiml"] = re.sub(r"[│╭╮╰╯─]", " ", done.stdout)
    return helps


def test_help_texts_agree_with_the_output():
    from gaiml.export import CELL_STATUSES
    from gaiml.verify.status import FAILED, STATUSES

    assert set(STATUSES) | {FAILED} == STATUS_WORDS
    assert set(CELL_STATUSES) | {FAILED} == CELL_STATUS_WORDS
    helps = _all_help()
    for name, text in helps.items():
        flat = " ".join(text.split())
        assert "low-confidence" not in flat, name
        assert "--no-no-" not in flat, name
        # every list of statuses in parentheses names statuses that exist
        for listed in re.findall(r"status(?:es)?\s*\(([^)]*)\)", flat):
            words = {w.strip() for w in listed.split(",")}
            assert words <= STATUS_WORDS | CELL_STATUS_WORDS, (name, words)
    assert "created when missing" not in " ".join(helps["al pull"].split())
    assert "must exist" in " ".join(helps["al pull"].split())
    model_help = " ".join(helps["eval"].split())
    assert "--engine model or auto" in model_help
    assert "--predictions" in helps["al push"] and "--no-predictions" in helps["al push"]
    # a docstring paragraph is one paragraph, not broken where the source wrapped
    assert "Exit code 1 when a relation is broken" in " ".join(helps["validate"].split())
    assert re.search(r"Exit code 1 when\s*\n", helps["validate"]) is None
    assert "OCRs itself are known without it." in " ".join(helps["extract"].split())
    for name, text in helps.items():
        assert "…" not in text, (name, [line for line in text.splitlines() if "…" in line])
    for width in ("80", "100"):  # nothing cut off on narrower terminals either
        for command in (["extract"], ["eval"], ["al", "push"]):
            done = run(*command, "--help", env={**ENV, "COLUMNS": width}, timeout=60)
            assert "…" not in done.stdout, (command, width)


# ------------------------------------------------------------------ 9: the summary line

def test_summary_counts_failures_apart_and_in_the_plural():
    one = Summary(documents=1, needs_review=1, seconds=1.0)
    assert one.to_text().startswith("1 document: 0 verified, 0 source-inconsistent, 1 needs review, 0 failed; "
                                    "1 extracted in")
    many = Summary(documents=12, verified=6, failed=6, seconds=2.0)
    text = many.to_text()
    assert text.startswith("12 documents: 6 verified") and "6 failed; 6 extracted, 6 failed in 2.0 s" in text
    resumed = Summary(documents=4, verified=2, failed=2, resumed=2, resumed_failed=1, seconds=1.0)
    assert "4 documents, 2 already done" in resumed.to_text() and "; 1 extracted, 1 failed in" in resumed.to_text()


def test_cli_summary_line_for_a_good_and_a_bad_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    done = run("extract", SEED_001.path, empty, "--engine", "rules", "-o", tmp_path / "out.jsonl", "--no-progress")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("2 documents: 0 verified, 0 source-inconsistent, 1 needs review, 1 failed; "
                           "1 extracted, 1 failed in"), last
    done = run("extract", SEED_001.path, "--engine", "rules", "-o", tmp_path / "one.jsonl", "--no-progress")
    assert done.stderr.strip().splitlines()[-1].startswith("1 document: 0 verified, 0 source-inconsistent, "
                                                             "1 needs review, 0 failed; 1 extracted in")


# ------------------------------------------------------------------ 6: setup says what it does

def test_setup_lists_each_debian_package_once_and_announces_its_steps():
    done = subprocess.run(["bash", "scripts/setup.sh", "--list-apt-packages"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split()
    assert len(listed) == len(set(listed))
    expected = set()
    for name in ("scripts/apt-packages.txt", "training/apt-packages.txt"):
        path = REPO / name
        if path.exists():
            expected |= {ln.split("#")[0].strip() for ln in path.read_text().splitlines()} - {""}
    assert set(listed) == expected and {"poppler-utils", "fonts-wqy-zenhei"} <= expected
    script = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    for n in range(1, 5):
        assert f'step {n}/4 "' in script
    # every install is announced by a step before it
    for install in ("apt-get install", "pip install -q --disable-pip-version-check -e", "label-studio=="):
        assert script.rfind("step ", 0, script.index(install)) > 0


# ------------------------------------------------------------------ 4: Label Studio in the background

FAKE_LABEL_STUDIO = textwrap.dedent('''\
    #!{python}
    """A stand-in for label-studio: `start ... --port P` answers /health; records its environment."""
    import http.server, json, os, sys
    port = int(sys.argv[sys.argv.index("--port") + 1])
    data = os.environ["LABEL_STUDIO_BASE_DATA_DIR"]
    with open(os.path.join(data, "fake-env.json"), "w") as f:
        json.dump({{k: v for k, v in os.environ.items() if k.startswith("LABEL_STUDIO") or k in ("USERNAME", "PORT")}}, f)
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b'{{"status": "UP"}}')
        def log_message(self, *a): pass
    http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
''')


def test_al_server_start_status_stop_in_the_background(tmp_path):
    fake = tmp_path / "label-studio"
    fake.write_text(FAKE_LABEL_STUDIO.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    data = tmp_path / "ls-data"
    port = free_port()
    env = {**ENV, "GAIML_LABEL_STUDIO_DIR": str(data), "USERNAME": "someone", "PORT": "1"}
    try:
        done = run("al", "server", "start", "--port", port, "--label-studio", fake, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        url = f"http://127.0.0.1:{port}"
        assert f"Label Studio is up at {url}" in done.stdout
        token = data / "token"
        assert str(token) in done.stdout and f"export LABEL_STUDIO_URL={url} LABEL_STUDIO_API_KEY=$(cat {token})" in done.stdout
        for secret in (token, data / "password"):
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert re.fullmatch(r"[0-9a-f]{40}\n", token.read_text())
        seen = json.loads((data / "fake-env.json").read_text())
        assert seen["LABEL_STUDIO_USER_TOKEN"] == token.read_text().strip()
        assert seen["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true" and "USERNAME" not in seen and "PORT" not in seen
        status = run("al", "server", "status", timeout=60, env=env)
        assert status.returncode == 0 and f"up at {url}" in status.stdout
        again = run("al", "server", "start", "--port", port, "--label-studio", fake, timeout=60, env=env)
        assert again.returncode == 0 and "running already" in again.stderr
        assert token.read_text().strip() == seen["LABEL_STUDIO_USER_TOKEN"]  # the token is kept
    finally:
        stop = run("al", "server", "stop", timeout=60, env=env)
    assert stop.returncode == 0 and "stopped Label Studio" in stop.stdout
    status = run("al", "server", "status", timeout=60, env=env)
    assert status.returncode == 1 and "no Label Studio server runs" in status.stdout
    busy = run("al", "server", "start", "--port", port, "--label-studio", fake, timeout=60, env=env)
    if busy.returncode == 0:  # the port was free again: stop what started
        run("al", "server", "stop", timeout=60, env=env)


@pytest.mark.slow
def test_al_server_starts_the_real_label_studio(tmp_path):
    """The real server from .venv-ls: up, the token accepted by its API, stopped."""
    import urllib.request

    env = {**ENV, "GAIML_LABEL_STUDIO_DIR": str(tmp_path / "ls"), "HOME": str(tmp_path)}
    port = free_port()
    try:
        done = run("al", "server", "start", "--port", port, timeout=400, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        token = (tmp_path / "ls" / "token").read_text().strip()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/projects",
                                         headers={"Authorization": f"Token {token}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200
    finally:
        stop = run("al", "server", "stop", timeout=60, env=env)
    assert "stopped Label Studio" in stop.stdout
