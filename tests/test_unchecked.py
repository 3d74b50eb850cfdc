"""In a text read by OCR, figures no relation checks go to review instead of counting as verified."""

from __future__ import annotations

import json

import pytest

from gaiml.evaluate import evaluate
from gaiml.pipeline import ExtractSettings, Pipeline
from gaiml.verify.unchecked import UNCHECKED_CONFIDENCE, unconfirmed

from conftest import ALL_SEEDS, SEEDS

SEED = next(s for s in ALL_SEEDS if s.doc_id.startswith("002"))  # verified, with 表二 figures


@pytest.fixture(scope="module")
def rules():
    return Pipeline.load(ExtractSettings(engine="rules"))


def test_declared_ocr_holds_unchecked_figures_for_review(rules):
    plain = rules.extract(SEED.path)
    assert plain.status == "verified"
    read = rules.extract(SEED.path, ocr=True)
    assert read.status == "needs review"
    held = [k for k in read.review_cells()]
    assert held and all(k.startswith("t2.") for k in held)
    for key in held:
        cell = read.cells[key]
        assert cell.value == plain.cells[key].value  # nothing changes but the confidence
        assert cell.value not in (None, 0)
        assert cell.confidence == UNCHECKED_CONFIDENCE and "OCR" in cell.note
    # figures the relations confirm, and zeros, stay as sure as before
    for key, cell in read.cells.items():
        if key not in held:
            assert cell.confidence == plain.cells[key].confidence


def test_unconfirmed_are_the_nonzero_figures_no_holding_relation_checks(rules):
    read = rules.extract(SEED.path)
    keys = unconfirmed(read.cells, read.template.value, read.other_form.value)
    assert "t2.procurement.amount" in keys
    assert not any(k.startswith(("t3.", "t4.")) for k in keys)  # seed 002's 表三/表四 relations all hold
    broken = dict(read.cells)
    total = broken["t3.total.total"]
    broken["t3.total.total"] = type(total)(total.value + 5, total.start, total.end, total.text, total.confidence, "rules")
    assert "t3.total.total" in unconfirmed(broken, read.template.value, read.other_form.value)


def test_a_figure_derived_from_its_rows_sum_confirms_nothing():
    """In OCR'd text a row printed one figure short is completed from its sum (verify/complete.py):
    that relation holds by construction, so it checks neither the derived figure nor the row's
    others (Tesseract's "lo", a cell rule and a zero, read 10 in three cells, made a total of 30)."""
    from gaiml import schema
    from gaiml.document import CellReading

    keys = schema.cell_keys("2021", "split")
    cells = {k: CellReading(None, None, None, None, 0.9, "rules", "blank cell") for k in keys}
    row = [f"t3.other_no_correction.{c.key}" for c in schema.T3_COLUMNS]
    for i, (key, value) in enumerate(zip(row, (0, 0, 0, 10, 10, 10, 30))):
        cells[key] = CellReading(value, 10 * i, 10 * i + 2, str(value), 0.97, "rules")
    printed = unconfirmed(cells, "2021", "split")
    assert not set(row) & set(printed)  # the printed total checks the row
    cells[row[-1]] = CellReading(30, None, None, None, 0.7, "rules", "not printed where expected; derived from the row's sum")
    assert set(row[3:]) <= set(unconfirmed(cells, "2021", "split"))


def test_ocr_damage_counts_as_ocr_without_being_told(rules):
    one = SEED.text.replace("本年新收政府信息公开申请数量", "本年新收政府信公开申请数量")
    two = one.replace("本机关不掌握相关政府信息", "本机关不掌握相关政信息")
    assert rules.engine.extract(one).ocr_traces == 1
    assert rules.extract_text(one).status == "verified"  # one approximate label is common in clean text
    assert rules.engine.extract(two).ocr_traces == 2
    read = rules.extract_text(two)
    assert read.status == "needs review" and "t2.procurement.amount" in read.review_cells()
    # a damaged label and a figure printed with an OCR letter ("1O" for 10) are two signs too
    lettered = one.replace("行政事业性收费\t0\t0", "行政事业性收费\tO\t0")
    assert lettered != one and rules.engine.extract(lettered).ocr_traces == 2


def test_eval_extracts_inputs_matching_the_ocr_glob_as_ocr(tmp_path):
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / f"{SEED.doc_id}.json").write_text(json.dumps(SEED.gold, ensure_ascii=False), encoding="utf-8")
    settings = ExtractSettings(engine="rules")
    plain = evaluate(gold, SEEDS / "raw", settings)
    assert plain["overall"]["verified_documents"] == 1
    marked = evaluate(gold, SEEDS / "raw", settings, ocr_inputs="002_*")
    assert marked["overall"]["verified_documents"] == 0
    assert marked["overall"]["cell_accuracy"] == plain["overall"]["cell_accuracy"]


def test_ocr_read_broken_relation_sends_its_cells_to_review_not_to_the_author():
    """Both engines read the same OCR text, so their agreeing on a figure that breaks a relation
    does not make it the author's error: every cell of the broken relation goes to review."""
    seed = next(s for s in ALL_SEEDS if "\t" in next(l for l in s.text.splitlines() if "予以公开" in l))
    line = next(l for l in seed.text.splitlines() if "予以公开" in l)
    figures = line.rstrip("\t").split("\t")
    figures[-2] = str(int(figures[-2]) + 22)  # 其他 read "2x" for "x", the row's total as printed
    text = seed.text.replace(line, "\t".join(figures))
    auto = Pipeline.load(ExtractSettings(engine="auto"))
    plain = auto.extract_text(text)
    read = auto.extract_text(text, ocr=True)
    broken = {k for r in read.validation["broken"] for k in r["left"] + r["right"]}
    assert broken and broken <= set(read.review_cells())
    assert read.validation["source_inconsistent"] == [] and read.status == "needs review"
    assert plain.validation["broken"] == read.validation["broken"]


def _zeros(template: str = "2021", other_form: str = "split") -> dict:
    """Every cell a printed "0", each at a place of its own, in the template's order."""
    from gaiml import schema
    from gaiml.document import CellReading

    return {k: CellReading(0, 4 * i, 4 * i + 1, "0", 0.99, "model") for i, k in enumerate(schema.cell_keys(template, other_form))}


def _lose(cells: dict, *keys: str) -> None:
    from gaiml.document import CellReading

    for key in keys:
        cells[key] = CellReading(None, None, None, None, 0.0, "auto", "no engine read this cell")


def test_zeros_of_a_line_that_lost_figures_need_a_non_zero_relation():
    """Tesseract drops whole figures and the model places what a line kept: on a line that lost
    two figures a "0" may be another column's, and an all-zero relation holds wherever the zeros
    stand (dev: a granted row printed "2 0 0 0 0 0 2" read as four zeros, two figures lost, its
    total "0" went out outside the review list)."""
    from gaiml import schema

    row = [f"t3.granted.{c.key}" for c in schema.T3_COLUMNS]
    cells = _zeros()
    assert unconfirmed(cells, "2021", "split") == []  # a whole line of zeros, every relation holding
    _lose(cells, row[0], row[1])
    held = unconfirmed(cells, "2021", "split")
    # the line's blanks, and its zeros, which only all-zero relations (or none assessable) hold; no other line's
    assert set(held) == set(row)
    # a relation with a non-zero figure read that holds checks the "0" wherever the line stands
    from dataclasses import replace

    for row_ in ("new_received", "partial", "total"):  # 3 partly granted, the research column's and the total's
        for col in ("research", "total"):
            key = f"t3.{row_}.{col}"
            cells[key] = replace(cells[key], value=3, text="3")
    held = unconfirmed(cells, "2021", "split")
    assert "t3.granted.research" not in held and "t3.granted.total" not in held
    assert "t3.granted.social_org" in held


def test_one_lost_figure_leaves_its_lines_zeros_alone_unless_a_relation_needs_it_non_zero():
    """A lost figure absorbs whatever a misread "0" beside it should have been: with a total "8"
    printed and one figure lost, "6" read "0" goes unseen, so the row's zeros are unchecked; a
    lost figure its relation needs 0 bounds them (counts are never negative)."""
    from dataclasses import replace

    row = "t3.rejected_duplicate"
    cells = _zeros()
    _lose(cells, f"{row}.commercial")
    assert unconfirmed(cells, "2021", "split") == [f"{row}.commercial"]
    cells[f"{row}.total"] = replace(cells[f"{row}.total"], value=8, text="8")
    held = unconfirmed(cells, "2021", "split")
    assert {f"{row}.natural_person", f"{row}.research", f"{row}.other_org"} <= set(held)
    assert "t3.rejected_petition.natural_person" not in held  # the line above lost nothing


def test_a_figure_read_for_two_columns_apart_makes_its_lines_zeros_unchecked():
    """A line read on into the next one takes a printed figure for two columns with another
    between them: where its zeros stand is a guess, and its all-zero row confirms none of them
    (dev: 上年结转 printed 1 … 1, read all zeros, its total confirmed only by the all-zero row)."""
    from dataclasses import replace

    row = "t3.carried_over"
    cells = _zeros()
    neighbours = replace(cells[f"{row}.social_org"], start=cells[f"{row}.commercial"].start)
    cells[f"{row}.social_org"] = neighbours
    held = unconfirmed(cells, "2021", "split")
    assert f"{row}.total" in held and not any(k.startswith("t3.new_received.") for k in held)
    cells = _zeros()
    cells[f"{row}.research"] = replace(cells[f"{row}.research"], start=cells[f"{row}.commercial"].start)
    assert unconfirmed(cells, "2021", "split") == []  # adjacent columns: zeros fused and split ("00")


def test_held_zero_says_why():
    from gaiml.verify.unchecked import hold_for_review

    cells = _zeros()
    _lose(cells, "t4.review.upheld", "t4.review.total")  # 表四's fifteen figures are one printed line
    held, keys = hold_for_review(cells, "2021", "split")
    assert "t4.suit_after_review.pending" in keys and "t3.granted.total" not in keys
    cell = held["t4.suit_direct.total"]
    assert cell.value == 0 and cell.confidence == UNCHECKED_CONFIDENCE and "another column's 0" in cell.note
