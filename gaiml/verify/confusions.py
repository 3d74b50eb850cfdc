"""Readings a printed figure could also stand for: OCR-confusable digits, fused neighbours.

Scans misread digits in a few typical ways: 3/8, 5/6, 0/8, 1/7, and 6/9, the substitution RapidOCR
made most often in the real-OCR cache (`training/ocr_cache`, documents outside the benchmark and
dev splits: 6->9 five times; every other substitution at most once). A reading that changes one
such digit is a candidate the arithmetic may confirm. Each alternative carries a cost: the more
it departs from what is printed, the more evidence it needs.
"""

from __future__ import annotations

from ..values import Value, parse_cell

# digit -> digits it is commonly misread as (both directions listed)
CONFUSABLE = {"0": "8", "1": "7", "3": "8", "5": "6", "6": "59", "7": "1", "8": "03", "9": "6"}
ONE_DIGIT_COST = 1.0


def confusable_readings(printed: str, kind: str) -> list[tuple[Value, float]]:
    """Values ``printed`` would have with one confusable digit read the other way, with a cost."""
    try:
        literal = parse_cell(printed, kind)
    except ValueError:
        return []
    if literal is None:
        return []
    out: dict[Value, float] = {}
    for i, ch in enumerate(printed):
        for alt in CONFUSABLE.get(ch, ""):
            candidate = printed[:i] + alt + printed[i + 1:]
            try:
                value = parse_cell(candidate, kind)
            except ValueError:
                continue
            if value is not None and value != literal and value not in out:
                out[value] = ONE_DIGIT_COST
    return sorted(out.items(), key=lambda kv: kv[0])
