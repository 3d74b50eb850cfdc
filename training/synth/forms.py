"""The text forms real reports take when users paste them (issue "Real-world text").

* ``pdftotext_template``: the official Word template filled with python-docx, converted by
  LibreOffice (``officepdf.py``, with a page-number footer) and read by plain ``pdftotext`` (no
  -layout): the table comes out of row order (a block of row labels, then figures column by column
  or in chunks, a merged cell's parent label after its sub-rows, page numbers in between). Labels
  by probing: the real layout and its probe variants are each filled into the template, converted
  in one soffice call and read with pdftotext.
* ``tesseract``: the same template PDF's pages rendered (150-300 dpi, mild degradation) and read
  by Tesseract (``chi_sim``, ``--psm 4``, sometimes 6 or 3) as people run it; ``tesseract.py``.
* ``glued``: the report's HTML page flattened with BeautifulSoup ``get_text("")``: cells glued
  (``本年新收政府信息公开申请数量472001050``), tables of minified pages on one line, a publication
  date (``20250310``) and a month (``202603``) next to the tables.
* ``template2019_large``: 2019-form reports of city and county bodies (content profile
  ``large_2019``: most zero cells blank, notes in cells), with extra sub-header rows (单位, 栏次
  numbering rows), notes under the tables, through tabs / BeautifulSoup / lynx / w3m; the page's
  empty cells hold ``&nbsp;``, as pages saved from Word or WPS and the portals' editors write them.
* ``markdown_broken``: markdown from PDF converters: ``|`` tables whose long labels wrap into a
  second ``|`` row, header text pulled into the first data row's cells, ``<br>`` inside cells.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import html, textlayouts
from .doc import GridCell, Layout, Para, Segment, Table


def _rng(seed: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, salt])


# ---------------------------------------------------------------- pdftotext of the Word template

FOOTERS = ("— {n} —", "-{n}-", "- {n} -", "第{n}页", "{n}")


def template_pdfs(layouts: list[Layout], seed: int, report, outdir: Path) -> list[Path]:
    """Each layout (the real one, then its probe variants) filled into the official template with
    the same choices, all converted by one LibreOffice process; the PDF paths in order."""
    from . import officepdf

    footer = str(_rng(seed, 31).choice(FOOTERS))
    # Noto Serif CJK's digits are proportional, so a probe variant's title can wrap elsewhere: a
    # retry (render seed != report seed) puts the agency on a line of its own, as many titles are
    title_break = seed != report.seed or bool(_rng(seed, 36).random() < 0.3)
    docs = []
    for i, layout in enumerate(layouts):
        d = outdir / f"v{i}.docx"
        officepdf.fill_template(report, _rng(seed, 11), d, layout=layout, footer=footer, title_break=title_break)
        docs.append(d)
    return officepdf.soffice_convert(docs, outdir / "pdf")


def _pdftotext(path: Path, *flags: str) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *flags, str(path), "-"], capture_output=True,
                          check=True, timeout=120).stdout.decode("utf-8")


def pdftotext_template(layouts: list[Layout], seed: int, report) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="gaiml_tpl_") as tmp:
        pdfs = template_pdfs(layouts, seed, report, Path(tmp))
        return [_pdftotext(p).rstrip("\f") for p in pdfs]


def tesseract_labelled(layout: Layout, report, seed: int):
    from . import tesseract

    return tesseract.ocr_document(layout, report, seed)


# ---------------------------------------------------------------- glued scraped text


def _dates(layout: Layout, rng, y: int) -> Layout:
    """A publication date and a month near the tables, as portal pages print them (report year y)."""
    m, d = int(rng.integers(1, 4)), int(rng.integers(1, 29))
    date = f"{y + 1}{m:02d}{d:02d}"
    month = f"{y + 1}{int(rng.integers(1, 13)):02d}"
    views = int(rng.integers(30, 5000))
    meta = str(rng.choice([f"发布时间：{date}", f"发布日期：{date} 来源：本站 浏览次数：{views}",
                           f"{date} 信息来源：政务公开办", f"时间：{date}"]))
    near = str(rng.choice([f"（数据统计截至{month}）", f"更新时间：{month}", f"本表由政务公开办于{month}汇总填报。",
                           f"（{month}）"]))
    blocks = list(layout.blocks)
    first = next(i for i, b in enumerate(blocks) if isinstance(b, Table))
    blocks.insert(0, Para([Segment(meta)]))
    blocks.insert(first + 1, Para([Segment(near)]))
    return replace(layout, blocks=blocks)


def _glued_table(table: Table, minified: bool) -> str:
    sep = "" if minified else "\n"
    rows = sep.join("<tr>" + "".join(html._cell_html(c, np.random.default_rng(0)) for c in row) + "</tr>"
                    for row in table.rows)
    return f'<table border="1">{sep}{rows}{sep}</table>'


def glued(layouts: list[Layout], seed: int, report) -> list[str]:
    from bs4 import BeautifulSoup

    minified = bool(_rng(seed, 32).random() < 0.4)
    bodies = []
    for layout in layouts:
        layout = _dates(layout, _rng(seed, 33), report.year)
        parts = [f"<h2>{html.htmlesc.escape(layout.title.text)}</h2>"]
        rng = _rng(seed, 3)
        for block in layout.blocks:
            parts.append(_glued_table(block, minified) if isinstance(block, Table) else html._para_html(block, rng))
        bodies.append("\n".join(parts))
    text = BeautifulSoup(html.join_pages(bodies), "html.parser").get_text("")
    return html.split_text(text, len(layouts))


# ---------------------------------------------------------------- large 2019-form tables


def _numbering_row(table: Table) -> list[GridCell]:
    """A 栏次 row under the header: the figure columns numbered 1, 2, 3 ..."""
    if table.key == "t3":
        return [GridCell([Segment("栏次")], "header", 1, 3)] + [
            GridCell([Segment(str(i))], "header") for i in range(1, 8)]
    return [GridCell([Segment(str(i))], "header") for i in range(1, table.ncols + 1)]


def _large_tables(layout: Layout, rng) -> Layout:
    unit = str(rng.choice(["单位：件", "单位：个、件", "计量单位：件"]))
    number = rng.random() < 0.7
    notes = [
        "注：表中空白单元格表示数量为零。",
        f"注：1.本表数据统计期限为全年；2.“本年新收政府信息公开申请数量”含通过互联网提交的申请{int(rng.integers(2, 90))}件；"
        "3.空白表示无此项数据。",
        "说明：申请人情况按申请人类型分列，法人或其他组织不含个体工商户。",
        f"备注：上年结转申请已于{int(rng.integers(1, 4))}月底前全部办结。",
    ]
    blocks = []
    for block in layout.blocks:
        if isinstance(block, Table):
            if rng.random() < 0.6:
                blocks.append(Para([Segment(unit)]))
            rows = list(block.rows)
            header_rows = block.header_rows
            if block.key in ("t3", "t4") and number:
                rows.insert(block.header_rows, _numbering_row(block))
                header_rows += 1
            if rng.random() < 0.5:  # a caption row over the whole table
                rows.insert(0, [GridCell([Segment(unit if block.key != "t2" else "统计口径：本机关")], "header", 1,
                                         block.ncols)])
                header_rows += 1
            blocks.append(replace(block, rows=rows, header_rows=header_rows))
            if block.key != "t2" and rng.random() < 0.6:
                blocks.append(Para([Segment(str(rng.choice(notes)))]))
        else:
            blocks.append(block)
    return replace(layout, blocks=blocks)


LARGE_CONVERTERS = ("tabs", "tabs", "html_bs4", "lynx", "w3m")


def template2019_large(layouts: list[Layout], seed: int) -> list[str]:
    layouts = [_large_tables(l, _rng(seed, 34)) for l in layouts]
    conv = str(_rng(seed, 35).choice(LARGE_CONVERTERS))
    if conv == "tabs":
        return [textlayouts.layout_to_text(l, _rng(seed, 2), textlayouts.tabs_table) for l in layouts]
    page = _nbsp_empty_cells(html.join_pages([html.layout_to_html(l, _rng(seed, 3)) for l in layouts]))
    return html.split_text(html.HTML_CONVERTERS[conv](page, _rng(seed, 4)), len(layouts))


_EMPTY_CELL = re.compile(r"<(td|th)([^>]*)></\1>")


def _nbsp_empty_cells(page: str) -> str:
    """Empty cells as the pages of these reports hold them: Word and WPS "save as HTML" and the
    portals' rich-text editors write ``&nbsp;`` into a blank cell (a truly empty ``<td></td>``
    leaves no trace at all in ``get_text``, which no reader could place)."""
    return _EMPTY_CELL.sub(r"<\1\2>&nbsp;</\1>", page)


# ---------------------------------------------------------------- broken markdown


def _column_headers(table: Table, grid) -> list[str]:
    """For each column, the text of the lowest header cell covering it."""
    out = [""] * table.ncols
    for r in range(table.header_rows):
        c = 0
        for c in range(table.ncols):
            cell = grid[r][c]
            if cell is not None and cell.role == "header":
                for dc in range(cell.colspan):
                    out[c + dc] = cell.text
    return out


def markdown_broken_table(table: Table, rng) -> list[str]:
    grid = textlayouts.place(table)
    width = int(rng.integers(6, 13))  # a label longer than this wraps into a second row
    br = str(rng.choice(["<br>", " ", "<br/>"]))
    pull_header = table.header_rows > 0 and rng.random() < 0.7
    col_headers = _column_headers(table, grid)
    lines = []
    first_data = table.header_rows
    for r in range(len(table.rows)):
        if pull_header and r < table.header_rows - 1:
            continue  # upper header rows lost; the last one is pulled into the first data row
        if pull_header and r == table.header_rows - 1:
            lines.append("| " + " | ".join([""] * table.ncols) + " |")
            lines.append("|" + "---|" * table.ncols)
            continue
        cells, wraps = [], [""] * table.ncols
        c = 0
        while c < table.ncols:
            cell = grid[r][c]
            text = cell.text if cell else ""
            if cell is not None and cell.role in ("label", "group") and len(text) > width:
                cut = width - int(rng.integers(0, 3))
                text, wraps[c] = text[:cut], text[cut:]
            if pull_header and r == first_data and cell is not None and cell.role == "value" and col_headers[c]:
                text = col_headers[c] + br + text
            cells.append(text)
            span = cell.colspan if cell else 1
            cells += [""] * (span - 1)
            c += span
        lines.append("| " + " | ".join(cells) + " |")
        if any(wraps):
            lines.append("| " + " | ".join(wraps) + " |")
        if r == 0 and not pull_header:
            lines.append("|" + "---|" * table.ncols)
    return lines


def markdown_broken(layouts: list[Layout], seed: int) -> list[str]:
    return [textlayouts.layout_to_text(l, _rng(seed, 2), markdown_broken_table) for l in layouts]
