"""Figures nothing confirms in a text OCR may have misread: they go to review, not to "verified".

The arithmetic confirms a figure only through a relation it stands in that can be assessed and
holds. 表二 has no relation at all (SPEC), so there an OCR misread reads as surely as a right figure:
RapidOCR's 6 read as 9, a digit dropped ("11" read "1"), a table rule read as "1". In the real-OCR
cache (`training/ocr_cache`, documents outside the benchmark and dev splits) 29 of the 1,049 non-zero
表二 figures printed (2.8%) are wrong, and none of the 31,440 cells printed "0": zeros stay as they are.

A text counts as read by OCR when the caller says so (`gaiml extract --ocr`), when gaiml OCR'd a
scan itself (a page read by OCR: ``ReadDocument.read_by_ocr``), or when the rules meet at least ``OCR_TRACES`` signs of OCR damage: row
labels found only approximately, figures printed with OCR letters ("1O"), zeros fused together. One
approximate label is common in clean text (a label wrapped across a column, pdfplumber); on the
development split two or more signs occurred in all 40 OCR-noise documents, 7 of 20 searchable
scans and 2 of the 340 documents of the styles without OCR. RapidOCR reads labels well, so clean
scans (none of 20) need saying so.
"""

from __future__ import annotations

from dataclasses import replace

from .. import schema
from ..document import CellReading
from ..values import is_null_marker

OCR_TRACES = 2
UNCHECKED_CONFIDENCE = 0.85  # below the review threshold (status.REVIEW_BELOW)


def read_by_ocr(declared: bool, ocr_traces: int | None) -> bool:
    """Whether the text may carry OCR misreads: said so, or the rules met signs of OCR damage."""
    return declared or (ocr_traces or 0) >= OCR_TRACES


def unconfirmed(cells: dict[str, CellReading], template: str, other_form: str) -> list[str]:
    """Cells holding a non-zero figure that no assessable, holding relation checks, every cell of
    a relation that stays broken, and every blank no null mark ("-", "/", "无") prints: in OCR'd
    text a broken relation is more likely a misread than the author's arithmetic (a "2" read "24"
    in a row and in its column's total keeps the column's sum and breaks only the row's), so it
    is not blamed on the report; and a blank may be a figure OCR lost (a lost "0" keeps every sum,
    and Tesseract drops whole right-hand columns)."""
    values = {key: cell.value for key, cell in cells.items()}
    relations = schema.relations(template, other_form)
    broken = {key for r in relations if r.broken(values) for key in r.keys}
    # A figure no engine read in the text (derived by an engine from a row's sum) makes that
    # relation hold by construction: it confirms nothing, so it is left out of the confirming.
    printed = {key: (None if cell.start is None and cell.value is not None else cell.value) for key, cell in cells.items()}
    out = []
    for key, cell in cells.items():
        if key in broken:
            out.append(key)
            continue
        if cell.value is None:
            if not (cell.text and is_null_marker(cell.text)):
                out.append(key)
            continue
        if cell.value == 0:
            continue
        if cell.start is None or not any(key in r.keys and r.holds(printed) for r in relations):
            out.append(key)
    return out


def hold_for_review(cells: dict[str, CellReading], template: str, other_form: str) -> tuple[dict[str, CellReading], list[str]]:
    """``cells`` with every unconfirmed figure's confidence lowered below review, and their keys."""
    keys = unconfirmed(cells, template, other_form)
    held = dict(cells)
    for key in keys:
        cell = cells[key]
        if cell.confidence <= UNCHECKED_CONFIDENCE:
            continue
        note = ("read by OCR as blank, and a figure OCR lost looks the same: compare it with the scan" if cell.value is None
                else "read by OCR and no holding relation checks this cell: compare it with the scan")
        held[key] = replace(cell, confidence=UNCHECKED_CONFIDENCE, note=f"{cell.note}; {note}" if cell.note else note)
    return held, keys
