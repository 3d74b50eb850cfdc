"""Many documents: seeds, styles, parallel generation, the Hugging Face dataset, the benchmark split.

Seeds: document i of a run with ``--seed S`` has seed ``S * 10_000_000 + i`` (S < 99), so every
training seed is below ``DEV_SEED0``; the development split (for tuning engines and policies) uses
seeds from ``DEV_SEED0``, the benchmark split (for measuring only) from ``BENCHMARK_SEED0``.
Same seed, same style -> byte-identical text.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .generate import generate
from .styles import TEXT_STYLES, TRAINING_MIX

RUN_STRIDE = 10_000_000
DEV_SEED0 = 990_000_000  # run seed 99: the development split's, never a training run's
BENCHMARK_SEED0 = 1_000_000_000


def plan(n: int, seed: int, styles: list[str]) -> list[tuple[int, str]]:
    """(doc seed, style) for n documents, styles taken in turn."""
    if not 0 <= seed < DEV_SEED0 // RUN_STRIDE:
        raise ValueError(f"--seed must be in [0, {DEV_SEED0 // RUN_STRIDE})")
    return [(seed * RUN_STRIDE + i, styles[i % len(styles)]) for i in range(n)]


def split_plan(per_style: int, styles: list[str], seed0: int = BENCHMARK_SEED0) -> list[tuple[int, str]]:
    """(doc seed, style) of a fixed split: ``per_style`` documents of each style from ``seed0``; a
    style's block of seeds is its place in TEXT_STYLES, whichever styles are asked for."""
    order = list(TEXT_STYLES)
    return [(seed0 + order.index(style) * 100_000 + i, style) for style in styles for i in range(per_style)]


def _one(job: tuple[int, str, bool]) -> tuple[dict | None, str | None, float]:
    seed, style, want_gold = job
    t0 = time.perf_counter()
    try:
        g = generate(seed, style)
    except Exception as exc:  # reported with the seed and style, so it can be reproduced
        return None, f"{style} seed {seed}: {type(exc).__name__}: {exc}", time.perf_counter() - t0
    row = g.row()
    if want_gold:
        row["gold"] = g.gold()
    return row, None, time.perf_counter() - t0


def run(jobs: list[tuple[int, str]], workers: int = 2, gold: bool = False, strict: bool = False):
    """Generate in order; returns (rows, stats).

    A document whose labels cannot be proven (probe variants that do not line up, a span that
    does not read back as gold) is never emitted: it raises with ``strict``, else it is counted
    and listed in the stats.
    """
    t0 = time.perf_counter()
    rows, errors = [], []
    per_style_time: dict[str, float] = defaultdict(float)
    args = [(s, st, gold) for s, st in jobs]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_one, args, chunksize=8))
    else:
        results = [_one(a) for a in args]
    for (seed, style), (row, err, dt) in zip(jobs, results):
        per_style_time[style] += dt
        if err:
            if strict:
                raise RuntimeError(f"generation failed: {err}")
            errors.append(err)
        else:
            rows.append(row)
    return rows, stats(rows, errors, per_style_time, time.perf_counter() - t0)


def stats(rows: list[dict], errors: list[str], per_style_time: dict[str, float], wall: float) -> dict:
    """Documents per style, cells, non-zero share, label counts, speed."""
    docs = Counter(r["style"] for r in rows)
    cells = Counter()
    labels = Counter()
    for r in rows:
        for v in json.loads(r["cells"]).values():
            cells["cells"] += 1
            cells["null"] += v is None
            cells["nonzero"] += v not in (None, 0)
        for s in r["spans"]:
            labels[s["kind"]] += 1
            labels["ocr_misread"] += bool(s.get("ocr_misread"))
    return {
        "documents": len(rows), "failed": len(errors), "errors": errors[:20],
        "documents_per_style": dict(sorted(docs.items())),
        "cells": cells["cells"], "null_share": round(cells["null"] / max(cells["cells"], 1), 4),
        "nonzero_share": round(cells["nonzero"] / max(cells["cells"], 1), 4),
        "labels": dict(labels), "templates": dict(Counter(r["template"] for r in rows)),
        "other_forms": dict(Counter(r["other_form"] for r in rows)),
        "wall_seconds": round(wall, 1), "docs_per_second": round(len(rows) / max(wall, 1e-9), 2),
        "cpu_seconds_per_doc_by_style": {k: round(v / max(docs[k], 1), 3) for k, v in sorted(per_style_time.items())},
    }


def save_dataset(rows: list[dict], out: Path) -> None:
    """A Hugging Face dataset on disk (``datasets.load_from_disk(out)``)."""
    from datasets import Dataset

    Dataset.from_list([{k: v for k, v in r.items() if k != "gold"} for r in rows]).save_to_disk(str(out))


def write_split(rows: list[dict], root: Path) -> None:
    """raw/<doc_id>.txt and gold/<doc_id>.json: the seeds' format plus style, other_form and the
    cell spans (for span-level scores; one compact line each)."""
    (root / "raw").mkdir(parents=True, exist_ok=True)
    (root / "gold").mkdir(parents=True, exist_ok=True)
    for r in rows:
        (root / "raw" / f"{r['doc_id']}.txt").write_text(r["text"], encoding="utf-8")
        spans = [{k: s[k] for k in ("start", "end", "kind", "key", "ocr_misread")}
                 for s in r["spans"] if s["kind"] == "cell"]
        gold = json.dumps({**r["gold"], "spans": None}, ensure_ascii=False, indent=1)
        lines = ",\n  ".join(json.dumps(s, ensure_ascii=False) for s in spans)
        (root / "gold" / f"{r['doc_id']}.json").write_text(
            gold.replace('"spans": null', '"spans": [\n  ' + lines + "\n ]") + "\n", encoding="utf-8")


def all_styles() -> list[str]:
    """The default training mix: the styles the shipped model was trained on, so that
    training/reproduce.sh rebuilds it; the newer text forms are asked for by name (--styles)."""
    return list(TRAINING_MIX)
