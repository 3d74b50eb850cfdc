"""extract_many(): a whole collection of report files through worker processes, into JSON Lines.

Each worker process builds one Pipeline (the engine loads once, not per document). Lines are
written as documents complete, one write and flush each, so a crash or a kill loses nothing
finished, and ``resume`` skips every source already in the output file.
"""

from __future__ import annotations

import errno
import glob
import json
import multiprocessing
import os
import signal
import stat
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterable

from .errors import GaimlError
from .pipeline import ExtractSettings, Pipeline
from .readers import SUFFIXES, ReadDocument, read_document
from .text import LIMITS, TimeLimit, limit, set_deadline
from .threads import Plan, apply as apply_threads, available_cores, plan as plan_threads
from .verify.status import FAILED, SOURCE_INCONSISTENT, VERIFIED, line_status

# A file in flight when a worker process died this many times is recorded as failed, not retried.
MAX_CRASHES = 2
_GLOB_CHARS = set("*?[")


class OutputError(GaimlError):
    """The output file cannot be opened, locked or written (a missing folder, read-only, a folder,
    a disk full, another run writing it): the run stops; ``gaiml extract`` exits with code 4."""


def collect_paths(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders searched recursively for readable reports, globs expanded;
    each file once, in the order found (folders and globs sorted). Entries that cannot be read
    (an unreadable folder, a dangling or looping link, a FIFO) are listed too: reading them fails
    with the reason (``collect_inputs`` gives the reasons found while searching)."""
    return collect_inputs(inputs)[0]


def collect_inputs(inputs: Iterable[str | Path]) -> tuple[list[Path], dict[str, str]]:
    """``collect_paths`` plus the problems met while searching folders, by source key: a folder
    that cannot be read, a link loop. Nothing is skipped silently: every entry with a report's
    suffix is listed (a dangling link, a FIFO or a device fails when read, naming why), and links
    to folders are followed (each real folder once)."""
    found: dict[str, Path] = {}
    problems: dict[str, str] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = _walk(path, problems)
        elif not os.path.lexists(path) and _GLOB_CHARS & set(str(item)):
            matches = sorted(Path(p) for p in glob.glob(str(item), recursive=True) if not Path(p).is_dir())
            matches = matches or [path]  # a glob matching nothing is reported like a missing file
        else:
            matches = [path]
        for match in matches:
            found.setdefault(source_key(match), match)
    return list(found.values()), problems


def _walk(root: Path, problems: dict[str, str]) -> list[Path]:
    """Report files under ``root``, sorted, links followed; unreadable folders and loops recorded."""
    matches: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def visit(folder: Path) -> None:
        try:
            info = os.stat(folder)
            key = (info.st_dev, info.st_ino)
            if key in seen:
                return  # a link back to a folder already searched: each real folder once
            seen.add(key)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems[source_key(folder)] = (f"{display(folder)}: folder cannot be read ({exc.strerror}); "
                                            "its reports were not extracted")
            matches.append(folder)
            return
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                subfolders.append(path)
            elif path.suffix.lower() in SUFFIXES:
                matches.append(path)  # a dangling link, a FIFO, a device: read_document says why
        for sub in subfolders:
            visit(sub)

    visit(root)
    files = sorted(p for p in matches if source_key(p) not in problems)
    return files + [p for p in matches if source_key(p) in problems]


def display(path: str | Path) -> str:
    """A path as text that JSON and any terminal take: bytes of a file name that are not UTF-8 (GBK
    names from a Windows zip) are written as ``\\xNN`` escapes. The same file always gives the
    same text, so resuming finds it."""
    raw = os.fsencode(os.fspath(path))
    return raw.decode("utf-8", "backslashreplace")


def assign_ids(paths: Iterable[Path], taken: Iterable[str] = ()) -> dict[str, str]:
    """Each file's doc_id, unique in the run: its file stem, or, when an earlier file of the run
    (in the order found) or a document already in a resumed output holds that id, the stem with
    ``-2``, ``-3``, ... added (the first one free). ``report.txt``, ``report.pdf``, ``report.html``
    in that order are ``report``, ``report-2``, ``report-3``. Keyed by ``source_key``."""
    used = set(taken)
    ids = {}
    for path in paths:
        stem = display(Path(path).stem)
        doc_id, n = stem, 1
        while doc_id in used:
            n += 1
            doc_id = f"{stem}-{n}"
        used.add(doc_id)
        ids[source_key(path)] = doc_id
    return ids


def source_key(source: str | Path) -> str:
    """The identity of a document across runs: its absolute path (``resume`` compares these), as
    ``display`` writes it."""
    return display(os.path.abspath(source))


@dataclass(frozen=True)
class Outcome:
    """What the summary needs of one output line, so workers send the line already serialised."""

    source: str
    status: str
    error: str | None = None

    @classmethod
    def of(cls, line: dict) -> Outcome:  # noqa: D102
        return cls(line.get("source") or line.get("doc_id", "?"), line_status(line), line.get("error"))


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


def extract_many(paths: Iterable[str | Path], settings: ExtractSettings = ExtractSettings(),
                 workers: int | None = None, out: str | Path | IO[str] | None = None, resume: bool = False,
                 with_text: bool = False, progress: bool = False, runner: Runner | None = None) -> Summary:
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
    runner : where the documents are extracted: worker processes here (default), or a Ray cluster
        (``gaiml.ray_batch.RayRunner``); the output, resume and error lines are the same.

    Returns
    -------
    Summary of the whole run; a file that fails gets a line ``{"doc_id", "source", "error"}``.

    Examples
    --------
    >>> summary = extract_many(["../shared/seeds/raw"], out="results.jsonl")  # doctest: +SKIP
    >>> summary.failed  # doctest: +SKIP
    0
    """
    files, problems = collect_inputs(paths)
    summary = Summary()
    if resume and not _is_path(out):
        raise ValueError("resume needs an output file")
    started = time.perf_counter()
    # Opened and locked before anything is read or truncated: a second run on the same file stops here.
    stream, close = _open_output(out, append=bool(resume))
    try:
        done = match_done(load_done(Path(out)), files) if resume else {}
        ids = assign_ids([p for p in files if source_key(p) not in done],
                         taken=[line.get("doc_id") for line in done.values()])
        todo = []
        for path in files:
            line = done.get(source_key(path))
            if line is not None:
                summary.add(line)
                summary.resumed += 1
                summary.resumed_failed += "error" in line
            elif source_key(path) in problems:
                _write(stream, out, _failure(path, problems[source_key(path)], ids.get(source_key(path)))[0])
                summary.count(Outcome(display(path), FAILED, problems[source_key(path)]))
            else:
                todo.append(path)
        runner = runner or LocalRunner()
        threads = runner.plan(workers, len(todo))
        if progress and todo:
            unit = runner.unit[threads.workers != 1]
            print(f"loading the {describe_engine(settings)} in {threads.workers} {unit}{runner.where} "
                  f"({threads.describe()}) ...", file=sys.stderr, flush=True)
        bar = _progress_bar(len(todo), progress)
        loaded = False
        for serialised, outcome, load_seconds in runner.run(todo, settings, threads, with_text, ids):
            if progress and load_seconds is not None and not loaded:
                loaded = True
                bar.write(f"engine loaded in {load_seconds:.1f} s", file=sys.stderr)
            _write(stream, out, serialised)
            summary.count(outcome)
            if progress and outcome.error:
                bar.write(f"error: {outcome.error}", file=sys.stderr)
            bar.update(1)
        bar.close()
    finally:
        if close:
            try:
                stream.close()
            except OSError as exc:
                raise OutputError(f"{display(out)}: cannot be written ({exc.strerror or exc})") from exc
    summary.seconds = time.perf_counter() - started
    return summary


def _write(stream, out, line: str) -> None:
    """One line written and flushed; a failure to write (disk full) is an OutputError."""
    try:
        stream.write(line)
        stream.flush()
    except OSError as exc:
        where = display(out) if out is not None and _is_path(out) else "standard output"
        if isinstance(exc, BrokenPipeError):
            raise
        raise OutputError(f"{where}: cannot be written ({exc.strerror or exc})") from exc


def load_done(out: Path) -> dict[str, dict]:
    """Lines already in ``out`` by source key; a last line cut off by a kill is removed from the file."""
    if not out.exists() or not out.is_file():
        return {}
    data = out.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    if len(complete) < len(data):
        with out.open("r+b") as f:
            f.truncate(len(complete))
    done = {}
    for n, raw in enumerate(complete.decode("utf-8", "replace").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise GaimlError(f"{out}: line {n} is not JSON ({getattr(exc, 'msg', exc)}); cannot resume from it") from exc
        if isinstance(line, dict) and isinstance(line.get("source"), str) and line["source"]:
            done[source_key(line["source"])] = line
    return done


def match_done(done: dict[str, dict], files: list[Path]) -> dict[str, dict]:
    """The done lines by the source key of this run's files. A line whose source was written
    relative to another working folder (``../reports/a.txt`` from elsewhere) matches the one file
    of this run whose absolute path ends with that relative path, when exactly one does."""
    keys = {source_key(p) for p in files}
    matched = {k: line for k, line in done.items() if k in keys}
    unmatched = [line for k, line in done.items() if k not in keys and not os.path.isabs(line["source"])]
    if not unmatched:
        return matched
    by_tail: dict[str, list[str]] = {}
    for key in keys - set(matched):
        parts = Path(key).parts
        for n in range(1, len(parts)):
            by_tail.setdefault("/".join(parts[-n:]), []).append(key)
    for line in unmatched:
        parts = [p for p in Path(os.path.normpath(line["source"])).parts if p not in ("..", ".")]
        candidates = by_tail.get("/".join(parts), []) if parts else []
        candidates = [k for k in candidates if k not in matched]
        if len(candidates) == 1:
            matched[candidates[0]] = line
    return matched


def _is_path(out) -> bool:
    return isinstance(out, (str, Path))


def _open_output(out, append: bool):
    """The output stream and whether to close it. A file is opened without truncating, locked
    (flock: a second run on the same file fails at once), then truncated unless appending."""
    if out is None:
        return sys.stdout, False
    if not _is_path(out):
        return out, False
    import fcntl

    name = display(out)
    path = Path(out)
    if path.is_dir():
        raise OutputError(f"{name}: is a folder; -o takes a file name")
    if not path.parent.is_dir():
        raise OutputError(f"{name}: its folder {display(path.parent)} does not exist")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as exc:
        raise OutputError(f"{name}: cannot be opened for writing ({exc.strerror})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"{name}: another gaiml run is writing this file; wait for it or choose "
                              "another -o") from None
        except OSError:
            pass  # a file system without locks: go on unlocked
        if not append and stat.S_ISREG(os.fstat(fd).st_mode):
            os.ftruncate(fd, 0)
        return os.fdopen(fd, "a", encoding="utf-8"), True
    except BaseException:
        os.close(fd)
        raise


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


def _start_worker(settings: ExtractSettings, limits: dict[str, str] | None = None,
                  parent: int | None = None, threads: int | None = None) -> None:
    """Pool initializer: the one Pipeline of this worker process. A failure to load the engine is
    kept and raised by the first task, so the run stops with the reason instead of a dead pool.
    ``limits``: the GAIML_* limit variables of the parent (the forkserver may predate them);
    ``parent``: the process id of the run, which this worker does not outlive; ``threads``: its
    torch threads (``gaiml/threads.py``: workers × threads never exceed the cores)."""
    global _pipeline, _load_error, _load_seconds
    if threads is not None:
        apply_threads(threads)
    for variable, _, _ in LIMITS.values():
        os.environ.pop(variable, None)
    os.environ.update(limits or {})
    if parent is not None:
        _die_with(parent)
    started = time.perf_counter()
    try:
        _pipeline = Pipeline.load(settings)
        _load_seconds = time.perf_counter() - started
    except Exception as exc:  # a missing model directory, a model of another schema, ...
        _load_error = GaimlError(f"engine {settings.engine!r} cannot be loaded: {exc}")


def _die_with(parent: int) -> None:
    """Make this worker end when the run's process ends, even by ``kill -9``: the kernel kills it
    when its own parent (the forkserver) dies, and a watcher thread ends it when the run's process
    is gone (checked twice a second)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            if os.getppid() != ppid:
                os._exit(1)

    threading.Thread(target=watch, name="gaiml-parent-watch", daemon=True).start()


def extract_line(path: str, with_text: bool = False, pipeline: Pipeline | None = None,
                 doc_id: str | None = None, read: Callable[[Path], ReadDocument] = read_document) -> dict:
    """One file's output line: the result document, or an error line naming the file and the reason.
    ``doc_id``: the id to give it (default: the file's stem; ``assign_ids`` makes them unique in a run).
    A report over a limit (README "Limits": characters, pages, bytes, seconds) gets an error line.
    ``read``: how the file is read (on Ray a scan is put together from its pages read elsewhere)."""
    pipeline = pipeline or _pipeline
    if pipeline is None:
        raise _load_error or GaimlError("no pipeline in this worker process")
    doc_id = doc_id or display(Path(path).stem)
    source = display(path)
    try:
        extraction = pipeline.extract_document(read(Path(path)), doc_id=doc_id, source=source)
    except GaimlError as exc:
        return error_line(path, _displayed(str(exc)), doc_id)
    except RecursionError:
        return error_line(path, f"{source}: nested too deeply to be read", doc_id)
    except MemoryError:
        return error_line(path, f"{source}: out of memory while reading it", doc_id)
    except Exception as exc:  # a bug on one odd file must not stop a run of thousands
        return error_line(path, _displayed(f"{source}: internal error ({type(exc).__name__}: {exc})"), doc_id)
    line = extraction.to_json()
    if with_text:
        line["text"] = extraction.text
    return line


def _displayed(message: str) -> str:
    """A message that JSON in UTF-8 takes: lone surrogates (undecodable file-name bytes) escaped."""
    return message.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") \
        if any("\ud800" <= ch <= "\udfff" for ch in message) else message


def _on_alarm(signum, frame):
    raise TimeoutError


@contextmanager
def alarm(seconds: float):
    """TimeoutError raised in this (main) thread once ``seconds`` have passed: the hard stop for
    work that never reaches a cooperative ``check_deadline`` (one slow page)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _extract_task(path: str, with_text: bool, doc_id: str | None = None,
                  read: Callable[[Path], ReadDocument] = read_document) -> tuple[str, Outcome, float | None]:
    """In a worker: the JSON line, serialised here (a string crosses processes far cheaper than a
    nested dict, and the parent's one core is left to writing), its outcome, and the seconds the
    worker took to load its engine (with its first result only, else None). A report that takes
    longer than the seconds limit is stopped (between pages, or by an alarm) with an error line."""
    global _load_seconds
    seconds = limit("seconds")
    set_deadline(seconds)
    try:
        with alarm(seconds + 5):  # the cooperative checks come first
            line = extract_line(path, with_text, doc_id=doc_id, read=read)
    except TimeoutError:
        line = error_line(path, f"{display(path)}: extraction took more than {seconds} s; stopped "
                                f"(raise the limit with GAIML_TIMEOUT=N or --limit seconds=N)", doc_id)
    finally:
        set_deadline(None)
    load_seconds, _load_seconds = _load_seconds, None
    return json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line), load_seconds


def _failure(path: Path, reason: str, doc_id: str | None = None) -> tuple[str, Outcome, None]:
    line = error_line(path, reason, doc_id)
    return json.dumps(line, ensure_ascii=False) + "\n", Outcome.of(line), None


def error_line(path: str | Path, reason: str, doc_id: str | None = None) -> dict:
    return {"doc_id": doc_id or display(Path(path).stem), "source": display(path), "error": _displayed(reason)}


class LocalRunner:
    """Worker processes on this machine: ``workers`` (default: the cores) × ``cores // workers``
    torch threads each."""

    unit = ("worker process", "worker processes")
    where = ""

    def plan(self, workers: int | None, n_todo: int) -> Plan:
        return plan_threads(min(workers or available_cores(), max(n_todo, 1)))

    def run(self, todo: list[Path], settings: ExtractSettings, threads: Plan, with_text: bool,
            ids: dict[str, str] | None = None):
        return _run(todo, settings, threads.workers, with_text, ids, threads.threads)


Runner = LocalRunner  # the interface: unit, where, plan(workers, n_todo), run(...) (see gaiml/ray_batch.py)


def _run(todo: list[Path], settings: ExtractSettings, workers: int, with_text: bool,
         ids: dict[str, str] | None = None, threads: int | None = None):
    """Yield (JSON line, outcome, engine load seconds or None) per file as completed; a file that
    keeps killing its worker gets an error line. ``ids``: doc_id by source key (default: stems)."""
    ids = ids or {}
    crashes: Counter[Path] = Counter()
    # forkserver: workers start clean, safe with the threads the parent runs (progress bar, pool manager).
    context = multiprocessing.get_context("forkserver")
    while todo:
        broken = []
        limits = {v: os.environ[v] for v, _, _ in LIMITS.values() if v in os.environ}
        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=context, initializer=_start_worker,
                                 initargs=(settings, limits, os.getpid(), threads)) as pool:
            futures = {pool.submit(_extract_task, str(path), with_text, ids.get(source_key(path))): path
                       for path in todo}
            try:
                for future in as_completed(futures):
                    path = futures.pop(future)  # drop the finished result: memory stays flat over a run
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken.append(path)
            except GeneratorExit:  # the consumer stopped (the output cannot be written): drop what has not
                # started and let the running files finish, so no pool thread outlives the process's exit
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            except BaseException:  # interrupted: drop what has not started, wait for nothing
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        # A worker died (crash, out of memory): the files it may have held are tried again.
        crashes.update(broken)
        for path in broken:
            if crashes[path] >= MAX_CRASHES:
                yield _failure(path, f"{display(path)}: the worker process died while reading it (crash or out of memory)",
                               ids.get(source_key(path)))
        todo = [p for p in broken if crashes[p] < MAX_CRASHES]
