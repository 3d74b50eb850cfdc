"""One place that decides how many threads each process's torch (and OpenMP) uses.

The model reads about 24,000 characters/s on one torch thread, but only 5,000-10,000 with torch's
default of one thread per core while another process keeps a core busy: threads that wait for a
core cost more than they bring. So every entry point (``extract`` workers, ``serve`` workers,
``eval``, ``al select``, Ray actors) asks ``plan(workers)`` and the workers × threads it gets never
exceed the cores this process may use (its CPU affinity and, in a container, its cgroup quota).
``GAIML_THREADS=N`` sets the threads per worker by hand (a machine with cores to spare).
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import GaimlError

THREADS_VAR = "GAIML_THREADS"
# Read by OpenMP and MKL when torch is first imported, and inherited by every child process.
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


class ThreadsError(GaimlError, ValueError):
    """GAIML_THREADS is not a whole number of at least 1 (the CLI says so in one line, exit code 2)."""


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity, bounded by a cgroup v2 CPU quota
    (``cpu.max``: a container limited to 2 CPUs on a 64-core host gets 2), at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota)))
    return max(1, cores)


def _cgroup_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs granted by the cgroup v2 quota (``cpu.max`` "QUOTA PERIOD"), None when unlimited or absent."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None


@dataclass(frozen=True)
class Plan:
    """``workers`` processes with ``threads`` torch threads each, on ``cores`` cores."""

    workers: int
    threads: int
    cores: int

    def describe(self) -> str:
        """The line the batch, the service and eval print at start: ``2 workers × 1 thread on 2 cores``;
        more workers than cores is said, since they then share the cores."""
        text = (f"{_plural(self.workers, 'worker')} × {_plural(self.threads, 'thread')} "
                f"on {_plural(self.cores, 'core')}")
        if self.workers * self.threads > self.cores:
            text += " (more threads than cores: they take turns)"
        return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def plan(workers: int = 1, cores: int | None = None) -> Plan:
    """Threads per worker so that workers × threads never exceeds the cores: ``cores // workers``,
    at least 1 (more workers than cores get one thread each). ``GAIML_THREADS`` overrides."""
    workers = max(1, int(workers))
    cores = cores or available_cores()
    forced = os.environ.get(THREADS_VAR, "").strip()
    if forced:
        try:
            threads = int(forced)
        except ValueError:
            raise ThreadsError(f"{THREADS_VAR}={forced!r}: must be a whole number of threads") from None
        if threads < 1:
            raise ThreadsError(f"{THREADS_VAR}={forced!r}: must be at least 1")
    else:
        threads = max(1, cores // workers)
    return Plan(workers, threads, cores)


def apply(threads: int, environ: bool = True) -> None:
    """Make this process use ``threads`` torch/OpenMP threads: torch's intra-op pool now when torch
    is already imported, and (``environ``) the OpenMP/MKL variables, which a later ``import torch``
    here and every child process read. Inter-op threads are left alone: inference runs one op at a time."""
    threads = max(1, int(threads))
    if environ:
        for variable in _THREAD_VARS:
            os.environ[variable] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
