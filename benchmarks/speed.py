"""Documents/s and characters/s of each engine on real-length reports, in one process and in a batch.

    .venv/bin/python benchmarks/speed.py [--docs 200] [--engines rules,model,auto] [--threads N]
                                         [--repeat N] [--workers 1,2] [--pages 6] [--save DIR]

Real reports average about 6,000 characters (2,000-16,000), most of it prose around the tables,
about twice the benchmark split's documents; the model reads only the windows around the tables
(gaiml/regions.py), and the line after the documents says how many characters that is. So
the documents here are generated (training/synth) in ten text styles and lengthened with the
generator's own prose (training/synth/prose.py: sections of 总体情况 before the tables, problems and
other matters after) to lengths drawn around a mean of ~6,000 characters, 2,000-16,000. Each
engine is timed in this process (``--threads``: torch threads, default gaiml/threads.py's plan
for one worker: every core) on every document after one warm-up, and the cells it got right
against the generator's truth are counted, so a faster engine that reads worse shows. The table
by length shows how time grows with the prose: an engine that reads only the tables stays flat.
``--workers 1,2``: the same documents through ``extract_many`` (worker processes, threads per
gaiml/threads.py) from files, engine loading excluded from the rate. ``--pages N``: PDFs and
scans per page (benchmarks/pages.py, N documents a style). Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Text styles that need no external program and no OCR cache: web pages, text tables, PDF text.
STYLES = ("tabs", "cell_lines", "pipes", "markdown", "html_bs4", "html2text", "lynx", "w3m",
          "pdftotext_layout", "tabs_mangled")
MIN_CHARS, MAX_CHARS = 2_000, 16_000
MEDIAN_CHARS, SIGMA = 4_700, 0.5  # lognormal: mean about 6,000 over 200 documents once clipped
BUCKETS = ((2_000, 4_000), (4_000, 8_000), (8_000, 16_001))
_TOP_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+、")
_DATE = re.compile(r"^\s*\d{4}年\d{1,2}月\d{1,2}日\s*$")


@dataclass
class Doc:
    doc_id: str
    text: str
    cells: dict  # the generator's truth


def target_length(rng) -> int:
    return int(min(MAX_CHARS, max(MIN_CHARS, rng.lognormal(math.log(MEDIAN_CHARS), SIGMA))))


def _prose_paragraphs(report, rng) -> tuple[list[str], list[str]]:
    """Paragraphs in the report's own voice (its agency, year, figures) for before and after the
    tables; top-level headings (一、总体情况, 五、...) left out so the report keeps one of each."""
    from training.synth import prose
    from training.synth.doc import Segment

    def texts(paras):  # no top-level heading, no signature (the agency alone, a date)
        return [p.text for p in paras if p.text.strip() and not _TOP_HEADING.match(p.text)
                and p.text.strip() != report.agency and not _DATE.match(p.text)]

    before = texts(prose.opening(report, rng))
    after = texts(prose.closing(report, rng, lambda text, kind, key: Segment(text)))
    return before, after


def lengthen(text: str, report, length: int, rng) -> str:
    """``text`` with prose paragraphs added until it is about ``length`` characters: the opening
    sections' after the opening (where real reports spend most words), the closing sections'
    before the section on problems (五、) or at the end."""
    need = length - len(text)
    if need <= 0:
        return text
    lines = text.split("\n")
    first_table = next((i for i, line in enumerate(lines) if "主动公开政府信息情况" in line or "第二十条" in line),
                       min(3, len(lines)))
    problems = next((i for i, line in enumerate(lines) if i > first_table and "存在的主要问题" in line), len(lines))
    before, after = [], []
    added = 0
    while added < need:
        more_before, more_after = _prose_paragraphs(report, rng)
        for para, where in [(p, before) for p in more_before] + [(p, after) for p in more_after]:
            if added >= need:
                break
            where.append(para)
            added += len(para) + 1
    return "\n".join(lines[:first_table] + before + lines[first_table:problems] + after + lines[problems:])


def make_documents(n: int, seed: int = 19_000) -> list[Doc]:
    """``n`` real-length reports, the same for the same ``n`` and ``seed``."""
    from training.synth.generate import generate

    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n):
        style = STYLES[i % len(STYLES)]
        generated = generate(seed + i, style, doc_id=f"{style}_{seed + i}")
        text = lengthen(generated.text, generated.report, target_length(rng), rng)
        docs.append(Doc(generated.doc_id, text, dict(generated.report.cells)))
    return docs


def cells_right(result: dict, truth: dict) -> tuple[int, int]:
    got = result["cells"]
    right = sum(1 for key, value in truth.items() if key in got and got[key]["value"] == value)
    return right, len(truth)


def time_engine(engine: str, docs: list[Doc], threads: int, model: str | None, repeat: int = 1) -> dict:
    """One engine in this process: seconds per document, characters, cells right.

    ``repeat`` passes over all the documents time each document that many times, and its fastest
    time counts, as ``timeit`` advises: another process on the machine only ever adds time. Whole
    passes, not one document read again at once, so that nothing one reading leaves in a cache
    made for the document at hand (its title, its line breaks) serves the next reading."""
    from gaiml.pipeline import ExtractSettings, Pipeline
    from gaiml.threads import apply

    apply(threads)
    started = time.perf_counter()
    pipeline = Pipeline.load(ExtractSettings(engine=engine, model_dir=model))
    load = time.perf_counter() - started
    pipeline.extract_text(docs[0].text)  # warm-up: lazy imports, first-call allocations
    seconds = [float("inf")] * len(docs)
    right = total = 0
    for repetition in range(repeat):
        for i, doc in enumerate(docs):
            started = time.perf_counter()
            extraction = pipeline.extract_text(doc.text, doc_id=doc.doc_id)
            seconds[i] = min(seconds[i], time.perf_counter() - started)
            if repetition == 0:
                r, t = cells_right(extraction.to_json(), doc.cells)
                right, total = right + r, total + t
    return {"engine": engine, "load": load, "seconds": seconds, "right": right, "cells": total}


def report_engine(result: dict, docs: list[Doc]) -> None:
    secs, chars = result["seconds"], [len(d.text) for d in docs]
    total = sum(secs)
    print(f"{result['engine']:6} {len(docs) / total:8.1f} {sum(chars) / total:12,.0f} "
          f"{1000 * statistics.median(secs):10.0f} {1000 * max(secs):8.0f} {result['load']:7.1f} "
          f"{100 * result['right'] / result['cells']:9.2f}%")


def report_buckets(results: list[dict], docs: list[Doc]) -> None:
    print("\nms per document by length (characters):")
    print(f"{'engine':6} " + " ".join(f"{f'{a:,}-{b - 1:,}':>14}" for a, b in BUCKETS))
    for result in results:
        row = []
        for a, b in BUCKETS:
            secs = [s for s, d in zip(result["seconds"], docs) if a <= len(d.text) < b]
            row.append(f"{1000 * statistics.mean(secs):11.0f} ({len(secs)})" if secs else f"{'-':>14}")
        print(f"{result['engine']:6} " + " ".join(f"{cell:>14}" for cell in row))


def time_batch(engine: str, docs: list[Doc], workers: int, model: str | None, runner=None) -> dict:
    """``extract_many`` with ``workers`` processes (or Ray actors: ``runner``) from files: docs/s and
    chars/s from the first document written to the last (start-up and engine loading left out),
    the whole run's seconds, and the plan it ran (workers × threads)."""
    from gaiml.batch import LocalRunner, extract_many
    from gaiml.pipeline import ExtractSettings

    with tempfile.TemporaryDirectory(prefix="gaiml-speed-") as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        for doc in docs:
            (folder / f"{doc.doc_id}.txt").write_text(doc.text, encoding="utf-8")
        out = Path(tmp) / "out.jsonl"
        stamps = []

        class Timed:
            def __init__(self, inner):
                self.inner = inner

            def write(self, line):
                stamps.append(time.perf_counter())
                return self.inner.write(line)

            def flush(self):
                self.inner.flush()

        settings = ExtractSettings(engine=engine, model_dir=model)
        planned = (runner.plan if runner else LocalRunner().plan)(workers, len(docs))
        with out.open("w", encoding="utf-8") as stream:
            summary = extract_many([folder], settings, workers=workers, out=Timed(stream), runner=runner)
        assert summary.failed == 0, summary.failures
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return {"docs_s": steady, "chars_s": sum(len(d.text) for d in docs) * steady / len(docs),
            "plan": planned, "seconds": summary.seconds}


def model_reading(docs: list[Doc], model: str | None) -> str:
    """How many characters the model's network reads per document: the windows owning the table
    regions (gaiml/regions.py), against every window of the whole text."""
    from gaiml.model import DEFAULT_MODEL_DIR, META_FILE
    from gaiml.model.windows import windows_to_read
    from gaiml.regions import table_regions

    meta = json.loads((Path(model or DEFAULT_MODEL_DIR) / META_FILE).read_text(encoding="utf-8"))
    size, stride = int(meta["window"]), int(meta["stride"])

    def read(n, regions):
        starts, _, needed = windows_to_read(n, size, stride, regions)
        return sum(min(size, n - starts[w]) for w in needed)

    regional = statistics.mean(read(len(d.text), table_regions(d.text)) for d in docs)
    whole = statistics.mean(read(len(d.text), [(0, len(d.text))]) for d in docs)
    return f"the model reads {regional:,.0f} characters a document (the whole text's windows: {whole:,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--engines", default="rules,model,auto")
    parser.add_argument("--model", default=None, help="model directory (default models/default)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in this process "
                        "(default: gaiml/threads.py's plan for one worker)")
    parser.add_argument("--workers", default="", help="also time extract_many with these worker counts, e.g. 1,2")
    parser.add_argument("--pages", type=int, default=0, help="also run benchmarks/pages.py with N documents a style")
    parser.add_argument("--repeat", type=int, default=1, help="read all documents this many times in one "
                        "process; each document's fastest time counts (a machine shared with other work)")
    parser.add_argument("--seed", type=int, default=19_000)
    parser.add_argument("--save", default=None, help="write the documents here as .txt (and truth.jsonl)")
    args = parser.parse_args()

    from gaiml.threads import available_cores, plan

    threads = args.threads or plan(1).threads
    started = time.perf_counter()
    docs = make_documents(args.docs, args.seed)
    lengths = [len(d.text) for d in docs]
    print(f"{len(docs)} documents generated in {time.perf_counter() - started:.1f} s: characters mean "
          f"{statistics.mean(lengths):,.0f}, median {statistics.median(lengths):,.0f}, "
          f"min {min(lengths):,}, max {max(lengths):,}; {available_cores()} cores, torch threads {threads}")
    if args.save:
        folder = Path(args.save)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "truth.jsonl").open("w", encoding="utf-8") as truth:
            for doc in docs:
                (folder / f"{doc.doc_id}.txt").write_text(doc.text, encoding="utf-8")
                truth.write(json.dumps({"doc_id": doc.doc_id, "cells": doc.cells}, ensure_ascii=False) + "\n")
    engines = [e for e in args.engines.split(",") if e]
    if {"model", "auto"} & set(engines):
        print(model_reading(docs, args.model))
    fastest = f", each document the fastest of {args.repeat} readings" if args.repeat > 1 else ""
    print(f"\nin one process ({threads} torch thread{'s' if threads != 1 else ''}{fastest}):")
    print(f"{'engine':6} {'docs/s':>8} {'chars/s':>12} {'median ms':>10} {'max ms':>8} {'load s':>7} {'cells right':>10}")
    results = []
    for engine in engines:
        results.append(time_engine(engine, docs, threads, args.model, args.repeat))
        report_engine(results[-1], docs)
    report_buckets(results, docs)
    if args.workers:
        print("\nextract_many from files (rate from the first line written to the last):")
        print(f"{'engine':6} {'docs/s':>8} {'chars/s':>12}  plan")
        for engine in engines:
            for workers in (int(w) for w in args.workers.split(",")):
                timed = time_batch(engine, docs, workers, args.model)
                print(f"{engine:6} {timed['docs_s']:8.1f} {timed['chars_s']:12,.0f}  {timed['plan'].describe()}")
    if args.pages:
        print(f"\nPDFs and scans (benchmarks/pages.py --docs {args.pages} --threads {threads}):", flush=True)
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "pages.py"), "--docs", str(args.pages),
                        "--threads", str(threads)], check=True)


if __name__ == "__main__":
    main()
