"""Real OCR: tables drawn with Pillow, degraded like a scan, read by RapidOCR, cached.

Every table is drawn as an image (Noto Serif CJK, the ruled official structure) so the box of
each cell is known exactly. The image is degraded (rotation, blur, noise, low resolution, JPEG),
read by RapidOCR with one box per character, and each recognised character goes to the cell
whose box holds its centre (rotated back). The text is then written like a pasted Word table
(tab rows, see textlayouts.tabs_table) from the OCR'd cell texts, so spans are exact by
construction: a label span covers what OCR read for that label; a figure span covers what OCR
read for that cell, and the cell is ``ocr_misread`` when that no longer parses to the true value.

Slow (~10 s a table page on one core): run ``python -m training.synth ocr`` under ``nice``; results
are appended to ``training/ocr_cache/<style>.jsonl.gz`` one document at a time and reused.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from gaiml import schema

from .content import sample_report
from .doc import Layout, Para, Table
from .generate import Generated
from .labels import reads_as
from .layout import report_to_layout
from .textlayouts import place

OCR_SEED0 = 2_000_000_000
BENCHMARK_OCR_DOCS = 40  # the first OCR documents of each style are the benchmark's,
DEV_OCR_DOCS = 20  # the next the development split's; training reads the rest
FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
PX_PER_CM = 60  # ~150 dpi
_COL_CM = {"t2": [5.0, 4.0, 4.0, 4.0], "t3": [1.7, 1.9, 4.6] + [1.3] * 7, "t4": [1.25] * 15}
_FIGURE = re.compile(r"[-+＋－]?[0-9０-９OolISBDZg|丨][0-9０-９OolISBDZg|丨,，.．]*|[/／\\—–\-－ー]+")


def split_figure(cell_text: str) -> tuple[str, str, str]:
    """An OCR'd figure cell as (before, the figure, after); the figure is "" when OCR lost it."""
    m = _FIGURE.search(cell_text)
    return (cell_text[:m.start()], m.group(), cell_text[m.end():]) if m else (cell_text, "", "")


@cache
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(FONT_PATH, size, index=2)


@cache
def _engine():
    from rapidocr import RapidOCR

    return RapidOCR(params={"EngineConfig.onnxruntime.intra_op_num_threads": 1,
                            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                            "Global.log_level": "error"})


def _wrap(text: str, font, width: float) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if line and font.getlength(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return lines + [line] if line else lines or [""]


def draw_table(table: Table, font_px: int):
    """The table as a white image with black rules; returns (image, [(box, grid cell)])."""
    from PIL import Image, ImageDraw

    font = _font(font_px)
    grid = place(table)
    xs = np.concatenate([[0], np.cumsum([w * PX_PER_CM for w in _COL_CM[table.key]])]).astype(int) + 20
    line_h = int(font_px * 1.35)
    heights = []
    for r, row in enumerate(grid):  # each row tall enough for its single-row cells' wrapped text
        need = 1
        for c, cell in enumerate(row):
            if cell is not None and cell.rowspan == 1:
                need = max(need, len(_wrap(cell.text, font, xs[c + cell.colspan] - xs[c] - 10)))
        heights.append(need * line_h + 14)
    ys = np.concatenate([[0], np.cumsum(heights)]).astype(int) + 20
    img = Image.new("L", (int(xs[-1]) + 20, int(ys[-1]) + 20), 255)
    draw = ImageDraw.Draw(img)
    boxes = []
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            box = (int(xs[c]), int(ys[r]), int(xs[c + cell.colspan]), int(ys[r + cell.rowspan]))
            draw.rectangle(box, outline=0, width=2)
            lines = _wrap(cell.text, font, box[2] - box[0] - 10)
            top = (box[1] + box[3]) / 2 - len(lines) * line_h / 2
            for i, line in enumerate(lines):
                w = font.getlength(line)
                draw.text(((box[0] + box[2]) / 2 - w / 2, top + i * line_h), line, fill=0, font=font)
            boxes.append((box, cell))
    return img, boxes


def degrade(img, rng):
    """Rotation, blur, noise, low resolution, JPEG; returns (image, angle in degrees)."""
    import io

    from PIL import Image, ImageFilter

    angle = float(rng.uniform(-0.8, 0.8))
    img = img.rotate(angle, resample=Image.BILINEAR, fillcolor=255)
    if rng.random() < 0.6:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.1))))
    arr = np.asarray(img, dtype=np.float32) + rng.normal(0, float(rng.uniform(2, 14)), (img.height, img.width))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    scale = float(rng.uniform(0.6, 1.0))
    small = img.resize((int(img.width * scale), int(img.height * scale)), Image.BILINEAR)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=int(rng.integers(25, 80)))
    back = Image.open(io.BytesIO(buf.getvalue())).convert("L").resize(img.size, Image.BILINEAR)
    return back, angle


@dataclass
class ScannedTable:
    """A table as a degraded scan and what OCR read in it, per grid cell (by id of the GridCell):
    its text lines in reading order, each with its box in the image (pixels, as scanned)."""

    image: object  # PIL image
    lines: dict[int, list[tuple[str, tuple[float, float, float, float]]]]


def scan_table(table: Table, rng) -> ScannedTable:
    """Draw, degrade and OCR one table; every recognised character goes to the cell whose box
    holds its centre (rotated back), then a cell's characters are grouped into lines."""
    img, boxes = draw_table(table, int(rng.integers(17, 22)))
    noisy, angle = degrade(img, rng)
    result = _engine()(np.asarray(noisy.convert("RGB")), return_word_box=True, return_single_char_box=True)
    cx, cy = noisy.width / 2, noisy.height / 2
    theta = math.radians(angle)  # PIL rotates counter-clockwise by angle: rotate centres back
    pieces: dict[int, list[tuple[float, float, str, np.ndarray]]] = {}
    for line in result.word_results or ():
        for txt, _score, quad in line:
            q = np.asarray(quad, dtype=float)
            x, y = q[:, 0].mean() - cx, q[:, 1].mean() - cy
            ox = x * math.cos(theta) - y * math.sin(theta) + cx
            oy = x * math.sin(theta) + y * math.cos(theta) + cy
            for box, cell in boxes:
                if box[0] <= ox < box[2] and box[1] <= oy < box[3]:
                    pieces.setdefault(id(cell), []).append((oy, ox, txt, q))
                    break
    out = {}
    for key, found in pieces.items():
        found.sort(key=lambda p: (p[0], p[1]))
        lines: list[list] = []
        for piece in found:  # group into text lines by y, then read each line left to right
            if lines and abs(piece[0] - lines[-1][0][0]) < 10:
                lines[-1].append(piece)
            else:
                lines.append([piece])
        out[key] = []
        for line in lines:
            line.sort(key=lambda p: p[1])
            quads = np.concatenate([p[3] for p in line])
            box = (quads[:, 0].min(), quads[:, 1].min(), quads[:, 0].max(), quads[:, 1].max())
            out[key].append(("".join(p[2] for p in line), tuple(float(v) for v in box)))
    return ScannedTable(noisy, out)


def ocr_cells(table: Table, rng) -> dict[int, str]:
    """OCR text per grid cell (by id of the GridCell object)."""
    return {key: "".join(text for text, _ in lines) for key, lines in scan_table(table, rng).lines.items()}


class _Writer:
    """Builds the output text and records spans as pieces are appended."""

    def __init__(self):
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[dict] = []

    def add(self, text: str, kind: str | None = None, key: str | None = None, misread: bool = False):
        if kind is not None and (text or kind == "cell"):
            self.spans.append({"start": self.pos, "end": self.pos + len(text), "kind": kind, "key": key,
                               "ocr_misread": misread})
        self.parts.append(text)
        self.pos += len(text)


def _para(w: _Writer, para: Para, layout: Layout) -> None:
    for seg in para.segments:
        item = layout.items[seg.item] if seg.item is not None else None
        w.add(seg.text, item.kind if item else None, item.key if item else None)
    w.add("\n")


def _table(w: _Writer, table: Table, layout: Layout, report, texts: dict[int, str]) -> None:
    index = schema.cell_index(report.template, report.other_form)
    grid = place(table)
    for r, row in enumerate(grid):
        c = 0
        first = True
        while c < table.ncols:
            cell = row[c]
            if not first:
                w.add("\t")
            first = False
            if cell is None:
                c += 1
                continue
            text = texts.get(id(cell), "")
            item = next((layout.items[s.item] for s in cell.segments if s.item is not None), None)
            if item is None:
                w.add(text)
            elif item.kind == "row":
                w.add(text, "row", item.key)
            else:
                head, fig, tail = split_figure(text)
                gold = report.cells[item.key]
                w.add(head)
                w.add(fig, "cell", item.key, misread=not reads_as(fig, index[item.key].kind, gold))
                w.add(tail)
            c += cell.colspan
        w.add("\n")



def ocr_document(seed: int) -> dict:
    """One real-OCR document as a dataset row plus its gold."""
    report = sample_report(seed, f"ocr_scan_{seed}")
    layout = report_to_layout(report, np.random.default_rng([seed, 1]))
    rng = np.random.default_rng([seed, 9])
    w = _Writer()
    _para(w, layout.title, layout)
    w.add("\n")
    for block in layout.blocks:
        if isinstance(block, Table):
            _table(w, block, layout, report, ocr_cells(block, rng))
            w.add("\n")
        else:
            _para(w, block, layout)
    text = "".join(w.parts)
    for s in w.spans:  # the round trip for every cell OCR did not misread
        if s["kind"] == "cell" and not s["ocr_misread"]:
            assert reads_as(text[s["start"]:s["end"]], schema.cell_index(report.template, report.other_form)[s["key"]].kind,
                             report.cells[s["key"]]), s
    return cache_row(Generated(report.doc_id, text, w.spans, report, "ocr_scan"))


# Seeds of each cached OCR style: its base plus 0, 1, 2, ... (the first BENCHMARK_OCR_DOCS are
# the benchmark's). Different bases, so the two styles never share a report's content.
SEED_BASES = {"ocr_scan": OCR_SEED0, "ocr_searchable": OCR_SEED0 + 1_000_000}


def cache_row(doc: Generated) -> dict:
    """A cached OCR document: its dataset row plus its gold file."""
    return {**doc.row(), "gold": doc.gold()}


def _cache_file(root: Path, style: str) -> Path:
    return root / f"{style}.jsonl.gz"


def _number(row: dict) -> int:
    return row["seed"] - SEED_BASES[row["style"]]


def load_cache(root: Path, include_held_out: bool = False) -> list[dict]:
    """Cached OCR documents of every style; training use leaves out the benchmark's and the
    development split's documents (the first BENCHMARK_OCR_DOCS + DEV_OCR_DOCS of each style)."""
    rows = []
    for style in SEED_BASES:
        path = _cache_file(root, style)
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as f:
                rows += [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if include_held_out or _number(r) >= BENCHMARK_OCR_DOCS + DEV_OCR_DOCS]


def split_rows(root: Path, per_style: int, split: str = "benchmark") -> dict[str, list[dict]]:
    """The cached documents of the benchmark or the development split, per style."""
    lo, hi = (0, BENCHMARK_OCR_DOCS) if split == "benchmark" else (BENCHMARK_OCR_DOCS, BENCHMARK_OCR_DOCS + DEV_OCR_DOCS)
    rows = [r for r in load_cache(root, include_held_out=True) if lo <= _number(r) < hi]
    return {style: [r for r in rows if r["style"] == style][:per_style] for style in SEED_BASES}


def build_cache(root: Path, n: int, start: int = 0, style: str = "ocr_scan") -> None:
    """OCR documents number start .. start+n of ``style`` that are not cached yet, appended one by one."""
    from .searchable import searchable_document

    make = {"ocr_scan": ocr_document, "ocr_searchable": searchable_document}[style]
    root.mkdir(parents=True, exist_ok=True)
    done = {r["seed"] for r in load_cache(root, include_held_out=True)}
    for i in range(start, start + n):
        seed = SEED_BASES[style] + i
        if seed in done:
            continue
        t0 = time.perf_counter()
        try:
            row = make(seed)
        except Exception as exc:  # a document whose labels cannot be proven is skipped, said so
            print(f"{style} seed {seed}: skipped ({type(exc).__name__}: {exc})", flush=True)
            continue
        with gzip.open(_cache_file(root, style), "at", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        misread = sum(s["ocr_misread"] for s in row["spans"])
        print(f"{row['doc_id']}: {time.perf_counter() - t0:.1f}s, {misread} misread cells", flush=True)
