"""Per-character owners -> spans, and the round trip that proves them.

A span is a dict ``{"start", "end", "kind", "key", "ocr_misread"}`` with [start, end) code-point offsets into
the final text. kind "cell": one span over the printed figure (or the printed "/" / "—" of a null
cell); a blank cell has none. kind "row", "agency", "year": one span per contiguous fragment (a
wrapped label that a converter interleaves with other cells has several).
"""

from __future__ import annotations

from gaiml import schema
from gaiml.values import parse_cell, values_equal

from .content import Report
from .doc import Item

SIGNS = "+-＋－"


class LabelError(RuntimeError):
    """Spans do not read back as the gold values."""


def _runs(positions: list[int], owner: list[int | None], text: str) -> list[tuple[int, int]]:
    """Split sorted positions into fragments: a gap may hold only unowned non-newline characters."""
    runs = []
    start = prev = positions[0]
    for pos in positions[1:]:
        gap = range(prev + 1, pos)
        if any(owner[g] is not None or text[g] == "\n" for g in gap):
            runs.append((start, prev + 1))
            start = pos
        prev = pos
    runs.append((start, prev + 1))
    return runs


def _extend(text: str, owner, start: int, end: int, label: str) -> tuple[int, int]:
    """Grow a label fragment over unowned punctuation that belongs to the label: "（" of "（一）"."""
    for _ in range(3):
        if start > 0 and owner[start - 1] is None and not text[start - 1].isspace() and text[start - 1] in label:
            start -= 1
    for _ in range(3):
        if end < len(text) and owner[end] is None and not text[end].isspace() and text[end] in label:
            end += 1
    return start, end


def owners_to_spans(text: str, owner: list[int | None], items: list[Item], item_texts: dict[int, str]) -> list[dict]:
    """Spans of every item found in ``text``; a cell must come out as one contiguous span."""
    by_item: dict[int, list[int]] = {}
    for pos, it in enumerate(owner):
        if it is not None:
            by_item.setdefault(it, []).append(pos)
    spans = []
    for it, positions in sorted(by_item.items(), key=lambda kv: kv[1][0]):
        item = items[it]
        if item.kind == "cell":
            start, end = positions[0], positions[-1] + 1
            if "\n" in text[start:end]:
                raise LabelError(f"cell {item.key} broken across lines: {text[start:end]!r}")
            if start > 0 and item_texts[it][:1] in SIGNS and text[start - 1] in SIGNS:
                start -= 1
            spans.append({"start": start, "end": end, "kind": "cell", "key": item.key, "ocr_misread": False})
            continue
        for start, end in _runs(positions, owner, text):
            start, end = _extend(text, owner, start, end, item_texts[it])
            spans.append({"start": start, "end": end, "kind": item.kind, "key": item.key, "ocr_misread": False})
    spans.sort(key=lambda s: (s["start"], s["end"]))
    return spans


def reads_as(piece: str, kind: str, gold) -> bool:
    """True when the printed ``piece`` parses to the gold value (OCR may have garbled it)."""
    try:
        return values_equal(parse_cell(piece, kind), gold)
    except ValueError:
        return False


def check_round_trip(text: str, spans: list[dict], report: Report, *, skip_misread: bool = False) -> None:
    """Every cell span reads back as its gold value; every printed cell has exactly one span.

    Null cells printed "/" or "—" must read back as None; blank cells must have no span. With
    ``skip_misread`` (OCR styles) spans marked ``ocr_misread`` are not checked.
    """
    index = schema.cell_index(report.template, report.other_form)
    seen = {}
    for span in spans:
        if span["kind"] != "cell":
            continue
        key = span["key"]
        if key in seen:
            raise LabelError(f"{report.doc_id}: two spans for {key}")
        seen[key] = span
        if skip_misread and span.get("ocr_misread"):
            continue
        piece = text[span["start"]:span["end"]]
        try:
            value = parse_cell(piece, index[key].kind)
        except ValueError as exc:
            raise LabelError(f"{report.doc_id}: {key} span {piece!r} does not parse: {exc}") from None
        if not values_equal(value, report.cells[key]):
            raise LabelError(f"{report.doc_id}: {key} span {piece!r} reads {value!r}, gold {report.cells[key]!r}")
    for key, printed in report.printed.items():
        has_figure = printed.end > printed.start
        if has_figure and key not in seen and not skip_misread:
            raise LabelError(f"{report.doc_id}: printed cell {key} ({printed.figure!r}) has no span")
        if not has_figure and key in seen:
            raise LabelError(f"{report.doc_id}: blank cell {key} has a span")
