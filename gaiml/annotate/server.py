"""A local Label Studio server for the active-learning loop, run in the background.

``gaiml al server start`` starts Label Studio (installed by scripts/setup.sh in ``.venv-ls``) on
loopback with SQLite in a data folder (default ``~/gaiml-label-studio``, or ``$GAIML_LABEL_STUDIO_DIR``),
an admin and an API token made without a prompt, waits until it answers ``/health`` and returns.
The folder holds:

- ``token``: the API token (40 hex digits, made once, file mode 0600): ``LABEL_STUDIO_API_KEY``;
- ``password``: the admin's password (made once, 0600); the admin is ``annotator@example.com``;
- ``server.json``: url, port and pid of the running server; ``server.log``: its output;
- Label Studio's own data (``label_studio.sqlite3``, media).

``stop`` sends SIGTERM to that server (its own process group), ``status`` says whether it answers.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ..errors import GaimlError

DATA_DIR_VAR = "GAIML_LABEL_STUDIO_DIR"
DEFAULT_DATA_DIR = Path("~/gaiml-label-studio")
DEFAULT_PORT = 8080
DEFAULT_USER = "annotator@example.com"
START_LIMIT = 300  # seconds: a fresh data folder migrates its database in ~45 s on a quiet machine
TOKEN_FILE, PASSWORD_FILE, STATE_FILE, LOG_FILE = "token", "password", "server.json", "server.log"


def data_dir(given: str | Path | None = None) -> Path:
    """The data folder: ``given``, else ``$GAIML_LABEL_STUDIO_DIR``, else ``~/gaiml-label-studio``."""
    return Path(given or os.environ.get(DATA_DIR_VAR) or DEFAULT_DATA_DIR).expanduser().resolve()


def label_studio_bin(given: str | Path | None = None) -> Path:
    """The label-studio program: ``given``, else ``.venv-ls/bin/label-studio`` of this checkout, else on PATH."""
    if given:
        return Path(given)
    local = Path(__file__).resolve().parents[2] / ".venv-ls" / "bin" / "label-studio"
    if local.exists():
        return local
    found = shutil.which("label-studio")
    if not found:
        raise GaimlError(f"Label Studio is not installed: {local} is missing (scripts/setup.sh installs it)")
    return Path(found)


def write_secret(path: Path, value: str) -> None:
    """Write ``value`` to ``path`` readable by its owner only (mode 0600, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, value.encode("utf-8"))
    finally:
        os.close(fd)


def _secret(path: Path, make) -> str:
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            os.chmod(path, 0o600)
            return value
    value = make()
    write_secret(path, value + "\n")
    return value


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as answer:
            return b"UP" in answer.read()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def state(folder: Path) -> dict | None:
    """The recorded server (url, port, pid, ...) when its process still runs, else None."""
    path = folder / STATE_FILE
    if not path.exists():
        return None
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    return recorded if _alive(int(recorded.get("pid", 0))) else None


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(folder: Path, port: int = DEFAULT_PORT, program: Path | None = None, username: str = DEFAULT_USER,
          limit: float = START_LIMIT, say=lambda line: print(line, file=sys.stderr, flush=True)) -> dict:
    """Start the server in the background (or find it running) and wait until it answers.

    Returns the state: url, port, pid, data_dir, token_file, password_file, log, username, and
    ``already`` (True when it was running). A busy port is an error: Label Studio would move to the
    next one without a word."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    running = state(folder)
    if running:
        return {**running, "already": True}
    program = label_studio_bin(program)
    if not port_free(port):
        raise GaimlError(f"port {port} on 127.0.0.1 is busy; choose another with --port")
    token = _secret(folder / TOKEN_FILE, lambda: secrets.token_hex(20))
    password = _secret(folder / PASSWORD_FILE, lambda: secrets.token_urlsafe(12))
    fresh = not (folder / "label_studio.sqlite3").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("USERNAME", "PASSWORD", "PORT", "HOST")}
    env.update(LABEL_STUDIO_BASE_DATA_DIR=str(folder), LABEL_STUDIO_USERNAME=username,
               LABEL_STUDIO_PASSWORD=password, LABEL_STUDIO_USER_TOKEN=token,
               LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true", SENTRY_DSN="", FRONTEND_SENTRY_DSN="",
               COLLECT_ANALYTICS="false", LATEST_VERSION_CHECK="false")
    url = f"http://127.0.0.1:{port}"
    with (folder / LOG_FILE).open("ab") as log:
        proc = subprocess.Popen([str(program), "start", "--no-browser", "--internal-host", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    record = {"url": url, "port": port, "pid": proc.pid, "data_dir": str(folder), "username": username,
              "token_file": str(folder / TOKEN_FILE), "password_file": str(folder / PASSWORD_FILE),
              "log": str(folder / LOG_FILE)}
    (folder / STATE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    say(f"starting Label Studio at {url} (pid {proc.pid}); "
        + ("a fresh data folder: setting up its database takes about a minute" if fresh else "ready in a few seconds"))
    started = time.monotonic()
    while not healthy(url):
        if proc.poll() is not None:
            (folder / STATE_FILE).unlink(missing_ok=True)
            raise GaimlError(f"Label Studio exited with code {proc.returncode}; see {folder / LOG_FILE}")
        if time.monotonic() - started > limit:
            stop(folder)
            raise GaimlError(f"Label Studio did not answer within {limit:.0f} s; see {folder / LOG_FILE}")
        time.sleep(1)
    return {**record, "already": False, "seconds": round(time.monotonic() - started, 1)}


def stop(folder: Path, wait: float = 30) -> dict | None:
    """SIGTERM to the recorded server's process group; SIGKILL after ``wait`` s. None when none ran."""
    running = state(folder)
    (folder / STATE_FILE).unlink(missing_ok=True)
    if not running:
        return None
    pid = int(running["pid"])
    try:
        os.killpg(pid, signal.SIGTERM)  # its own session, made by start()
    except ProcessLookupError:
        return running
    deadline = time.monotonic() + wait
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.2)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    return running


def _reap(pid: int) -> None:
    """Collect the exit status when the server is our own child (the same process started it)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
