"""``gaiml extract --ray [ADDRESS]``: the same batch as ``extract_many``, its documents extracted by
actors on a Ray cluster.

``extract_many`` keeps everything that makes a batch trustworthy (collecting the inputs, document
ids, ``--resume``, the locked output written line by line by this process, error lines, progress,
the summary); only where documents are extracted changes: ``RayRunner`` is its runner. Each actor
loads the engine once, like a worker process, and holds at most ``depth`` documents at a time. A
scan is not read by its actor: the actor opens it (``open_document``) and hands back its plan, each
page to OCR becomes a Ray task of one CPU (seconds a page), and once they are all read an actor
puts them together (``finish_pdf``) and extracts it, so a 4-page scan uses up to 4 cores and no
actor waits on its OCR. An actor that dies (killed, out of memory, its node lost) is replaced; the
document it was reading is tried again, and after ``MAX_CRASHES`` deaths it gets an error line, as
in a local run (a page task is tried as often). Results are written only here, once each, so a
document comes out exactly once whatever dies.

Inputs are read by the actors, so every node must see them at the same path (a shared file
system), and gaiml with its model installed in the same place (README "Scaling out on Ray").
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import threading
import time
from collections import Counter, deque
from pathlib import Path

from .batch import (MAX_CRASHES, Outcome, _extract_task, _failure, _start_worker, alarm, display, error_line,
                    extract_line, source_key)
from .errors import GaimlError
from .pages import PageContent
from .pipeline import ExtractSettings
from .readers import ReadDocument, ScanPlan, finish_pdf, open_document, read_ocr_page
from .text import LIMITS, charge_deadline, check_deadline, limit
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


# ------------------------------------------------------------------ a scan's pages as tasks

@dataclasses.dataclass
class _Planned:
    """A scan as its actor handed it back: what ``open_document`` read of it, and in how many seconds."""

    plan: ScanPlan
    seconds: float


class _HandOver(BaseException):
    """Leaves an actor's extraction once a PDF turns out to have pages to OCR. Not an Exception, so
    that the error handling of one document (every Exception an error line) lets it through."""

    def __init__(self, planned: _Planned) -> None:
        super().__init__()
        self.planned = planned


def _open_or_hand_over(path: Path) -> ReadDocument:
    """``open_document``, for an actor: a PDF with pages to OCR is handed over (``_HandOver``)."""
    started = time.monotonic()
    opened = open_document(path)
    if isinstance(opened, ScanPlan):
        raise _HandOver(_Planned(opened, time.monotonic() - started))
    return opened


@dataclasses.dataclass
class _PageRead:
    """One page read by a page task: its content, or the error reading it raised, and the seconds it took."""

    content: PageContent | None
    error: Exception | None
    seconds: float


def _in_folder(cwd: str) -> bool:
    """Work in the driver's folder, so that relative inputs mean what they meant to it; False on a
    node without that folder (absolute paths are used there)."""
    try:
        os.chdir(cwd)
        return True
    except OSError:
        return False


def _read_page(path: str, absolute: str, cwd: str, number: int, budget: float) -> _PageRead:
    """A Ray task: page ``number`` of a scan read by OCR. Its error is returned, to be raised where
    the document is put together, as reading it in one process would raise it. ``budget``: the
    document's seconds left; an alarm stops a page that runs past them, as in a worker process."""
    use = path if os.path.isabs(path) or _in_folder(cwd) else absolute
    started = time.monotonic()
    try:
        with _alarm_in_main_thread(max(budget, 0) + 5):  # the cooperative checks come first
            content, error = read_ocr_page(use, number), None
    except Exception as exc:  # noqa: BLE001 - the document's error line says what
        content, error = None, exc
    return _PageRead(content, error, time.monotonic() - started)


def _alarm_in_main_thread(seconds: float):
    """``alarm``, which only works in the main thread (where Ray runs plain tasks and actor methods)."""
    return alarm(seconds) if threading.current_thread() is threading.main_thread() else contextlib.nullcontext()


def _assemble(planned: _Planned, page_refs: list) -> ReadDocument:
    """The last step of reading a scan on Ray: its pages as the page tasks read them, taken in order
    with the checks ``read_document`` makes between pages (the time limit, on the seconds each
    page took), then ``finish_pdf``: the same document as read in one process."""
    import ray
    from ray.exceptions import NodeDiedError, ObjectLostError, OutOfMemoryError, WorkerCrashedError

    source = str(planned.plan.path)
    charge_deadline(planned.seconds)
    try:
        pages = ray.get(page_refs)
    except (WorkerCrashedError, OutOfMemoryError, NodeDiedError, ObjectLostError) as exc:  # after its retries
        raise GaimlError(f"{display(source)}: the worker process died while reading it "
                         "(crash or out of memory)") from exc
    contents = []
    for page in pages:
        check_deadline(source)
        charge_deadline(page.seconds)
        if page.error is not None:
            check_deadline(source)  # a page stopped by its alarm ran past the time limit: say that
            raise page.error
        contents.append(page.content)
    return finish_pdf(planned.plan, contents)


# ------------------------------------------------------------------ the actors

class _Extractor:
    """One actor: the engine loaded once (a worker process's ``_start_worker``), documents one at a time."""

    def __init__(self, settings: ExtractSettings, limits: dict[str, str], threads: int, cwd: str) -> None:
        self.cwd_ok = _in_folder(cwd)
        _start_worker(settings, limits, None, threads)

    def pid(self) -> int:
        """This actor's process id (the tests kill it by id)."""
        return os.getpid()

    def extract(self, path: str, absolute: str, with_text: bool, doc_id: str | None):
        """One document's line, as a worker process's ``_extract_task`` gives it; but a PDF with pages
        to OCR comes back as its ``_Planned`` once opened: its pages are read by page tasks and
        ``finish`` extracts it."""
        try:
            return self._extract(path, absolute, with_text, doc_id, _open_or_hand_over)
        except _HandOver as handed:
            return handed.planned

    def finish(self, path: str, absolute: str, with_text: bool, doc_id: str | None, planned: _Planned,
               page_refs: list):
        """The line of a scan whose pages the page tasks have read (``page_refs``, in page order)."""
        return self._extract(path, absolute, with_text, doc_id, lambda _: _assemble(planned, page_refs))

    def _extract(self, path: str, absolute: str, with_text: bool, doc_id: str | None, read):
        """``_extract_task``; the alarm that backs the time limit only works in the main thread,
        which is where Ray runs a plain actor's methods (else only the cooperative checks between
        pages and stages stop a slow document)."""
        use = path if self.cwd_ok or os.path.isabs(path) else absolute
        if threading.current_thread() is threading.main_thread():
            serialised, outcome, seconds = _extract_task(use, with_text, doc_id, read)
        else:
            line = extract_line(use, with_text, doc_id=doc_id, read=read)
            serialised, outcome, seconds = json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line), None
        if use != path:  # the line names the file as the driver was given it, as a local run does
            line = json.loads(serialised)
            line["source"] = display(path)
            if "error" in line:
                line["error"] = line["error"].replace(use, path)
            serialised, outcome = json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line)
        return serialised, outcome, seconds


def _nodes_for(ray, n: int) -> list[str | None]:
    """A node for each of ``n`` actors, in proportion to the nodes' CPUs (largest remainders first).
    The actors hold no CPU, which a scan's page tasks need, so Ray would not spread them by CPUs."""
    cpus = {node["NodeID"]: node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]}
    cpus = {node: count for node, count in cpus.items() if count > 0}
    if not cpus:
        return [None] * n
    shares = {node: n * count / sum(cpus.values()) for node, count in cpus.items()}
    counts = {node: int(share) for node, share in shares.items()}
    by_remainder = sorted(shares, key=lambda node: shares[node] - counts[node], reverse=True)
    for node in by_remainder[:n - sum(counts.values())]:
        counts[node] += 1
    return [node for node, count in counts.items() for _ in range(count)]


@dataclasses.dataclass
class _Job:
    """A document of the run; a scan also its plan and page tasks once its actor has opened it."""

    path: Path
    planned: _Planned | None = None
    page_refs: list = dataclasses.field(default_factory=list)
    unread: int = 0  # page tasks not finished yet


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
        self.page_tasks: list[tuple[str, int, str]] = []  # (source, page, Ray task id) of each scan page read
        self._page_jobs: dict = {}  # the page tasks in flight: object ref -> its document's _Job
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
            for ref in self._page_jobs:  # a run stopped midway leaves no OCR running on the cluster
                ray.cancel(ref)
            self._page_jobs = {}
            for actor in self.actors:
                ray.kill(actor, no_restart=True)
            self.actors = []
            if self._started_ray:
                ray.shutdown()
                self._started_ray = False

    def _run(self, ray, todo, settings, threads: Plan, with_text, ids):
        from ray.exceptions import RayActorError, RayTaskError
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        limits = {v: os.environ[v] for v, _, _ in LIMITS.values() if v in os.environ}
        if settings.model_dir and not os.path.isabs(settings.model_dir):  # the same folder on a node elsewhere
            settings = dataclasses.replace(settings, model_dir=os.path.abspath(settings.model_dir))
        # The actors hold no CPU: a scan's pages are read by tasks of a CPU each while its actor
        # goes on with other documents. They stand on the nodes in proportion to their CPUs.
        remote = ray.remote(num_cpus=0, max_restarts=0, max_task_retries=0)(self.actor_class)
        read_page = ray.remote(num_cpus=1, max_retries=MAX_CRASHES - 1)(_read_page)
        nodes = _nodes_for(ray, threads.workers)
        cwd = os.getcwd()

        def start(i: int):
            where = NodeAffinitySchedulingStrategy(nodes[i], soft=True) if nodes[i] else "DEFAULT"
            return remote.options(scheduling_strategy=where).remote(settings, limits, threads.threads, cwd)

        self.actors = [start(i) for i in range(threads.workers)]
        try:  # every actor started, its engine loaded (or its load error kept for the first document)
            self.pids = ray.get([actor.pid.remote() for actor in self.actors])
        except RayActorError as exc:
            raise GaimlError(f"Ray actors cannot start ({exc}); is gaiml installed on every node?") from exc
        queues: list[deque] = [deque() for _ in self.actors]  # per actor, in submission order
        owner: dict = {}  # object ref -> (actor index, _Job)
        pending = deque(_Job(path) for path in todo)
        scans_read: deque[_Job] = deque()  # scans whose pages are all read: to an actor before new documents
        pages = self._page_jobs  # page task ref -> _Job
        # New documents wait while this many pages are to read: a queue for every CPU, not the
        # pages of the whole batch at once.
        most_pages = 2 * threads.cores
        crashes: Counter[Path] = Counter()
        fresh = [True] * len(self.actors)  # no result yet: a cluster whose actors die at once is stopped
        deaths_in_a_row = 0  # of actors that never returned a result

        def next_job() -> _Job | None:
            if scans_read:
                return scans_read.popleft()
            if pending and len(pages) < most_pages:
                return pending.popleft()
            return None

        def submit(i: int) -> None:
            while len(queues[i]) < self.depth and (job := next_job()) is not None:
                args = (str(job.path), os.path.abspath(job.path), with_text, ids.get(source_key(job.path)))
                if job.planned is None:
                    ref = self.actors[i].extract.remote(*args)
                else:
                    ref = self.actors[i].finish.remote(*args, job.planned, job.page_refs)
                queues[i].append(ref)
                owner[ref] = (i, job)

        def requeue(job: _Job) -> None:  # a document an actor died holding: first in line again
            (scans_read if job.planned is not None else pending).appendleft(job)

        def read_pages(job: _Job, planned: _Planned) -> None:
            """A scan its actor opened: each page to OCR a task of its own."""
            job.planned, plan = planned, planned.plan
            budget = limit("seconds") - planned.seconds
            job.page_refs = [read_page.remote(str(plan.path), os.path.abspath(job.path), cwd, number, budget)
                             for number in plan.to_ocr]
            job.unread = len(job.page_refs)
            for number, ref in zip(plan.to_ocr, job.page_refs):
                pages[ref] = job
                self.page_tasks.append((display(job.path), number, ref.task_id().hex()))

        def handled(job: _Job, result):
            """The line of an actor's result, or None for a scan it handed back (its pages are sent out)."""
            if isinstance(result, _Planned):
                read_pages(job, result)
                return None
            return result

        for i in range(len(self.actors)):
            submit(i)
        while owner or pages:
            ready, _ = ray.wait(list(owner) + list(pages), num_returns=1, fetch_local=False)
            ref = ready[0]
            if ref in pages:  # a page read: once all of its scan's are, an actor puts it together
                job = pages.pop(ref)
                job.unread -= 1
                if job.unread == 0:
                    scans_read.append(job)
                for i in range(len(self.actors)):
                    submit(i)
                continue
            i, job = owner[ref]
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
                for r, held_job in held:
                    if culprit is not None:
                        after.append(held_job)
                        continue
                    try:
                        line = handled(held_job, ray.get(r))  # finished before the death
                    except RayActorError:
                        culprit = held_job
                        continue
                    except RayTaskError as task_exc:
                        line = self._task_error(task_exc, held_job.path, ids)
                    if line is not None:
                        yield line
                for lost in reversed(after):
                    requeue(lost)
                if culprit is not None:
                    crashes[culprit.path] += 1
                    if crashes[culprit.path] >= MAX_CRASHES:
                        yield _failure(culprit.path, f"{display(culprit.path)}: the worker process died while "
                                       "reading it (crash or out of memory)", ids.get(source_key(culprit.path)))
                    else:
                        requeue(culprit)
                ray.kill(self.actors[i], no_restart=True)
                self.actors[i], fresh[i] = start(i), True
                self.pids[i] = None  # not waited for: the others' results keep coming meanwhile
                submit(i)
                continue
            except RayTaskError as exc:
                owner.pop(ref)
                queues[i].remove(ref)
                yield self._task_error(exc, job.path, ids)
                submit(i)
                continue
            deaths_in_a_row, fresh[i] = 0, False
            owner.pop(ref)
            queues[i].remove(ref)
            line = handled(job, result)
            submit(i)
            if line is not None:
                yield line

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
