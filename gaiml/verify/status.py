"""The one place a document's status and review list are decided.

Every engine's readings come here once checked against the tables' arithmetic: a single engine's
cells are judged by their confidence, the ``auto`` engine's by its reconciliation
(``reconcile.py``, which says why it doubts a cell), and in a text OCR may have misread, figures no
holding relation confirms are held for review (``unchecked.py``).

A cell goes to review only when a person's look could change the answer: a relation broken
because of it, the engines disagreeing, a figure repaired, a 其他处理 row of a form told from
garbled words (``doubt_form``), a blank where the arithmetic needs a figure, a cell not read, a
row read from figures another row was read from too (``_shared_rows``), an OCR figure no relation
checks, or a reading the engines are unsure of.
A blank printed in text not read by OCR that every relation accepts is what the report prints and
is no review item; of a broken relation, the cells already in doubt are listed, or all its cells
when none is.
Each item says why, and the list is ordered by risk, the riskiest first.

The status words are defined here and nowhere else; the output's JSON Schema
(``gaiml/output.schema.json``) lists the same words (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import schema
from ..document import PRINTED_BLANK_NOTES, CellReading
from .complete import BLANK_COLUMN_ROWS
from .unchecked import ZERO_NOTE, hold_for_review
from .validate import Validation, check_relations

VERIFIED = "verified"  # every relation holds and every cell is sure
SOURCE_INCONSISTENT = "source-inconsistent"  # the report's own arithmetic is off; values kept as printed
NEEDS_REVIEW = "needs review"  # a person should look at the cells in the review list
EXTRACTION_STATUSES = (VERIFIED, SOURCE_INCONSISTENT, NEEDS_REVIEW)  # what an extraction decides
# A document a person corrected in Label Studio (``gaiml al pull`` of a review queue): a status
# of a corrected document, never of an extraction.
REVIEWED = "reviewed"
STATUSES = (*EXTRACTION_STATUSES, REVIEWED)
FAILED = "failed"  # a batch line for a file that could not be read: no document, no status of its own
REVIEW_BELOW = 0.9  # cells less sure than this send a document to review

# Why a cell is in review, riskiest first: the list is sorted by this, then by confidence.
BROKEN, REPAIRED, DISAGREE, FORM, IMPLIED, UNPLACED, UNREAD, OCR_UNCHECKED, UNSURE = range(9)
FORM_DOUBT_NOTE = ("the 其他处理 form (one row or three sub-rows) was told from garbled words: "
                   "check which the report prints")
ACCEPTED_BLANK_NOTE = "blank, as printed: every relation holds with it"
BLANK_COLUMN_NOTE = "blank, as printed: the report leaves this column blank in {rows} rows"
SHARED_NOTE = ("its row and {other} were read from the same printed figures: where the rows' figures "
               "stand is in doubt (a blank row may have taken the next row's)")
SURE_BLANK = 0.8  # the engines read a printed blank at 0.85; one they doubt is read lower


@dataclass(frozen=True)
class ReviewItem:
    """A cell a person should look at, why, and how risky it is (``BROKEN`` … ``UNSURE``)."""

    cell: str
    why: str
    risk: int = UNSURE

    def to_json(self) -> dict:
        return {"cell": self.cell, "why": self.why}


@dataclass
class Judgement:
    """A document's verdict: its cells (confidences changed where held or accepted), status,
    review list, the relations blamed on the report itself, and the relations checked."""

    cells: dict[str, CellReading]
    status: str
    review: list[ReviewItem]
    inconsistent: list[str]
    validation: Validation


def judge(cells: dict[str, CellReading], template: str, other_form: str, *, flagged: list[ReviewItem] | None,
          inconsistent: list[str], ocr: bool) -> Judgement:
    """The verdict on one document's cells.

    ``flagged``: the cells the engine itself doubts, with why (``auto``), or None when the engine
    does not judge (then its unsure cells are flagged); ``inconsistent``: the broken relations the
    engine found the report itself breaks; ``ocr``: the text may carry OCR misreads."""
    if flagged is None:
        flagged = [ReviewItem(k, _unsure_why(c), _risk_of_note(c)) for k, c in cells.items() if c.confidence < REVIEW_BELOW]
    items = {item.cell: item for item in flagged}
    inconsistent = list(inconsistent)
    if ocr:
        cells, held = hold_for_review(cells, template, other_form)
        for key in held:
            note = cells[key].note or ""
            why = ("read by OCR as blank: a figure OCR lost looks the same" if cells[key].value is None
                   else ZERO_NOTE if ZERO_NOTE in note
                   else "read by OCR and no holding relation checks it: compare it with the scan")
            items.setdefault(key, ReviewItem(key, why, OCR_UNCHECKED))
        inconsistent = []  # what OCR read cannot convict the report of an arithmetic error
    cells = dict(cells)
    for key, why in ({} if ocr else _shared_rows(cells)).items():
        if key not in items or items[key].risk > UNPLACED:
            items[key] = ReviewItem(key, why, UNPLACED)
            cell = cells[key]
            cells[key] = replace(cell, confidence=min(cell.confidence, 0.5), note=f"{cell.note}; {why}" if cell.note else why)
    validation = check_relations({k: c.value for k, c in cells.items()}, template, other_form)
    for broken in validation.broken:
        if broken.relation in inconsistent:
            continue
        why = f"{broken.relation} does not hold ({_num(broken.left_sum)} ≠ {_num(broken.right_sum)})"
        keys = (*broken.left, *broken.right)
        # The cells of it already in doubt are the suspects; with none, any of them may be wrong.
        suspects = [k for k in keys if k in items] or keys
        for key in suspects:
            items[key] = ReviewItem(key, why, BROKEN)
    for key in list(items):
        if items[key].risk == UNSURE and not ocr and _accepted_blank(key, cells, template, other_form):
            del items[key]
            cells[key] = replace(cells[key], confidence=max(cells[key].confidence, REVIEW_BELOW), note=ACCEPTED_BLANK_NOTE)
    for key, rows in _blank_columns(cells, items, ocr).items():
        del items[key]
        cells[key] = replace(cells[key], confidence=max(cells[key].confidence, REVIEW_BELOW),
                             note=BLANK_COLUMN_NOTE.format(rows=rows))
    review = sorted(items.values(), key=lambda i: (i.risk, cells[i.cell].confidence if i.cell in cells else 0, i.cell))
    return Judgement(cells, decide(validation, review, inconsistent), review, inconsistent, validation)


def doubt_form(cells: dict[str, CellReading], review: list[ReviewItem], template: str, other_form: str) -> None:
    """The cells of the 其他处理 rows, when the form they belong to is a guess (detect.FORM_SURE):
    read with the other form, those rows would be other cells, so a person should look whatever
    was read in them. Lowers their confidence below review and adds them to ``review``."""
    keys = [key for key in schema.cell_keys(template, other_form) if key.rsplit(".", 1)[0] in _other_rows(other_form)]
    riskier = {item.cell for item in review if item.risk <= FORM}
    review[:] = [item for item in review if item.cell not in keys or item.cell in riskier]
    for key in keys:
        if key in cells:
            cell = cells[key]
            note = f"{cell.note}; {FORM_DOUBT_NOTE}" if cell.note else FORM_DOUBT_NOTE
            cells[key] = replace(cell, confidence=min(cell.confidence, 0.5), note=note)
        if key not in riskier:
            review.append(ReviewItem(key, FORM_DOUBT_NOTE, FORM))


def _shared_rows(cells: dict[str, CellReading]) -> dict[str, str]:
    """Every cell of two rows that hold figures read from the same printed characters, with why.

    A printed figure is one cell's. Where the figures of two rows overlap, a row was read past
    its own figures: a row of blanks whose next label was missed takes the next row's figures
    and makes up its count of cells with them ("3.危及“三安全一稳定”" printed with two zeros
    and five blanks, read as seven zeros), and the next row, read where it stands, reads them
    again. Each cell of either row may be misplaced, the sums of a row of zeros hold anyway, so
    the rows go to review whole. A figure shared by two cells of one row says nothing of
    the other rows. Not in OCR'd text: there the engines read rows OCR broke apart, overlaps
    come with lost figures already in review (on the development split's 15 Tesseract texts,
    46 cells more to review and no wrong figure among them)."""
    spans = sorted((c.start, c.end, key) for key, c in cells.items()
                   if c.value is not None and c.start is not None and c.end is not None)
    pairs: dict[str, set[str]] = {}
    reach = -1  # the furthest end of the spans so far: most reports have no overlap, found in one pass
    for i, (start, end, key) in enumerate(spans):
        if start < reach:
            for _, other_end, other in spans[:i]:
                if other_end > start:
                    row, other_row = key.rsplit(".", 1)[0], other.rsplit(".", 1)[0]
                    if row != other_row:
                        pairs.setdefault(row, set()).add(other_row)
                        pairs.setdefault(other_row, set()).add(row)
        reach = max(reach, end)
    if not pairs:
        return {}
    out = {}
    for key in cells:
        others = pairs.get(key.rsplit(".", 1)[0])
        if others:
            out[key] = SHARED_NOTE.format(other=" and ".join(sorted(others)))
    return out


def _other_rows(other_form: str) -> set[str]:
    return {"t3.other"} if other_form == "single" else {"t3.other_no_correction", "t3.other_no_fee", "t3.other_misc"}


def decide(validation: Validation, review: list, inconsistent: list[str]) -> str:
    """verified when every relation holds and no cell needs a look; source-inconsistent when every
    broken relation is the report's own and no cell needs a look; needs review otherwise."""
    broken = [b.relation for b in validation.broken]
    if broken and not review and all(name in inconsistent for name in broken):
        return SOURCE_INCONSISTENT
    if broken or review:
        return NEEDS_REVIEW
    return VERIFIED


def _blank_columns(cells: dict[str, CellReading], items: dict[str, ReviewItem], ocr: bool) -> dict[str, int]:
    """Review items on printed blanks of a column the report leaves blank in at least
    ``BLANK_COLUMN_ROWS`` rows of its table (SPEC: reports leave the 总计 column blank for most
    rows): a blank there is the report's way, not a lost figure, whatever sum its row implies; a
    look at the text shows the same blank. Not in OCR'd text (a blank may be a figure OCR lost),
    and only for doubts about the blank itself (unsure, or implied by its row), never a broken
    relation or a disagreement of the engines. The keys, with how many rows leave the column blank."""
    if ocr:
        return {}
    blank_rows: dict[tuple[str, str], int] = {}
    for key, cell in cells.items():
        if cell.value is None and cell.start is not None:
            table, _, column = key.split(".")
            blank_rows[table, column] = blank_rows.get((table, column), 0) + 1
    out = {}
    for key, item in items.items():
        cell = cells.get(key)
        if item.risk not in (IMPLIED, UNSURE) or cell is None or cell.value is not None or cell.start is None:
            continue
        table, _, column = key.split(".")
        if blank_rows[table, column] >= BLANK_COLUMN_ROWS:
            out[key] = blank_rows[table, column]
    return out


def _accepted_blank(key: str, cells: dict[str, CellReading], template: str, other_form: str) -> bool:
    """A blank the text prints (a blank slot of its row, not a row not found), read as surely as
    the engines read a blank (not one they doubt), that every relation of it accepts: each holds
    with the relation's blanks counted as 0. Never in OCR'd text: there a blank may be a "0" or a
    "1" OCR lost, and a lost 0 keeps every sum."""
    cell = cells.get(key)
    if cell is None or cell.value is not None or cell.note not in PRINTED_BLANK_NOTES or cell.confidence < SURE_BLANK:
        return False
    for rel in (r for r in schema.relations(template, other_form) if key in r.keys):
        zeros = {k: (cells[k].value if k in cells and cells[k].value is not None else 0) for k in rel.keys}
        if rel.broken(zeros):
            return False
    return True


def _unsure_why(cell: CellReading) -> str:
    if cell.value is None and cell.confidence == 0:
        return cell.note or "not read"
    return f"read with confidence {cell.confidence:.2f}" + (f": {cell.note}" if cell.note else "")


def _risk_of_note(cell: CellReading) -> int:
    """An engine's doubt about one cell, ranked as the reconciliation ranks its own."""
    if cell.value is None and cell.confidence == 0:
        return UNREAD
    if cell.note and "could not be placed" in cell.note:
        return UNPLACED
    return UNSURE


def review_json(review: list[ReviewItem]) -> list[dict]:
    return [item.to_json() for item in review]


def line_status(line: dict) -> str:
    """A batch output line's status: failed, or the document's own; a line written before
    documents carried a status (resuming an older output file) is judged from its cells."""
    if "error" in line:
        return FAILED
    if "status" in line:
        return line["status"]
    unsure = line["warnings"] or any(c["confidence"] < REVIEW_BELOW for c in line["cells"].values())
    return VERIFIED if not line["validation"]["broken"] and not unsure else NEEDS_REVIEW


def rejudged(doc: dict) -> str:
    """A result document's status after a check made outside its own extraction (the cross-year
    relations of gaiml/series) changed its review list or the relations blamed on the report."""
    from ..output import review_cells

    validation = doc.get("validation", {})
    blamed = set(validation.get("source_inconsistent") or [])
    unblamed = any(b.get("relation") not in blamed for b in validation.get("broken") or [])
    if review_cells(doc) or doc.get("status") == NEEDS_REVIEW and (doc.get("warnings") or unblamed):
        return NEEDS_REVIEW
    if doc.get("status") == REVIEWED:
        return REVIEWED  # a person's reading: the report's own arithmetic does not undo it
    if validation.get("source_inconsistent") or validation.get("cross_year", {}).get("source_inconsistent"):
        return SOURCE_INCONSISTENT
    return VERIFIED if doc.get("status") in EXTRACTION_STATUSES else doc.get("status")


def _num(x: float) -> str:
    return f"{x:g}"
