"""Tagged spans -> cells: each figure takes its column from its tag and its row from the last
row label before it in the same table."""

from __future__ import annotations

from .. import schema
from ..document import CellReading
from ..values import parse_cell
from .tags import TaggedSpan

ENGINE = "model"


def spans_to_cells(text: str, spans: list[TaggedSpan], template: str, other_form: str,
                   warnings: list[str]) -> dict[str, CellReading]:
    """One reading per cell key of the template; keys the model did not find are null, score 0."""
    index = schema.cell_index(template, other_form)
    cells: dict[str, CellReading] = {}
    current_row: dict[str, str] = {}  # table -> row key of the last row label seen
    for span in sorted(spans, key=lambda s: s.start):
        kind, _, name = span.entity.partition("=")
        if kind == "ROW":
            table, row = name.split(".")
            current_row[table] = row
            continue
        if kind != "COL":
            continue
        parts = name.split(".")
        key = name if parts[0] == "t4" else (
            f"{parts[0]}.{current_row[parts[0]]}.{parts[1]}" if parts[0] in current_row else None)
        if key is None or key not in index:
            continue
        raw = text[span.start:span.end]
        try:
            value = parse_cell(raw, index[key].kind)
            reading = CellReading(value, span.start, span.end, raw, span.score, ENGINE)
        except ValueError:
            reading = CellReading(None, span.start, span.end, raw, 0.0, ENGINE, f"unreadable figure {raw!r}")
        if key in cells:
            warnings.append(f"{key}: tagged twice ({cells[key].text!r} and {raw!r}); the surer kept")
            if cells[key].confidence >= reading.confidence:
                continue
        cells[key] = reading
    for key in index:
        cells.setdefault(key, CellReading(None, None, None, None, 0.0, ENGINE, "not found by the model"))
    return {key: cells[key] for key in index}
