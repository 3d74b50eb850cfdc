"""Short rows of tables whose cells only spaces separate, placed by the layout of the spaces.

Text browsers lay an HTML table out two ways (``lynx -dump``, ``w3m -dump``, the template2019_large
reports): a table that fits the width stands in aligned columns, with a 栏次 row numbering them
("1 2 … 7", "1 … 15") in the large-format templates; a table too wide for it comes out one row a
line, cells joined by single spaces, where an empty cell (``&nbsp;`` or nothing) only widens the
gap: "1305 385   2 42" is 1305|385|blank|2|42. A row with blank cells reads short to the row
reader; here

* single-spaced tables (the table's complete rows join every figure by one space): each wider
  gap is as many blank cells as it holds extra spaces (one, or two where the empty cells print a
  space), and the blanks the line's end swallowed are the row's last cells;
* aligned tables under a 栏次 row: each figure goes to the numbered column it stands under, in
  characters or display columns, whichever the table's figures keep to;
* aligned tables whose figures all stand in a few columns a complete row confirms: each figure
  goes to the column it starts in, counted in display columns or, where the figures keep
  to those only, in characters (lynx pads cells by characters, a CJK character counting one);
* a short row under its columns' headings (表二's small tables: "信息内容  本年新制作数量 本年新公开
  数量 对外公开总数量" above "规章  0        0"): each figure goes to the heading it starts under,
  counted in characters or in display columns, whichever the row's figures keep to more closely,
  and, where the whole table's figures stand in columns in one measure only, that one.

Only rows the row reader left unsure are read again; a blank is null, never 0.
"""

from __future__ import annotations

import functools
import itertools
import re
import statistics

from .. import schema
from ..text import occurrences

from .layouts import BLANK, FIG, NULL, Item, display_column

NOTE_RUNS = "blank cells counted from the gaps between single-spaced cells"
NOTE_NUMBERING = "placed under the 栏次 row's numbered columns"
NOTE_GRID = "placed under the columns the table's figures stand in"
NOTE_HEADINGS = "placed under its columns' headings"
# How far (characters or display columns) a figure may start from its column's heading, and how
# many lines above the row the headings may stand (the table's other rows between).
HEADING_SLACK, HEADING_LINES = 2, 4
# How many lines above a row a header on two lines may stand (表三's rows between).
HEADING_BLOCK_LINES = 30
SURE = 0.9
CHARACTERS, DISPLAY = 0, 1  # how a position on a line is measured
SHIFT_COST = 0.5
# How far a table's figures may stand from the middle of the 栏次 number of their column, on
# average and at most, for the numbers to place them: farther, and the figures keep a grid of
# their own (the 总计 column's figures well left of its "7") that the numbers do not show.
NUMBERED_OFFSET, NUMBERED_FURTHEST = 1.0, 2.0
_ATTACHED = re.compile(r"[^\s]*")  # a unit or masked note glued to a figure ("3项", "2（1件逾期）")


def _filled(row) -> list[Item]:
    return [it for it in row.raw_items or () if it.kind in (FIG, NULL)]


def _gap(masked: str, end: int, start: int) -> int | None:
    """Spaces between one figure's end and the next one's start (after what is glued to the
    first); None when anything but spaces stands there."""
    between = masked[end:start]
    between = between[_ATTACHED.match(between).end():]
    return len(between) if between and set(between) == {" "} else None


def _gaps(masked: str, figures: list[Item]) -> list[int] | None:
    out = []
    for a, b in zip(figures, figures[1:]):
        g = _gap(masked, a.end, b.start)
        if g is None:
            return None
        out.append(g)
    return out


def _single_spaced(masked: str, rows, table: str) -> bool:
    """Most of the table's figures stand one space apart, and some gap is wider (the empty cells):
    text with no wider gap (a converter that drops empty cells) says nothing of where blanks were."""
    gaps = [g for r in rows if r.name.startswith(table + ".") and len({it.line for it in _filled(r)}) == 1
            for g in (_gaps(masked, _filled(r)) or ())]
    if len(gaps) < 6 or not any(g > 1 for g in gaps):
        return False
    ones = sum(g == 1 for g in gaps) / len(gaps)
    # Empty cells that print a space widen a gap by two: every gap odd (aligned columns are not so
    # regular); empty cells that print nothing by one: then most gaps must be single.
    return ones >= 0.3 and all(g % 2 == 1 for g in gaps) or ones >= 0.6


def _unit(gaps: list[int]) -> int:
    """Extra spaces per empty cell: two where every wide gap is odd (the cell prints a space)."""
    wide = [g for g in gaps if g > 1]
    return 2 if wide and all(g % 2 == 1 for g in wide) else 1


def run_cells(masked: str, row, unit: int) -> list[Item] | None:
    """The row's cells from its gaps: figures, and blanks where gaps are wide; None when the gaps
    do not come out in whole cells or give the row too many."""
    figures = _filled(row)
    if not figures or len({it.line for it in figures}) != 1:
        return None
    first = figures[0]
    line_start = masked.rfind("\n", 0, first.start) + 1
    before = masked[line_start:first.start]
    lead_gap = len(before) - len(before.rstrip(" "))
    if not before.strip() or lead_gap < 1:
        return None  # no label before the figures on their line: the gap is no cell's
    gaps = _gaps(masked, figures)
    if gaps is None or any((g - 1) % unit for g in [lead_gap] + gaps):
        return None
    cells: list[Item] = [Item(BLANK, first.start - lead_gap + 1 + k * unit, first.start - lead_gap + 1 + (k + 1) * unit, first.line)
                         for k in range((lead_gap - 1) // unit)]
    for fig, nxt, g in zip(figures, figures[1:] + [None], gaps + [None]):
        cells.append(fig)
        if nxt is not None:
            gap_start = nxt.start - g
            cells += [Item(BLANK, gap_start + 1 + k * unit, gap_start + 1 + (k + 1) * unit, fig.line) for k in range((g - 1) // unit)]
    if len(cells) > len(row.keys):
        return None
    end = figures[-1].end
    cells += [Item(BLANK, end, end, first.line)] * (len(row.keys) - len(cells))  # swallowed by the line's end
    return cells


def numbering_cells(text: str, numbering, row, measures=(DISPLAY, CHARACTERS)) -> list[Item] | None:
    """The row's cells by the numbered columns of the 栏次 row above it in the same table, measured
    in characters or in display columns (lynx pads a table by characters, w3m by display columns):
    in the table's measure (``numbering_measure``) where it has one, else whichever the row's
    figures stand under; None when none places them, or both do, differently and as closely."""
    figures = _filled(row)
    spans = _numbers_above(text, numbering, row)
    if spans is None or len(figures) >= len(row.keys):
        return None
    fits = sorted(fit for measure in measures for fit in [_under_numbers(text, figures, spans, measure)] if fit)
    if not fits:
        return None
    if len(fits) > 1 and fits[1][1] != fits[0][1] and fits[1][0] - fits[0][0] < 1:
        return None  # both measures place the figures as closely, and differently
    by_column = dict(zip(fits[0][1], figures))
    end = figures[-1].end
    return [by_column.get(i, Item(BLANK, end, end, figures[0].line)) for i in range(len(row.keys))]


def _numbers_above(text: str, numbering, row) -> tuple[tuple[int, int], ...] | None:
    """The spans of the numbers of the 栏次 row above the row's figures (all on one line), one
    number a cell of the row, on one line; None when there is none."""
    figures = _filled(row)
    if not figures or len({it.line for it in figures}) != 1:
        return None
    above = [n for n in numbering if len(n.spans) == len(row.keys) and n.end <= figures[0].start]
    if not above or len({text.count("\n", 0, s) for s, _ in above[-1].spans}) != 1:
        return None  # none, or numbers one a line: no columns to stand under
    return above[-1].spans


def numbering_measure(text: str, numbering, rows, table: str) -> tuple[int, ...]:
    """The measures to place the table's rows under its 栏次 numbers in: the one in which its rows'
    figures stand closer to the numbers, on average by half a column or more; both when neither
    does. A row's figures may fit either measure by chance (a zero under "5" in display columns
    and between "3" and "4" in characters); the table's figures together say how it was laid out."""
    offsets: dict[int, list[float]] = {DISPLAY: [], CHARACTERS: []}
    for row in rows:
        spans = _numbers_above(text, numbering, row) if row.name.startswith(table + ".") else None
        if spans is None:
            continue
        for measure, found in offsets.items():
            centres = [_middle(text, s, e, measure) for s, e in spans]
            found += [min(abs(_middle(text, f.start, f.end, measure) - c) for c in centres) for f in _filled(row)]
    if not offsets[DISPLAY]:
        return (DISPLAY, CHARACTERS)
    mean = {m: sum(found) / len(found) for m, found in offsets.items()}
    if abs(mean[DISPLAY] - mean[CHARACTERS]) < 0.5:
        return (DISPLAY, CHARACTERS)
    best = min(mean, key=mean.get)
    return (best,) if mean[best] <= NUMBERED_OFFSET and max(offsets[best]) <= NUMBERED_FURTHEST else ()


def _middle(text: str, start: int, end: int, measure: int) -> float:
    """Where ``text[start:end]`` (on one line) stands on its line, its middle, in ``measure``."""
    return (_position(text, start, measure) + _position(text, end, measure)) / 2


def _under_numbers(text: str, figures: list[Item], spans, measure: int) -> tuple[float, tuple[int, ...]] | None:
    """How far in all the figures stand from the centres of the numbers they go under (in order,
    each to the nearest that keeps the order) and which they go under, in ``measure``; None when
    they stand, on average, further than a third of the numbers' usual spacing from them."""
    centres = [_middle(text, s, e, measure) for s, e in spans]
    xs = [_middle(text, f.start, f.end, measure) for f in figures]
    cost, columns = min((sum(abs(x - centres[c]) for x, c in zip(xs, cols)), cols)
                        for cols in itertools.combinations(range(len(centres)), len(figures)))
    # The usual spacing: the last columns of a table too wide for the screen stand squeezed ("6 7").
    spacing = statistics.median(b - a for a, b in zip(centres, centres[1:]))
    return (cost, columns) if cost / len(figures) <= spacing / 3 else None


@functools.cache
def _column_labels() -> dict[str, tuple[str, ...]]:
    """Each cell key's column headings as the templates print them, the longest first (2021's
    "本年处理决定数量" is 2019's "处理决定数量" of the same key)."""
    out: dict[str, set[str]] = {}
    for t in schema.TEMPLATES:
        for f in schema.OTHER_FORMS:
            for c in schema.cells(t, f):
                out.setdefault(c.key, set()).add(c.column_label)
    return {key: tuple(sorted(labels, key=len, reverse=True)) for key, labels in out.items()}


def heading_cells(text: str, row, rows=(), measures: set[int] | None = None) -> list[Item] | None:
    """The row's cells by the headings of its columns on a line above it: each figure starts
    under one heading (within ``HEADING_SLACK``), in order, measured in characters or in display
    columns (the two layouts text browsers make), the measure every other row under the same
    headings keeps to and, where the table's figures stand in columns in one measure only
    (``measures``, ``table_measures``), that one; None when neither places them all, or both do,
    differently and as closely."""
    figures = _filled(row)
    if not figures or len({it.line for it in figures}) != 1 or len(figures) >= len(row.keys):
        return None
    if any(not text[f.start - 1:f.start].isspace() for f in figures):
        return None  # a figure glued to the label or to another ("规章3012"): no column of its own
    heading = _heading_line(text, row)
    if heading is None:
        return None
    fits = _heading_fits(text, row, heading)
    for other in rows:  # a measure another row under these headings does not keep to is not the table's
        if other is not row and _filled(other) and len(other.keys) == len(row.keys) \
                and len({it.line for it in _filled(other)}) == 1 and _heading_line(text, other) == heading:
            theirs = _heading_fits(text, other, heading)
            fits = {m: fit for m, fit in fits.items() if m in theirs}
    if measures is not None and len(measures) == 1:
        # Headings stand over their columns only roughly (lynx centres or shifts a heading cell
        # by a character or two): a closer fit in the measure the table's figures do not keep
        # to is chance ("99" two characters left of 处理决定数量 and one display column right of
        # 本年增/减).
        fits = {m: fit for m, fit in fits.items() if m in measures}
    if not fits:
        return None
    ranked = sorted(fits.values())
    if len(ranked) > 1 and ranked[1][1] != ranked[0][1] and ranked[1][0] - ranked[0][0] < 1:
        return None  # both measures place the figures as closely, and differently
    by_column = dict(zip(ranked[0][1], figures))
    end = figures[-1].end
    return [by_column.get(i, Item(BLANK, end, end, figures[0].line)) for i in range(len(row.keys))]


def _heading_line(text: str, row) -> tuple[tuple[int, ...], ...] | None:
    """Where the headings of the row's columns stand above its figures, by column: on one line at
    most ``HEADING_LINES`` up that prints them in order, one place each; else on two consecutive
    lines of the table's header at most ``HEADING_BLOCK_LINES`` up (a heading over several columns
    on the first, theirs on the second: "自然人  法人或其他组织  总计" over "商业企业 科研机构 …"),
    every place each is printed there (``_heading_fits`` takes them in order, by measure)."""
    figures = _filled(row)
    return _headings_above(text, figures[0].start, tuple(row.keys)) if figures else None


@functools.lru_cache(maxsize=128)  # a report's rows: few texts kept
def _headings_above(text: str, pos: int, keys: tuple[str, ...]) -> tuple[tuple[int, ...], ...] | None:
    """``_heading_line`` of the row whose figures start at ``pos``: asked once per row, not once
    per row for every other row of its table (``heading_cells``)."""
    labels = [_column_labels().get(key) for key in keys]
    if None in labels:
        return None
    lines = _lines_above(text, pos, HEADING_BLOCK_LINES)
    for start, line in lines[:HEADING_LINES]:
        at, starts = 0, []
        for variants in labels:
            found = next(((i, len(v)) for v in variants for i in [line.find(v, at)] if i >= 0), None)
            if found is None:
                break
            starts.append((start + found[0],))
            at = found[0] + found[1]
        if len(starts) == len(labels):
            return tuple(starts)
    for (start, line), (upper_start, upper) in zip(lines, lines[1:]):
        places = []
        for variants in labels:
            mine = sorted(at + i for at, words in ((upper_start, upper), (start, line)) for v in variants for i in occurrences(words, v))
            if not mine:
                break  # a heading neither line prints: most pairs stop at the first
            places.append(tuple(mine))
        if len(places) == len(labels) and any(p >= start for ps in places for p in ps):
            return tuple(places)
    return None


def _lines_above(text: str, pos: int, count: int) -> list[tuple[int, str]]:
    """The ``count`` lines above the one ``pos`` stands on, nearest first: (start, line)."""
    out = []
    above = text.rfind("\n", 0, pos) + 1
    while above > 0 and len(out) < count:
        above = text.rfind("\n", 0, above - 1) + 1
        end = text.find("\n", above)
        out.append((above, text[above:end if end >= 0 else len(text)]))
    return out


def _heading_fits(text: str, row, heading: tuple[tuple[int, ...], ...]) -> dict[int, tuple[float, tuple[int, ...]]]:
    """By measure (0: characters, 1: display columns): how far the row's figures stand from the
    headings they start under, in all, and the columns they go to; a measure in which the headings
    do not stand in order, or that leaves a figure under no heading, or two under one, is left out."""
    figures = _filled(row)
    out = {}
    for m in (CHARACTERS, DISPLAY):
        heads: list[float] = []
        for places in heading:  # each column's first place right of the previous column's
            x = next((x for x in sorted(_position(text, p, m) for p in places) if not heads or x > heads[-1]), None)
            if x is None:
                break
            heads.append(x)
        if len(heads) < len(heading):
            continue
        xs = [_position(text, f.start, m) for f in figures]
        columns = [min(range(len(heads)), key=lambda j: abs(x - heads[j])) for x in xs]
        # A figure as far from two headings (squeezed columns: "45" two from 其他 and from 总计) stands under neither.
        between = any(sorted(abs(x - h) for h in heads)[1] - abs(x - heads[j]) < 1 for x, j in zip(xs, columns))
        if not between and all(abs(x - heads[j]) <= HEADING_SLACK for x, j in zip(xs, columns)) and columns == sorted(set(columns)):
            out[m] = (sum(abs(x - heads[j]) for x, j in zip(xs, columns)), tuple(columns))
    return out


def _position(text: str, pos: int, measure: int) -> float:
    """Where ``pos`` stands on its line: in characters or display columns (CJK counts two)."""
    return pos - text.rfind("\n", 0, pos) - 1 if measure == CHARACTERS else display_column(text, pos)


def _starts(text: str, figures: list[Item], measure: int = DISPLAY) -> list[float]:
    """Where the figures start on their line: in display columns (CJK counts two) or characters."""
    return [_position(text, it.start, measure) for it in figures]


def grid_starts(text: str, masked: str, rows, table: str) -> tuple[int, list[float]] | None:
    """How an aligned table's figure columns are measured and where they start: the starts of its
    rows' figures, grouped, in display columns or, where those do not group, in characters (a
    layout that pads by characters, CJK counting one); a column needs two rows' figures. None
    when they group cleanly in neither."""
    for measure in (DISPLAY, CHARACTERS):
        cols = _grid_starts(text, rows, table, measure)
        if cols is not None:
            return measure, cols
    return None


def _column_groups(text: str, rows, table: str, measure: int) -> list[list[float]] | None:
    """The starts of the table's figures (rows on one line) in ``measure``, grouped where they
    stand within one of each other; None when a figure stands where no other does (the rows do
    not share one grid in that measure) or all stand in one group."""
    starts = []
    for r in rows:
        figures = _filled(r)
        if r.name.startswith(table + ".") and figures and len({it.line for it in figures}) == 1:
            starts += _starts(text, figures, measure)
    groups: list[list[float]] = []
    for x in sorted(starts):
        if groups and x - groups[-1][-1] <= 1:
            groups[-1].append(x)
        else:
            groups.append([x])
    if len(groups) < 2 or any(len(g) < 2 for g in groups):
        return None
    return groups


def table_measures(text: str, rows, table: str) -> set[int]:
    """The measures (``CHARACTERS``, ``DISPLAY``) in which every figure of the table stands in a
    column with another row's figure: text browsers pad a table's cells by display columns or
    (lynx) by characters, and in the other measure labels of other widths scatter the figures."""
    return {m for m in (CHARACTERS, DISPLAY) if _column_groups(text, rows, table, m) is not None}


def _grid_starts(text: str, rows, table: str, measure: int) -> list[float] | None:
    groups = _column_groups(text, rows, table, measure)
    if groups is None:
        return None  # a figure standing where no other does: the rows do not share one grid
    cols = [sum(g) / len(g) for g in groups]
    # The grid must be the one every complete row stands in (text browsers push and squeeze the
    # rows of wide tables, and lay a table's sub-blocks out apart).
    complete = [_starts(text, _filled(r), measure) for r in rows if r.name.startswith(table + ".")
                and len(_filled(r)) == len(r.keys) == len(cols) and len({it.line for it in _filled(r)}) == 1]
    if complete:
        return cols if all(abs(x - c) <= 1 for xs in complete for x, c in zip(xs, cols)) else None
    # No complete row (a table of many blank cells): the figures' columns are the table's when
    # there are as many as each of its rows has cells, every column with a figure of two rows.
    widths = {len(r.keys) for r in rows if r.name.startswith(table + ".")}
    return cols if widths == {len(cols)} else None


def grid_cells(text: str, masked: str, row, grid: tuple[int, list[float]]) -> list[Item] | None:
    """The row's cells by the table's column starts; a row whose label runs into the first column
    is pushed right as a whole (the shift tried from each column its first figure could be)."""
    figures = _filled(row)
    n = len(row.keys)
    measure, cols = grid
    if not figures or len({it.line for it in figures}) != 1 or len(figures) >= n or len(cols) < n:
        return None
    cols = cols[:n]
    xs = _starts(text, figures, measure)
    # A row may stand shifted as a whole (its label pushing it right, a narrower label cell): every
    # shift that puts a figure on a column start is tried, a shift costing half a column per figure.
    shifts = {0.0} | {x - c for x in xs for c in cols}
    spacing = min(b - a for a, b in zip(cols, cols[1:]))
    best = None
    for d in shifts:
        for chosen in itertools.combinations(range(n), len(figures)):
            off = sum(abs(x - cols[j] - d) for x, j in zip(xs, chosen))
            cost = off + SHIFT_COST * abs(d)
            if best is None or cost < best[0]:
                best = (cost, chosen, off)
    if best is None or best[2] / len(figures) > spacing / 4:
        return None
    by_column = dict(zip(best[1], figures))
    end = figures[-1].end
    return [by_column.get(i, Item(BLANK, end, end, figures[0].line)) for i in range(n)]


def holds_as_zero(keys: list[str], values: list, relations) -> bool:
    """The row's own relations hold with its blanks read as zero (what the tables' notes say)."""
    known = {k: (0 if v is None else v) for k, v in zip(keys, values)}
    own = [r for r in relations if set(r.keys) <= set(keys)]
    return not any(r.broken(known) for r in own)


def _table_layout(text: str, masked: str, rows, table: str) -> tuple[bool, int, tuple[int, list[float]] | None]:
    """Whether the table is single-spaced, spaces per empty cell, and its column starts."""
    gaps = [g for r in rows if r.name.startswith(table + ".") for g in (_gaps(masked, _filled(r)) or ())]
    return _single_spaced(masked, rows, table), _unit(gaps), grid_starts(text, masked, rows, table)


def reread(text: str, masked: str, numbering, rows, cells: dict, read, relations, warnings: list[str]) -> None:
    """Rows read unsurely, read again by the spaces of their line (``run_cells``) or by the 栏次
    row's columns (``numbering_cells``). ``read(item, cell_kind, confidence, note)`` makes a
    cell reading."""
    spaced, units, grids, measures, numbered = {}, {}, {}, {}, {}  # of a table, worked out once one of its rows needs them
    for row in rows:
        if row.raw_items is None or row.segment is None:
            continue
        if all(key in cells and cells[key].confidence >= SURE for key in row.keys):
            continue
        table = row.name.split(".")[0]
        if any(ch in masked[slice(*row.segment)] for ch in "\t│┃║|"):
            continue
        if table not in spaced:
            spaced[table], units[table], grids[table] = _table_layout(text, masked, rows, table)
        how = run_cells(masked, row, units[table]) if spaced[table] else None
        note = NOTE_RUNS
        if how is None:
            if table not in numbered:
                numbered[table] = numbering_measure(text, numbering, rows, table)
            how, note = numbering_cells(text, numbering, row, numbered[table]), NOTE_NUMBERING
        if how is None and not spaced[table] and grids.get(table):
            how, note = grid_cells(text, masked, row, grids[table]), NOTE_GRID
        if how is None:
            if table not in measures:
                measures[table] = table_measures(text, rows, table)
            how, note = heading_cells(text, row, rows, measures[table]), NOTE_HEADINGS
        if how is None:
            continue
        readings = [read(it, kind, SURE, note) for it, kind in zip(how, row.kinds)]
        if not holds_as_zero(row.keys, [r.value for r in readings], relations):
            readings = [read(it, kind, 0.5, note + "; the row's sum does not hold") for it, kind in zip(how, row.kinds)]
        before = [cells.get(k) for k in row.keys]
        if all(b is not None for b in before) and [r.value for r in readings] == [b.value for b in before] \
                and min(r.confidence for r in readings) <= min(b.confidence for b in before):
            continue  # the same row, no surer: the first reading stands
        for key, reading in zip(row.keys, readings):
            cells[key] = reading
        warnings[:] = [w for w in warnings if not w.startswith(row.name + ": ")] + [f"{row.name}: {note}"]
