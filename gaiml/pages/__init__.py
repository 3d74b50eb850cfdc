"""Pages read as a person reads them: tables by the grid drawn on the page, text in reading order.

A PDF page with a usable text layer is read by ``pdf_text``; a scanned page (or one whose text
layer is broken) by ``scan``. Both give a ``PageContent``: the text outside tables in reading
order and every ruled table as a grid of cells with row and column spans. ``render`` turns a
document's pages into the text every engine reads (a table row per line, cells apart by a tab)
and remembers where each rendered cell stands on its page, so a figure read from that text can be
traced back to its page and box.

Boxes are ``(x0, top, x1, bottom)`` in PDF points (1/72 inch) from the page's top-left corner,
for scans too (pixels × 72 / dpi).
"""

from .grid import Box, DrawnTable, TableCell, table_from_boxes
from .render import CellPlace, PageContent, PageInfo, Rendered, render_pages

__all__ = ["Box", "CellPlace", "DrawnTable", "PageContent", "PageInfo", "Rendered", "TableCell",
           "render_pages", "table_from_boxes"]
