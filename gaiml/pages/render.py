"""A document's pages -> the text the engines read, and where each rendered cell stands on its page."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .grid import Box, DrawnTable, continues, join

# Text between two parts of one table (a page footer, a running header) is at most this many
# characters; more, and the second part is a table of its own.
MAX_TEXT_BETWEEN_PARTS = 60


@dataclass
class PageInfo:
    """One page: its size in points and how its text was read (``text layer`` or ``ocr``)."""

    page: int
    width: float
    height: float
    read: str
    tables: int = 0
    turned: int = 0  # degrees the page image was turned clockwise to stand upright (scans)
    skew: float = 0.0  # degrees the upright image was rotated (counter-clockwise) to level it

    def to_json(self) -> dict:
        return {"page": self.page, "width": round(self.width, 1), "height": round(self.height, 1),
                "read": self.read, "tables": self.tables, "turned": self.turned,
                "skew": round(self.skew, 2)}


@dataclass
class PageContent:
    """What a reader found on one page: text (lines outside tables) and tables, in reading order."""

    info: PageInfo
    blocks: list[str | DrawnTable] = field(default_factory=list)


@dataclass(frozen=True)
class CellPlace:
    """A rendered table cell: ``text[start:end]`` is its text, drawn in ``box`` on ``page``."""

    start: int
    end: int
    page: int
    box: Box

    def to_json(self) -> dict:
        return {"page": self.page, "box": [round(v, 1) for v in self.box]}


@dataclass
class Rendered:
    text: str
    pages: list[PageInfo]
    places: list[CellPlace]  # in text order

    def place_of(self, start: int | None, end: int | None) -> CellPlace | None:
        """The drawn cell holding the span ``[start, end)`` (a blank cell's empty span included)."""
        if start is None:
            return None
        # cells are tab-separated, so no two start at one offset
        i = bisect_right([p.start for p in self.places], start) - 1
        if i >= 0 and end <= self.places[i].end:
            return self.places[i]
        return None


def _joined(pages: list[PageContent]) -> list[tuple[int, str | DrawnTable]]:
    """The blocks of all pages in order, a table continued on the next page joined into one, the
    short text between its parts (page footer and header) moved after it."""
    out: list[tuple[int, str | DrawnTable]] = []
    open_table: int | None = None  # index in out of the last table, while only short text follows
    between: list[tuple[int, str]] = []
    for page in pages:
        for block in page.blocks:
            if isinstance(block, str):
                if open_table is not None and sum(len(t.strip()) for _, t in between) + len(block.strip()) \
                        <= MAX_TEXT_BETWEEN_PARTS:
                    between.append((page.info.page, block))
                    continue
                out.extend(between)
                between, open_table = [], None
                out.append((page.info.page, block))
                continue
            if open_table is not None and continues(out[open_table][1], block):
                out[open_table] = (out[open_table][0], join(out[open_table][1], block))
                continue
            out.extend(between)
            between = []
            out.append((page.info.page, block))
            open_table = len(out) - 1
    out.extend(between)
    return out


# A drawn cell holds one value: a space between its digits is letter-spacing or OCR ("1 078",
# "4100. 1"), never two figures, and the engines would read two.
_SPACE_IN_FIGURE = re.compile(r"(?<=[\d.,]) +(?=[\d.,])")


def render_pages(pages: list[PageContent]) -> Rendered:
    """The text of the pages: text blocks as they are, each table a row per line with its cells
    apart by a tab (a spanning cell once, in its first row), a blank line around each table."""
    parts: list[str] = []
    places: list[CellPlace] = []
    length = 0

    def emit(s: str) -> None:
        nonlocal length
        parts.append(s)
        length += len(s)

    for _, block in _joined(pages):
        if isinstance(block, str):
            if block.strip():
                emit(block.strip("\n") + "\n")
            continue
        emit("\n")
        for row in block.rows():
            for i, cell in enumerate(row):
                if i:
                    emit("\t")
                text = _SPACE_IN_FIGURE.sub("", cell.text)
                places.append(CellPlace(length, length + len(text), cell.page, cell.box))
                emit(text)
            emit("\n")
        emit("\n")
    return Rendered("".join(parts), [p.info for p in pages], places)
