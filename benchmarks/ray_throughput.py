"""Throughput of `gaiml extract --ray` with 1 and 2 actors against the local batch, and what a
national collection would cost in core-hours.

    .venv/bin/python benchmarks/ray_throughput.py [--docs 100] [--engines rules,auto] [--workers 1,2]
        [--address HOST:PORT] [--scan-seconds-per-page 1.9] [--pages-per-scan 10] [--reports 100000]

The documents are benchmarks/speed.py's real-length reports (~6,000 characters, 2,000-16,000),
written as files. Without ``--address`` a local Ray cluster on 127.0.0.1 with this machine's cores
is started once for all runs (and stopped after). Each run goes through ``extract_many`` exactly
as ``gaiml extract`` does; docs/s counts from the first line written to the last (actor start and
engine loading left out, given apart as the whole run's seconds). Core-seconds per report are the
cores a run held (workers × threads) over its docs/s; scans are priced per page by
``--scan-seconds-per-page`` (benchmarks/pages.py measures it: 1.9 s on one core) times
``--pages-per-scan``. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import make_documents, time_batch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--engines", default="rules,auto")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--model", default=None)
    parser.add_argument("--address", default=None, help="a running Ray cluster (default: start one here)")
    parser.add_argument("--no-local", action="store_true", help="skip the local batch runs")
    parser.add_argument("--scan-seconds-per-page", type=float, default=1.9)
    parser.add_argument("--pages-per-scan", type=int, default=10)
    parser.add_argument("--reports", type=int, default=100_000)
    args = parser.parse_args()

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a local cluster on 127.0.0.1 only
    import ray

    from gaiml.ray_batch import RayRunner
    from gaiml.threads import available_cores

    docs = make_documents(args.docs)
    chars = sum(len(d.text) for d in docs)
    started = time.perf_counter()
    if args.address:
        ray.init(address=args.address, log_to_driver=False, logging_level=logging.WARNING)
    else:
        ray.init(num_cpus=available_cores(), include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)
    print(f"{len(docs)} documents of {chars / len(docs):,.0f} characters on average; Ray "
          f"{ray.__version__} at {ray.get_runtime_context().gcs_address} with "
          f"{ray.cluster_resources().get('CPU', 0):.0f} CPUs (started in {time.perf_counter() - started:.1f} s)")
    print(f"\n{'engine':6} {'where':6} {'plan':38} {'docs/s':>7} {'chars/s':>9} {'run s':>6} {'core-s/doc':>10}")
    best: dict[str, float] = {}
    try:
        for engine in args.engines.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                for where in (("local",) if not args.no_local else ()) + ("ray",):
                    runner = RayRunner() if where == "ray" else None
                    timed = time_batch(engine, docs, workers, args.model, runner=runner)
                    plan = timed["plan"]
                    core_seconds = plan.workers * plan.threads / timed["docs_s"] if timed["docs_s"] else float("nan")
                    best[engine] = min(best.get(engine, core_seconds), core_seconds)
                    print(f"{engine:6} {where:6} {plan.describe():38} {timed['docs_s']:7.1f} "
                          f"{timed['chars_s']:9,.0f} {timed['seconds']:6.1f} {core_seconds:10.3f}", flush=True)
    finally:
        ray.shutdown()
    scan = args.scan_seconds_per_page * args.pages_per_scan
    print(f"\n{args.reports:,} reports, core-hours (best measured core-seconds per text report; scans "
          f"{args.scan_seconds_per_page} s a page × {args.pages_per_scan} pages, plus the engine):")
    for engine, seconds in best.items():
        row = []
        for share in (0.0, 0.5, 1.0):
            per_report = (1 - share) * seconds + share * (scan + seconds)
            row.append(f"{int(share * 100)}% scans {args.reports * per_report / 3600:,.1f}")
        print(f"  {engine}: " + "; ".join(row))


if __name__ == "__main__":
    main()
