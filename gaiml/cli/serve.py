"""gaiml serve [--host 127.0.0.1] [--port 8000] [--engine auto] [--max-bytes N] [--workers N]"""

from __future__ import annotations

import json
import logging.config
import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from ..pipeline import DEFAULT_ENGINE, ENGINES, ExtractSettings

# Worker processes build their own app: uvicorn imports app_from_env, which reads these.
_ENGINE_VAR, _MODEL_VAR, _MAX_BYTES_VAR = "GAIML_SERVE_ENGINE", "GAIML_SERVE_MODEL", "GAIML_SERVE_MAX_BYTES"
_GUARD_VAR = "GAIML_SERVE_GUARD"  # JSON: allowed hosts and origins, in-flight bound, timeout
TOKEN_VAR = "GAIML_SERVE_TOKEN"  # the bearer token, read from the environment (never logged)


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on; the default answers this machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    engine: Annotated[str, typer.Option(help=f"Extraction engine: {', '.join(ENGINES)}.")] = DEFAULT_ENGINE,
    model: Annotated[str | None, typer.Option(help="The model engine's directory (default models/default).")] = None,
    max_bytes: Annotated[int | None, typer.Option(help="Largest request body accepted, in bytes (default 16 MiB); larger ones get 413.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes, each with its own engine (extraction is CPU-bound).")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")] = "info",
    token: Annotated[str | None, typer.Option(envvar=TOKEN_VAR, show_envvar=True, help="Require 'Authorization: Bearer TOKEN' on every request but GET /health (401 without). Prefer the environment variable: an option shows in the process list.")] = None,
    allowed_host: Annotated[list[str] | None, typer.Option(help="A Host name the service answers to (repeatable; any port). Default on a loopback address: localhost, 127.0.0.1, ::1; on any other address: every host.")] = None,
    allow_origin: Annotated[list[str] | None, typer.Option(help="A browser origin allowed to call the service (repeatable, e.g. https://intranet.example; '*' for any). Cross-origin browser requests are refused (403) otherwise.")] = None,
    max_in_flight: Annotated[int, typer.Option(min=1, help="Extraction requests in flight at once per worker; more get 503 with Retry-After.")] = 32,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds one request may extract; then 503 and the work stops. A client that disconnects stops its work too.")] = 300,
    limits: Annotated[list[str] | None, typer.Option("--limit", metavar="NAME=N", help="Raise (or lower) a limit on each report, e.g. --limit chars=2000000 (README \"Limits\"). Repeatable.")] = None,
) -> None:
    """Serve extraction over HTTP: POST /extract, POST /extract/batch, GET /health, GET /version.

    The engine loads before the server listens (logged, with the time it took); one that cannot be
    loaded stops the command with the reason and exit code 3. API docs at /docs and
    /openapi.json once it runs."""
    # The server stack takes half a second to import: only this command pays for it.
    import uvicorn

    from ..service import DEFAULT_MAX_BYTES, WORKERS_VAR, create_app, load_pipeline

    try:
        settings = _settings(engine, model)
    except (TypeError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--engine/--model") from exc
    max_bytes = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if max_bytes < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--max-bytes")
    if workers < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--workers")
    from .extract import apply_limits

    apply_limits(limits)
    guard = {"allowed_hosts": allowed_host or (list(LOOPBACK_NAMES) + [host] if _is_loopback(host) else None),
             "allowed_origins": allow_origin or [], "max_in_flight": max_in_flight, "timeout": timeout}
    if token is not None and not token.strip():
        raise typer.BadParameter("must not be empty", param_hint="--token")
    if workers == 1:
        _log_like_uvicorn(log_level)
        try:
            pipeline = load_pipeline(settings)
        except Exception as exc:  # a missing or mismatched model directory: one line, not a traceback
            typer.echo(f"error: engine {engine!r} cannot be loaded: {exc}", err=True)
            raise typer.Exit(3) from None
        uvicorn.run(create_app(settings, max_bytes, pipeline, token=token, **guard), host=host, port=port,
                    log_level=log_level)
        return
    problem = _model_dir_problem(settings)
    if problem:
        typer.echo(f"error: engine {engine!r} cannot be loaded: {problem}", err=True)
        raise typer.Exit(3)
    os.environ[_ENGINE_VAR], os.environ[_MAX_BYTES_VAR] = engine, str(max_bytes)
    os.environ[WORKERS_VAR] = str(workers)  # each worker's torch threads: cores // workers (gaiml/threads.py)
    os.environ[_GUARD_VAR] = json.dumps(guard)
    if token is not None:
        os.environ[TOKEN_VAR] = token
    if model:
        os.environ[_MODEL_VAR] = model
    config = uvicorn.Config("gaiml.cli.serve:app_from_env", factory=True, host=host, port=port, workers=workers,
                            log_level=log_level)
    _run_workers(config)


def _log_like_uvicorn(log_level: str) -> None:
    """Let the start-up lines (what engine loads, how long it took) out before uvicorn sets up its logging."""
    from uvicorn.config import LOGGING_CONFIG

    logging.config.dictConfig(LOGGING_CONFIG)
    logging.getLogger("uvicorn.error").setLevel(log_level.upper())


def _model_dir_problem(settings: ExtractSettings) -> str | None:
    """Why the model directory an engine asks for cannot be loaded, checked without loading it (each
    worker loads it): a missing folder or gaiml.json. None when it looks right or is not needed."""
    if settings.engine == "rules" or (settings.engine == "auto" and not settings.model_dir):
        return None
    from ..model import DEFAULT_MODEL_DIR, META_FILE

    directory = Path(settings.model_dir or DEFAULT_MODEL_DIR)
    if not (directory / META_FILE).is_file():
        return f"{directory}: not a gaiml model directory (no {META_FILE})"
    return None


def _run_workers(config) -> None:
    """What `uvicorn.run(..., workers=N)` does, with TCP_NODELAY kept on the workers' connections.

    uvicorn binds the shared socket with protocol 0; accepted connections inherit it, asyncio then
    never sets TCP_NODELAY, and every keep-alive request after the first waits about 40 ms for the
    client's delayed ACK (uvicorn issue #3149; measured here: 44 ms for /health instead of 2 ms)."""
    from uvicorn.supervisors import Multiprocess

    bound = config.bind_socket()
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    Multiprocess(config, sockets=[listener]).run()


def app_from_env():
    """The app of one worker process, with the settings `serve_command` put in the environment."""
    from ..service import DEFAULT_MAX_BYTES, create_app

    guard = json.loads(os.environ.get(_GUARD_VAR, "{}"))
    return create_app(_settings(os.environ.get(_ENGINE_VAR, "rules"), os.environ.get(_MODEL_VAR)),
                      int(os.environ.get(_MAX_BYTES_VAR, DEFAULT_MAX_BYTES)), token=os.environ.get(TOKEN_VAR) or None,
                      **guard)


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _settings(engine: str, model: str | None) -> ExtractSettings:
    """The settings; ``model`` only when given, for engines that read a model directory."""
    return ExtractSettings(engine=engine, **({"model_dir": model} if model else {}))
