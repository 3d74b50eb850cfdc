"""Write a seed report in the formats people archive: HTML page, DOCX, text PDF, scanned PDF.

The prose is the seed's own (before 表二 and after 表四); the tables are rebuilt from the gold
values with the printed labels (tests/relayout.py), as real tables in each format.
"""

from __future__ import annotations

import html
from pathlib import Path

from relayout import HEADINGS, split_raw, table_rows

# Debian fonts-wqy-zenhei: TrueType, so both Pillow and reportlab can embed/draw it.
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def report_parts(raw: str, gold: dict, tables=("t2", "t3", "t4")):
    """(prose before, [(heading, rows of cells)], prose after); null cells print empty."""
    before, after = split_raw(raw)
    rows = table_rows(gold)
    return before, [(HEADINGS[k], [cells for _, cells in rows[k]]) for k in tables], after


def _lines(prose: str) -> list[str]:
    return [line.strip() for line in prose.splitlines() if line.strip()]


def to_html(raw: str, gold: dict, charset: str = "utf-8") -> bytes:
    """A saved web page: prose in <p>, each table a real <table>; charset declared in a meta tag."""
    before, tables, after = report_parts(raw, gold)
    body = [f"<p>{html.escape(line)}</p>" for line in _lines(before)]
    for heading, rows in tables:
        body.append(f"<p><strong>{html.escape(heading)}</strong></p>\n<table border=\"1\">")
        for cells in rows:
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        body.append("</table>")
    body += [f"<p>{html.escape(line)}</p>" for line in _lines(after)]
    page = (f'<!DOCTYPE html>\n<html><head>\n<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
            f"<title>{html.escape(_lines(before)[0])}</title>\n<script>var x = 1;</script>\n</head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
    return page.encode(charset)


def to_docx(raw: str, gold: dict, path: Path) -> None:
    """A Word file with the tables as Word tables."""
    import docx

    before, tables, after = report_parts(raw, gold)
    document = docx.Document()
    for line in _lines(before):
        document.add_paragraph(line)
    for heading, rows in tables:
        document.add_paragraph(heading)
        table = document.add_table(rows=len(rows), cols=max(map(len, rows)))
        for r, cells in enumerate(rows):
            for c, value in enumerate(cells):
                table.cell(r, c).text = value
    for line in _lines(after):
        document.add_paragraph(line)
    document.save(path)


def to_text_pdf(raw: str, gold: dict, path: Path, font_size: float = 7, repeat_rows: int = 0) -> None:
    """A PDF with a text layer, as word processors export it: reportlab, CJK font embedded.
    A larger ``font_size`` carries tables over page breaks, with ``repeat_rows`` header rows repeated."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(CJK_FONT), subfontIndex=0))
    body = ParagraphStyle("body", fontName="WQY", fontSize=9, leading=12, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName="WQY", fontSize=font_size, leading=font_size * 1.3, wordWrap="CJK")
    before, tables, after = report_parts(raw, gold)
    story = [Paragraph(html.escape(line), body) for line in _lines(before)]
    for heading, rows in tables:
        story += [Spacer(0, 6), Paragraph(html.escape(heading), body)]
        ncols = max(map(len, rows))
        data = [[Paragraph(html.escape(c), cell) if len(c) > 6 else c for c in cells] + [""] * (ncols - len(cells))
                for cells in rows]
        first = 150 if ncols > 4 else 200
        widths = [first] + [(A4[0] - 72 - first) / (ncols - 1)] * (ncols - 1)
        table = Table(data, colWidths=widths, repeatRows=repeat_rows)
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "WQY"), ("FONTSIZE", (0, 0), (-1, -1), font_size),
                                   ("GRID", (0, 0), (-1, -1), 0.5, "black")]))
        story.append(table)
    story += [Paragraph(html.escape(line), body) for line in _lines(after)]
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=36, rightMargin=36).build(story)


def to_scanned_pdf(title: str, tables: list[tuple[str, list[list[str]]]], path: Path, dpi: int = 200) -> None:
    """An image-only PDF (no text layer), as a scanner writes it: a page drawn with Pillow.

    Kept to a small page (a title and a few short tables) so one OCR run stays a few seconds.
    """
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(CJK_FONT), 26)
    widths = [430, 170, 170, 170, 170, 170]
    row_h, x0 = 48, 60
    height = 160 + sum(90 + row_h * len(rows) for _, rows in tables)
    page = Image.new("L", (1400, height), 255)
    draw = ImageDraw.Draw(page)
    draw.text((x0, 50), title, font=font, fill=0)
    y = 130
    for heading, rows in tables:
        draw.text((x0, y), heading, font=font, fill=0)
        y += 60
        for cells in rows:
            x = x0
            for c, value in enumerate(cells):
                w = widths[min(c, len(widths) - 1)]
                draw.rectangle([x, y, x + w, y + row_h], outline=0, width=2)
                draw.text((x + 10, y + 10), value, font=font, fill=0)
                x += w
            y += row_h
        y += 30
    page.save(path, "PDF", resolution=dpi)
