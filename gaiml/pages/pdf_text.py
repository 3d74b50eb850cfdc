"""A PDF page with a text layer: ruled tables by their drawn lines (pdfplumber's table finder),
every character put into the cell that holds it, the rest of the page as text in reading order."""

from __future__ import annotations

import re
import unicodedata

from .grid import DrawnTable, join_lines, table_from_boxes
from .render import PageContent, PageInfo

# pdfplumber's table finder on drawn lines only: text alignment would invent tables in prose.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3,
                  "join_tolerance": 3, "intersection_tolerance": 3}
# A table needs this many cells: a box drawn around a paragraph is not one.
MIN_TABLE_CELLS = 4
# A page image with fewer characters than this over it is a scan without a text layer.
MIN_TEXT_LAYER = 20
# Characters of one line differ in their top by less than this share of their height.
SAME_LINE = 0.5

_UNMAPPED = re.compile(r"\(cid:\d+\)")


def text_layer_problem(page) -> str | None:
    """Why this page's text layer cannot be read (None when it can): an image with no text (a scan),
    glyphs without a Unicode map (private-use, replacement or (cid:N) characters), or no Chinese
    where a report page must have some."""
    printable = [c["text"] for c in page.chars if c["text"].strip()]
    if len(printable) < MIN_TEXT_LAYER:
        # a short last page is text; a page image with (next to) no text is a scan
        return "no text layer" if page.images else None
    broken = sum(1 for t in printable if _UNMAPPED.fullmatch(t) or len(t) > 1 or _is_unmapped(t))
    if broken > 0.05 * len(printable):
        return f"{broken} of {len(printable)} characters have no Unicode mapping"
    cjk = sum(1 for t in printable if "\u4e00" <= t <= "\u9fff")
    if cjk < 0.1 * len(printable):
        return f"only {cjk} of {len(printable)} characters are Chinese"
    return None


def _is_unmapped(ch: str) -> bool:
    return ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cc", "Cs")


def read_text_page(page) -> PageContent:
    """One pdfplumber page: its ruled tables as grids and the text around them, top to bottom."""
    info = PageInfo(page.page_number, float(page.width), float(page.height), "text layer")
    tables = []
    for found in page.find_tables(TABLE_SETTINGS):
        if len(found.cells) < MIN_TABLE_CELLS:
            continue
        tables.append(table_from_boxes([tuple(map(float, c)) for c in found.cells], page.page_number))
    tables.sort(key=lambda t: t.box[1])
    info.tables = len(tables)
    in_table = [[] for _ in tables]
    outside = []
    for char in page.chars:
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        for i, table in enumerate(tables):
            x0, top, x1, bottom = table.box
            if x0 <= x <= x1 and top <= y <= bottom:
                in_table[i].append(char)
                break
        else:
            outside.append(char)
    for table, chars in zip(tables, in_table):
        _fill_cells(table, chars)
    blocks: list[tuple[float, str | DrawnTable]] = [(t.box[1], t) for t in tables]
    blocks += [(top, line) for top, line in _lines(outside)]
    blocks.sort(key=lambda b: b[0])
    return PageContent(info, _merge_text(b for _, b in blocks))


def _fill_cells(table: DrawnTable, chars: list[dict]) -> None:
    """Each character into the cell whose box holds its centre; a cell's lines joined."""
    by_cell: dict[int, list[dict]] = {}
    for char in chars:
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        for i, cell in enumerate(table.cells):
            x0, top, x1, bottom = cell.box
            if x0 <= x <= x1 and top <= y <= bottom:
                by_cell.setdefault(i, []).append(char)
                break
    for i, cell_chars in by_cell.items():
        table.cells[i].text = join_lines([line for _, line in _lines(cell_chars)])


def _lines(chars: list[dict]) -> list[tuple[float, str]]:
    """Characters grouped into lines (tops within half a character height), left to right; a
    gap wider than a character becomes a space. (top, text) per line."""
    lines: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if not char["text"].strip():
            continue
        height = max(char["bottom"] - char["top"], 1.0)
        if lines and abs(char["top"] - lines[-1][0]["top"]) < SAME_LINE * height:
            lines[-1].append(char)
        else:
            lines.append([char])
    out = []
    for line in lines:
        line.sort(key=lambda c: c["x0"])
        text, last = "", None
        for char in line:
            if last is not None and char["x0"] - last["x1"] > max(char["x1"] - char["x0"], last["x1"] - last["x0"]):
                text += " "
            text += char["text"]
            last = char
        out.append((line[0]["top"], text))
    return out


def _merge_text(blocks) -> list[str | DrawnTable]:
    """Consecutive text lines as one block of lines."""
    out: list[str | DrawnTable] = []
    for block in blocks:
        if isinstance(block, str) and out and isinstance(out[-1], str):
            out[-1] += "\n" + block
        else:
            out.append(block)
    return out
