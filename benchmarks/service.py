"""Throughput and latency of `gaiml serve` on this machine, loopback only.

Starts the server in a subprocess on 127.0.0.1 (a free port), posts the seed reports to
/extract as text/plain — a bounded number of requests at each concurrency, stopping early at a
time limit — checks every answer, prints requests/s and latency percentiles, and stops the server.

    .venv/bin/python benchmarks/service.py [--requests 500] [--concurrency 1 4 8] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds" / "raw"
HOST = "127.0.0.1"  # never anything but loopback
WARMUP = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests at each concurrency (default 500)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8], help="client threads (default 1 4 8)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--engine", default="rules", help="extraction engine (default rules)")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop a level after this long (default 120)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    bodies = [p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))]
    with running_server(args.engine, args.workers) as url:
        print(f"gaiml serve --engine {args.engine} --workers {args.workers} on {url}; {os.cpu_count()} CPUs; "
              f"{len(bodies)} seed reports of {min(map(len, bodies))}-{max(map(len, bodies))} bytes, POST /extract")
        print(f"{'concurrency':>11} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for concurrency in args.concurrency:
            latencies, wall = run_level(url, bodies, concurrency, args.requests, args.max_seconds)
            print(format_row(concurrency, latencies, wall))


class running_server:
    """`gaiml serve` in a subprocess for the length of a with-block."""

    def __init__(self, engine: str, workers: int):
        self.command = [sys.executable, "-m", "gaiml", "serve", "--host", HOST, "--port", str(free_port()),
                        "--engine", engine, "--workers", str(workers), "--log-level", "warning"]

    def __enter__(self) -> str:
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT)
        url = f"http://{HOST}:{self.command[self.command.index('--port') + 1]}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    return url
            except httpx.TransportError:
                time.sleep(0.2)
        self.__exit__()
        self.log.seek(0)
        sys.exit(f"gaiml serve did not start:\n{self.log.read().decode(errors='replace')}")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run_level(url: str, bodies: list[bytes], concurrency: int, requests: int, max_seconds: float):
    """Latencies (s) of up to ``requests`` calls from ``concurrency`` threads, and the wall time."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=url, timeout=60, limits=limits) as client:
        for n in range(WARMUP):
            post(client, bodies[n % len(bodies)])
        deadline = time.monotonic() + max_seconds

        def one(n: int) -> float | None:
            if time.monotonic() > deadline:
                return None
            started = time.perf_counter()
            post(client, bodies[n % len(bodies)])
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            latencies = [t for t in pool.map(one, range(requests)) if t is not None]
        return latencies, time.perf_counter() - started


def post(client: httpx.Client, body: bytes) -> None:
    response = client.post("/extract", content=body, headers={"Content-Type": "text/plain"})
    if response.status_code != 200 or "cells" not in response.json():
        sys.exit(f"unexpected answer {response.status_code}: {response.text[:300]}")


def format_row(concurrency: int, latencies: list[float], wall: float) -> str:
    ms = sorted(t * 1000 for t in latencies)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return (f"{concurrency:>11} {len(ms):>8} {len(ms) / wall:>8.1f} {cuts[49]:>8.1f} {cuts[89]:>8.1f} "
            f"{cuts[98]:>8.1f} {ms[-1]:>8.1f}")


if __name__ == "__main__":
    main()
