"""Fixtures shared by every test: the real seed reports and their gold values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"


@dataclass(frozen=True)
class Seed:
    doc_id: str
    path: Path
    text: str
    gold: dict


def load_seeds() -> list[Seed]:
    seeds = []
    for gold_path in sorted((SEEDS / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        path = SEEDS / "raw" / f"{gold['doc_id']}.txt"
        seeds.append(Seed(gold["doc_id"], path, path.read_text(encoding="utf-8"), gold))
    assert len(seeds) == 5, f"expected the five seed reports in {SEEDS}"
    return seeds


ALL_SEEDS = load_seeds()


@pytest.fixture(params=ALL_SEEDS, ids=lambda s: s.doc_id[:3])
def seed(request) -> Seed:
    return request.param


# --- Label Studio: one real server for the whole test session (tests/test_annotate_loop.py) ------
# It lives in its own venv (.venv-ls, made by scripts/setup.sh). Loopback only, SQLite in a temp
# dir, admin and token from the environment; a missing or failing server FAILS the tests that
# use it (never skips): CI must notice.
LABEL_STUDIO_BIN = REPO / ".venv-ls" / "bin" / "label-studio"
LABEL_STUDIO_TOKEN = "9f2c4b7e1a0d3c6b8e5f2a7d4c1b0e9f8a7d6c5b"  # a throwaway server's legacy token
LABEL_STUDIO_START_LIMIT = 240  # seconds; a fresh database migrates in ~45 s on a quiet machine


@dataclass(frozen=True)
class LabelStudioServer:
    url: str
    api_key: str
    start_seconds: float


def free_port() -> int:
    """A loopback port free right now; take it just before the server starts."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    import os
    import signal
    import subprocess
    import time
    import urllib.request

    if not LABEL_STUDIO_BIN.exists():
        pytest.fail(f"{LABEL_STUDIO_BIN} is missing: run scripts/setup.sh (it installs Label Studio in .venv-ls)")
    data = tmp_path_factory.mktemp("label-studio")
    env = {k: v for k, v in os.environ.items() if k not in ("USERNAME", "PASSWORD", "PORT", "HOST")}
    env.update(LABEL_STUDIO_BASE_DATA_DIR=str(data), LABEL_STUDIO_USERNAME="annotator@example.com",
               LABEL_STUDIO_PASSWORD="gaiml-test-password", LABEL_STUDIO_USER_TOKEN=LABEL_STUDIO_TOKEN,
               LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true", SENTRY_DSN="", FRONTEND_SENTRY_DSN="",
               COLLECT_ANALYTICS="false", LATEST_VERSION_CHECK="false", HOME=str(data))
    port = free_port()  # just before the start: a busy port makes Label Studio move to port+1 silently
    log = (data / "server.log").open("wb")
    started = time.monotonic()
    proc = subprocess.Popen([str(LABEL_STUDIO_BIN), "start", "--no-browser", "--internal-host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Label Studio exited with {proc.returncode}:\n{_tail(data / 'server.log')}")
            if time.monotonic() - started > LABEL_STUDIO_START_LIMIT:
                pytest.fail(f"Label Studio not up after {LABEL_STUDIO_START_LIMIT} s:\n{_tail(data / 'server.log')}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if b"UP" in answer.read():
                        break
            except OSError:
                pass
            time.sleep(1)
        yield LabelStudioServer(url, LABEL_STUDIO_TOKEN, round(time.monotonic() - started, 1))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # our own session only
            proc.wait(timeout=10)
        log.close()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
