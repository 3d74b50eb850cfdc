"""Batch extraction speed and memory: documents/s and peak memory at 1 and 2 workers, per engine.

    .venv/bin/python benchmarks/batch.py                 # 1,000 documents, workers 1 and 2, every engine
    .venv/bin/python benchmarks/batch.py --mixed         # the same plus the hard cases (see MIXED)
    .venv/bin/python benchmarks/batch.py --docs 200 --workers 2 --engines rules

The documents are the five real seed reports re-laid by tests/relayout.py in its ten layouts
with varied figures (relayout(raw, vary_values(gold, rng), style)). Peak memory is the largest
sum of resident memory over the process and all its descendants (workers, forkserver), sampled
every 50 ms; shared pages count once per process.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from gaiml.batch import extract_many  # noqa: E402
from gaiml.pipeline import ENGINES, ExtractSettings, Pipeline  # noqa: E402

# The hard cases --mixed puts among the documents: (file name, what it is).
MIXED = (("broken.pdf", "a damaged PDF"), ("empty.txt", "an empty file"), ("gbk.txt", "a GBK text file"),
         ("page.html", "a saved HTML page (charset gb2312)"), ("text.pdf", "a PDF with a text layer"),
         ("scan.pdf", "a scanned PDF, one page, no text layer (OCR)"))


def write_documents(folder: Path, count: int, mixed: bool) -> list[Path]:
    """``count`` varied re-layouts of the seeds as .txt (six of them swapped for MIXED when asked)."""
    from conftest import ALL_SEEDS
    from relayout import STYLES, relayout, vary_values

    rng = random.Random(0)
    paths = []
    for n in range(count - (len(MIXED) if mixed else 0)):
        seed, style = ALL_SEEDS[n % len(ALL_SEEDS)], STYLES[(n // len(ALL_SEEDS)) % len(STYLES)]
        gold = vary_values(seed.gold, rng) if style != "fullwidth" else seed.gold
        path = folder / f"{n:05d}_{seed.doc_id[:3]}_{style}.txt"
        path.write_text(relayout(seed.text, gold, style), encoding="utf-8")
        paths.append(path)
    if mixed:
        paths += write_mixed(folder, ALL_SEEDS)
    return paths


def write_mixed(folder: Path, seeds) -> list[Path]:
    from formats import report_parts, to_html, to_scanned_pdf, to_text_pdf

    s0, s1, s2 = seeds[:3]
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n\x00\x01 damaged\n" * 20)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "gbk.txt").write_bytes(s1.text.encode("gbk"))
    (folder / "page.html").write_bytes(to_html(s2.text, s2.gold, charset="gb2312"))
    to_text_pdf(s0.text, s0.gold, folder / "text.pdf")
    before, tables, _ = report_parts(s0.text, s0.gold, tables=("t2",))
    to_scanned_pdf(before.strip().splitlines()[0], tables, folder / "scan.pdf")
    return [folder / name for name, _ in MIXED]


class PeakMemory:
    """Largest total RSS of this process and its descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        import os

        root = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_rss(pid) for pid in _descendants(root) | {root}))
            self._stop.wait(self.interval)


def _descendants(root: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(paths: list[Path], engine: str, workers: int, out: Path) -> dict:
    started = time.perf_counter()
    with PeakMemory() as memory:
        summary = extract_many(paths, ExtractSettings(engine=engine), workers=workers, out=out)
    seconds = time.perf_counter() - started
    return {"engine": engine, "workers": workers, "docs": summary.documents, "seconds": seconds,
            "docs_per_s": summary.documents / seconds, "peak_mb": memory.peak / 2**20, "summary": summary}


def usable(engine: str) -> str | None:
    """None when the engine loads here, else why not (a model engine without weights, say)."""
    try:
        Pipeline.load(ExtractSettings(engine=engine))
    except Exception as exc:  # noqa: BLE001 - report and go on with the other engines
        return f"{type(exc).__name__}: {exc}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES))
    parser.add_argument("--mixed", action="store_true", help="swap six documents for the hard cases of MIXED")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gaiml-bench-") as tmp:
        paths = write_documents(Path(tmp), args.docs, args.mixed)
        print(f"{len(paths)} documents ({'with the hard cases' if args.mixed else 'seeds re-laid'})")
        print(f"{'engine':8} {'workers':>7} {'docs':>6} {'seconds':>8} {'docs/s':>8} {'peak MB':>8}  summary")
        for engine in args.engines:
            why = usable(engine)
            if why:
                print(f"{engine:8} skipped: {why}")
                continue
            for workers in args.workers:
                r = run(paths, engine, workers, Path(tmp) / f"{engine}-{workers}.jsonl")
                print(f"{engine:8} {workers:>7} {r['docs']:>6} {r['seconds']:>8.1f} {r['docs_per_s']:>8.1f} "
                      f"{r['peak_mb']:>8.0f}  {r['summary'].to_text()}")
                for source, reason in r["summary"].failures.items():
                    print(f"    failed: {reason}")


if __name__ == "__main__":
    main()
