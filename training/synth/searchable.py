"""The "searchable scan" style: a PDF whose tables are scanned page images with OCR's text laid
invisibly over them (as ocrmypdf and scanner software write them), read back by `pdftotext -layout`.

Each table is drawn, degraded and read by RapidOCR (``ocr.scan_table``). Every OCR text line of a
cell is drawn as invisible text (render mode 3) over its box in the image, stretched to the box's
width, so pdftotext rebuilds the columns from where OCR saw the characters: slanted rows, lines
broken apart, misread characters and all. The prose stays a plain text layer (OCR of the prose
would only cost time; the tables are what is read).

Labels come from the probe variants of ``probe.py``: the OCR'd layout (cell texts as OCR read
them, the figure and row-label items kept) is probed, every variant is drawn over the same boxes,
and pdftotext's output of each is compared character by character. A figure span whose text no
longer reads as the gold value is marked ``ocr_misread``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gaiml import schema

from . import pdf, probe
from .content import sample_report
from .doc import Layout, Segment, Table
from .generate import Generated, item_texts
from .labels import check_round_trip, owners_to_spans, reads_as
from .layout import report_to_layout
from .ocr import cache_row, scan_table, split_figure
from .textlayouts import place

STYLE = "ocr_searchable"
Box = tuple[float, float, float, float]


def _ocr_segments(cell, lines: list[tuple[str, Box]], items) -> tuple[list[Segment], list[tuple[int, int, Box]]]:
    """A cell's segments as OCR read it (the item kept on the figure or label), and its lines as
    (start, end, box) offsets into the cell's text."""
    text = "".join(t for t, _ in lines)
    offsets, pos = [], 0
    for t, box in lines:
        offsets.append((pos, pos + len(t), box))
        pos += len(t)
    item = next((s.item for s in cell.segments if s.item is not None), None)
    if item is None or not text:
        return [Segment(text)], offsets
    if items[item].kind != "cell":
        return [Segment(text, item)], offsets
    head, figure, tail = split_figure(text)
    parts = [(head, None), (figure, item), (tail, None)]
    return [Segment(t, it) for t, it in parts if t], offsets


def ocr_layout(layout: Layout, rng) -> tuple[Layout, list[dict], list]:
    """The layout with every table cell's text replaced by what OCR read, the lines of each table
    by grid position, and the scanned images."""
    blocks, lines, images = [], [], []
    for block in layout.blocks:
        if not isinstance(block, Table):
            blocks.append(block)
            continue
        scan = scan_table(block, rng)
        new_rows, table_lines = [], {}
        grid = place(block)
        where = {id(cell): (r, c) for r, row in enumerate(grid) for c, cell in enumerate(row) if cell is not None}
        for row in block.rows:
            new_row = []
            for cell in row:
                segments, offsets = _ocr_segments(cell, scan.lines.get(id(cell), []), layout.items)
                table_lines[where[id(cell)]] = offsets
                new_row.append(replace(cell, segments=segments))
            new_rows.append(new_row)
        blocks.append(replace(block, rows=new_rows))
        lines.append(table_lines)
        images.append(scan.image)
    return Layout(layout.title, blocks, layout.items), lines, images


def _scan_flowable(image, size: tuple[int, int], cells: list[tuple[str, Box]]):
    """A table page: the scan (when given) and each OCR line as invisible text over its box."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Flowable

    class Scan(Flowable):
        def wrap(self, avail_width, avail_height):
            self.scale = min(avail_width / size[0], avail_height / size[1])
            return size[0] * self.scale, size[1] * self.scale

        def draw(self):
            s, canvas = self.scale, self.canv
            height = size[1] * s
            if image is not None:
                canvas.drawImage(ImageReader(image.convert("RGB")), 0, 0, size[0] * s, height)
            for text, (x0, y0, x1, y1) in cells:
                if not text:
                    continue
                font_size = max(3.0, (y1 - y0) * s * 0.8)
                natural = stringWidth(text, pdf.FONT, font_size)
                line = canvas.beginText()
                line.setTextRenderMode(3)  # invisible, as in OCR'd PDFs
                line.setFont(pdf.FONT, font_size)
                line.setHorizScale(100 * (x1 - x0) * s / natural)
                line.setTextOrigin(x0 * s, height - y1 * s + 0.2 * (y1 - y0) * s)
                line.textOut(text)
                canvas.drawText(line)

    return Scan()


def _tables_of(variant: int, table_lines: list[dict], images: list):
    """The table flowables of one variant: the k-th table of the layout gets the k-th scan."""
    from reportlab.platypus import PageBreak

    counter = iter(range(len(table_lines)))

    def tables(table: Table) -> list:
        k = next(counter)
        grid = place(table)
        cells = []
        for (r, c), offsets in table_lines[k].items():
            text = grid[r][c].text
            cells += [(text[a:b], box) for a, b, box in offsets]
        image = images[k]
        return [PageBreak(), _scan_flowable(image if variant == 0 else None, image.size, cells), PageBreak()]

    return tables


def _figure_spans(text: str, spans: list[dict], printed: dict[int, str], cell_items: dict[str, int]) -> None:
    """Grow each figure span over the OCR'd letters the probes cannot mark ("l2", "1O")."""
    for span in spans:
        if span["kind"] != "cell":
            continue
        whole = printed[cell_items[span["key"]]]
        lo = max(0, span["start"] - len(whole))
        at = text.find(whole, lo, span["end"] + len(whole))
        if at != -1 and at <= span["start"] and at + len(whole) >= span["end"]:
            span["start"], span["end"] = at, at + len(whole)


def searchable_document(seed: int) -> dict:
    """One searchable-scan document as a dataset row plus its gold."""
    report = sample_report(seed, f"{STYLE}_{seed}")
    layout = report_to_layout(report, np.random.default_rng([seed, 1]))
    read, table_lines, images = ocr_layout(layout, np.random.default_rng([seed, 9]))
    variants = probe.variants(read, wide=True)
    texts = pdf.render(variants, seed, "pdftotext_layout", tables=lambda i: _tables_of(i, table_lines, images))
    owner = probe.decode(texts[0], texts[1:])
    printed = item_texts(read)
    spans = owners_to_spans(texts[0], owner, read.items, printed)
    text = texts[0]
    cell_items = {read.items[i].key: i for i in printed if read.items[i].kind == "cell"}
    _figure_spans(text, spans, printed, cell_items)
    index = schema.cell_index(report.template, report.other_form)
    for span in spans:
        if span["kind"] == "cell":
            span["ocr_misread"] = not reads_as(text[span["start"]:span["end"]], index[span["key"]].kind,
                                                report.cells[span["key"]])
    check_round_trip(text, spans, report, skip_misread=True)
    return cache_row(Generated(report.doc_id, text, spans, report, STYLE))

