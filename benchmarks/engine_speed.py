"""Characters/s and documents/s of an extraction engine on this machine.

    .venv/bin/python benchmarks/engine_speed.py [--engine model|rules] [--docs 100] [--threads 2]

Reads the benchmark split's texts (training/benchmark_split/raw), warms up on one document,
then times the whole extraction (engine + validation) of each. Run it on a quiet machine:
another busy process on the two cores halves the figures.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from gaiml.pipeline import ExtractSettings, Pipeline

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="model")
    parser.add_argument("--model", default=None, help="model directory (default models/default)")
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--inputs", default=str(REPO / "training" / "benchmark_split" / "raw"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    files = sorted(Path(args.inputs).glob("*.txt"))
    step = max(1, len(files) // args.docs)
    files = files[::step][: args.docs]
    texts = [f.read_text(encoding="utf-8") for f in files]
    started = time.perf_counter()
    pipeline = Pipeline.load(ExtractSettings(engine=args.engine, model_dir=args.model))
    load_seconds = time.perf_counter() - started
    pipeline.extract_text(texts[0])
    started = time.perf_counter()
    for text in texts:
        pipeline.extract_text(text)
    seconds = time.perf_counter() - started
    chars = sum(map(len, texts))
    print(f"engine={args.engine} threads={args.threads} documents={len(texts)} characters={chars}")
    print(f"load: {load_seconds:.2f} s")
    print(f"{len(texts) / seconds:.1f} documents/s, {chars / seconds:,.0f} characters/s "
          f"({1000 * seconds / len(texts):.0f} ms per document of {chars / len(texts):,.0f} characters)")


if __name__ == "__main__":
    main()
