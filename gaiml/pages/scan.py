"""A scanned page read as a person reads it: upright, straight, tables by the grid drawn on it.

``read_scan_page`` takes one page image and

1. turns it upright when it was printed landscape or scanned sideways (the text lines run
   vertically: the orientation of text-line blobs says 0/180 or 90/270, and RapidOCR's recogniser
   scoring a few lines both ways says which of the two);
2. straightens a small tilt (up to ±2.5°) by the angle at which the ink's row profile is
   sharpest (ruling lines and text lines lie flat);
3. finds each table's ruling lines by morphology (long thin openings), and its cells as the
   holes of the grid (a merged cell is one hole), and builds the grid with ``table_from_boxes``;
4. reads each cell with the recogniser only: the cell's ink is split into lines, each line is
   cropped and recognised (batched); an empty cell costs nothing; a cell whose ink read as
   nothing (a lone narrow ``1``) is read again from a larger, padded crop;
5. reads the text outside the tables the same way (lines found by morphology, recognised one by
   one), with full detection only for a blob that is not a text line.

Full-page detection + recognition costs ~10 s per A4 page on one thread; this costs 1–3 s.
"""

from __future__ import annotations

import functools
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from .grid import DrawnTable, join_lines, table_from_boxes
from .render import PageContent, PageInfo

DEFAULT_DPI = 200
MAX_SKEW = 2.5  # degrees searched either way


@functools.lru_cache(maxsize=1)
def _ocr_engine():
    """One RapidOCR per process (its models load in seconds); one thread: workers parallelise."""
    from rapidocr import RapidOCR

    return RapidOCR(params={"EngineConfig.onnxruntime.intra_op_num_threads": 1,
                            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                            "Global.log_level": "error"})


# ------------------------------------------------------------------ recognition only

def _recognise(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Texts and scores of single-line grayscale crops, recognition only, batched.

    The recogniser pads every input to at least ``rec_img_shape`` width (320 at height 48),
    which makes a short number cost as much as a line of text: a narrower minimum (96) reads
    the same and is 3-4x faster; it is set only for this call."""
    if not crops:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput

    rec = _ocr_engine()._load_rec_model()
    # Batches of similar width: a batch is padded to its widest member, so a long line among
    # short numbers would make every one of them cost as much as it.
    order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / crops[i].shape[0])
    batches: list[list[int]] = []
    for i in order:
        ratio = crops[i].shape[1] / crops[i].shape[0]
        if batches and len(batches[-1]) < 16:
            first = crops[batches[-1][0]]
            if ratio <= 1.4 * max(2.0, first.shape[1] / first.shape[0]):
                batches[-1].append(i)
                continue
        batches.append([i])
    results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    shape, batch = list(rec.rec_image_shape), rec.rec_batch_num
    rec.rec_image_shape = [shape[0], shape[1], 96]
    try:
        for members in batches:
            rec.rec_batch_num = len(members)
            out = rec(TextRecInput(img=[cv2.cvtColor(crops[i], cv2.COLOR_GRAY2BGR) for i in members]))
            for i, t, sc in zip(members, out.txts, out.scores):
                results[i] = (t, float(sc))
    finally:
        rec.rec_image_shape, rec.rec_batch_num = shape, batch
    return results


def _pad(crop: np.ndarray, margin: int, min_ratio: float = 1.0) -> np.ndarray:
    """``crop`` on a white margin, widened to at least ``min_ratio`` times its height."""
    h, w = crop.shape
    extra = max(0, int(math.ceil(min_ratio * (h + 2 * margin))) - (w + 2 * margin))
    return cv2.copyMakeBorder(crop, margin, margin, margin + extra // 2, margin + extra - extra // 2,
                              cv2.BORDER_CONSTANT, value=255)


# ------------------------------------------------------------------ image preparation

def _gray(image) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        image = np.asarray(image.convert("L"))
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY if image.shape[2] == 3 else cv2.COLOR_RGBA2GRAY)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)


def _ink(gray: np.ndarray, dpi: int, clearance: float = 5.0) -> np.ndarray:
    """Dark pixels (255) against the local background: adaptive threshold, light noise dropped."""
    block = max(15, int(dpi / 200 * 41)) | 1
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    background = cv2.blur(smooth, (block, block))
    darker = background.astype(np.int16) - smooth.astype(np.int16)
    # The paper's grain (scan noise, JPEG): most pixels are paper, so the spread of their
    # difference from the local mean measures it; ink must stand well clear of it.
    sample = darker[::7, ::7]
    spread = float(np.median(np.abs(sample - np.median(sample)))) * 1.4826
    mask = np.where(darker > max(12.0 * clearance / 5, clearance * spread), np.uint8(255), np.uint8(0))
    mask[smooth > 215] = 0
    return mask


def _without_long_lines(mask: np.ndarray, length: int) -> np.ndarray:
    h = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    v = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return cv2.subtract(mask, cv2.bitwise_or(h, v))


def _turn(gray: np.ndarray, degrees: int) -> np.ndarray:
    """``gray`` turned clockwise by a multiple of 90 degrees."""
    k = (degrees // 90) % 4
    return np.ascontiguousarray(np.rot90(gray, -k)) if k else gray


def _orientation(gray: np.ndarray, dpi: int) -> int:
    """Degrees (0, 90, 180, 270) to turn the page clockwise so that its text stands upright."""
    scale = 100 / dpi
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    text = _without_long_lines(_ink(small, 100), 40)
    blobs = cv2.dilate(text, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    flat, upright_blobs, tall, side_blobs = 0.0, [], 0.0, []
    for x, y, w, h, area in stats[1:]:
        if 8 <= h <= 40 and w >= 3 * h:
            flat += w
            upright_blobs.append((w, x, y, w, h))
        elif 8 <= w <= 40 and h >= 3 * w:
            tall += h
            side_blobs.append((h, x, y, w, h))
    vertical = tall > 1.5 * flat and tall > 0
    blobs_used = sorted(side_blobs if vertical else upright_blobs, reverse=True)[:6]
    if not blobs_used:
        return 0
    candidates = (90, 270) if vertical else (0, 180)
    crops = {c: [] for c in candidates}
    for _, x, y, w, h in blobs_used:
        x0, y0 = int(x / scale), int(y / scale)
        x1, y1 = int((x + w) / scale), int((y + h) / scale)
        crop = gray[max(0, y0 - 2):y1 + 2, max(0, x0 - 2):x1 + 2]
        for c in candidates:
            crops[c].append(_pad(_turn(crop, c), 4))
    flat_list = [crop for c in candidates for crop in crops[c]]
    results = _recognise(flat_list)
    k = len(blobs_used)
    score = {c: sum(s * len(t) ** 0.5 for t, s in results[i * k:(i + 1) * k]) / k
             for i, c in enumerate(candidates)}
    if not vertical:  # stay upright unless upside down reads clearly better
        return 180 if score[180] > score[0] * 1.3 + 0.1 else 0
    return max(candidates, key=lambda c: score[c])


def _skew(gray: np.ndarray, dpi: int) -> float:
    """The angle (degrees, counter-clockwise positive as in OpenCV) that levels the page: the
    rotation at which the ink's row profile is sharpest."""
    scale = min(1.0, 100 / dpi)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    mask = (_ink(small, int(dpi * scale)) > 0).astype(np.float32)
    if mask.sum() < 50:
        return 0.0
    h, w = mask.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rows = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_LINEAR).sum(axis=1)
        return float(np.dot(rows, rows))

    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, 0.25)
    best = float(coarse[np.argmax([sharpness(a) for a in coarse])])
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05)
    best = float(fine[np.argmax([sharpness(a) for a in fine])])
    finer = np.arange(best - 0.05, best + 0.05 + 1e-9, 0.01)
    best = float(finer[np.argmax([sharpness(a) for a in finer])])
    return round(best, 2) if abs(best) >= 0.05 else 0.0


def _rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    if not angle:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=255)


# ------------------------------------------------------------------ ruling lines and cells

@dataclass
class _Table:
    box: tuple[int, int, int, int]  # pixels x0, y0, x1, y1
    cells: list[tuple[int, int, int, int]]  # pixels x0, y0, x1, y1 (cell interiors)


def _grid(ink: np.ndarray, dpi: int) -> np.ndarray:
    """The ruling lines: long horizontal and vertical runs of ink, small gaps closed."""
    pt = dpi / 72
    rect = cv2.getStructuringElement
    h_len, v_len, gap = max(10, int(20 * pt)), max(6, int(11 * pt)), max(2, int(2 * pt))
    touch = max(2, int(pt))
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (h_len, 1)))
    horizontal = cv2.morphologyEx(horizontal, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (gap * 2, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, v_len)))
    vertical = cv2.morphologyEx(vertical, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, gap * 2)))
    # A short vertical run is a ruling line only where it meets horizontal ones at both ends
    # (the stroke of a 1, 4 or 十 in a cell does not); a long one (over a line of text) is.
    reach = cv2.dilate(horizontal, rect(cv2.MORPH_RECT, (2 * touch + 1, 2 * touch + 1)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(vertical, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    for k in range(1, n):
        x, y, w, h, _ = stats[k]
        if h >= 30 * pt:
            keep[k] = True
            continue
        top = reach[max(0, y - touch):y + touch + 1, x:x + w].any()
        bottom = reach[max(0, y + h - touch - 1):y + h + touch, x:x + w].any()
        keep[k] = top and bottom
    vertical = np.where(keep[labels], np.uint8(255), np.uint8(0))
    # Lines that stop a pixel or two short of the line they meet (anti-aliasing, a light scan)
    # would let two cells run into one: lengthen every line by the gap at both ends.
    vertical = cv2.dilate(vertical, rect(cv2.MORPH_RECT, (1, 2 * gap + 1)))
    horizontal = cv2.dilate(horizontal, rect(cv2.MORPH_RECT, (2 * gap + 1, 1)))
    grid = cv2.bitwise_or(horizontal, vertical)
    return cv2.dilate(grid, rect(cv2.MORPH_RECT, (3, 3)))


def _tables(grid: np.ndarray, dpi: int) -> list[_Table]:
    """Each connected grid big enough to be a table, with the holes in it as its cells."""
    pt = dpi / 72
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    tables = []
    for k in range(1, n):
        x, y, w, h, _ = stats[k]
        if w < 40 * pt or h < 12 * pt:
            continue
        own = (labels[y:y + h, x:x + w] == k).astype(np.uint8)
        holes = np.pad(1 - own, 1, constant_values=1)  # a frame of outside around the table
        m, hole_labels, hole_stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
        outside = hole_labels[0, 0]
        cells = []
        for j in range(1, m):
            if j == outside:
                continue
            cx, cy, cw, ch, area = hole_stats[j]
            if cw < 3 * pt or ch < 3 * pt or area < 0.5 * cw * ch:
                continue
            cells.append((x + cx - 1, y + cy - 1, x + cx - 1 + cw, y + cy - 1 + ch))
        if len(cells) >= 2:
            tables.append(_Table((x, y, x + w, y + h), cells))
    return tables


# ------------------------------------------------------------------ reading ink as lines

def _line_bands(text: np.ndarray, min_area: int) -> list[tuple[int, int, int, int]]:
    """The text lines in a cell's ink: components grouped by overlapping vertical extent;
    a band much lower than the others (a stroke of 二, a 、) joins its nearest neighbour."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    height, width = text.shape
    thin = max(2, int(round(min_area ** 0.5)))

    def residue(x, y, w, h) -> bool:  # what is left of a ruling line along the cell's edge
        at_edge = x == 0 or y == 0 or x + w == width or y + h == height
        # it runs along most of the edge: a "1" printed against the rule is as thin, not as long
        return at_edge and ((h <= thin and w >= 0.6 * width) or (w <= thin and h >= 0.6 * height))

    comps = [tuple(s[:5]) for s in stats[1:] if s[4] >= min_area and not residue(*s[:4])]
    if not comps:
        return []
    # Specks (scan noise, JPEG) count only next to real strokes: a dot or 、 stays, a speck
    # across the cell does not stretch the line.
    big = [c for c in comps if c[4] >= 4 * min_area]
    reach = max((c[3] for c in big), default=0)
    comps = [c[:4] for c in comps if c[4] >= 4 * min_area or any(
        b[0] - reach <= c[0] + c[2] and c[0] <= b[0] + b[2] + reach
        and b[1] - reach <= c[1] + c[3] and c[1] <= b[1] + b[3] + reach for b in big)]
    if not comps:
        return []
    comps.sort(key=lambda c: c[1])
    bands: list[list[int]] = []  # x0, y0, x1, y1
    for x, y, w, h in comps:
        if bands and y < bands[-1][3] - 1:
            b = bands[-1]
            b[0], b[1], b[2], b[3] = min(b[0], x), min(b[1], y), max(b[2], x + w), max(b[3], y + h)
        else:
            bands.append([x, y, x + w, y + h])
    heights = sorted(b[3] - b[1] for b in bands)
    tall = heights[-1]
    i = 0
    while len(bands) > 1 and i < len(bands):
        b = bands[i]
        if b[3] - b[1] >= 0.5 * tall:
            i += 1
            continue
        gaps = []
        if i > 0:
            gaps.append((b[1] - bands[i - 1][3], i - 1))
        if i + 1 < len(bands):
            gaps.append((bands[i + 1][1] - b[3], i + 1))
        gap, j = min(gaps)
        other = bands[j]
        merged_h = max(b[3], other[3]) - min(b[1], other[1])
        if gap > 0.6 * tall or merged_h > 2.0 * tall:  # a stroke cut off by a rough scan (the base of a 2) may sit well below
            i += 1
            continue
        other[0], other[1], other[2], other[3] = (min(b[0], other[0]), min(b[1], other[1]),
                                                  max(b[2], other[2]), max(b[3], other[3]))
        del bands[i]
        i = 0
    return [tuple(b) for b in bands]


_CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f]) +| +(?=[^\x00-\x7f])")


_CLOSING = set("，。、；：！？）》」』】,.;:!?)")


def _tidy(text: str) -> str:
    """One line of recognised text: whitespace collapsed, none next to a Chinese character."""
    return _CJK_SPACE.sub("", re.sub(r"\s+", " ", text)).strip()


def _join(parts: list[str]) -> str:
    return join_lines([_tidy(part) for part in parts])


# ------------------------------------------------------------------ the page

def read_scan_page(image, page: int, dpi: int = DEFAULT_DPI) -> PageContent:
    """The tables and text of one scanned page (``image``: grayscale array or PIL image)."""
    gray = _gray(image)
    turned = _orientation_by_cells(gray, dpi)
    if turned is None:  # no ruled table: the page's text lines tell
        turned = _orientation(gray, dpi)
    gray = _turn(gray, turned)
    skew = _skew(gray, dpi)
    gray = _rotate(gray, skew)
    height, width = gray.shape
    to_pt = 72 / dpi
    pt = dpi / 72

    ink = _ink(gray, dpi)
    # ruling lines from a laxer threshold (faded thin lines; noise never forms long runs)
    grid = _grid(_ink(gray, dpi, clearance=2.5), dpi)
    tables = _tables(grid, dpi)
    text_ink = cv2.subtract(ink, grid)
    clean = gray.copy()
    clean[grid > 0] = 255
    min_area = max(3, int(0.15 * pt * pt))

    # Every line to recognise: its crop, and its owner: ("cell", line box, cell interior) or ("text",).
    crops: list[np.ndarray] = []
    owners: list[tuple] = []
    cell_lines: dict[tuple[int, int], list[int]] = {}
    margin = max(2, int(0.8 * pt))
    for t, table in enumerate(tables):
        for c, (x0, y0, x1, y1) in enumerate(table.cells):
            ix0, iy0, ix1, iy1 = x0 + 1, y0 + 1, x1 - 1, y1 - 1
            if ix1 - ix0 < 3 or iy1 - iy0 < 3:
                continue
            bands = _line_bands(text_ink[iy0:iy1, ix0:ix1], min_area)
            cell_lines[(t, c)] = []
            for bx0, by0, bx1, by1 in bands:
                if by1 - by0 < 0.2 * pt * 3 and bx1 - bx0 < 0.2 * pt * 3:
                    continue  # a speck
                p = margin
                crop = clean[max(iy0, iy0 + by0 - p):min(iy1, iy0 + by1 + p),
                             max(ix0, ix0 + bx0 - p):min(ix1, ix0 + bx1 + p)]
                cell_lines[(t, c)].append(len(crops))
                crops.append(_pad(crop, margin, 1.0))
                owners.append(("cell", (ix0 + bx0, iy0 + by0, ix0 + bx1, iy0 + by1), (ix0, iy0, ix1, iy1)))

    # Text outside the tables: ink with the tables blanked, lines by a horizontal smear.
    outside = text_ink.copy()
    for table in tables:
        x0, y0, x1, y1 = table.box
        outside[max(0, y0 - 2):y1 + 2, max(0, x0 - 2):x1 + 2] = 0
    segments, line_h = _text_segments(outside, dpi)
    text_items: list[tuple[tuple[int, int, int, int], int]] = []  # box, crop index
    detected: list[tuple[tuple[int, int, int, int], str]] = []
    for (x0, y0, x1, y1) in segments:
        p = margin
        crop = clean[max(0, y0 - p):min(height, y1 + p), max(0, x0 - p):min(width, x1 + p)]
        if y1 - y0 > max(2.2 * line_h, 24 * pt) and x1 - x0 > 12 * pt:
            # not one line of text (lines run together, a seal, a picture with words in it)
            detected.extend(_detect_and_read(crop, max(0, x0 - p), max(0, y0 - p), dpi))
            continue
        text_items.append(((x0, y0, x1, y1), len(crops)))
        crops.append(_pad(crop, margin, 1.0))
        owners.append(("text",))

    results = _recognise(crops)

    # (e) a cell line that read as nothing: again, larger and with more white around it.
    retry = [i for i, (t, s) in enumerate(results) if owners[i][0] == "cell" and (not t.strip() or s < 0.5)]
    if retry:
        again = []
        for i in retry:
            (x0, y0, x1, y1), (cx0, cy0, cx1, cy1) = owners[i][1], owners[i][2]
            p = 2 * margin
            crop = clean[max(cy0, y0 - p):min(cy1, y1 + p), max(cx0, x0 - p):min(cx1, x1 + p)]
            crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            again.append(_pad(crop, 4 * margin, 2.0))
        for i, res in zip(retry, _recognise(again)):
            if res[0].strip() and res[1] > results[i][1]:
                results[i] = res

    blocks: list[tuple[float, str | DrawnTable]] = []
    for t, table in enumerate(tables):
        # a cell's box reaches to the middle of its ruling lines, as the text-layer reader's do
        e = 1.5 + pt / 2
        boxes = [((x0 - e) * to_pt, (y0 - e) * to_pt, (x1 + e) * to_pt, (y1 + e) * to_pt)
                 for x0, y0, x1, y1 in table.cells]
        drawn = table_from_boxes(boxes, page)
        text_of = {}
        for c, box in enumerate(boxes):
            lines = [results[i] for i in cell_lines.get((t, c), [])]
            text_of[box] = _join([txt for txt, score in lines if score >= 0.3])
        for cell in drawn.cells:
            cell.text = text_of.get(cell.box, "")
        blocks.append((table.box[1], drawn))

    lines = _group_lines([(box, results[i][0]) for box, i in text_items if results[i][1] >= 0.4
                          and results[i][0].strip()] + detected)
    for top, text in lines:
        blocks.append((top, text))
    blocks.sort(key=lambda b: b[0])
    merged: list[str | DrawnTable] = []
    for _, block in blocks:
        if isinstance(block, str) and merged and isinstance(merged[-1], str):
            merged[-1] += "\n" + block
        else:
            merged.append(block)
    info = PageInfo(page, width * to_pt, height * to_pt, "ocr", tables=len(tables), turned=turned, skew=skew)
    return PageContent(info, merged)


def _orientation_by_cells(gray: np.ndarray, dpi: int, sample: int = 24) -> int | None:
    """Degrees to turn the page clockwise so that its tables stand upright, judged by their
    cells (None when the page has no ruled table). A cell's text is one short line (a figure, a
    label): its ink runs along the text, so flat ink says 0 or 180 degrees and tall ink 90 or 270;
    the longest of those lines recognised both ways round say which."""
    pt = dpi / 72
    grid = _grid(_ink(gray, dpi, clearance=2.5), dpi)
    tables = _tables(grid, dpi)
    if not tables:
        return None
    text_ink = cv2.subtract(_ink(gray, dpi), grid)
    flat, tall = [], []
    for table in tables:
        for x0, y0, x1, y1 in table.cells:
            if x1 - x0 < 5 or y1 - y0 < 5:
                continue
            points = cv2.findNonZero(text_ink[y0 + 1:y1 - 1, x0 + 1:x1 - 1])
            if points is None or len(points) < 4 * pt:
                continue
            bx, by, bw, bh = cv2.boundingRect(points)
            crop = gray[y0 + 1 + by:y0 + 1 + by + bh, x0 + 1 + bx:x0 + 1 + bx + bw]
            if bw >= 2.5 * bh:
                flat.append(crop)
            elif bh >= 2.5 * bw:
                tall.append(crop)
    if not flat and not tall:
        return None
    sideways = len(tall) > len(flat)
    lines = sorted(tall if sideways else flat, key=lambda c: max(c.shape), reverse=True)[:sample]
    first, second = (90, 270) if sideways else (0, 180)
    margin = max(2, int(0.8 * pt))
    results = _recognise([_pad(_turn(c, first), margin) for c in lines]
                         + [_pad(_turn(c, second), margin) for c in lines])

    def score(part):
        return sum(s * len(t.strip()) ** 0.5 for t, s in part)

    one, other = score(results[:len(lines)]), score(results[len(lines):])
    if sideways:
        return first if one >= other else second
    return second if other > 1.2 * one else first  # upside down only when it reads clearly better


def _text_segments(mask: np.ndarray, dpi: int) -> tuple[list[tuple[int, int, int, int]], float]:
    """Boxes of runs of text on one line (ink smeared sideways by about a character's gap), and
    the height of a line of text on the page."""
    pt = dpi / 72
    smear = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(5 * pt)), 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(smear, connectivity=8)
    boxes = []
    for x, y, w, h, area in stats[1:]:
        if h < 2.5 * pt and w < 2.5 * pt:
            continue  # specks, stray dots
        boxes.append([x, y, x + w, y + h])
    # Parts of one line stacked (the dot of 六 or 主 over the rest of its line): boxes that
    # overlap sideways merge when together they are no taller than a line of text.
    lines = [b[3] - b[1] for b in boxes if b[2] - b[0] >= 2 * (b[3] - b[1]) and b[3] - b[1] >= 5 * pt]
    line_h = float(np.median(lines)) if lines else 12 * pt
    boxes.sort(key=lambda b: (b[1], b[0]))
    changed = True
    while changed:
        changed = False
        for i in range(len(boxes)):
            a = boxes[i]
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                if b[1] > a[3] + line_h:
                    break
                if a[0] < b[2] and b[0] < a[2] and max(a[3], b[3]) - min(a[1], b[1]) <= 1.3 * line_h:
                    boxes[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del boxes[j]
                    changed = True
                    break
            if changed:
                break
    # trim the smear from the right end
    return [(b[0], b[1], max(b[0] + 1, b[2] - max(3, int(5 * pt)) // 2), b[3]) for b in boxes], line_h


def _detect_and_read(crop: np.ndarray, dx: int, dy: int, dpi: int) -> list[tuple[tuple[int, int, int, int], str]]:
    """Full detection + recognition on a region that is not a single line of text, detected at
    about 130 dpi and at that size (RapidOCR otherwise scales a region's short side up to 736)."""
    scale = min(1.0, 130 / dpi)
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else crop
    engine = _ocr_engine()
    det = engine._load_det_model()
    saved = det.limit_type, det.limit_side_len
    det.limit_type, det.limit_side_len = "max", max(32, max(small.shape))
    try:
        result = engine(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR), use_cls=False)
    finally:
        det.limit_type, det.limit_side_len = saved
    boxes = getattr(result, "boxes", None)
    if boxes is None or not len(boxes):
        return []
    out = []
    for quad, text in zip(boxes.tolist(), result.txts):
        xs, ys = [q[0] / scale for q in quad], [q[1] / scale for q in quad]
        out.append(((int(min(xs)) + dx, int(min(ys)) + dy, int(max(xs)) + dx, int(max(ys)) + dy), text))
    return out


def _group_lines(items: list[tuple[tuple[int, int, int, int], str]]) -> list[tuple[int, str]]:
    """Text pieces whose vertical centres lie within half a height of each other form a line,
    read left to right; lines top to bottom."""
    lines: list[list] = []
    for box, text in sorted(items, key=lambda it: (it[0][1] + it[0][3]) / 2):
        centre, h = (box[1] + box[3]) / 2, box[3] - box[1]
        if lines:
            last = lines[-1]
            lc = sum((b[1] + b[3]) / 2 for b, _ in last) / len(last)
            lh = max(b[3] - b[1] for b, _ in last)
            if abs(centre - lc) < max(h, lh) / 2:
                last.append((box, text))
                continue
        lines.append([(box, text)])
    out = []
    for line in lines:
        line.sort(key=lambda it: it[0][0])
        text, right = "", None
        for box, piece in line:
            piece = _tidy(piece)
            if not piece:
                continue
            far = (right is not None and box[0] - right > 2 * (box[3] - box[1])
                   and text[-1:] not in _CLOSING and piece[0] not in _CLOSING)
            text += (" " if far or (text and text[-1].isascii() and piece[0].isascii()
                                    and text[-1].isalnum() and piece[0].isalnum()) else "") + piece
            right = box[2]
        out.append((min(b[1] for b, _ in line), text))
    return out


# ------------------------------------------------------------------ PDFs

def read_scanned_pdf(path, pages: list[int] | None = None, dpi: int = DEFAULT_DPI) -> list[PageContent]:
    """The given 1-based pages of a PDF (all when None), rasterised by pdftoppm and read."""
    from PIL import Image

    path = Path(path)
    if shutil.which("pdftoppm") is None:
        raise InputError(str(path), "scanned PDF: pdftoppm (poppler-utils) is not installed, "
                                    "so its pages cannot be rasterised for OCR")
    out = []
    with tempfile.TemporaryDirectory(prefix="gaiml-scan-") as tmp:
        ranges = [(n, n) for n in pages] if pages is not None else [(None, None)]
        for first, last in ranges:
            cmd = ["pdftoppm", "-r", str(dpi), "-gray"]
            if first is not None:
                cmd += ["-f", str(first), "-l", str(last)]
            prefix = Path(tmp) / f"p{first or 'all'}"
            try:
                run = subprocess.run(cmd + [str(path), str(prefix)], capture_output=True, text=True,
                                     timeout=300)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise InputError(str(path), f"scanned PDF: pdftoppm failed ({exc})") from exc
            files = sorted(Path(tmp).glob(prefix.name + "-*.pgm"),
                           key=lambda f: int(f.stem.rsplit("-", 1)[1]))
            if run.returncode != 0 or not files:
                problem = (run.stderr or "").strip().splitlines()
                raise InputError(str(path), "scanned PDF: pdftoppm could not rasterise "
                                 + (f"page {first}" if first is not None else "its pages")
                                 + (f" ({problem[-1]})" if problem else ""))
            for f in files:
                number = first if first is not None else int(f.stem.rsplit("-", 1)[1])
                with Image.open(f) as im:
                    gray = np.asarray(im.convert("L"))
                f.unlink()
                out.append(read_scan_page(gray, number, dpi))
    return out
