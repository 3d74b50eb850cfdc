"""The one place a document's status and review list are decided.

Every engine's readings come here once checked against the tables' arithmetic: a single engine's
cells are judged by their confidence, the ``auto`` engine's by its reconciliation
(``reconcile.py``), and in a text OCR may have misread, figures no holding relation confirms are
held for review (``unchecked.py``). The status words are defined here and nowhere else; the
output's JSON Schema (``gaiml/output.schema.json``) lists the same words (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..document import CellReading
from .unchecked import hold_for_review, read_by_ocr
from .validate import Validation, check_relations

VERIFIED = "verified"  # every relation holds and every cell is sure
SOURCE_INCONSISTENT = "source-inconsistent"  # the report's own arithmetic is off; values kept as printed
NEEDS_REVIEW = "needs review"  # a person should look at the cells in the review list
STATUSES = (VERIFIED, SOURCE_INCONSISTENT, NEEDS_REVIEW)
FAILED = "failed"  # a batch line for a file that could not be read: no document, no status of its own
REVIEW_BELOW = 0.9  # cells less sure than this send a document to review


@dataclass
class Judgement:
    """A document's verdict: its cells (confidences lowered where held), status, review list, the
    relations blamed on the report itself, and the relations checked."""

    cells: dict[str, CellReading]
    status: str
    review: list[str]
    inconsistent: list[str]
    validation: Validation


def judge(cells: dict[str, CellReading], template: str, other_form: str, *, review: list[str] | None,
          inconsistent: list[str], ocr_declared: bool, ocr_traces: int | None) -> Judgement:
    """The verdict on one document's cells.

    ``review``: the cells the engine itself sends to review (``auto``), or None when the engine
    does not judge (then its unsure cells are the review list); ``inconsistent``: the broken
    relations the engine found the report itself breaks; ``ocr_declared``/``ocr_traces``: whether
    the text may carry OCR misreads (said so, or the rules met its signs)."""
    review = [k for k, c in cells.items() if c.confidence < REVIEW_BELOW] if review is None else list(review)
    inconsistent = list(inconsistent)
    if read_by_ocr(ocr_declared, ocr_traces):
        cells, held = hold_for_review(cells, template, other_form)
        review += [k for k in held if k not in review]
        inconsistent = []  # what OCR read cannot convict the report of an arithmetic error
    validation = check_relations({k: c.value for k, c in cells.items()}, template, other_form)
    return Judgement(cells, decide(validation, review, inconsistent), review, inconsistent, validation)


def decide(validation: Validation, review: list[str], inconsistent: list[str]) -> str:
    """verified when every relation holds and no cell needs a look; source-inconsistent when every
    broken relation is the report's own and no cell needs a look; needs review otherwise."""
    broken = [b.relation for b in validation.broken]
    if broken and not review and all(name in inconsistent for name in broken):
        return SOURCE_INCONSISTENT
    if broken or review:
        return NEEDS_REVIEW
    return VERIFIED


def line_status(line: dict) -> str:
    """A batch output line's status: failed, or the document's own; a line written before
    documents carried a status (resuming an older output file) is judged from its cells."""
    if "error" in line:
        return FAILED
    if "status" in line:
        return line["status"]
    unsure = line["warnings"] or any(c["confidence"] < REVIEW_BELOW for c in line["cells"].values())
    return VERIFIED if not line["validation"]["broken"] and not unsure else NEEDS_REVIEW
