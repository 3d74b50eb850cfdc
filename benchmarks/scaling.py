"""Time and memory of one extraction as the text grows from 10 KB to 1 MB (issue #17).

The text is the five seed reports repeated (and cut) to the size, which is the worst case for
the label search: every row label occurs once per copy. Each size runs in a fresh process, so
its peak memory (ru_maxrss) is its own; the figures per KB show whether growth is linear.

    nice .venv/bin/python benchmarks/scaling.py [--engine rules] [--sizes 10 30 100 300 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds" / "raw"

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from gaiml.pipeline import ExtractSettings, Pipeline
from gaiml.errors import InputError
text = open({path!r}, encoding="utf-8").read()
pipeline = Pipeline.load(ExtractSettings(engine={engine!r}))
pipeline.extract_text("".join(open(p, encoding="utf-8").read() for p in {seeds!r}[:1]))  # warm up
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    pipeline.extract_text(text)
    outcome = "extracted"
except InputError as exc:
    outcome = "refused: " + str(exc)[:80]
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "peak_mb": peak / 1024, "grew_mb": (peak - before) / 1024, "outcome": outcome}}))
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="rules")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 100, 300, 1000], help="KB of UTF-8 text")
    args = parser.parse_args(argv)
    seeds = sorted(str(p) for p in SEEDS.glob("*.txt"))
    corpus = "".join(Path(p).read_text(encoding="utf-8") for p in seeds)
    env = {**os.environ, "GAIML_MAX_CHARS": str(10**8)}  # measure past the default limit too
    rows = []
    print(f"engine {args.engine}; text = the seeds repeated; one fresh process per size")
    print(f"{'KB':>6} {'chars':>9} {'seconds':>8} {'ms/KB':>7} {'peak MB':>8} {'grew MB':>8} {'KB/grew MB':>10}")
    for kb in args.sizes:
        text = corpus * (kb * 1024 // len(corpus.encode()) + 1)
        while len(text.encode()) > kb * 1024:
            text = text[: int(len(text) * kb * 1024 / len(text.encode()))]
        path = Path(f"/tmp/gaiml-scaling-{os.getpid()}-{kb}.txt")
        path.write_text(text, encoding="utf-8")
        try:
            code = CHILD.format(repo=str(REPO), path=str(path), engine=args.engine, seeds=seeds)
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        finally:
            path.unlink()
        r = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append({"kb": kb, "chars": len(text), **r})
        per_mb = kb / r["grew_mb"] if r["grew_mb"] > 1 else float("nan")
        print(f"{kb:>6} {len(text):>9,} {r['seconds']:>8.2f} {1000 * r['seconds'] / kb:>7.2f} {r['peak_mb']:>8.0f} "
              f"{r['grew_mb']:>8.0f} {per_mb:>10.1f}  {r['outcome']}", flush=True)
    small, large = rows[0], rows[-1]
    ratio = (large["seconds"] / large["kb"]) / (small["seconds"] / small["kb"])
    print(f"time per KB, {large['kb']} KB vs {small['kb']} KB: x{ratio:.2f} (1 = linear; a quadratic cost gives "
          f"x{large['kb'] / small['kb']:.0f})")


if __name__ == "__main__":
    main()
