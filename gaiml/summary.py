"""A result document as a person reads it on a terminal: what `gaiml extract REPORT` prints there.

The status, template, year and agency; 表二, 表三 and 表四 as small tables, one line per printed row
and one column per printed column, each flagged cell marked (``?`` to review, ``!`` repaired,
``×`` in a broken relation); the repairs; the broken relations; the warnings. The JSON document
itself is what ``-o FILE`` or ``--json`` write.
"""

from __future__ import annotations

import unicodedata

from . import schema
from .output import review_cells, review_items

MARK_REVIEW, MARK_REPAIRED, MARK_BROKEN = "?", "!", "×"
REVIEW_SHOWN = 10  # review items listed with why under the tables; the JSON has them all
ROW_LABEL_WIDTH = 28  # display columns (a CJK character takes two)


def width(text: str) -> int:
    """Display width on a terminal: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, size: int, right: bool = False) -> str:
    while width(text) > size:
        text = text[:-2] + "…" if len(text) > 1 else ""
    pad = " " * (size - width(text))
    return pad + text if right else text + pad


def _value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(doc: dict) -> str:
    """The readable summary of one output line (a document or an error line)."""
    if "error" in doc:
        return f"{doc.get('doc_id')}: failed: {doc['error']}"
    lines = [f"{doc['doc_id']}  ({doc.get('source') or 'text'})",
             f"  status:   {doc['status']}",
             f"  template: {doc['template']} (其他处理 {doc['other_form']})   year: {doc['year']}   "
             f"agency: {doc['agency'] or '(not found)'}",
             f"  engine:   {doc['engine']}"]
    review = set(review_cells(doc))
    repaired = {r["cell"] for r in doc.get("repairs") or []}
    broken = {key for b in doc["validation"]["broken"] for key in (*b["left"], *b["right"])}
    cells = doc["cells"]
    for table in schema.tables(doc["template"], doc["other_form"]):
        lines += ["", f"{table.title}"]
        columns: list[str] = []
        for row in table.rows:
            for col in row.columns:
                if col.label not in columns:
                    columns.append(col.label)
        size = max(8, *(min(width(c), 12) for c in columns))
        lines.append(" " * (ROW_LABEL_WIDTH + 1) + " ".join(_fit(c, size, right=True) for c in columns))
        for row in table.rows:
            slots = {col.label: f"{table.key}.{row.key}.{col.key}" for col in row.columns}
            texts = []
            for label in columns:
                key = slots.get(label)
                if key is None or key not in cells:
                    texts.append(_fit("", size))
                    continue
                mark = (MARK_BROKEN if key in broken else "") + (MARK_REPAIRED if key in repaired else "") + \
                       (MARK_REVIEW if key in review else "")
                texts.append(_fit(_value(cells[key]["value"]) + mark, size, right=True))
            lines.append(_fit(row.label, ROW_LABEL_WIDTH) + " " + " ".join(texts))
    lines.append("")
    lines.append(f"  marks: {MARK_REVIEW} to review ({len(review)} cells), {MARK_REPAIRED} repaired "
                 f"({len(repaired)}), {MARK_BROKEN} in a broken relation; - blank (null)")
    validation = doc["validation"]
    lines.append(f"  relations: {validation['holds']} of {validation['checked']} hold, "
                 f"{len(validation['broken'])} broken, {len(validation['unassessable'])} unassessable, "
                 f"{len(validation.get('source_inconsistent') or [])} broken by the report itself")
    for b in validation["broken"]:
        lines.append(f"    broken: {b.get('relation')}: {' + '.join(b['left'])} = {b.get('left_sum')} but "
                     f"{' + '.join(b['right'])} = {b.get('right_sum')}")
    for r in doc.get("repairs") or []:
        lines.append(f"  repair {r['cell']}: printed {r.get('printed')!r}, read {r.get('was')!r}, "
                     f"chosen {r.get('chosen')!r} ({r.get('kind')}: {r.get('why')})")
    items = review_items(doc)
    for item in items[:REVIEW_SHOWN]:
        lines.append(f"  review {item['cell']}: {item['why']}")
    if len(items) > REVIEW_SHOWN:
        lines.append(f"  ... and {len(items) - REVIEW_SHOWN} more to review (the JSON document lists them all)")
    for w in doc.get("warnings") or []:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)
