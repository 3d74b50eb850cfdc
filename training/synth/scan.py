"""Scans of a PDF: its pages rasterised (pdftoppm, grayscale), degraded like a scanner, and put back
into an image-only PDF (grayscale JPEG pages, no text layer).

* ``clean_scan``: 200 dpi, JPEG quality 85, nothing else.
* ``rough_scan``: 150 dpi, a tilt of up to ±2° per page, slight blur and noise, an uneven grey
  paper, JPEG quality 60; in about a third of the documents the page holding 表三 is turned 90°
  (printed landscape, scanned sideways).
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import numpy as np


def rasterise(pdf: Path, dpi: int) -> list:
    """The pages of ``pdf`` as grayscale Pillow images (pdftoppm -gray)."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="gaiml_scan_") as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), f"{tmp}/p"], check=True,
                       capture_output=True, timeout=300)
        pages = []
        for f in sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[-1])):
            with Image.open(f) as im:
                pages.append(im.convert("L").copy())
    return pages


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                         timeout=120).stdout.decode("utf-8")
    return out.split("\f")


_T3_MARKS = ("申请人情况", "本年新收", "上年结转", "予以公开", "部分公开", "不予公开", "国家秘密", "第三方",
             "过程性", "行政执法", "无法提供", "不掌握", "不予处理", "信访", "重复申请", "出版物", "其他处理",
             "逾期", "总计", "结转下年度")


def t3_page(pdf: Path) -> int | None:
    """Index of the page holding most of 表三 (most of its row labels), or None."""
    scores = [sum(t.count(m) for m in _T3_MARKS) for t in page_texts(pdf)]
    best = max(range(len(scores)), key=lambda i: scores[i], default=None)
    return best if best is not None and scores[best] else None


def images_to_pdf(pages: list, dpi: int, quality: int) -> bytes:
    """An image-only PDF: one grayscale JPEG per page, page size from ``dpi``."""
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), quality=quality)
    return buf.getvalue()


def clean_scan(pdf: Path, rng: np.random.Generator, dpi: int = 200, quality: int = 85) -> bytes:
    return images_to_pdf(rasterise(pdf, dpi), dpi, quality)


def _degrade(im, rng: np.random.Generator):
    from PIL import Image, ImageFilter

    angle = float(rng.uniform(-2.0, 2.0))
    paper = int(rng.integers(225, 250))
    im = im.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.8))))
    a = np.asarray(im, dtype=np.float32)
    # ink is never quite black, paper never quite white; a faint gradient across the page
    h, w = a.shape
    grad = np.linspace(0, float(rng.uniform(-12, 12)), w, dtype=np.float32)[None, :]
    a = 25 + a * (paper - 25) / 255 + grad
    a += rng.normal(0, float(rng.uniform(2.5, 5)), a.shape).astype(np.float32)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")


def rough_scan(pdf: Path, rng: np.random.Generator, dpi: int = 150, quality: int = 60,
               sideways_share: float = 1 / 3) -> bytes:
    from PIL import Image

    pages = rasterise(pdf, dpi)
    sideways = rng.random() < sideways_share
    turn = int(rng.choice([90, 270]))
    idx = t3_page(pdf) if sideways else None
    out = []
    for i, im in enumerate(pages):
        im = _degrade(im, rng)
        if i == idx:
            im = im.transpose(Image.ROTATE_90 if turn == 90 else Image.ROTATE_270)
        out.append(im)
    return images_to_pdf(out, dpi, quality)
