"""Layout -> PDF (reportlab, embedded WenQuanYi Zen Hei) -> text through real PDF text tools.

The tables keep the official merged cells (SPAN), repeat their header rows after a page break
and get page numbers in the footer ("— 5 —", "-4-"). The real document and its probe variants
are built into one PDF, each after a marker page, so each tool runs once per document.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from functools import cache
from typing import Callable
from xml.sax.saxutils import escape

import numpy as np

from .doc import Layout, Para, Table
from .html import SPLIT, split_text
from .textlayouts import place

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT = "WQY"
CM = 28.3465
_COL_WIDTHS = {
    "t2": [5.0, 4.0, 4.0, 4.0],
    "t3": [1.7, 1.9, 4.6] + [1.25] * 7,
    "t4": [1.14] * 15,
}


@cache
def _styles():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK", firstLineIndent=21)
    return {
        "body": body,
        "heading": ParagraphStyle("heading", parent=body, fontSize=11, firstLineIndent=0, spaceBefore=4),
        "title": ParagraphStyle("title", parent=body, fontSize=15, leading=22, alignment=1, firstLineIndent=0),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9.5, wordWrap="CJK", alignment=1),
    }


def _table_flowable(table: Table, rng):
    from reportlab.platypus import Paragraph
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    grid = place(table)
    style = _styles()["cell"]
    data, spans = [], []
    for r, row in enumerate(grid):
        # figures as plain strings (no wrapping needed, 3x faster to lay out); labels wrap
        data.append([(c.text if c.role == "value" else Paragraph(escape(c.text), style)) if c else "" for c in row])
        for c, cell in enumerate(row):
            if cell is not None and (cell.rowspan > 1 or cell.colspan > 1):
                spans.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
    scale = float(rng.uniform(0.97, 1.0))
    widths = [w * CM * scale for w in _COL_WIDTHS[table.key]]
    flow = RLTable(data, colWidths=widths, repeatRows=table.header_rows or 0)
    flow.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                              ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                              ("FONT", (0, 0), (-1, -1), FONT, 7.5)] + spans))
    return flow


def _story(layout: Layout, rng, tables: TableFlowables | None) -> list:
    from reportlab.platypus import Paragraph, Spacer

    st = _styles()
    story = [Paragraph(escape(layout.title.text), st["title"]), Spacer(1, 8)]
    for block in layout.blocks:
        if isinstance(block, Table):
            story += tables(block) if tables else [_table_flowable(block, rng), Spacer(1, 6)]
        else:
            story.append(Paragraph(escape(block.text), st["heading" if block.heading else "body"]))
    return story


def _numbering(start: bool):
    """A zero-size flowable that restarts page numbering at 1 (start) or stops it (marker page)."""
    from reportlab.platypus import Flowable

    class Numbering(Flowable):
        def wrap(self, *args):
            return 0, 0

        def draw(self):
            self.canv._variant_first_page = self.canv.getPageNumber() if start else None

    return Numbering()


# Flowables that draw one table of one variant instead of a ruled text table (searchable scans).
TableFlowables = Callable[[Table], list]


def layouts_to_pdf(layouts: list[Layout], seed: int,
                   tables: Callable[[int], TableFlowables] | None = None) -> bytes:
    """One PDF: each layout starts on a new page after a marker page, numbered from 1.
    ``tables(i)``, when given, draws the tables of variant ``i``."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate, Paragraph

    rng = np.random.default_rng([seed, 5])
    footer = str(rng.choice(["— {n} —", "-{n}-", "- {n} -", "第{n}页", ""]))
    margin = float(rng.uniform(1.6, 2.2)) * CM
    story = []
    for i, layout in enumerate(layouts):
        if i:
            story += [PageBreak(), Paragraph(SPLIT, _styles()["body"]), _numbering(False), PageBreak()]
        story.append(_numbering(True))
        story += _story(layout, np.random.default_rng([seed, 6]), tables(i) if tables else None)

    def on_page_end(canvas, doc):
        first = getattr(canvas, "_variant_first_page", None)
        if footer and first is not None and first <= canvas.getPageNumber():
            canvas.setFont(FONT, 9)
            canvas.drawCentredString(A4[0] / 2, 1.2 * CM, footer.format(n=canvas.getPageNumber() - first + 1))

    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=2 * CM,
                          bottomMargin=2 * CM, invariant=1)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate("page", [frame], onPageEnd=on_page_end)])
    doc.build(story)
    return buf.getvalue()


def _pdftotext(data: bytes, *flags: str) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", "-enc", "UTF-8", *flags, f.name, "-"], capture_output=True,
                              check=True, timeout=120).stdout.decode("utf-8")


def _pdfplumber(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


TOOLS = {
    "pdftotext": lambda d: _pdftotext(d),
    "pdftotext_layout": lambda d: _pdftotext(d, "-layout"),
    "pdftotext_raw": lambda d: _pdftotext(d, "-raw"),
    "pdfplumber": _pdfplumber,
}


def render(layouts: list[Layout], seed: int, tool: str,
           tables: Callable[[int], TableFlowables] | None = None) -> list[str]:
    """Texts of the layouts as ``tool`` reads them from one shared PDF (see layouts_to_pdf)."""
    text = TOOLS[tool](layouts_to_pdf(layouts, seed, tables))
    return [part.lstrip("\f") for part in split_text(text, len(layouts))]
