"""Throughput of `gaiml extract --ray` with 1 and 2 actors against the local batch, and what a
national collection would cost in core-hours.

    .venv/bin/python benchmarks/ray_throughput.py [--docs 100] [--engines rules,auto] [--workers 1,2]
        [--address HOST:PORT] [--scans 4] [--scan-seconds-per-page 1.9] [--pages-per-scan 10]
        [--reports 100000]

The documents are benchmarks/speed.py's real-length reports (~6,000 characters, 2,000-16,000),
written as files. Without ``--address`` a local Ray cluster on 127.0.0.1 with this machine's cores
is started once for all runs (and stopped after). Each run goes through ``extract_many`` exactly
as ``gaiml extract`` does; docs/s counts from the first line written to the last (actor start and
engine loading left out, given apart as the whole run's seconds). Core-seconds per report are the
cores a run held (workers × threads) over its docs/s.

``--scans N`` also times N scanned PDFs (``--scan-folder``'s scan_*.pdf, the benchmark's scans of
four pages) with the rules engine, locally and on Ray, for each ``--workers``: pages/s is the
pages read by OCR over the whole run (start-up and OCR model loading included: a scan's first
line comes after most of the work). Locally a scan's pages are read one after another by its
worker; on Ray each page is a task of one CPU, so the cluster's CPUs read a scan's pages at once
whatever the number of actors, and core-seconds a page are its CPUs over pages/s. Scans are priced
per page by the best measured core-seconds a page, else by ``--scan-seconds-per-page``
(benchmarks/pages.py measures it: 1.9 s on one core), times ``--pages-per-scan``. Run it on a
quiet machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import make_documents, time_batch  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCANS = REPO / "training" / "benchmark_split" / "raw"


def time_scans(scans: list[Path], workers: int, runner=None) -> dict:
    """``extract_many`` of the scanned PDFs ``scans`` (rules engine) with ``workers`` processes or
    Ray actors (``runner``): the pages read by OCR, pages/s over the whole run, and its plan."""
    from gaiml.batch import LocalRunner, extract_many
    from gaiml.pipeline import ExtractSettings

    planned = (runner.plan if runner else LocalRunner().plan)(workers, len(scans))
    with tempfile.TemporaryDirectory(prefix="gaiml-scans-") as tmp:
        out = Path(tmp) / "out.jsonl"
        summary = extract_many(scans, ExtractSettings(engine="rules"), workers=workers, out=out, runner=runner)
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert summary.failed == 0, summary.failures
    pages = sum(1 for line in lines for page in line.get("pages") or [] if page["read"] == "ocr")
    return {"pages": pages, "pages_s": pages / summary.seconds, "seconds": summary.seconds, "plan": planned}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--engines", default="rules,auto")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--model", default=None)
    parser.add_argument("--address", default=None, help="a running Ray cluster (default: start one here)")
    parser.add_argument("--no-local", action="store_true", help="skip the local batch runs")
    parser.add_argument("--scans", type=int, default=0, help="also time this many scanned PDFs (0: none)")
    parser.add_argument("--scan-folder", type=Path, default=SCANS, help="where the scan_*.pdf files are")
    parser.add_argument("--scan-seconds-per-page", type=float, default=1.9)
    parser.add_argument("--pages-per-scan", type=int, default=10)
    parser.add_argument("--reports", type=int, default=100_000)
    args = parser.parse_args()

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a local cluster on 127.0.0.1 only
    import ray

    from gaiml.ray_batch import RayRunner
    from gaiml.threads import available_cores

    engines = [engine for engine in args.engines.split(",") if engine]  # --engines '': scans only
    docs = make_documents(args.docs) if engines else []
    chars = sum(len(d.text) for d in docs)
    started = time.perf_counter()
    if args.address:
        ray.init(address=args.address, log_to_driver=False, logging_level=logging.WARNING)
    else:
        ray.init(num_cpus=available_cores(), include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)
    print(f"Ray {ray.__version__} at {ray.get_runtime_context().gcs_address} with "
          f"{ray.cluster_resources().get('CPU', 0):.0f} CPUs (started in {time.perf_counter() - started:.1f} s)")
    if docs:
        print(f"\n{len(docs)} documents of {chars / len(docs):,.0f} characters on average")
        print(f"{'engine':6} {'where':6} {'plan':38} {'docs/s':>7} {'chars/s':>9} {'run s':>6} {'core-s/doc':>10}")
    best: dict[str, float] = {}
    best_page = None  # core-seconds a scanned page
    try:
        for engine in engines:
            for workers in (int(w) for w in args.workers.split(",")):
                for where in (("local",) if not args.no_local else ()) + ("ray",):
                    runner = RayRunner() if where == "ray" else None
                    timed = time_batch(engine, docs, workers, args.model, runner=runner)
                    plan = timed["plan"]
                    core_seconds = plan.workers * plan.threads / timed["docs_s"] if timed["docs_s"] else float("nan")
                    best[engine] = min(best.get(engine, core_seconds), core_seconds)
                    print(f"{engine:6} {where:6} {plan.describe():38} {timed['docs_s']:7.1f} "
                          f"{timed['chars_s']:9,.0f} {timed['seconds']:6.1f} {core_seconds:10.3f}", flush=True)
        if args.scans:
            best_page = scan_runs(args, sorted(args.scan_folder.glob("scan_*.pdf"))[:args.scans])
    finally:
        ray.shutdown()
    page_seconds = best_page or args.scan_seconds_per_page
    scan = page_seconds * args.pages_per_scan
    print(f"\n{args.reports:,} reports, core-hours (best measured core-seconds per text report; scans "
          f"{page_seconds:.2f} s a page{' (measured)' if best_page else ''} × {args.pages_per_scan} pages, "
          "plus the engine):")
    if not best:  # scans only: the engine left out
        print(f"  100% scans {args.reports * scan / 3600:,.1f}")
    for engine, seconds in best.items():
        row = []
        for share in (0.0, 0.5, 1.0):
            per_report = (1 - share) * seconds + share * (scan + seconds)
            row.append(f"{int(share * 100)}% scans {args.reports * per_report / 3600:,.1f}")
        print(f"  {engine}: " + "; ".join(row))


def scan_runs(args, scans: list[Path]) -> float | None:
    """Time the scans locally and on Ray for each ``--workers``; the best core-seconds a page."""
    import ray

    from gaiml.ray_batch import RayRunner

    cpus = int(ray.cluster_resources().get("CPU", 1))
    print(f"\n{len(scans)} scanned PDFs (rules engine; on Ray every page a task of one CPU, {cpus} CPUs)")
    print(f"{'where':6} {'plan':38} {'pages':>5} {'pages/s':>7} {'run s':>6} {'core-s/page':>11}")
    best = None
    for workers in (int(w) for w in args.workers.split(",")):
        for where in (("local",) if not args.no_local else ()) + ("ray",):
            timed = time_scans(scans, workers, RayRunner() if where == "ray" else None)
            plan = timed["plan"]
            cores = cpus if where == "ray" else plan.workers * plan.threads
            core_seconds = cores / timed["pages_s"]
            best = min(best or core_seconds, core_seconds)
            print(f"{where:6} {plan.describe():38} {timed['pages']:5} {timed['pages_s']:7.2f} "
                  f"{timed['seconds']:6.1f} {core_seconds:11.2f}", flush=True)
    return best


if __name__ == "__main__":
    main()
