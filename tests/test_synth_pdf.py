"""The .pdf styles of the synthetic generator: the official Word template through LibreOffice, and
rough scans of it (training/synth/officepdf.py, scan.py)."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("docx")
pdfplumber = pytest.importorskip("pdfplumber")
pytest.importorskip("PIL")

from training.synth import officepdf  # noqa: E402
from training.synth.dataset import BENCHMARK_SEED0, all_styles  # noqa: E402

needs_tools = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm") and officepdf.TEMPLATE_2021.exists()),
    reason="needs LibreOffice, poppler-utils and ../shared/templates/template-2021.docx")

SEED0 = BENCHMARK_SEED0 + 7_000_000  # away from the split's seeds


def test_file_styles_stay_out_of_the_training_mix():
    assert not set(officepdf.FILE_STYLES) & set(all_styles())


def test_template_seeds_are_2021_split_reports():
    seeds = officepdf.style_seeds("pdf_template", 3, SEED0)
    assert seeds == officepdf.style_seeds("pdf_template", 3, SEED0)
    from training.synth.content import sample_report

    assert all(officepdf.fits_template(sample_report(s)) for s in seeds)


@needs_tools
def test_template_pdf_and_rough_scan(tmp_path):
    (seed,) = officepdf.style_seeds("pdf_template", 1, SEED0)
    docs, _ = officepdf.make_documents("pdf_template", [seed], tmp_path / "t")
    doc_id, path, gold = docs[0]
    assert doc_id == f"pdf_template_{seed}" and path.suffix == ".pdf"
    assert gold["style"] == "pdf_template" and "spans" not in gold and gold["template"] == "2021"
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) >= 3
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    assert gold["agency"] in text.replace(" ", "").replace("\n", "")
    assert str(gold["year"]) in text
    assert "申请人情况" in text and "本年新收" in text.replace(" ", "")
    tokens = set(text.replace(",", "").split())
    big = [v for k, v in gold["cells"].items() if isinstance(v, int) and v >= 10]
    assert big and sum(str(v) in tokens for v in big) >= len(big) // 2

    (seed,) = officepdf.style_seeds("scan_template_rough", 1, SEED0)
    docs, _ = officepdf.make_documents("scan_template_rough", [seed], tmp_path / "r")
    doc_id, path, gold = docs[0]
    assert gold["style"] == "scan_template_rough"
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) >= 3
        assert all(not (p.extract_text() or "").strip() for p in pdf.pages)  # no text layer
        assert all(len(p.images) == 1 for p in pdf.pages)
