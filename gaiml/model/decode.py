"""Tagged spans -> cells, a printed row at a time.

1. Tables: printed in order (表二, 表三, 表四), so each figure's table is chosen for the whole
   sequence at once (Viterbi; stepping back to an earlier table is dear). A figure that still reads
   as a table whose row label came before a later table's figures (prose after 表四) is left out.
2. Rows: a figure's row is the last row label before it in its table, a one-character slip of a
   wrapped label ignored; 表四's figures carry the whole key. Figures past the end of 表三's last row
   go to 表四 when it is short of figures (its heading missed).
3. Columns: a row's figures stand in the template's column order, each column at most once, so
   they are placed together: the in-order assignment with the highest joint odds (a monotone
   alignment). A column left out is a blank cell; a figure is left out only when a row has more
   figures than columns, and the warnings say so.
4. A row one figure short where the odds cannot tell which column is blank (a converter dropped a
   cell) is placed by the row's arithmetic, as the rules place it (verify/complete.py).
"""

from __future__ import annotations

import math

from .. import schema
from ..document import BLANK_COLUMN_NOTE, CellReading
from ..verify.complete import DERIVED_NOTE, complete_rows, placement_warning
from ..values import parse_cell
from .tags import TaggedSpan

ENGINE = "model"
_FLOOR = 1e-6
# Leaving a figure out of its row costs more than placing it in any column (odds are floored at
# _FLOOR): figures are left out only when they outnumber the row's columns. Costs chosen on the
# development split (data/dev_split), never the benchmark.
_DROP_COST = math.log(1e-12)
# Tables come in order: one step on is cheap, a step back (stray figures after 表四) is dear.
_NEXT_TABLE, _BACK_TABLE = math.log(1e-2), math.log(1e-8)
# A row one figure short is placed by arithmetic unless the model is this many times surer of one
# place for its blank than of any other; such a placement's confidence.
_GAP_SURE, _DERIVED = 100.0, 0.6
# A row-label piece shorter than this and less sure than that is a slip, not a label (规章 is two
# characters long, so only single characters qualify; chosen on the development split).
_SLIP_CHARS, _SLIP_SCORE = 2, 0.75


def spans_to_cells(text: str, spans: list[TaggedSpan], template: str, other_form: str,
                   warnings: list[str]) -> dict[str, CellReading]:
    """One reading per cell key of the template; keys the model did not find are null, score 0."""
    index = schema.cell_index(template, other_form)
    row_columns = _row_columns(template, other_form)
    groups = _rows_of_figures(text, spans, template, other_form, row_columns, warnings)
    cells: dict[str, CellReading] = {}
    unsure_gaps = []
    for (table, row), figures in groups.items():
        columns = row_columns[(table, row)]
        chosen = _align(figures, columns)
        if len(chosen) < len(figures):
            placed = {id(f) for f in chosen.values()}
            left = [text[f.start:f.end] for f in figures if id(f) not in placed]
            warnings.append(f"{table}.{row}: {len(figures)} figures for {len(columns)} columns; left out {left}")
        keys = [_cell_key(table, row, c) for c in columns]
        for entity, figure in chosen.items():
            key = _cell_key(table, row, entity)
            cells[key] = _reading(text, figure, entity, index[key].kind)
        if table != "t4" and len(figures) == len(columns) - 1 and _gap_unsure(figures, columns):
            unsure_gaps.append((keys, figures))
    for key in index:
        cells.setdefault(key, CellReading(None, None, None, None, 0.0, ENGINE, "not found by the model"))
    _complete_unsure_rows(text, unsure_gaps, cells, schema.relations(template, other_form), warnings)
    return {key: cells[key] for key in index}


def _cell_key(table: str, row: str, entity: str) -> str:
    return entity[len("COL="):] if table == "t4" else f"{table}.{row}.{entity.split('.')[1]}"


def _rows_of_figures(text, spans, template, other_form, row_columns, warnings) -> dict[tuple[str, str], list[TaggedSpan]]:
    """(table, row) -> its figures in printed order; 表四's row is "*"."""
    spans = sorted(spans, key=lambda s: s.start)
    table_of = _tables_in_order([s for s in spans if s.entity.startswith("COL=")])
    groups: dict[tuple[str, str], list[TaggedSpan]] = {}
    current_row: dict[str, str] = {}  # table -> row key of the last row label seen
    order = {t.key: i for i, t in enumerate(schema.tables(template, other_form))}
    since_label: dict[str, int] = {}  # table -> the latest table a figure stood in since its last row label
    for span in _row_labels_merged(spans):
        kind, _, name = span.entity.partition("=")
        if kind == "ROW":
            table, row = name.split(".")
            current_row[table], since_label[table] = row, order[table]
        elif kind == "COL":
            table = table_of[id(span)]
            for labelled in since_label:
                since_label[labelled] = max(since_label[labelled], order[table])
            if since_label.get(table, order[table]) > order[table]:
                warnings.append(f"figure {text[span.start:span.end]!r} at {span.start} reads as {table} "
                                f"after a later table's; left out")
                continue
            row = "*" if table == "t4" else current_row.get(table)
            if row is not None and (table, row) in row_columns:
                groups.setdefault((table, row), []).append(span)
    _overflow_into_table_four(groups, row_columns, template, other_form)
    return groups


def _gap_unsure(figures: list[TaggedSpan], columns: list[str]) -> bool:
    """A row one figure short where the model cannot tell which column is blank: the best and the
    second-best place for the gap are within ``_GAP_SURE`` times of each other."""
    odds = [_odds(f) for f in figures]
    scores = sorted((sum(math.log(max(o.get(c, 0.0), _FLOOR)) for o, c in zip(odds, columns[:gap] + columns[gap + 1:]))
                     for gap in range(len(columns))), reverse=True)
    return scores[0] - scores[1] < math.log(_GAP_SURE)


def _complete_unsure_rows(text, rows, cells, relations, warnings) -> None:
    """Rows one figure short with the gap unknown, placed by the row's own arithmetic as the rules
    place them (verify/complete.py): converters drop cells ("予以公开 0 0 0 0 0 0": six figures for
    seven columns), and only the sums say which."""
    known = {k: c.value for k, c in cells.items()}
    printed = [(keys, [cells[k].value for k in keys if cells[k].start is not None]) for keys, _ in rows]
    for i, (values, derived) in complete_rows(printed, known, relations).items():
        keys, figures = rows[i]
        placed = iter(figures)
        for key in keys:
            if key == derived:
                note = BLANK_COLUMN_NOTE if values[key] is None else DERIVED_NOTE
                cells[key] = CellReading(values[key], None, None, None, _DERIVED, ENGINE, note)
            else:
                figure = next(placed)
                cells[key] = CellReading(values[key], figure.start, figure.end, text[figure.start:figure.end],
                                         _DERIVED, ENGINE, "placed by arithmetic")
        warnings.append(placement_warning(keys[0].rsplit(".", 1)[0], len(figures), len(keys), values, derived))


def _row_labels_merged(spans: list[TaggedSpan]) -> list[TaggedSpan]:
    """Of the row-label pieces between two figures, the last one that is no mere slip: a wrapped
    label comes in pieces, and a character or two of another row tagged without conviction ("申"
    read as the next row) must not take the figures that follow."""
    out: list[TaggedSpan] = []
    pieces: list[TaggedSpan] = []

    def flush():
        if pieces:
            solid = [p for p in pieces if p.end - p.start >= _SLIP_CHARS or p.score >= _SLIP_SCORE]
            out.append((solid or pieces)[-1])
            pieces.clear()

    for span in spans:
        if span.entity.startswith("ROW="):
            pieces.append(span)
        else:
            if span.entity.startswith("COL="):
                flush()
            out.append(span)
    flush()
    return sorted(out, key=lambda s: s.start)


def _overflow_into_table_four(groups, row_columns, template: str, other_form: str) -> None:
    """Figures beyond the last row of 表三 belong to 表四 when 表四 is short of figures: 表四 has no row
    labels, and where the model misses its heading its fifteen figures read as one more 表三 row."""
    last = ("t3", schema.tables(template, other_form)[1].rows[-1].key)
    four = groups.setdefault(("t4", "*"), [])
    surplus = groups.get(last, [])[len(row_columns[last]):]
    if surplus and len(four) < len(row_columns[("t4", "*")]):
        groups[last] = groups[last][:len(row_columns[last])]
        four[:0] = surplus


def _row_columns(template: str, other_form: str) -> dict[tuple[str, str], list[str]]:
    """(table, row) -> the row's COL= entities in printed order; 表四 is one row, "*"."""
    out: dict[tuple[str, str], list[str]] = {}
    for table in schema.tables(template, other_form):
        for row in table.rows:
            if table.key == "t4":
                out.setdefault(("t4", "*"), []).extend(f"COL=t4.{row.key}.{c.key}" for c in row.columns)
            else:
                out[(table.key, row.key)] = [f"COL={table.key}.{c.key}" for c in row.columns]
    return out


def _odds(span: TaggedSpan) -> dict[str, float]:
    return span.columns if span.columns is not None else {span.entity: 1.0}


def _tables_in_order(figures: list[TaggedSpan]) -> dict[int, str]:
    """id(figure) -> its table: the most likely sequence (Viterbi) under each figure's odds, where
    moving on to a later table costs ``_NEXT_TABLE`` and going back ``_BACK_TABLE``."""
    tables = [t.key for t in schema.tables(schema.TEMPLATES[0])]
    best, trail = [0.0] + [_NEXT_TABLE] * (len(tables) - 1), [[] for _ in tables]
    for figure in figures:
        mass = dict.fromkeys(tables, 0.0)
        for entity, p in _odds(figure).items():
            mass[entity[len("COL="):].split(".")[0]] += p
        new_best, new_trail = [], []
        for k, table in enumerate(tables):
            moves = [best[j] + (0.0 if j == k else _NEXT_TABLE if j < k else _BACK_TABLE) for j in range(len(tables))]
            j = max(range(len(tables)), key=moves.__getitem__)
            new_best.append(moves[j] + math.log(max(mass[table], _FLOOR)))
            new_trail.append(trail[j] + [table])
        best, trail = new_best, new_trail
    chosen = trail[max(range(len(tables)), key=best.__getitem__)]
    return {id(f): t for f, t in zip(figures, chosen)}


def _align(figures: list[TaggedSpan], columns: list[str]) -> dict[str, TaggedSpan]:
    """The in-order assignment of figures to columns (each at most once) with the highest summed
    log odds; figures may be left out at ``_DROP_COST`` each."""
    m, n = len(figures), len(columns)
    odds = [_odds(f) for f in figures]
    score = [[math.log(max(o.get(c, 0.0), _FLOOR)) for c in columns] for o in odds]
    # best[i][j]: figures[:i] placed within columns[:j]
    best = [[0.0] * (n + 1)] + [[-math.inf] * (n + 1) for _ in range(m)]
    move = [[""] * (n + 1) for _ in range(m + 1)]
    for i in range(m + 1):
        for j in range(n + 1):
            if i == 0 and j == 0:
                continue
            options = []
            if j > 0:
                options.append((best[i][j - 1], "skip column"))
            if i > 0:
                options.append((best[i - 1][j] + _DROP_COST, "drop figure"))
            if i > 0 and j > 0:
                options.append((best[i - 1][j - 1] + score[i - 1][j - 1], "place"))
            best[i][j], move[i][j] = max(options)
    chosen: dict[str, TaggedSpan] = {}
    i, j = m, n
    while i > 0 or j > 0:
        step = move[i][j]
        if step == "place":
            chosen[columns[j - 1]] = figures[i - 1]
            i, j = i - 1, j - 1
        elif step == "drop figure":
            i -= 1
        else:
            j -= 1
    return chosen


def _reading(text: str, figure: TaggedSpan, entity: str, kind: str) -> CellReading:
    raw = text[figure.start:figure.end]
    confidence = min(1.0, _odds(figure).get(entity, 0.0)) if figure.columns is not None else figure.score
    try:
        return CellReading(parse_cell(raw, kind), figure.start, figure.end, raw, confidence, ENGINE)
    except ValueError:
        return CellReading(None, figure.start, figure.end, raw, 0.0, ENGINE, f"unreadable figure {raw!r}")
