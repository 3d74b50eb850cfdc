"""gaiml show: a result drawn over its source pages, through a subprocess as a user runs it.

The source is a two-page PDF built here: page 1 a ruled 表三 fragment in the text layer, page 2 a
"scan" (an image of a ruled 表四 fragment tilted 1.2° clockwise and turned 90° counterclockwise,
so the scan reader would record turned 90, skew 1.2), with a
result document written by hand whose boxes are where the cells were drawn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from gaiml import show

GAIML = [sys.executable, "-m", "gaiml"]
A4 = (595.28, 841.89)
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
SKEW = 1.2  # degrees the scan is tilted clockwise: the reader levels it by rotating it back counterclockwise

# 表三 fragment on page 1: rows of (label, label, natural, legal, total); None = spanned over
T3_ROWS = [
    ("申请人情况", None, "自然人", "法人或其他组织", "总计"),
    (None, None, None, None, None),
    ("一、本年新收政府信息公开申请数量", None, "120", "15", "135"),
    ("二、上年结转政府信息公开申请数量", None, "3", "0", "3"),
    ("三、本年度\n办理结果", "（一）予以公开", "80", "9", "89"),
    (None, "（二）部分公开", "20", "3", "28"),   # printed 28, repaired to 23
    (None, "（三）不予公开", "/", "1", "1"),
    ("四、结转下年度继续办理", None, "23", "2", "25"),
]
T3_KEYS = {2: "new", 3: "carried_over", 4: "granted", 5: "partly", 6: "refused", 7: "carry_forward"}
T3_COLS = {2: "natural", 3: "legal", 4: "total"}
T3_WIDTHS = [100, 160, 70, 90, 70]
T3_HEIGHTS = [18, 18, 26, 26, 26, 26, 26, 26]
T3_SPANS = [((0, 0), (1, 1)), ((2, 0), (2, 1)), ((3, 0), (3, 1)), ((4, 0), (4, 1)),
            ((0, 2), (1, 2)), ((0, 3), (1, 3)), ((0, 4), (0, 6)), ((0, 7), (1, 7))]  # reportlab: (col, row)

# 表四 fragment on page 2 (the scan): 行政复议 维持 / 纠正 / 总计
T4_ROWS = [("行政复议", None, None), ("结果维持", "结果纠正", "总计"), ("4", "1", "5")]
T4_KEYS = {0: "t4.review.upheld", 1: "t4.review.corrected", 2: "t4.review.total"}
T4_WIDTHS = [110, 110, 110]
T4_HEIGHTS = [24, 24, 30]

REVIEW = ["t3.granted.total", "t3.refused.natural", "t4.review.corrected"]
REPAIRS = [{"cell": "t3.partly.total", "printed": "28", "was": 28, "chosen": 23,
            "why": "t3 column sum: 20 + 3 = 23", "kind": "misread digit"}]


def _table(rows, widths, heights, spans, font):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    data = [[c or "" for c in row] for row in rows]
    table = Table(data, colWidths=widths, rowHeights=heights)
    style = [("GRID", (0, 0), (-1, -1), 1, colors.black), ("FONTNAME", (0, 0), (-1, -1), font),
             ("FONTSIZE", (0, 0), (-1, -1), 9), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("ALIGN", (0, 0), (-1, -1), "CENTER")]
    style += [("SPAN", a, b) for a, b in spans]
    table.setStyle(TableStyle(style))
    return table


def _place(canvas, table, widths, heights, x, top, page_h):
    """Draw ``table`` with its top-left corner at (x, top) from the page's top-left; return the
    box of slot (row, col) as a function."""
    table.wrapOn(canvas, sum(widths), sum(heights))
    table.drawOn(canvas, x, page_h - top - sum(heights))

    def box(row, col, rowspan=1, colspan=1):
        x0 = x + sum(widths[:col])
        y0 = top + sum(heights[:row])
        return [round(x0, 2), round(y0, 2), round(x0 + sum(widths[col:col + colspan]), 2),
                round(y0 + sum(heights[row:row + rowspan]), 2)]
    return box


def _cell(value, text, page, box, confidence=0.98):
    return {"value": value, "span": [0, len(text)], "text": text, "confidence": confidence,
            "engine": "rules", "page": page, "box": box}


def make_report(folder: Path) -> tuple[Path, Path, dict]:
    """The two-page PDF, a JSONL holding its result and two other documents, and the result."""
    from reportlab.lib.pagesizes import A4 as RL_A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas as rl_canvas

    pdfmetrics.registerFont(TTFont("WQY", FONT, subfontIndex=0))
    cells = {}
    # page 2's table, drawn upright on a draft page, rasterised, turned and tilted like a bad scan
    draft = folder / "draft.pdf"
    c = rl_canvas.Canvas(str(draft), pagesize=RL_A4)
    t4_box = _place(c, _table(T4_ROWS, T4_WIDTHS, T4_HEIGHTS, [((0, 0), (2, 0))], "WQY"),
                    T4_WIDTHS, T4_HEIGHTS, 130, 300, A4[1])
    c.showPage()
    c.save()
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(draft), str(folder / "draft")], check=True)
    with Image.open(folder / "draft.png") as upright:
        scan = upright.convert("L").rotate(-SKEW, resample=Image.Resampling.BICUBIC, fillcolor=255).rotate(90, expand=True)
    scan.save(folder / "scan.png")
    for col, key in T4_KEYS.items():
        text = T4_ROWS[2][col]
        cells[key] = _cell(int(text), text, 2, t4_box(2, col), 0.9)

    pdf = folder / "report.pdf"
    c = rl_canvas.Canvas(str(pdf), pagesize=RL_A4)
    c.setFont("WQY", 14)
    c.drawCentredString(A4[0] / 2, A4[1] - 70, "某某区人民政府2023年政府信息公开工作年度报告")
    c.setFont("WQY", 11)
    c.drawString(52, A4[1] - 110, "三、收到和处理政府信息公开申请情况")
    t3_box = _place(c, _table(T3_ROWS, T3_WIDTHS, T3_HEIGHTS, T3_SPANS, "WQY"), T3_WIDTHS, T3_HEIGHTS, 52, 120, A4[1])
    for row, name in T3_KEYS.items():
        for col, column in T3_COLS.items():
            text = T3_ROWS[row][col]
            value = None if text == "/" else int(text)
            cells[f"t3.{name}.{column}"] = _cell(value, text, 1, t3_box(row, col))
    cells["t3.partly.total"]["value"] = 23
    cells["t3.partly.total"]["note"] = "printed 28: 20 + 3 = 23"
    c.showPage()
    c.setPageSize((A4[1], A4[0]))
    c.drawImage(str(folder / "scan.png"), 0, 0, width=A4[1], height=A4[0])
    c.showPage()
    c.save()

    doc = {"doc_id": "demo_district_2023", "source": str(pdf), "encoding": "pdf:text", "engine": "auto",
           "template": "2021", "other_form": "split", "year": 2023, "agency": "某某区人民政府",
           "cells": cells, "status": "needs review", "review": REVIEW, "repairs": REPAIRS,
           "pages": [{"page": 1, "width": A4[0], "height": A4[1], "read": "text layer", "tables": 1, "turned": 0, "skew": 0},
                     {"page": 2, "width": A4[0], "height": A4[1], "read": "ocr", "tables": 1, "turned": 90, "skew": SKEW}],
           "validation": {}, "warnings": []}
    text_doc = {"doc_id": "plain_text_2023", "source": str(folder / "plain.txt"), "encoding": "gb18030",
                "cells": {"t3.new.total": {"value": 5, "span": [10, 11], "text": "5", "confidence": 1.0, "engine": "rules"}},
                "status": "verified", "review": [], "repairs": []}
    failed = {"doc_id": "broken", "source": "broken.pdf", "error": "broken.pdf: broken PDF"}
    result = folder / "result.jsonl"
    result.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in (text_doc, doc, failed)), encoding="utf-8")
    return pdf, result, doc


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*GAIML, *map(str, args)], capture_output=True, text=True, encoding="utf-8",
                          cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return make_report(tmp_path_factory.mktemp("show"))


def _near(img: Image.Image, x: int, y: int, colour, reach: int = 1) -> bool:
    """Some pixel within ``reach`` of (x, y) is ``colour`` (each channel within 40)."""
    for dx in range(-reach, reach + 1):
        for dy in range(-reach, reach + 1):
            px = img.getpixel((x + dx, y + dy))
            if all(abs(a - b) <= 40 for a, b in zip(px, colour)):
                return True
    return False


def _edge_points(box, page_index, dpi, page_h_px):
    """Points on the left and bottom edges of ``box`` as drawn inside the picture."""
    s = dpi / 72
    y_off = show.HEADER_H + page_index * (show.BAND_H + page_h_px) + show.BAND_H
    x0, top, x1, bottom = (v * s for v in box)
    return [(round(x0) + 2, y_off + round((top + bottom) / 2) + 4), (round((x0 + x1) / 2), y_off + round(bottom) - 2)]


def test_show_draws_every_page_with_cells_coloured_by_status(report, tmp_path):
    _, result, doc = report
    out = tmp_path / "show.png"
    done = run("show", result, "--doc", doc["doc_id"], "-o", out, "--dpi", 100)
    assert done.returncode == 0, done.stderr
    assert "3 to review" in done.stderr and "1 repaired" in done.stderr
    page_w, page_h = round(A4[0] * 100 / 72), round(A4[1] * 100 / 72)
    with Image.open(out) as img:
        img = img.convert("RGB")
        assert img.size == (page_w, show.HEADER_H + 2 * (show.BAND_H + page_h))
        cells = doc["cells"]
        for key, colour in (("t3.granted.total", show.ORANGE), ("t3.refused.natural", show.ORANGE),
                            ("t3.new.natural", show.GREEN), ("t3.partly.total", show.BLUE),
                            ("t4.review.upheld", show.GREEN), ("t4.review.corrected", show.ORANGE)):
            index = cells[key]["page"] - 1
            for x, y in _edge_points(cells[key]["box"], index, 100, page_h):
                assert _near(img, x, y, colour), (key, (x, y), img.getpixel((x, y)))


def test_show_turns_a_scanned_page_so_boxes_fall_on_its_ruling(report):
    pdf, _, doc = report
    img = show.page_image(pdf, doc, 2, 100).convert("L")
    assert img.size == (round(A4[0] * 100 / 72), round(A4[1] * 100 / 72))
    s = 100 / 72
    for key in ("t4.review.upheld", "t4.review.corrected", "t4.review.total"):
        x0, top, x1, bottom = (v * s for v in doc["cells"][key]["box"])
        # the left ruling line at mid height, and the bottom one at mid width, are where the box says
        assert min(img.getpixel((x, round((top + bottom) / 2))) for x in range(round(x0) - 2, round(x0) + 3)) < 140
        assert min(img.getpixel((round((x0 + x1) / 2), y)) for y in range(round(bottom) - 2, round(bottom) + 3)) < 140
        # and the middle of the cell is not a line
        assert img.getpixel((round(x0) + 6, round(top) + 4)) > 200


def test_show_html_lists_the_review_cells(report, tmp_path):
    _, result, doc = report
    out = tmp_path / "show.html"
    done = run("show", result, "--doc", doc["doc_id"], "-o", out, "--dpi", 50)
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    for key in REVIEW:
        assert f"<td>{key}</td>" in page
    assert "misread digit" in page and "data:image/png;base64," in page


@pytest.mark.parametrize("args, says", [
    (["--doc", "nope"], "no document 'nope'"),
    (["--doc", "plain_text_2023"], "text input"),
    (["--doc", "broken"], "extraction failed"),
    ([], "choose one with --doc"),
])
def test_show_refuses_in_one_line(report, tmp_path, args, says):
    _, result, _ = report
    done = run("show", result, *args, "-o", tmp_path / "x.png")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert says in done.stderr
    if args and args[1] == "nope":
        assert "demo_district_2023" in done.stderr and "plain_text_2023" in done.stderr


def test_show_names_a_missing_source(report, tmp_path):
    _, _, doc = report
    moved = tmp_path / "moved.jsonl"
    moved.write_text(json.dumps({**doc, "source": str(tmp_path / "gone.pdf")}, ensure_ascii=False) + "\n", encoding="utf-8")
    done = run("show", moved, "-o", tmp_path / "x.png")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "source file not found" in done.stderr and "gone.pdf" in done.stderr
    assert run("show", moved, "-o", tmp_path / "x.png", "--source", doc["source"]).returncode == 0


if __name__ == "__main__":  # python tests/test_show.py FOLDER: build the sample report and its result there
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/gaiml-show")
    folder.mkdir(parents=True, exist_ok=True)
    print(*make_report(folder)[:2])
