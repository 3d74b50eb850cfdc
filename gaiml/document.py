"""Plain records that travel between the steps: one cell's reading and a whole extraction."""

from __future__ import annotations

from dataclasses import dataclass, field

from .output import OUTPUT_VERSION
from .values import Value

# Notes an engine writes that the judge (gaiml/verify) reads: a cell read from a run of figures
# glued together ("规章3012"), split by the arithmetic (rules/glued.py).
GLUED_NOTE = "glued figures"
# Notes of a blank the text prints, as the engines write them: a blank slot of its row, a row's
# figures placed by column position leaving this one blank, a table that leaves a whole column blank.
BLANK_CELL_NOTE = "blank cell"
BLANK_BY_POSITION_NOTE = "blank by column position"
BLANK_COLUMN_NOTE = "blank: the table leaves this column blank in its rows one figure short"
PRINTED_BLANK_NOTES = (BLANK_CELL_NOTE, BLANK_BY_POSITION_NOTE, BLANK_COLUMN_NOTE)

@dataclass
class CellReading:
    """What one cell holds and where it was read.

    ``start``/``end`` are code-point offsets into the text as read; both are None when the
    value stands nowhere in the text (a row not found, or a value derived by arithmetic).
    """

    value: Value
    start: int | None
    end: int | None
    text: str | None
    confidence: float
    engine: str
    note: str | None = None
    # PDFs and scans: the page (1-based) and box (x0, top, x1, bottom in points) of the drawn cell
    page: int | None = None
    box: tuple[float, float, float, float] | None = None

    def to_json(self) -> dict:
        span = None if self.start is None else [self.start, self.end]
        out = {"value": self.value, "span": span, "text": self.text,
               "confidence": round(self.confidence, 4), "engine": self.engine}
        if self.note:
            out["note"] = self.note
        if self.page is not None:
            out["page"] = self.page
            out["box"] = [round(v, 1) for v in self.box]
        return out


@dataclass
class Field:
    """A document-level reading (template, form, year, agency) with the span it was read from."""

    value: object
    start: int | None = None
    end: int | None = None
    confidence: float = 0.0

    def to_json(self, text: str | None = None) -> dict:
        out = {"value": self.value, "span": None if self.start is None else [self.start, self.end],
               "confidence": round(self.confidence, 4)}
        if text is not None and self.start is not None:
            out["text"] = text[self.start : self.end]
        return out


@dataclass
class Reading:
    """What an engine read from one text, before validation: the common return of every engine."""

    template: Field
    other_form: Field
    year: Field
    cells: dict[str, CellReading]
    found_rows: int  # table rows recognised: too few means the text is not such a report
    warnings: list[str] = field(default_factory=list)
    # Set by engines that weigh readings against each other (auto): the cells they send to review
    # (None: the engine does not judge; gaiml/verify/status.py does) and the broken relations
    # they blame on the report itself.
    repairs: list[dict] = field(default_factory=list)
    review: list | None = None  # of gaiml.verify.status.ReviewItem
    inconsistent: list[str] = field(default_factory=list)
    # Signs of OCR damage the rules met (gaiml/verify/unchecked.py); None from engines that do not look.
    ocr_traces: int | None = None


@dataclass
class Extraction:
    """The result for one report; ``to_json`` gives the documented output document."""

    doc_id: str
    source: str | None
    encoding: str | None
    template: Field
    other_form: Field
    year: Field
    agency: Field
    cells: dict[str, CellReading]
    engine: str
    text: str = field(repr=False, default="")  # the text as read: every span points into it
    validation: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    status: str = "needs review"  # verified, source-inconsistent or needs review
    review: list = field(default_factory=list)  # ReviewItems: cells a person should look at, and why
    repairs: list[dict] = field(default_factory=list)  # readings that differ from the printed text
    pages: list | None = None  # PDFs and scans: gaiml.pages.PageInfo of every page read

    def values(self) -> dict[str, Value]:
        return {key: cell.value for key, cell in self.cells.items()}

    def review_cells(self) -> list[str]:
        """The keys of the cells in review, riskiest first."""
        return [item.cell for item in self.review]

    def to_json(self) -> dict:
        text = self.text
        return {
            "output_version": OUTPUT_VERSION,
            "doc_id": self.doc_id,
            "source": self.source,
            "encoding": self.encoding,
            "engine": self.engine,
            "template": self.template.value,
            "other_form": self.other_form.value,
            "year": self.year.value,
            "agency": self.agency.value,
            "fields": {
                "template": self.template.to_json(),
                "other_form": self.other_form.to_json(),
                "year": self.year.to_json(text),
                "agency": self.agency.to_json(text),
            },
            "cells": {key: cell.to_json() for key, cell in self.cells.items()},
            "status": self.status,
            "review": [item.to_json() for item in self.review],
            "repairs": list(self.repairs),
            "validation": self.validation,
            "warnings": list(self.warnings),
            **({"pages": [p.to_json() for p in self.pages]} if self.pages is not None else {}),
        }


