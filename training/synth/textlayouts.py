"""Layouts written directly as text, copying what users paste from Word/WPS documents.

- ``tabs``: one table row per line, cells joined by tabs, cells covered by a row span left empty;
  stray blank lines and a page break that repeats the row-group captions with spaces inside
  (seed 000: "三、本 年度办 理结果\t(三) 不 予公开\t5. 属于三类内部事务信息\t0...").
- ``cell_lines``: one cell per line, indented by a tab, rows separated by blank lines, wrapped
  header cells continued on an unindented line (seed 003).
- ``pipes``: every cell followed by " |", the row's last cell by a run of "|" (seed 004).
- ``markdown``: a pipe table with a header rule, merged cells left empty.
"""

from __future__ import annotations

from .doc import GridCell, Layout, Para, Table


def place(table: Table) -> list[list[GridCell | None]]:
    """Grid slots: the cell that starts in each (row, column), None where a span covers it."""
    grid: list[list[GridCell | None]] = [[None] * table.ncols for _ in table.rows]
    taken = [[False] * table.ncols for _ in table.rows]
    for r, row in enumerate(table.rows):
        c = 0
        for cell in row:
            while c < table.ncols and taken[r][c]:
                c += 1
            grid[r][c] = cell
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if r + dr < len(taken) and c + dc < table.ncols:
                        taken[r + dr][c + dc] = True
            c += cell.colspan
    return grid


def _para_lines(block: Para, rng) -> list[str]:
    return [block.text, ""] if rng.random() < 0.7 else [block.text]


def layout_to_text(layout: Layout, rng, table_fn) -> str:
    """Prose as paragraphs separated by blank lines; each table through ``table_fn``."""
    lines = ["", layout.title.text, ""] if rng.random() < 0.5 else [layout.title.text]
    for block in layout.blocks:
        if isinstance(block, Table):
            lines += table_fn(block, rng) + [""]
        else:
            lines += _para_lines(block, rng)
    return "\n".join(lines)


def tabs_table(table: Table, rng) -> list[str]:
    grid = place(table)
    out = []
    trailing = "\t" if rng.random() < 0.5 else ""
    for r, _ in enumerate(table.rows):
        slots = _slots(grid, r)
        if r > table.header_rows + 2 and rng.random() < 0.06:
            out.append("")  # a page break; in 表三 it repeats the group captions, re-wrapped
            for i, owner in enumerate(_owners(table, grid, r)[:2]):
                if owner is not None and grid[r][i] is None:
                    slots[i] = _spaced(rng, owner.text)
        line = "\t".join(slots) + trailing
        if rng.random() < 0.04:  # a stray break: the row loses its leading empty slots
            line = line.lstrip("\t")
        out.append(line)
    return out


def _slots(grid, r) -> list[str]:
    """One slot per printed column: a cell's text where it starts, "" under a row span."""
    slots = []
    c = 0
    row = grid[r]
    while c < len(row):
        cell = row[c]
        if cell is not None:
            slots.append(cell.text)
            c += cell.colspan
        else:
            slots.append("")
            c += 1
    return slots


def _owners(table: Table, grid, r) -> list[GridCell | None]:
    """For each column of row r, the cell covering it (looking up through row spans)."""
    out = []
    for c in range(table.ncols):
        owner = None
        for rr in range(r, -1, -1):
            cell = grid[rr][c]
            if cell is not None:
                owner = cell if rr + cell.rowspan > r else None
                break
        out.append(owner if owner is not None and owner.role == "group" else None)
    return out


def _spaced(rng, text: str) -> str:
    """Wrapped cell text pasted back as one line: spaces where the lines broke."""
    step = int(rng.integers(2, 5))
    return " ".join(text[i:i + step] for i in range(0, len(text), step))


def cell_lines_table(table: Table, rng) -> list[str]:
    grid = place(table)
    out = []
    for r, _ in enumerate(table.rows):
        for text in _slots(grid, r):
            if len(text) > 3 and r < table.header_rows and rng.random() < 0.5 and " " not in text:
                cut = len(text) // 2  # a wrapped header cell: the continuation is not indented
                out += ["\t" + text[:cut], text[cut:]]
            else:
                out.append("\t" + text)
        out.append("")
    return out


def pipes_table(table: Table, rng) -> list[str]:
    grid = place(table)
    out = []
    for r, row in enumerate(table.rows):
        texts = [c.text for c in row]
        missing = table.ncols - len(texts)
        for i, text in enumerate(texts):
            if i == len(texts) - 1:
                out.append(text + " |" + (" " + "|" * missing if missing > 0 else ""))
            else:
                out.append(text + " |")
    return out


def markdown_table(table: Table, rng) -> list[str]:
    grid = place(table)
    lines = []
    for r, _ in enumerate(table.rows):
        cells = []
        c = 0
        while c < table.ncols:
            cell = grid[r][c]
            cells.append(cell.text if cell else "")
            cells += [""] * ((cell.colspan if cell else 1) - 1)
            c += cell.colspan if cell else 1
        lines.append("| " + " | ".join(cells) + " |")
        if r == 0:
            lines.append("|" + "---|" * table.ncols)
    return lines


TEXT_LAYOUTS = {
    "tabs": tabs_table,
    "cell_lines": cell_lines_table,
    "pipes": pipes_table,
    "markdown": markdown_table,
}
