"""Rows of box-drawn tables whose cells wrap over several lines.

A text browser draws a bordered table too wide for its screen with box characters (``w3m -dump``):
every cell keeps its column between the same "│" on each line, a label or a note too long for its
cell wraps onto the next lines, and a rule line ("├───┼───┤") closes each table row:

    │一、本年新收政府信息公开申请数 │   │        │   │     │     │      │1103（其中│
    │量                             │973│91      │   │7    │0    │32    │1028件为转│
    │                               │   │        │   │     │     │      │办）      │
    ├───────────────────────────────┼───┼────────┼───┼─────┼─────┼──────┼──────────┤

Read as a stream of cells, such a row holds its empty cells once per line. Here each of the row's
cells is the column between its two "│", over all the lines of the table row: its one figure or
null marker, or, with none, a blank. Rows that wrap are read so whatever the row reader made of
them (it reads a wrapped row's figures line by line: "6（其中3" above "51" as 6, 51); rows on one
line only where it left them unsure.
"""

from __future__ import annotations

from .layouts import _FILLER, BLANK, FIG, NULL, Item, _line_columns, items_between
from .spaced import holds_as_zero

NOTE = "read by the columns of its box-drawn table row"
SURE = 0.9
_BAR = "│"
_RULE_ENDS = set("┤┘┐┼╋─━" + _FILLER)
_RULE_CHARS = set("─━┼┬┴├┤┌┐└┘╋┿╂ " + _FILLER)  # the masking fills runs of "─"


def _bars(text: str, line_start: int) -> dict[int, int]:
    """The "│" of the line at ``line_start`` by display column (CJK counting two, as text browsers
    lay tables out: measured in the text as printed, not in the masked one, whose filler stands for
    CJK notes one column wide), each with its offset in the text."""
    columns = _line_columns(text, line_start)
    line = text[line_start:_end_of_line(text, line_start)]
    return {columns[i]: line_start + i for i, ch in enumerate(line) if ch == _BAR}


def table_row(text: str, masked: str, label_at: int, n: int) -> tuple[list[int], list[dict[int, int]]] | None:
    """The box-drawn table row with a character of its label at ``label_at``: the display columns
    of the "│" its ``n`` cells stand between, and the "│" of each of its lines, top to bottom; None
    when the row is not drawn so."""
    line_start = masked.rfind("\n", 0, label_at) + 1
    bars = _bars(text, line_start)
    if len(bars) < n + 2:
        return None
    columns = sorted(bars)[-n - 1:]  # the row's cells stand between these, on every line of the table row
    lines = [bars]
    for step in (-1, 1):  # the lines above and below that continue the table row
        at = line_start
        while True:
            at = _previous_line(masked, at) if step < 0 else _next_line(masked, at)
            if at is None:
                break
            if _rule(text, masked, at, columns[0]):
                break
            theirs = _bars(text, at)
            if any(c not in theirs for c in columns):
                return None  # a line of another layout: the row is not drawn in these columns
            lines.append(theirs)
    lines.sort(key=lambda b: min(b.values()))
    return columns, lines


def row_cells(text: str, masked: str, columns: list[int], lines: list[dict[int, int]]) -> list[Item] | None:
    """The cells of a table row (``table_row``): each column's figure or null marker over all its
    lines, or a blank; None when a column holds more than one figure."""
    cells = []
    for left, right in zip(columns, columns[1:]):
        found, before = [], ""  # the column's text so far, over its lines
        for b in lines:
            start, end = b[left] + 1, b[right]
            for it in items_between(masked, start, end, True):
                # A figure inside a note the cell opened ("1054（679" above "件逾期）") is the note's.
                if it.kind in (FIG, NULL) and not _inside_note(before + text[start:it.start]):
                    found.append(it)
            before += text[start:end]
        if len(found) > 1:
            return None
        first = lines[0][left] + 1
        cells.append(found[0] if found else Item(BLANK, first, first, masked.count("\n", 0, first)))
    return cells


def _between_rules(masked: str, pos: int) -> bool:
    """The line of ``pos`` has a rule line right above and right below it (a line that ends in a
    rule character, not in the "│" that closes a line of cells)."""
    start = masked.rfind("\n", 0, pos) + 1
    above, below = _previous_line(masked, start), _next_line(masked, start)
    return (above is not None and below is not None
            and masked[above:start - 1].rstrip()[-1:] in _RULE_ENDS
            and masked[below:_end_of_line(masked, below)].rstrip()[-1:] in _RULE_ENDS)


def _inside_note(printed: str) -> bool:
    """The cell's text so far opened a bracket it has not closed."""
    return printed.count("（") + printed.count("(") > printed.count("）") + printed.count(")")


def _rule(text: str, masked: str, line_start: int, first_column: int) -> bool:
    """A line that closes the table row: rule characters only where the row's cells stand (from
    display column ``first_column`` on)."""
    columns = _line_columns(text, line_start)
    line = masked[line_start:_end_of_line(masked, line_start)]
    tail = "".join(ch for i, ch in enumerate(line) if columns[i] >= first_column)
    return bool(tail.strip()) and set(tail) <= _RULE_CHARS


def _end_of_line(masked: str, start: int) -> int:
    end = masked.find("\n", start)
    return len(masked) if end < 0 else end


def _previous_line(masked: str, start: int) -> int | None:
    return None if start == 0 else masked.rfind("\n", 0, start - 1) + 1


def _next_line(masked: str, start: int) -> int | None:
    end = masked.find("\n", start)
    return None if end < 0 else end + 1


def reread(text: str, masked: str, picked: dict, rows, cells: dict, read, relations, warnings: list[str]) -> None:
    """Rows of box-drawn tables that wrap over several lines, and rows on one line read unsurely,
    read again by the columns of their table row. ``read(item, cell_kind, confidence, note)``
    makes a cell reading."""
    if _BAR not in masked:
        return
    for row in rows:
        occurrence = picked.get(row.name)
        if occurrence is None:
            continue
        # Read surely and its sum holding: a row whose blank the row reader missed takes a figure
        # from past the table ("…申请59件" under it) and breaks its sum.
        sure = (all(key in cells and cells[key].confidence >= SURE for key in row.keys)
                and holds_as_zero(row.keys, [cells[key].value for key in row.keys], relations))
        # The label's last character: a label found approximately may start in the table row
        # above ("卷 │…├───┤ │8.属于行政查询事" for 8.属于行政查询事项), never end there.
        label_end = occurrence.end - 1
        if sure and _between_rules(masked, label_end):
            continue  # a row on one line, read surely: found before the columns are measured
        drawn = table_row(text, masked, label_end, len(row.keys))
        if drawn is None:
            continue
        if len(drawn[1]) == 1 and sure:
            continue  # a row on one line: the row reader read it so
        how = row_cells(text, masked, *drawn)
        if how is None:
            continue
        readings = [read(it, kind, SURE, NOTE) for it, kind in zip(how, row.kinds)]
        if not holds_as_zero(row.keys, [r.value for r in readings], relations):
            readings = [read(it, kind, 0.5, NOTE + "; the row's sum does not hold") for it, kind in zip(how, row.kinds)]
        if all(key in cells and cells[key].value == r.value and cells[key].start == r.start for key, r in zip(row.keys, readings)):
            continue  # the row reader read it so: its reading stands
        for key, reading in zip(row.keys, readings):
            cells[key] = reading
        warnings[:] = [w for w in warnings if not w.startswith(row.name + ": ")] + [f"{row.name}: {NOTE}"]
