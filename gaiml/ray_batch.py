"""``gaiml extract --ray [ADDRESS]``: the same batch as ``extract_many``, its documents extracted by
actors on a Ray cluster.

``extract_many`` keeps everything that makes a batch trustworthy (collecting the inputs, document
ids, ``--resume``, the locked output written line by line by this process, error lines, progress,
the summary); only where documents are extracted changes: ``RayRunner`` is its runner. Each actor
loads the engine once, like a worker process, and holds at most ``depth`` documents at a time so
a slow document (a scan) never holds a queue of others. An actor that dies (killed, out of
memory, its node lost) is replaced; the document it was reading is tried again, and after
``MAX_CRASHES`` deaths it gets an error line, as in a local run. Results are written only here,
once each, so a document comes out exactly once whatever dies.

Inputs are read by the actors, so every node must see them at the same path (a shared file
system), and gaiml with its model installed in the same place (README "Scaling out on Ray").
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import threading
from collections import Counter, deque
from pathlib import Path

from .batch import (MAX_CRASHES, Outcome, _extract_task, _failure, _start_worker, display, error_line,
                    extract_line, source_key)
from .errors import GaimlError
from .pipeline import ExtractSettings
from .text import LIMITS
from .threads import THREADS_VAR, Plan, plan as plan_threads

# "auto", "local", "HOST:PORT", "ray://HOST:PORT" (a Ray Client server).
_ADDRESS = re.compile(r"^(auto|local|(ray://)?(\[[0-9a-fA-F:]+\]|[\w.\-]+):\d{1,5})$")


def is_address(value: str) -> bool:
    """Whether ``value`` names a Ray cluster (``auto``, ``local``, ``HOST:PORT``, ``ray://HOST:PORT``)."""
    return bool(_ADDRESS.match(value.strip()))


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """A cluster address that nothing answers at is a user's mistake: say so at once (``ray.init``
    would retry for minutes, printing a warning every few seconds)."""
    if not address or address in ("auto", "local"):
        return
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise GaimlError(f"cannot reach the Ray cluster at {address} ({reason}); start it with "
                         "`ray start --head` or give the head's address") from exc


class _Extractor:
    """One actor: the engine loaded once (a worker process's ``_start_worker``), documents one at a time."""

    def __init__(self, settings: ExtractSettings, limits: dict[str, str], threads: int, cwd: str) -> None:
        try:
            os.chdir(cwd)  # relative inputs and --model DIR mean what they meant to the driver
            self.cwd_ok = True
        except OSError:
            self.cwd_ok = False  # another node without that folder: absolute paths are used
        _start_worker(settings, limits, None, threads)

    def pid(self) -> int:
        """This actor's process id (the tests kill it by id)."""
        return os.getpid()

    def extract(self, path: str, absolute: str, with_text: bool, doc_id: str | None):
        """``_extract_task`` of a worker process; the alarm that backs the time limit only works in
        the main thread, which is where Ray runs a plain actor's methods (else only the
        cooperative checks between pages and stages stop a slow document)."""
        use = path if self.cwd_ok or os.path.isabs(path) else absolute
        if threading.current_thread() is threading.main_thread():
            serialised, outcome, seconds = _extract_task(use, with_text, doc_id)
        else:
            line = extract_line(use, with_text, doc_id=doc_id)
            serialised, outcome, seconds = json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line), None
        if use != path:  # the line names the file as the driver was given it, as a local run does
            line = json.loads(serialised)
            line["source"] = display(path)
            if "error" in line:
                line["error"] = line["error"].replace(use, path)
            serialised, outcome = json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line)
        return serialised, outcome, seconds


class RayRunner:
    """Extract on a Ray cluster: ``address`` as ``ray.init`` takes it (None: the cluster
    ``RAY_ADDRESS`` or ``ray start`` on this machine names, else a new local one), ``workers``
    actors (default: the cluster's CPUs) of ``cores // workers`` threads (1 by default on a cluster
    of whole CPUs). ``init`` is passed to ``ray.init`` (the tests bind a local cluster to 127.0.0.1)."""

    unit = ("Ray actor", "Ray actors")
    actor_class = _Extractor

    def __init__(self, address: str | None = None, depth: int = 2, **init) -> None:
        self.address = address or None
        self.depth = max(1, depth)
        self.init = init
        self.actors: list = []  # the live actors
        self.pids: list[int | None] = []  # the first actors' process ids (the tests kill one by its id)
        self.deaths = 0  # actors that died during the run
        self._started_ray = False

    @property
    def where(self) -> str:
        if self.address in (None, "auto", "local"):
            return " on Ray" + (" (a local cluster)" if self.address == "local" else "")
        return f" on the Ray cluster at {self.address}"

    def _connect(self):
        try:
            import ray
        except ImportError as exc:
            raise GaimlError("--ray needs the ray package: .venv/bin/pip install 'ray==2.60.0'") from exc
        if not ray.is_initialized():
            _check_reachable(self.address)
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING, configure_logging=True, **self.init)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise GaimlError(f"cannot connect to the Ray cluster {self.address or '(auto)'}: {exc}") from exc
            self._started_ray = True
        return ray

    def plan(self, workers: int | None, n_todo: int) -> Plan:
        """Actors × threads on the cluster's CPUs: one thread per actor and an actor per CPU unless
        ``workers`` (or ``GAIML_THREADS``) says otherwise."""
        if n_todo == 0:  # all done already (--resume): no cluster needed
            return plan_threads(1, cores=1)
        ray = self._connect()
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        if workers is None:
            workers = max(1, cpus // plan_threads(1, cores=1).threads) if os.environ.get(THREADS_VAR) else cpus
        return plan_threads(min(workers, max(n_todo, 1)), cores=cpus)

    def run(self, todo: list[Path], settings: ExtractSettings, threads: Plan, with_text: bool,
            ids: dict[str, str] | None = None):
        """Yield (JSON line, outcome, engine load seconds or None) per document as each completes."""
        if not todo:
            return
        ray = self._connect()
        try:
            yield from self._run(ray, todo, settings, threads, with_text, ids or {})
        finally:
            for actor in self.actors:
                ray.kill(actor, no_restart=True)
            self.actors = []
            if self._started_ray:
                ray.shutdown()
                self._started_ray = False

    def _run(self, ray, todo, settings, threads: Plan, with_text, ids):
        from ray.exceptions import RayActorError, RayTaskError

        limits = {v: os.environ[v] for v, _, _ in LIMITS.values() if v in os.environ}
        if settings.model_dir and not os.path.isabs(settings.model_dir):  # the same folder on a node elsewhere
            settings = dataclasses.replace(settings, model_dir=os.path.abspath(settings.model_dir))
        # Fractional CPUs when asked for more actors than CPUs: they share, as local workers would.
        cpus = min(float(threads.threads), threads.cores / threads.workers)
        remote = ray.remote(num_cpus=cpus, max_restarts=0, max_task_retries=0)(self.actor_class)
        cwd = os.getcwd()

        def start():
            return remote.remote(settings, limits, threads.threads, cwd)

        self.actors = [start() for _ in range(threads.workers)]
        try:  # every actor started, its engine loaded (or its load error kept for the first document)
            self.pids = ray.get([actor.pid.remote() for actor in self.actors])
        except RayActorError as exc:
            raise GaimlError(f"Ray actors cannot start ({exc}); is gaiml installed on every node?") from exc
        queues: list[deque] = [deque() for _ in self.actors]  # per actor, in submission order
        owner: dict = {}  # object ref -> (actor index, path)
        pending = deque(todo)
        crashes: Counter[Path] = Counter()
        fresh = [True] * len(self.actors)  # no result yet: a cluster whose actors die at once is stopped
        deaths_in_a_row = 0  # of actors that never returned a result

        def submit(i: int) -> None:
            while pending and len(queues[i]) < self.depth:
                path = pending.popleft()
                ref = self.actors[i].extract.remote(str(path), os.path.abspath(path), with_text,
                                                    ids.get(source_key(path)))
                queues[i].append(ref)
                owner[ref] = (i, path)

        for i in range(len(self.actors)):
            submit(i)
        while owner:
            ready, _ = ray.wait(list(owner), num_returns=1)
            ref = ready[0]
            i, path = owner[ref]
            try:
                result = ray.get(ref)
            except RayActorError as exc:
                # The actor died. It ran its documents in order: those before the one it died on
                # finished (their results stand), that one is counted against its document, and
                # the ones after it go back to the queue as they were.
                self.deaths += 1
                deaths_in_a_row = deaths_in_a_row + 1 if fresh[i] else 0
                if deaths_in_a_row > 2 * MAX_CRASHES + len(self.actors):
                    raise GaimlError(f"Ray actors keep dying before extracting anything ({exc})") from exc
                held = [(r, owner.pop(r)[1]) for r in queues[i]]
                queues[i].clear()
                culprit, after = None, []
                for r, held_path in held:
                    if culprit is not None:
                        after.append(held_path)
                        continue
                    try:
                        yield ray.get(r)  # finished before the death
                    except RayActorError:
                        culprit = held_path
                    except RayTaskError as task_exc:
                        yield self._task_error(task_exc, held_path, ids)
                for lost_path in reversed(after):
                    pending.appendleft(lost_path)
                if culprit is not None:
                    crashes[culprit] += 1
                    if crashes[culprit] >= MAX_CRASHES:
                        yield _failure(culprit, f"{display(culprit)}: the worker process died while reading it "
                                       "(crash or out of memory)", ids.get(source_key(culprit)))
                    else:
                        pending.appendleft(culprit)
                ray.kill(self.actors[i], no_restart=True)
                self.actors[i], fresh[i] = start(), True
                self.pids[i] = None  # not waited for: the others' results keep coming meanwhile
                submit(i)
                continue
            except RayTaskError as exc:
                owner.pop(ref)
                queues[i].remove(ref)
                yield self._task_error(exc, path, ids)
                submit(i)
                continue
            deaths_in_a_row, fresh[i] = 0, False
            owner.pop(ref)
            queues[i].remove(ref)
            submit(i)
            yield result

    @staticmethod
    def _task_error(exc, path: Path, ids: dict[str, str]):
        """An exception out of an actor's extract: the engine that cannot be loaded stops the run (as
        locally); anything else is an error line for that document."""
        cause = getattr(exc, "cause", None)
        if isinstance(cause, GaimlError):
            raise cause from None
        line = error_line(path, f"{display(path)}: internal error ({type(cause or exc).__name__}: "
                                f"{cause or exc})", ids.get(source_key(path)))
        return json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line), None
