"""Style ``tesseract``: Tesseract OCR of the official template's pages, as people run it.

The report is filled into the official Word template and converted by LibreOffice (``forms.py``:
the real layout and its probe variants in one soffice call). Each page of the real PDF is
rendered by ``pdftoppm`` (150-300 dpi, grey), mildly degraded (blur, noise, JPEG that keeps the
dpi) and read by
``tesseract PAGE stdin -l chi_sim --psm 4`` (psm 6 or 3 for some documents). One Tesseract run
writes both its plain text and its hOCR with character boxes (``-c hocr_char_boxes=1``); the
document text is the plain text of the pages joined by form feeds, exactly as Tesseract prints it.

Labels: the probe variants' PDFs say which item printed each PDF character (pdfplumber chars,
compared as probe.py does); the cell box holding an item's characters comes from pdfplumber
``find_tables``. Each OCR character goes to the cell whose box (scaled to pixels) holds its
centre. A cell span covers the characters OCR read for that cell (trimmed of rules read as "|");
the cell is ``ocr_misread`` when they no longer read as gold; a figure OCR lost has no span.
A blank cell never gets a span. Slow (~3-6 s a page on one core; OMP_THREAD_LIMIT=1).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from html import unescape
from pathlib import Path

import numpy as np

from gaiml import schema

from . import probe
from .labels import reads_as

PSMS = (4, 4, 4, 4, 4, 4, 6, 3)
DPIS = (150, 200, 250, 300, 300, 300)
_TRIM = set(" \t|丨[]!")


def available() -> bool:
    """Tesseract with the simplified-Chinese model is installed."""
    if not shutil.which("tesseract"):
        return False
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout
    return "chi_sim" in out.split()


def _rng(seed: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, salt])


# ---------------------------------------------------------------- where each cell is on the page


def cell_boxes(pdfs: list[Path], layout) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Cell key -> (page index, table-cell box in PDF points) for every cell whose figure (or "/")
    is printed, from the real PDF and its probe variants."""
    import pdfplumber

    docs = [pdfplumber.open(str(p)) for p in pdfs]
    try:
        if len({len(d.pages) for d in docs}) != 1:
            raise probe.ProbeError("probe variants have different page counts")
        out: dict[str, tuple[int, tuple]] = {}
        for pi, page in enumerate(docs[0].pages):
            chars = [d.pages[pi].chars for d in docs]
            texts = ["".join(c["text"][:1] or " " for c in cs) for cs in chars]
            owner = probe.decode(texts[0], texts[1:])
            pts: dict[int, list[tuple[float, float]]] = {}
            for ch, it in zip(chars[0], owner):
                if it is not None and layout.items[it].kind == "cell":
                    pts.setdefault(it, []).append(((ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2))
            if not pts:
                continue
            cells = [c for t in page.find_tables() for c in t.cells]
            for it, ps in pts.items():
                x = sum(p[0] for p in ps) / len(ps)
                y = sum(p[1] for p in ps) / len(ps)
                holding = [c for c in cells if c[0] <= x <= c[2] and c[1] <= y <= c[3]]
                if not holding:
                    raise probe.ProbeError(f"no table cell holds {layout.items[it].key}")
                box = min(holding, key=lambda c: (c[2] - c[0]) * (c[3] - c[1]))
                out[layout.items[it].key] = (pi, box)
        return out
    finally:
        for d in docs:
            d.close()


# ---------------------------------------------------------------- OCR


def degrade(png: bytes, rng, dpi: int) -> bytes:
    """Mild scan damage: blur, grey paper, noise, JPEG; geometry unchanged (boxes stay exact).

    The JPEG keeps the page's resolution, as pdftoppm and scanners write it: without it
    Tesseract guesses one from the glyphs (a 300 dpi page "as 562") and reads the tables as noise.
    """
    from PIL import Image, ImageFilter

    img = Image.open(io.BytesIO(png)).convert("L")
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.2, 0.7))))
    a = np.asarray(img, dtype=np.float32)
    a = a * float(rng.uniform(0.85, 0.97)) + float(rng.uniform(5, 25))
    a += rng.normal(0, float(rng.uniform(2, 8)), a.shape)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(rng.integers(60, 90)), dpi=(dpi, dpi))
    return buf.getvalue()


_CINFO = re.compile(r"<span class='ocrx_cinfo' title='x_bboxes (\d+) (\d+) (\d+) (\d+)[^']*'>(.*?)</span>", re.S)


def _hocr_chars(hocr: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    """(character, box in pixels) of every recognised symbol, in reading order."""
    out = []
    for m in _CINFO.finditer(hocr):
        text = unescape(m.group(5))
        box = tuple(int(v) for v in m.group(1, 2, 3, 4))
        for ch in text:
            out.append((ch, box))
    return out


def ocr_page(image: bytes, psm: int, tmp: Path) -> tuple[str, list[tuple[str, tuple]]]:
    """Tesseract's plain text of one page image and its symbols with boxes (one run, two outputs)."""
    img = tmp / "page.jpg"
    img.write_bytes(image)
    base = tmp / "ocr"
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    subprocess.run(["tesseract", str(img), str(base), "-l", "chi_sim", "--psm", str(psm),
                    "-c", "hocr_char_boxes=1", "txt", "hocr"], check=True, capture_output=True, env=env,
                   timeout=600)
    text = (tmp / "ocr.txt").read_text(encoding="utf-8")
    hocr = (tmp / "ocr.hocr").read_text(encoding="utf-8")
    return text, _hocr_chars(hocr)


def _align(text: str, chars: list[tuple[str, tuple]]) -> list[tuple | None]:
    """For each character of the plain text, its hOCR box: the symbols come in the same order,
    the plain text only adds spaces and newlines."""
    boxes: list[tuple | None] = [None] * len(text)
    j = 0
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        while j < len(chars) and chars[j][0].isspace():
            j += 1
        if j >= len(chars) or chars[j][0] != ch:
            raise probe.ProbeError(f"tesseract text and hOCR disagree at {i}: {ch!r}")
        boxes[i] = chars[j][1]
        j += 1
    return boxes


# ---------------------------------------------------------------- the document


def ocr_document(layout, report, seed: int) -> tuple[str, list[dict]]:
    """The Tesseract text of the report's template PDF and its cell spans."""
    from .forms import template_pdfs

    if not available():
        raise RuntimeError("tesseract with chi_sim is not installed: apt-get install tesseract-ocr tesseract-ocr-chi-sim")
    rng = _rng(seed, 40)
    dpi = int(rng.choice(DPIS))
    psm = int(rng.choice(PSMS))
    with tempfile.TemporaryDirectory(prefix="gaiml_tess_") as tmp:
        tmp = Path(tmp)
        pdfs = template_pdfs(probe.variants(layout, True), seed, report, tmp)
        boxes = cell_boxes(pdfs, layout)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdfs[0]), str(tmp / "p")],
                       check=True, capture_output=True, timeout=300)
        pages = sorted(tmp.glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        parts: list[str] = []
        owner: list[str | None] = []
        scale = 72.0 / dpi
        for pi, png in enumerate(pages):
            text, chars = ocr_page(degrade(png.read_bytes(), rng, dpi), psm, tmp)
            text = text.rstrip("\f")
            page_cells = [(k, b) for k, (p, b) in boxes.items() if p == pi]
            for ch, box in zip(text, _align(text, chars)):
                key = None
                if box is not None and not ch.isspace():
                    x, y = (box[0] + box[2]) / 2 * scale, (box[1] + box[3]) / 2 * scale
                    key = next((k for k, b in page_cells if b[0] <= x <= b[2] and b[1] <= y <= b[3]), None)
                owner.append(key)
            parts.append(text)
            if pi < len(pages) - 1:
                parts.append("\f")
                owner.append(None)
    text = "".join(parts)
    return text, _spans(text, owner, report)


def _spans(text: str, owner: list[str | None], report) -> list[dict]:
    """One span per cell OCR read: the longest run of its characters on one line with no other
    cell's character inside, trimmed of rules read as "|"."""
    index = schema.cell_index(report.template, report.other_form)
    line_of, line = [], 0
    for ch in text:
        line_of.append(line)
        line += ch in "\n\f"
    by_key: dict[str, list[int]] = {}
    for i, k in enumerate(owner):
        if k is not None:
            by_key.setdefault(k, []).append(i)
    spans = []
    for key, pos in by_key.items():
        if report.printed[key].end <= report.printed[key].start:
            continue  # a blank cell: whatever OCR saw there is not a figure
        runs, run = [], [pos[0]]
        for a, b in zip(pos, pos[1:]):
            if line_of[a] == line_of[b] and all(owner[g] is None for g in range(a + 1, b)):
                run.append(b)
            else:
                runs.append(run)
                run = [b]
        runs.append(run)
        best = max(runs, key=len)
        start, end = best[0], best[-1] + 1
        while start < end and text[start] in _TRIM:
            start += 1
        while end > start and text[end - 1] in _TRIM:
            end -= 1
        if start == end:
            continue
        piece = text[start:end]
        misread = not reads_as(piece, index[key].kind, report.cells[key])
        spans.append({"start": start, "end": end, "kind": "cell", "key": key, "ocr_misread": misread})
    spans.sort(key=lambda s: s["start"])
    return spans
