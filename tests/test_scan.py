"""Reading a scanned page by the grid drawn on it (gaiml.pages.scan): an image drawn here with
Pillow (merged cells, known figures), tilted 1° and turned 90°, must give back the grid and
every figure in its cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("rapidocr")
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from gaiml.errors import InputError  # noqa: E402
from gaiml.pages import DrawnTable  # noqa: E402
from gaiml.pages.scan import read_scan_page, read_scanned_pdf  # noqa: E402

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
DPI = 200
COLS = [260, 120, 120, 120, 120]
ROW_H = 58
LEFT, TOP = 80, 170

# (row, col, rowspan, colspan, text)
CELLS = [
    (0, 0, 2, 1, "项目"), (0, 1, 1, 3, "申请人情况"), (0, 4, 2, 1, "总计"),
    (1, 1, 1, 1, "自然人"), (1, 2, 1, 1, "法人"), (1, 3, 1, 1, "其他"),
    (2, 0, 1, 1, "一、本年新收"), (2, 1, 1, 1, "1"), (2, 2, 1, 1, "0"), (2, 3, 1, 1, "23"), (2, 4, 1, 1, "24"),
    (3, 0, 1, 1, "二、上年结转"), (3, 1, 1, 1, "456"), (3, 2, 1, 1, "7"), (3, 3, 1, 1, ""), (3, 4, 1, 1, "463"),
    (4, 0, 1, 1, "三、办理结果"), (4, 1, 1, 2, "10"), (4, 3, 1, 1, "1"), (4, 4, 1, 1, "11"),
]


def _page() -> Image.Image:
    font = ImageFont.truetype(str(FONT), 30)
    image = Image.new("L", (1000, 700), 255)
    draw = ImageDraw.Draw(image)
    draw.text((LEFT, 60), "三、收到和处理政府信息公开申请情况", font=font, fill=0)
    xs = [LEFT + sum(COLS[:i]) for i in range(len(COLS) + 1)]
    for row, col, rowspan, colspan, text in CELLS:
        x0, x1 = xs[col], xs[col + colspan]
        y0, y1 = TOP + row * ROW_H, TOP + (row + rowspan) * ROW_H
        draw.rectangle((x0, y0, x1, y1), outline=0, width=2)
        if text:
            w = draw.textlength(text, font=font)
            draw.text(((x0 + x1 - w) / 2, (y0 + y1) / 2 - 16), text, font=font, fill=0)
    return image


def _check(content) -> None:
    tables = [b for b in content.blocks if isinstance(b, DrawnTable)]
    texts = [b for b in content.blocks if isinstance(b, str)]
    assert len(tables) == 1
    table = tables[0]
    assert (table.n_rows, table.n_cols) == (5, 5)
    got = {(c.row, c.col): (c.rowspan, c.colspan, c.text) for c in table.cells}
    want = {(r, c): (rs, cs, t) for r, c, rs, cs, t in CELLS}
    assert got == want
    assert content.blocks.index(table) > content.blocks.index(texts[0])  # the title comes first
    assert "收到和处理" in texts[0]
    for cell in table.cells:  # points, on the upright page
        assert 0 <= cell.box[0] < cell.box[2] <= content.info.width
        assert "\t" not in cell.text and "\n" not in cell.text


def test_tilted_page():
    image = _page().rotate(1.0, resample=Image.BILINEAR, fillcolor=255, expand=False)
    content = read_scan_page(image, 3, DPI)
    assert content.info.page == 3 and content.info.read == "ocr" and content.info.tables == 1
    assert content.info.turned == 0
    assert abs(content.info.skew + 1.0) < 0.2  # leveled by turning it back
    _check(content)


def test_sideways_page():
    image = np.asarray(_page()).copy()
    sideways = np.ascontiguousarray(np.rot90(image))  # turned 90° counter-clockwise
    content = read_scan_page(sideways, 1, DPI)
    assert content.info.turned == 90
    assert content.info.width == pytest.approx(1000 * 72 / DPI)
    _check(content)


def test_unreadable_pdf(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(InputError, match="pdftoppm"):
        read_scanned_pdf(broken, [1])
