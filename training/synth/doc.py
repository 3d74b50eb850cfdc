"""Plain data for a laid-out report: blocks of segments, some of which carry a label item.

A *segment* is a piece of printed text; when it belongs to a labelled item (a cell's figure, a
row label, the agency name, the year) it carries the item's id. Renderers only ever join
segment texts, so a probe variant (same layout, item characters swapped for codes) renders
through exactly the same code path as the real document.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable


@dataclass(frozen=True)
class Item:
    """A labelled thing: ``kind`` is "cell", "row", "agency" or "year"; ``key`` its name."""

    kind: str
    key: str


@dataclass(frozen=True)
class Segment:
    text: str
    item: int | None = None  # index into Layout.items


@dataclass
class Para:
    """A paragraph or heading; ``heading`` marks section titles (renderers may style them)."""

    segments: list[Segment]
    heading: bool = False

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass
class GridCell:
    """One printed table cell of the official structure (HTML-like rowspan/colspan).

    ``role``: "header" (column headings, 第二十条 captions), "group" (row-group captions such
    as 三、本年度办理结果), "label" (a row's own label), "value" (a figure cell).
    """

    segments: list[Segment]
    role: str
    rowspan: int = 1
    colspan: int = 1

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass
class Table:
    key: str  # "t2", "t3", "t4"
    rows: list[list[GridCell]]
    ncols: int
    header_rows: int = 0  # leading rows repeated after a page break


@dataclass
class Layout:
    """A whole report as blocks, plus the labelled items their segments point to."""

    title: Para
    blocks: list[Para | Table]
    items: list[Item] = field(default_factory=list)

    def map_segments(self, fn: Callable[[Segment], Segment]) -> "Layout":
        """A copy with every segment passed through ``fn`` (used to build probe variants)."""
        def para(p: Para) -> Para:
            return replace(p, segments=[fn(s) for s in p.segments])

        def table(t: Table) -> Table:
            rows = [[replace(c, segments=[fn(s) for s in c.segments]) for c in row] for row in t.rows]
            return replace(t, rows=rows)

        blocks = [table(b) if isinstance(b, Table) else para(b) for b in self.blocks]
        return Layout(para(self.title), blocks, self.items)

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]
