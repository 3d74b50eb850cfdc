"""Seconds per page of PDF and scan inputs: reading (tables by their ruling lines, OCR of scans)
and the whole extraction, per input style.

    .venv/bin/python benchmarks/pages.py [--engine auto] [--styles pdf_template,scan_template] [--docs 10]

Reads the benchmark split's PDF inputs (training/benchmark_split/raw/<style>_*.pdf), warms up
on one document, then times each: reading the file (read_document), and the whole extraction
(reading plus the engines and checks). Run it on a
quiet machine; OCR runs one onnxruntime thread, as a batch worker does.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from gaiml.pipeline import ExtractSettings, Pipeline
from gaiml.readers import read_document

REPO = Path(__file__).resolve().parent.parent
STYLES = "pdf_template,pdf_reportlab,scan_template,scan_template_rough"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--styles", default=STYLES)
    parser.add_argument("--docs", type=int, default=10, help="documents per style")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for the model")
    parser.add_argument("--inputs", default=str(REPO / "training" / "benchmark_split" / "raw"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    pipeline = Pipeline.load(ExtractSettings(engine=args.engine))
    print(f"engine={args.engine} torch threads={args.threads}")
    print(f"{'style':22} {'docs':>4} {'pages':>5} {'read s/page':>11} {'extract s/page':>14} {'s/doc':>6}")
    for style in args.styles.split(","):
        files = sorted(Path(args.inputs).glob(f"{style}_*.pdf"))[: args.docs]
        if not files:
            print(f"{style:22} no inputs")
            continue
        pipeline.extract(files[0])  # warm-up: models loaded, caches filled
        times = defaultdict(float)
        pages = 0
        for path in files:
            started = time.perf_counter()
            document = read_document(path)
            times["read"] += time.perf_counter() - started
            started = time.perf_counter()
            pipeline.extract_document(document, doc_id=path.stem, source=str(path))
            times["engines"] += time.perf_counter() - started
            pages += len(document.layout.pages) if document.layout else 1
        total = times["read"] + times["engines"]
        print(f"{style:22} {len(files):>4} {pages:>5} {times['read'] / pages:>11.2f} "
              f"{total / pages:>14.2f} {total / len(files):>6.2f}")


if __name__ == "__main__":
    main()
