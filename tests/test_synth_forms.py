"""The generator's real-world text forms (training/synth/forms.py, tesseract.py): each style's labels
round-trip, and each text shows the form's signature property."""

from __future__ import annotations

import re
import shutil

import pytest

pytest.importorskip("bs4")
pytest.importorskip("docx")

from training.synth.generate import generate  # noqa: E402
from training.synth.labels import check_round_trip  # noqa: E402

HANZI = "\u4e00-\u9fff"
FIGURE_LINE = re.compile(r"^[0-9,.+\-/—]+$")


def _cells(g):
    return [s for s in g.spans if s["kind"] == "cell"]


def _round_trip(g, ocr: bool = False, min_cells: int = 60):
    check_round_trip(g.text, g.spans, g.report, skip_misread=ocr)
    assert len(_cells(g)) >= min_cells
    for s in _cells(g):
        assert "\n" not in g.text[s["start"]:s["end"]]


def test_glued():
    g = generate(1_000_007, "glued")
    _round_trip(g)
    # a digit run that holds several cells: "472001050" for 47|2|0|0|1|0|50
    cells = sorted(_cells(g), key=lambda s: s["start"])
    longest, run = 1, 1
    for a, b in zip(cells, cells[1:]):
        run = run + 1 if b["start"] == a["end"] else 1
        longest = max(longest, run)
    assert longest >= 5
    assert re.search(r"20\d\d[01]\d[0-3]\d", g.text)  # a publication date like 20250310


def test_glued_negative_change():
    # a 2019-form report: a signed 本年增/减 figure glued between two counts
    g = next(g for g in (generate(s, "glued") for s in range(40)) if g.report.template == "2019"
             and any(isinstance(v, int) and v < 0 for v in g.report.cells.values()))
    _round_trip(g)
    neg = [s for s in _cells(g) if g.text[s["start"]] in "-－"]
    assert neg


def test_markdown_broken():
    g = generate(1_000_005, "markdown_broken")
    _round_trip(g)
    lines = g.text.split("\n")
    # a wrapped label: a "|" row continued by a row whose only text is the label's tail
    wrapped = False
    for a, b in zip(lines, lines[1:]):
        if a.startswith("|") and b.startswith("|"):
            ca, cb = a.strip("|").split("|"), b.strip("|").split("|")
            filled = [c for c in cb if c.strip()]
            if len(ca) == len(cb) and len(filled) == 1 and re.search(f"[{HANZI}]", filled[0]) \
                    and any(re.fullmatch(r"\s*\d+\s*", c) for c in ca):
                wrapped = True
    assert wrapped


def test_markdown_broken_header_in_cells():
    g = next(g for g in (generate(s, "markdown_broken") for s in range(1_000_000, 1_000_020))
             if re.search(r"\| (自然人|商业企业|结果维持)(<br/?>| )\d", g.text))
    _round_trip(g)


def test_template2019_large():
    g = generate(1_000_003, "template2019_large")
    _round_trip(g, min_cells=20)
    assert g.report.template == "2019"
    assert g.report.level in ("city", "county")
    nulls = [k for k, v in g.report.cells.items() if v is None]
    assert len(nulls) > 20  # large bodies leave most zero cells blank
    spanned = {s["key"] for s in _cells(g)}
    assert not spanned & {k for k in nulls if not g.report.printed[k].figure}


def test_template2019_large_subheaders():
    g = next(g for g in (generate(s, "template2019_large") for s in range(1_000_000, 1_000_010))
             if "栏次" in g.text)
    _round_trip(g, min_cells=20)


@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"),
                    reason="LibreOffice or poppler-utils missing (training/apt-packages.txt)")
def test_pdftotext_template():
    g = generate(5, "pdftotext_template")
    _round_trip(g)
    lines = [l.strip() for l in g.text.split("\n") if l.strip()]
    # out of row order: a line of only a label, then several lines of only figures
    found = any(re.search(f"[{HANZI}]", lines[i]) and not re.search(r"\d", lines[i])
                and all(FIGURE_LINE.match(l) for l in lines[i + 1:i + 5]) for i in range(len(lines) - 5))
    assert found
    assert any(re.fullmatch(r"(—\s*\d+\s*—|-\s*\d+\s*-|第\d+页|\d+)", l) for l in lines)  # page numbers


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice missing (training/apt-packages.txt)")
def test_tesseract():
    from training.synth import tesseract

    if not tesseract.available():
        pytest.skip("tesseract-ocr / tesseract-ocr-chi-sim not installed (training/apt-packages.txt)")
    g = generate(5, "tesseract")
    _round_trip(g, ocr=True, min_cells=15)
    # OCR damage: spaces inside CJK text or around figures, rules read as "|"
    assert re.search(f"[{HANZI}] [{HANZI}0-9]|[0-9] [{HANZI}]", g.text)
    assert "|" in g.text
    assert any(not s["ocr_misread"] for s in _cells(g))
