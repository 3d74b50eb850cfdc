"""The synthetic report generator (training/synth): constraints, labels, determinism, key sets."""

import gzip
import json
import shutil
from pathlib import Path

import pytest

from gaiml import schema
from gaiml.values import parse_cell, values_equal
from training.synth import STYLES, generate, sample_report
from training.synth.labels import check_round_trip

REPO = Path(__file__).resolve().parents[1]
SEEDS = range(2)


def _holds(relation, cells) -> bool:
    values = [cells[k] for k in relation.keys]
    if any(v is None for v in values):
        return True  # a blank cell: the relation cannot be checked (SPEC), not a violation
    return sum(cells[k] for k in relation.left) == sum(cells[k] for k in relation.right)


def test_synth_constraints_hold_without_quirks():
    checked = 0
    for seed in range(300):
        report = sample_report(seed)
        if report.quirks:
            continue
        for relation in schema.relations(report.template, report.other_form):
            assert _holds(relation, report.cells), (seed, relation.name)
        checked += 1
    assert checked > 250


def test_synth_arithmetic_quirk_breaks_a_relation():
    broken = [s for s in range(1200) if sample_report(s).quirks == ("arith_error",)]
    assert broken
    for seed in broken[:5]:
        report = sample_report(seed)
        assert not all(_holds(r, report.cells) for r in schema.relations(report.template, report.other_form))


def test_synth_key_set_equals_schema():
    for seed in range(100):
        report = sample_report(seed)
        assert tuple(report.cells) == schema.cell_keys(report.template, report.other_form)
        assert report.template == ("2019" if report.year <= 2020 else "2021")


def test_synth_covers_templates_forms_and_nulls():
    reports = [sample_report(s) for s in range(600)]
    assert {(r.template, r.other_form) for r in reports} == {("2019", "single"), ("2021", "single"), ("2021", "split")}
    assert {r.year for r in reports} == set(range(2019, 2026))
    assert any(v is None for r in reports for v in r.cells.values())
    assert any(isinstance(v, int) and v < 0 for r in reports for v in r.cells.values())
    assert any(isinstance(v, float) for r in reports for v in r.cells.values())


@pytest.mark.parametrize("style", sorted(STYLES))
def test_synth_labels_round_trip(style):
    for seed in SEEDS:
        g = generate(seed, style)
        check_round_trip(g.text, g.spans, g.report, skip_misread=STYLES[style].ocr_noise)
        kinds = {s["kind"] for s in g.spans}
        assert {"cell", "row", "agency", "year"} <= kinds
        for s in g.spans:
            assert 0 <= s["start"] <= s["end"] <= len(g.text)
        agency = [g.text[s["start"]:s["end"]] for s in g.spans if s["kind"] == "agency"]
        joined = "".join(agency).replace(" ", "").replace("\n", "")  # wrapped names come in fragments
        assert g.report.agency in joined or STYLES[style].ocr_noise


@pytest.mark.parametrize("style", ["tabs_mangled", "lynx", "pdftotext_layout", "tabs_ocrnoise"])
def test_synth_deterministic(style):
    a, b = generate(7, style), generate(7, style)
    assert a.text == b.text and a.spans == b.spans and a.report.cells == b.report.cells


def test_synth_ocr_noise_marks_misreads():
    for seed in range(6):
        g = generate(seed, "pdftotext_ocrnoise")
        index = schema.cell_index(g.report.template, g.report.other_form)
        for s in g.spans:
            if s["kind"] != "cell":
                continue
            try:
                ok = values_equal(parse_cell(g.text[s["start"]:s["end"]], index[s["key"]].kind), g.report.cells[s["key"]])
            except ValueError:
                ok = False
            assert ok != s["ocr_misread"], s


@pytest.mark.parametrize("tool", ["lynx", "w3m", "pandoc", "pdftotext"])
def test_synth_debian_tools_installed(tool):
    # CI installs training/apt-packages.txt: a missing tool is a failure, not a skip.
    assert shutil.which(tool), f"{tool} missing: apt-get install -y $(cat training/apt-packages.txt)"


def test_synth_benchmark_split_gold_format():
    gold_dir = REPO / "training" / "benchmark_split" / "gold"
    files = sorted(gold_dir.glob("*.json"))
    assert files, "benchmark split missing: python -m training.synth benchmark"
    styles = set()
    for path in files[::7]:
        gold = json.loads(path.read_text(encoding="utf-8"))
        styles.add(gold["style"])
        assert tuple(gold["cells"]) == schema.cell_keys(gold["template"], gold["other_form"])
        fields = {"doc_id", "template", "year", "agency", "cells", "style", "other_form"}
        if (REPO / "training" / "benchmark_split" / "raw" / f"{gold['doc_id']}.pdf").exists():
            assert set(gold) == fields  # a PDF input has no fixed text for spans to index
            continue
        assert set(gold) == fields | {"spans"}
        text = (REPO / "training" / "benchmark_split" / "raw" / f"{gold['doc_id']}.txt").read_text(encoding="utf-8")
        index = schema.cell_index(gold["template"], gold["other_form"])
        for span in gold["spans"]:  # the spans read back as the gold cells
            if not span["ocr_misread"]:
                piece = text[span["start"]:span["end"]]
                assert values_equal(parse_cell(piece, index[span["key"]].kind), gold["cells"][span["key"]])
    assert {"ocr_scan", "ocr_searchable", "pdftotext_layout"} <= styles


@pytest.mark.parametrize("style", ["ocr_scan", "ocr_searchable"])
def test_synth_ocr_cache_round_trips(style):
    path = REPO / "training" / "ocr_cache" / f"{style}.jsonl.gz"
    assert path.exists(), f"OCR cache missing: python -m training.synth ocr --style {style}"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    assert len(rows) >= 60 and {r["style"] for r in rows} == {style}
    for row in rows[:20]:
        cells = json.loads(row["cells"])
        index = schema.cell_index(row["template"], row["other_form"])
        assert tuple(cells) == schema.cell_keys(row["template"], row["other_form"])
        for s in row["spans"]:
            if s["kind"] == "cell" and not s["ocr_misread"]:
                assert values_equal(parse_cell(row["text"][s["start"]:s["end"]], index[s["key"]].kind), cells[s["key"]])


@pytest.mark.slow
def test_synth_searchable_scan_is_real_ocr_read_back_by_pdftotext():
    """One searchable scan made from scratch (RapidOCR, reportlab, pdftotext -layout): its figure
    spans read back as the gold, up to the cells OCR misread, and the text is pdftotext's layout."""
    from training.synth.ocr import SEED_BASES
    from training.synth.searchable import searchable_document

    row = searchable_document(SEED_BASES["ocr_searchable"] + 10_000)
    report = sample_report(row["seed"], row["doc_id"])
    spans = [s for s in row["spans"] if s["kind"] == "cell"]
    check_round_trip(row["text"], row["spans"], report, skip_misread=True)
    assert len(spans) >= 0.9 * sum(p.end > p.start for p in report.printed.values())
    assert sum(s["ocr_misread"] for s in spans) <= 0.05 * len(spans)
    assert {s["key"].split(".")[0] for s in spans} == {"t2", "t3", "t4"}
    assert any("   " in line for line in row["text"].splitlines())  # columns laid out with spaces
