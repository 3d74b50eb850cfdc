"""How `auto` repairs misread digits: one OCR-confusable digit misprinted per document, then counted.

    .venv/bin/python benchmarks/repairs.py --gold data/dev_split/gold --inputs data/dev_split/raw

For every document whose gold file carries spans (generated data), one non-zero 表三/表四 figure
with an OCR-confusable digit (gaiml/verify/confusions.py) gets that digit printed the other way, as a scan
would misread it; the text is extracted as OCR output. Printed: how many misprints `auto` repaired
(right or wrong), how many it left for review, how many it let through unflagged, and how many
documents came out `verified` with a wrong cell. Deterministic from --seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from gaiml.verify.confusions import CONFUSABLE
from gaiml.pipeline import ExtractSettings, Pipeline
from gaiml.values import values_equal


def misprint(text: str, spans: list[dict], cells: dict, rng: random.Random) -> tuple[str, str, str] | None:
    """``text`` with one confusable digit of one non-zero 表三/表四 figure printed the other way:
    (text, cell key, printed figure), or None when the document has no such figure."""
    options = []
    for span in spans:
        key = span.get("key", "")
        if span.get("kind") != "cell" or not key.startswith(("t3.", "t4.")) or cells.get(key) in (None, 0):
            continue
        printed = text[span["start"]:span["end"]]
        for i, ch in enumerate(printed):
            for alt in CONFUSABLE.get(ch, ""):
                if not (i == 0 and alt == "0"):
                    options.append((span, i, alt))
    if not options:
        return None
    span, i, alt = rng.choice(options)
    at = span["start"] + i
    changed = text[:at] + alt + text[at + 1:]
    return changed, span["key"], changed[span["start"]:span["end"]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--skip-styles", default="ocr_scan,ocr_searchable,pdftotext_ocrnoise,tabs_ocrnoise",
                        help="styles left out (their own OCR errors would blur the count)")
    parser.add_argument("--model", default=None, help="model directory (default models/default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip_styles.split(",")))
    pipeline = Pipeline.load(ExtractSettings(engine="auto", model_dir=args.model))
    rng = random.Random(args.seed)
    tally: Counter[str] = Counter()
    for gold_file in sorted(args.gold.glob("*.json")):
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        source = args.inputs / f"{gold['doc_id']}.txt"
        if gold.get("style") in skip or "spans" not in gold or not source.exists():
            continue
        found = misprint(source.read_text(encoding="utf-8"), gold["spans"], gold["cells"], rng)
        if found is None:
            continue
        text, key, printed = found
        result = pipeline.extract_text(text, doc_id=gold["doc_id"], ocr=True)
        tally["documents"] += 1
        repaired = {r["cell"]: r for r in result.repairs if r["kind"] == "misread digit"}
        for cell, repair in repaired.items():
            tally["repairs right" if values_equal(repair["chosen"], gold["cells"][cell]) else "repairs wrong"] += 1
        got = result.cells[key]
        if values_equal(got.value, gold["cells"][key]):
            tally["misprint read right"] += 1
        elif key in result.review_cells():
            tally["misprint wrong, in review"] += 1
        else:
            tally["misprint wrong, unflagged"] += 1
        wrong = [k for k, v in gold["cells"].items() if not values_equal(v, result.cells[k].value)]
        if result.status == "verified" and wrong:
            tally["verified with a wrong cell"] += 1
    repairs = tally["repairs right"] + tally["repairs wrong"]
    print(json.dumps({**tally, "repair precision": round(tally["repairs right"] / repairs, 4) if repairs else None},
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    sys.exit(main())
