"""Place the figures of a row that printed one figure fewer than it has columns.

Text converters drop cells ("三、本年度办理结果\t(一) 予以公开\t0\t0\t0\t0\t0\t0": six zeros for
seven columns). Which cell went missing is unknown, so every gap position is tried: the
figures fill the other columns in order and the missing cell follows from the row's own sum.
A placement is taken only when every placement that breaks no relation gives the same row;
otherwise the row stays unplaced and flagged, never silently shifted. A table whose rows are
short by their blank 总计 column keeps that column blank.
"""

from __future__ import annotations

from ..schema import Relation
from ..values import Value

# Short rows of one table that all fit a blank last column: that column is printed blank. On the
# development split (data/dev_split) the reports with a blank 总计 column print 16 to 24 such rows;
# OCR that drops figures leaves up to 10 rows of a report short, few of which fit.
BLANK_COLUMN_ROWS = 10
DERIVED_NOTE = "not printed where expected; derived from the row's sum"


def complete_row(keys: list[str], figures: list[Value], known: dict[str, Value],
                 relations: tuple[Relation, ...]) -> tuple[dict[str, Value], str] | None:
    """The full row and the key derived by arithmetic, or None when the evidence is not unique.

    ``keys`` are the row's cell keys in printed order, ``figures`` one fewer values in order,
    ``known`` every other cell already read (absent or None when unknown).
    """
    if len(figures) != len(keys) - 1 or any(v is None for v in figures):
        return None
    own = [r for r in relations if set(r.keys) <= set(keys)]
    touching = [r for r in relations if set(r.keys) & set(keys) and r not in own]
    outcomes: dict[tuple, tuple[dict[str, Value], str]] = {}
    for gap in range(len(keys)):
        row = dict(zip(keys[:gap] + keys[gap + 1 :], figures))
        missing = keys[gap]
        value = _solve(missing, row, own)
        if value is None:
            continue
        row[missing] = value
        values = {**known, **row}
        if any(r.broken(values) for r in own + touching):
            continue
        outcomes[tuple(row[k] for k in keys)] = (row, missing)
    if len(outcomes) != 1:
        return None
    return next(iter(outcomes.values()))


def complete_rows(rows: list[tuple[list[str], list[Value]]], known: dict[str, Value],
                  relations: tuple[Relation, ...]) -> dict[int, tuple[dict[str, Value], str]]:
    """``complete_row`` for several short rows (keys, figures), repeating while a placement
    unlocks another. ``known`` (every cell's value so far) takes each placed row's values.
    Returns, by the index of each row placed, its full row and the derived key; that key's value
    is None where the table prints the column blank (``_blank_last_column``)."""
    placed = _blank_last_column(rows, known, relations)
    for row, _ in placed.values():
        known.update(row)
    progress = True
    while progress:
        progress = False
        for i, (keys, figures) in enumerate(rows):
            if i in placed:
                continue
            done = complete_row(keys, figures, known, relations)
            if done is not None:
                placed[i] = done
                known.update(done[0])
                progress = True
    return placed


def _blank_last_column(rows, known, relations) -> dict[int, tuple[dict[str, Value], str]]:
    """Short rows whose last column (总计) is printed blank: a report that leaves that column blank
    for most rows (SPEC) prints each of them one figure short, and all that fit with their figures
    in the other columns say so together. Derived from the row's sum, a blank would turn into a
    figure the report never printed."""
    fits: dict[str, dict[int, tuple[dict[str, Value], str]]] = {}
    for i, (keys, figures) in enumerate(rows):
        if len(figures) != len(keys) - 1 or any(v is None for v in figures):
            continue
        row = {**dict(zip(keys[:-1], figures)), keys[-1]: None}
        if not any(r.broken({**known, **row}) for r in relations if set(r.keys) & set(keys)):
            fits.setdefault(keys[0].split(".")[0], {})[i] = (row, keys[-1])
    return {i: placed for members in fits.values() if len(members) >= BLANK_COLUMN_ROWS for i, placed in members.items()}


def placement_warning(row: str, figures: int, columns: int, values: dict[str, Value], derived: str) -> str:
    """The warning for a short row ``complete_rows`` placed, as both engines word it."""
    how = "printed blank" if values[derived] is None else "derived"
    return f"{row}: {figures} figures for {columns} columns; placed by arithmetic, {derived} {how}"


def _solve(missing: str, row: dict[str, Value], relations: list[Relation]) -> Value:
    """The value ``missing`` must take for a relation of the row to hold, if one decides it."""
    for rel in relations:
        if missing in rel.keys:
            value = rel.solve(missing, row)
            if value is not None:
                return value if value >= 0 else None
    return None
