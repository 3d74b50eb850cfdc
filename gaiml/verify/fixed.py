"""Cells no engine read whose value the tables' sums fix.

OCR loses figures: Tesseract drops a third to a half of a 表三's cells, most of them 0s in rows
of 0s. A lost cell is not always unknown: in a relation with one side wholly read, the other
side's read cells either already make the sum, and then its unread cells are 0 (表三 and 表四
count requests and cases, never below zero), or leave one cell unread, and then that cell is the
difference. Filling one cell can close another relation, so this repeats until nothing changes.
A fill may complete a relation that the other readings break: then that relation's cells go to
review as any broken relation's do (refusing such fills lost 2 points of the development
Tesseract reports' cells and kept as many in review).

A filled cell stands nowhere in the text (no span), keeps a low confidence and stays in review:
the person checks it against the page. Where a table prints blank cells (the rules read one), a
lost cell may be a blank as well as a 0, so only a non-zero difference is filled there.
"""

from __future__ import annotations

from .. import schema
from ..values import Value


def fixed_values(relations: tuple[schema.Relation, ...], values: dict[str, Value], unread: set[str],
                 zeros_allowed=lambda key: True) -> dict[str, tuple[Value, str]]:
    """For each cell of ``unread`` the arithmetic fixes: its value and the relation that fixes it.
    ``values`` holds the read cells (None where unread); ``zeros_allowed(key)`` says whether a
    0 may be filled there (not where the table prints blanks)."""
    known = dict(values)
    fixed: dict[str, tuple[Value, str]] = {}
    changed = True
    while changed:
        changed = False
        for rel in relations:
            for whole, parts in ((rel.left, rel.right), (rel.right, rel.left)):
                if any(known.get(k) is None for k in whole):
                    continue
                missing = [k for k in parts if known.get(k) is None]
                if not missing or any(k not in unread for k in missing):
                    continue
                rest = sum(known[k] for k in whole) - sum(known[k] for k in parts if k not in missing)
                if abs(rest) <= schema.TOLERANCE:
                    fill = {k: 0 for k in missing if zeros_allowed(k)}
                elif len(missing) == 1 and rest > 0:
                    fill = {missing[0]: rest}
                else:
                    continue
                for key, value in fill.items():
                    known[key] = value
                    fixed[key] = (value, rel.name)
                    changed = True
    return fixed
