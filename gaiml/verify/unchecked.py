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

A "0" stays as it is, except where OCR may have moved or misread it. Tesseract drops whole
figures (about 45% of them on rendered, degraded pages) and the model places the figures a line
kept in columns of its choosing, so a line that lost two or more figures may show another column's
"0" where a "2" was printed; so may a line one of whose printed figures was read for two columns
with another between them (a line read on into the next one). The zeros of such a line add up
whatever columns they stand in, so a relation that holds with every term 0 confirms none of them.
And beside one lost figure a relation needs non-zero, a "6" read "0" leaves the sum to the lost
figure. There a "0" goes to review unless a holding relation with a non-zero figure read checks
it. On 99 development Tesseract reports (the split's 15 and 84 more of its seeds) 5 zeros went out
silently wrong: gold 2 and 37 in 表三 rows whose label OCR garbled and which lost three figures,
gold 1 in a row read on into the next line, confirmed only by its all-zero row, and twice a
"6" read "0" beside one lost figure. This catches the five and sends 402 more of
19,800 cells to review (65.6% -> 67.6%), and none more on 24 reports of the other OCR styles,
whose lines lose no figures. Doubting every "0" no relation with a non-zero figure checks would
cost 34 points (most Tesseract cells are zeros); one lost figure enough, 3.5. On 70 further
development reports not used to design it, it caught 7 of 10 silent wrong zeros for 2.2 points.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from .. import schema
from ..document import CellReading
from ..values import is_null_marker

OCR_TRACES = 2
UNCHECKED_CONFIDENCE = 0.85  # below the review threshold (status.REVIEW_BELOW)
BLANK_NOTE = "read by OCR as blank, and a figure OCR lost looks the same: compare it with the scan"
UNCHECKED_NOTE = "read by OCR and no holding relation checks this cell: compare it with the scan"
ZERO_NOTE = ("read by OCR as 0 on a line whose figures OCR lost or misplaced: it may be another column's 0 "
             "or a misread figure, and no relation with a non-zero figure checks it: compare it with the scan")
LOST_ON_LINE = 2  # figures a printed line lost before its zeros need a non-zero relation to confirm them


def read_by_ocr(declared: bool, ocr_traces: int | None) -> bool:
    """Whether the text may carry OCR misreads: said so, or the rules met signs of OCR damage."""
    return declared or (ocr_traces or 0) >= OCR_TRACES


def _line(key: str) -> str:
    """The printed line a cell stands on: 表四's fifteen figures share one row of the template;
    elsewhere a table row."""
    return "t4" if key.startswith("t4.") else key.rsplit(".", 1)[0]


def _lost(cell: CellReading) -> bool:
    """A figure the text does not show where it should: a blank no null mark prints, or a figure
    an engine derived from a row's sum."""
    if cell.value is None:
        return not (cell.text and is_null_marker(cell.text))
    return cell.start is None


def _lost_on_lines(cells: dict[str, CellReading]) -> Counter:
    return Counter(_line(key) for key, cell in cells.items() if _lost(cell))


def _zero_unchecked(key: str, relations, printed: dict, misplaced: set[str], lost: Counter) -> bool:
    """Whether a "0" of OCR'd text stands unchecked: on a misplaced line, or on a line that lost
    one figure which a relation of the "0" needs non-zero (the relation cannot tell a lost "6"
    from a "6" read "0" beside a lost "0": the "0" is bounded only by what the lost figure needs),
    and no holding relation with a non-zero figure read checks it."""
    line = _line(key)
    mine = [r for r in relations if key in r.keys]
    if any(r.holds(printed) and any(printed[k] for k in r.keys) for r in mine):
        return False
    if line in misplaced:
        return True
    if lost[line] != 1:
        return False
    for r in mine:
        unknown = [k for k in r.keys if printed.get(k) is None]
        if len(unknown) == 1 and _line(unknown[0]) == line:
            need = r.solve(unknown[0], printed)
            if need is not None and abs(need) > schema.TOLERANCE:
                return True
    return False


def misplaced_lines(cells: dict[str, CellReading], template: str, other_form: str) -> set[str]:
    """The printed lines (``_line``) whose figures may stand in other columns: ``LOST_ON_LINE`` or
    more figures lost, or one printed figure read for two columns with another between them."""
    out = {line for line, n in _lost_on_lines(cells).items() if n >= LOST_ON_LINE}
    columns: dict[tuple[str, int], list[int]] = {}
    place = Counter()
    for key in schema.cell_keys(template, other_form):  # in the template's column order
        cell = cells.get(key)
        line = _line(key)
        place[line] += 1
        if cell is not None and cell.start is not None:
            columns.setdefault((line, cell.start), []).append(place[line])
    out |= {line for (line, _), at in columns.items() if max(at) - min(at) > 1}
    return out


def unconfirmed(cells: dict[str, CellReading], template: str, other_form: str) -> list[str]:
    """The keys of ``_unconfirmed``."""
    return list(_unconfirmed(cells, template, other_form))


def _unconfirmed(cells: dict[str, CellReading], template: str, other_form: str) -> dict[str, str]:
    """Each cell to hold, with the note that says why. Cells holding a non-zero figure that no assessable, holding relation checks, every cell of
    a relation that stays broken, and every blank no null mark ("-", "/", "无") prints: in OCR'd
    text a broken relation is more likely a misread than the author's arithmetic (a "2" read "24"
    in a row and in its column's total keeps the column's sum and breaks only the row's), so it
    is not blamed on the report; a blank may be a figure OCR lost (a lost "0" keeps every sum,
    and Tesseract drops whole right-hand columns); and a "0" on a line whose figures may stand in
    other columns (``misplaced_lines``), or beside one lost figure its relation needs non-zero, that
    no holding relation with a non-zero figure checks (it may be another column's "0", zeros sum to
    zero wherever they stand, and a lost figure absorbs whatever the "0" should have been)."""
    values = {key: cell.value for key, cell in cells.items()}
    relations = schema.relations(template, other_form)
    broken = {key for r in relations if r.broken(values) for key in r.keys}
    # A figure no engine read in the text (derived by an engine from a row's sum) makes that
    # relation hold by construction: it confirms nothing, so it is left out of the confirming.
    printed = {key: (None if cell.start is None and cell.value is not None else cell.value) for key, cell in cells.items()}
    misplaced = misplaced_lines(cells, template, other_form)
    lost = _lost_on_lines(cells)
    out = {}
    for key, cell in cells.items():
        if cell.value is None:
            if key in broken or not (cell.text and is_null_marker(cell.text)):
                out[key] = BLANK_NOTE
        elif key in broken:
            out[key] = UNCHECKED_NOTE
        elif cell.value == 0:
            if _zero_unchecked(key, relations, printed, misplaced, lost):
                out[key] = ZERO_NOTE
        elif cell.start is None or not any(key in r.keys and r.holds(printed) for r in relations):
            out[key] = UNCHECKED_NOTE
    return out


def hold_for_review(cells: dict[str, CellReading], template: str, other_form: str) -> tuple[dict[str, CellReading], list[str]]:
    """``cells`` with every unconfirmed figure's confidence lowered below review, and their keys."""
    notes = _unconfirmed(cells, template, other_form)
    held = dict(cells)
    for key, note in notes.items():
        cell = cells[key]
        if cell.confidence <= UNCHECKED_CONFIDENCE:
            continue
        held[key] = replace(cell, confidence=UNCHECKED_CONFIDENCE, note=f"{cell.note}; {note}" if cell.note else note)
    return held, list(notes)
