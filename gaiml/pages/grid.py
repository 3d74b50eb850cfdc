"""A ruled table as a grid: cells with row and column spans, built from the cells' boxes.

Both readers find the boxes of a table's cells (a merged cell is one box): the text-layer
reader from the PDF's ruling lines (pdfplumber), the scan reader from the lines drawn in the
image. The grid is the same arithmetic for both: the distinct left/right edges are the column
borders, the distinct top/bottom edges the row borders, and a box covers the slots between its
own edges.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]  # x0, top, x1, bottom: PDF points from the page's top-left

# Edges closer than this (points) are one border: ruling lines have width, scans wobble.
EDGE_TOLERANCE = 3.0


@dataclass
class TableCell:
    """One drawn cell: its first row and column, how many it spans, where it stands, its text."""

    row: int
    col: int
    rowspan: int
    colspan: int
    box: Box
    page: int
    text: str = ""


@dataclass
class DrawnTable:
    """A table as drawn; ``cells`` in reading order (row, then column). ``col_edges`` are the
    x positions of the column borders, ``n_cols + 1`` of them."""

    page: int
    n_rows: int
    n_cols: int
    cells: list[TableCell]
    col_edges: list[float] = field(default_factory=list)

    @property
    def box(self) -> Box:
        boxes = [c.box for c in self.cells if c.page == self.page]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))

    @property
    def last_page(self) -> int:
        return max(c.page for c in self.cells)

    def rows(self) -> list[list[TableCell]]:
        """The cells that start in each row, left to right (a spanning cell only in its first row)."""
        out: list[list[TableCell]] = [[] for _ in range(self.n_rows)]
        for cell in self.cells:
            out[cell.row].append(cell)
        return [sorted(r, key=lambda c: c.col) for r in out]


def _borders(values: list[float], tolerance: float) -> list[float]:
    """Distinct positions: sorted values closer than ``tolerance`` to the previous one join it."""
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tolerance:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def _nearest(borders: list[float], value: float) -> int:
    i = bisect_left(borders, value)
    if i == len(borders) or (i > 0 and value - borders[i - 1] < borders[i] - value):
        i -= 1
    return i


def table_from_boxes(boxes: list[Box], page: int, tolerance: float = EDGE_TOLERANCE) -> DrawnTable:
    """The grid of a table whose cells have these boxes (one box per drawn cell, merged cells
    whole). Boxes too thin to hold text (under ``tolerance`` either way) are dropped."""
    boxes = [b for b in boxes if b[2] - b[0] > tolerance and b[3] - b[1] > tolerance]
    if not boxes:
        raise ValueError("a table needs at least one cell box")
    xs = _borders([x for b in boxes for x in (b[0], b[2])], tolerance)
    ys = _borders([y for b in boxes for y in (b[1], b[3])], tolerance)
    cells = []
    for box in boxes:
        col, col_end = _nearest(xs, box[0]), _nearest(xs, box[2])
        row, row_end = _nearest(ys, box[1]), _nearest(ys, box[3])
        cells.append(TableCell(row, col, max(1, row_end - row), max(1, col_end - col), box, page))
    cells.sort(key=lambda c: (c.row, c.col))
    return DrawnTable(page, len(ys) - 1, len(xs) - 1, cells, xs)


def continues(previous: DrawnTable, table: DrawnTable, tolerance: float = 2 * EDGE_TOLERANCE) -> bool:
    """True when ``table`` reads as the rest of ``previous`` carried onto the next page: every
    column border of it stands on one of ``previous``'s, and they span the same width."""
    if table.page != previous.last_page + 1:
        return False
    edges = previous.col_edges
    if abs(table.col_edges[0] - edges[0]) > tolerance or abs(table.col_edges[-1] - edges[-1]) > tolerance:
        return False
    return all(abs(edges[_nearest(edges, x)] - x) <= tolerance for x in table.col_edges)


# A row label of an enumerated table starts with its number: 一、 （三） 2. — the rest of a row
# broken over a page starts with none.
_ENUMERATED = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+\s*[.．、])")


def join_lines(lines: list[str]) -> str:
    """A wrapped cell's lines as one: Chinese and figures wrap without a space (a narrow cell
    breaks "2259" into "225" and "9"), Latin words with one."""
    out = ""
    for line in (" ".join(line.split()) for line in lines):
        if not line:
            continue
        if out and out[-1].isascii() and out[-1].isalpha() and line[0].isascii() and line[0].isalpha():
            out += " "
        out += line
    return out


def join(previous: DrawnTable, table: DrawnTable) -> DrawnTable:
    """``previous`` with ``table``'s rows appended, on ``previous``'s columns. Leading rows that
    repeat ``previous``'s header (same texts in the same columns) are left out, and a first row
    that is the rest of ``previous``'s last row, broken over the page (Word and LibreOffice break
    a tall row: "8016" stays on one page, "4" goes to the next), is joined back into it."""
    edges = previous.col_edges
    rows = table.rows()

    def placed(cell: TableCell) -> tuple[int, int]:
        col = _nearest(edges, cell.box[0])
        return col, max(1, _nearest(edges, cell.box[2]) - col)

    def texts(row: list[TableCell], where=placed) -> list[tuple]:
        return [(where(c), c.text) for c in row]

    first_rows = previous.rows()
    repeated = 0
    while (repeated < len(rows) and repeated < len(first_rows) and rows[repeated]
           and texts(rows[repeated]) == texts(first_rows[repeated], lambda c: (c.col, c.colspan))):
        repeated += 1
    cells = list(previous.cells)
    broken = repeated < len(rows) and _rest_of_row(previous, rows[repeated])
    first = repeated + broken  # the table's first row that starts a row of its own
    for cell in table.cells:
        if cell.row < repeated:
            continue
        col, colspan = placed(cell)
        row, rowspan, text = cell.row, cell.rowspan, cell.text
        if row < first:  # the rest of the broken row: its text joins the cell above
            above = _cell_at(previous, previous.n_rows - 1, col)
            if above is not None:
                above.text = join_lines([above.text, text])
            if rowspan == 1:
                continue
            row, rowspan, text = first, rowspan - 1, ""  # a merged cell running on below it
        cells.append(TableCell(previous.n_rows + row - first, col, rowspan, colspan, cell.box, cell.page, text))
    n_rows = previous.n_rows + table.n_rows - first
    return DrawnTable(previous.page, n_rows, previous.n_cols, cells, edges)


def _rest_of_row(previous: DrawnTable, first_row: list[TableCell]) -> bool:
    """A carried-over table's first row is the rest of the row before the page break when the
    table numbers its rows (the last row's label starts 1. （三） 二、) and this row starts with
    no number."""
    last = [c for c in previous.cells if c.row <= previous.n_rows - 1 < c.row + c.rowspan]
    numbered = any(_ENUMERATED.match(c.text) for c in last if c.row == previous.n_rows - 1)
    return numbered and not any(_ENUMERATED.match(c.text) for c in first_row)


def _cell_at(table: DrawnTable, row: int, col: int) -> TableCell | None:
    for cell in table.cells:
        if cell.row <= row < cell.row + cell.rowspan and cell.col <= col < cell.col + cell.colspan:
            return cell
    return None
