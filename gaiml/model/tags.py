"""The model's label set, derived from the schema, and character tags <-> spans <-> cells.

Figures are tagged by their COLUMN (``COL=t3.total``), row labels by their ROW
(``ROW=t3.granted``); a figure's row is the last row label before it. Tagging figures by full
cell key instead would ask the model to carry the row over hundreds of characters of a
one-cell-per-line table; the column is local (its place among the row's figures) and the row
label is right there in the text, so the pair is easier to learn and generalises across
layouts. 表四 has one printed row, so its figures carry the whole key (``COL=t4.review.upheld``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache

from .. import schema

OUTSIDE = "O"
AGENCY, YEAR = "AGENCY", "YEAR"


@cache
def entity_types() -> tuple[str, ...]:
    """Every entity the model tags, in a fixed order."""
    rows, cols = [], []
    for template in schema.TEMPLATES:
        for form in schema.OTHER_FORMS:
            for table in schema.tables(template, form):
                for row in table.rows:
                    if table.key == "t4":
                        cols += [f"COL=t4.{row.key}.{c.key}" for c in row.columns]
                    else:
                        rows.append(f"ROW={table.key}.{row.key}")
                        cols += [f"COL={table.key}.{c.key}" for c in row.columns]
    return tuple(dict.fromkeys(rows + cols + [AGENCY, YEAR]))


@cache
def tag_list() -> tuple[str, ...]:
    return (OUTSIDE,) + tuple(f"{p}-{e}" for e in entity_types() for p in "BI")


def tags_version() -> str:
    """A hash of the tag list: a model records it, and loading refuses a mismatch."""
    return hashlib.sha256("\n".join(tag_list()).encode()).hexdigest()[:12]


def entity_of_span(kind: str, key: str) -> str:
    """The entity of a labelled span (kinds: cell, row, agency, year)."""
    if kind == "cell":
        table, row, col = key.split(".")
        return f"COL={key}" if table == "t4" else f"COL={table}.{col}"
    if kind == "row":
        return f"ROW={key}"
    return {"agency": AGENCY, "year": YEAR}[kind]


def spans_to_tags(length: int, spans: list[dict]) -> list[str]:
    """BIO tags per character from labelled spans (dicts with start, end, kind, key)."""
    tags = [OUTSIDE] * length
    known = set(entity_types())
    for span in sorted(spans, key=lambda s: s["start"]):
        # Annotated spans carry their entity: a figure labelled by column alone has no cell key.
        entity = span.get("entity") or entity_of_span(span["kind"], span["key"])
        if entity not in known:
            raise ValueError(f"span {span} has no entity in the tag set")
        start, end = span["start"], span["end"]
        if start == end:
            continue  # a figure the OCR dropped altogether: nothing to tag
        if not 0 <= start < end <= length:
            raise ValueError(f"span {span} outside a text of {length} characters")
        tags[start] = f"B-{entity}"
        for i in range(start + 1, end):
            tags[i] = f"I-{entity}"
    return tags


@dataclass(frozen=True)
class TaggedSpan:
    entity: str
    start: int
    end: int
    score: float  # mean probability of the span's tags
    columns: dict[str, float] | None = field(default=None, compare=False)  # a figure's odds per COL= entity


def tags_to_spans(tags: list[str], scores: list[float] | None = None) -> list[TaggedSpan]:
    """Spans from BIO tags; an I- without a matching B- starts a span (the model slips)."""
    spans: list[TaggedSpan] = []
    entity, start = None, 0
    scores = scores or [1.0] * len(tags)

    def close(end: int):
        if entity is not None:
            spans.append(TaggedSpan(entity, start, end, sum(scores[start:end]) / (end - start)))

    for i, tag in enumerate(tags):
        prefix, _, name = tag.partition("-")
        if tag == OUTSIDE or prefix == "B" or name != entity:
            close(i)
            entity, start = (name, i) if tag != OUTSIDE else (None, i)
    close(len(tags))
    return spans
