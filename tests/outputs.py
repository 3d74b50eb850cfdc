"""Compare two sets of extraction results cell by cell: what a restructuring must leave alone.

    python tests/outputs.py BEFORE.jsonl AFTER.jsonl   # prints every difference, exit 1 if any
    python tests/outputs.py --sample   # the snapshot's sources: the seeds, one benchmark document a style
    python tests/outputs.py --write tests/data/outputs_snapshot.jsonl SOURCES...   # a new snapshot (auto)

Run from the repository root: sources are named relative to it.

Compared per document: status, template, form, year, agency, the review cells (their order and
reasons are not compared) and every cell's value, span and engine. Confidences and notes are not
compared: they are how sure, not what was read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gaiml.output import review_cells

SNAPSHOT = Path(__file__).resolve().parent / "data" / "outputs_snapshot.jsonl"
SCANS = ("scan_",)  # OCR of a scan takes seconds a page: left out of the sample


def essentials(doc: dict) -> dict:
    """What a reader of a result relies on, for comparing two runs."""
    if "error" in doc:
        return {"error": doc["error"]}
    return {"status": doc["status"], "template": doc["template"], "other_form": doc["other_form"],
            "year": doc["year"], "agency": doc["agency"], "review": sorted(review_cells(doc)),
            "cells": {k: (c["value"], c["span"], c["engine"]) for k, c in doc["cells"].items()}}


def differences(before: list[dict], after: list[dict]) -> list[str]:
    """Each difference between two runs over the same documents, in words."""
    old = {d["doc_id"]: essentials(d) for d in before}
    new = {d["doc_id"]: essentials(d) for d in after}
    out = [f"{doc_id}: only in one run" for doc_id in sorted(set(old) ^ set(new))]
    for doc_id in sorted(set(old) & set(new)):
        a, b = old[doc_id], new[doc_id]
        for field in ("error", "status", "template", "other_form", "year", "agency", "review"):
            if a.get(field) != b.get(field):
                out.append(f"{doc_id}: {field} {a.get(field)!r} -> {b.get(field)!r}")
        for key in sorted(set(a.get("cells", {})) | set(b.get("cells", {}))):
            if a.get("cells", {}).get(key) != b.get("cells", {}).get(key):
                out.append(f"{doc_id}: {key} {a.get('cells', {}).get(key)} -> {b.get('cells', {}).get(key)}")
    return out


def load(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def sample() -> list[str]:
    """The five seeds and the first benchmark document of each style but the scans."""
    seeds = sorted(str(p) for p in Path("../shared/seeds/raw").glob("*.txt"))
    first: dict[str, str] = {}
    for path in sorted(Path("training/benchmark_split/raw").iterdir()):
        style = path.stem.rsplit("_", 1)[0]
        if not style.startswith(SCANS):
            first.setdefault(style, str(path))
    return seeds + sorted(first.values())


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--sample":
        print("\n".join(sample()))
        return 0
    if argv and argv[0] == "--write":
        from gaiml.batch import extract_many

        extract_many(argv[2:], workers=1, out=argv[1])
        print(f"wrote {argv[1]}")
        return 0
    found = differences(load(argv[0]), load(argv[1]))
    print("\n".join(found) or "no differences")
    print(f"{len(found)} differences over {len(load(argv[0]))} documents", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
