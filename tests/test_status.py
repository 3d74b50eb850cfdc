"""gaiml/verify/status.py: the one place a document's status and review list are decided."""

from __future__ import annotations

import random

from gaiml import schema
from gaiml.document import BLANK_CELL_NOTE, CellReading
from gaiml.output import output_schema
from gaiml.pipeline import ExtractSettings, Pipeline
from gaiml.verify.status import (ACCEPTED_BLANK_NOTE, BROKEN, NEEDS_REVIEW, REVIEW_BELOW, STATUSES, UNPLACED, UNSURE,
                                 VERIFIED, ReviewItem, judge)
from relayout import vary_values

from conftest import ALL_SEEDS

SEED = ALL_SEEDS[0]  # 2021, split form


def test_status_words_are_the_output_schemas():
    assert set(STATUSES) == set(output_schema()["properties"]["status"]["enum"])


def cells_of(values: dict, confidence: float = 0.97) -> dict[str, CellReading]:
    return {k: CellReading(v, None if v is None else 10 * i, None if v is None else 10 * i + len(str(v)),
                           None if v is None else str(v), confidence, "rules", BLANK_CELL_NOTE if v is None else None)
            for i, (k, v) in enumerate(values.items())}


def test_a_printed_blank_every_relation_accepts_is_no_review_item():
    """A blank the rules read as printed blank (an unsure 0.85) in a table whose sums hold with it
    as nothing: no look can change it, so it is not listed, and the document can be verified."""
    values = vary_values(SEED.gold, random.Random(1))["cells"]
    zero_t3 = next(k for k, v in values.items() if k.startswith("t3.") and v == 0)
    blank_t2 = next(k for k in values if k.startswith("t2."))
    values = {**values, zero_t3: None, blank_t2: None}
    cells = cells_of(values)
    for key in (zero_t3, blank_t2):
        cells[key].confidence = 0.85
    verdict = judge(cells, "2021", "split", flagged=None, inconsistent=[], ocr=False)
    assert verdict.review == [] and verdict.status == VERIFIED
    assert verdict.cells[zero_t3].note == ACCEPTED_BLANK_NOTE and verdict.cells[zero_t3].confidence >= REVIEW_BELOW
    assert verdict.cells[zero_t3].value is None  # null stays null


def test_a_blank_where_the_arithmetic_needs_a_figure_stays_in_review():
    values = vary_values(SEED.gold, random.Random(2))["cells"]
    key = next(k for k, v in values.items() if k.startswith("t3.") and not k.endswith(".total") and v)
    cells = cells_of({**values, key: None})
    cells[key].confidence = 0.85
    verdict = judge(cells, "2021", "split", flagged=None, inconsistent=[], ocr=False)
    assert key in [i.cell for i in verdict.review] and verdict.status == NEEDS_REVIEW
    assert verdict.cells[key].note == BLANK_CELL_NOTE


def test_in_ocr_text_a_blank_stays_in_review():
    """OCR loses lone narrow figures: a blank may be a lost "0", which keeps every sum."""
    values = vary_values(SEED.gold, random.Random(3))["cells"]
    zero_t3 = next(k for k, v in values.items() if k.startswith("t3.") and v == 0)
    blank_t2 = next(k for k in values if k.startswith("t2."))
    cells = cells_of({**values, zero_t3: None, blank_t2: None})
    for key in (zero_t3, blank_t2):
        cells[key].confidence = 0.85
    verdict = judge(cells, "2021", "split", flagged=None, inconsistent=[], ocr=True)
    assert {zero_t3, blank_t2} <= {i.cell for i in verdict.review}


def test_of_a_broken_relation_the_cells_in_doubt_are_listed():
    """A 表四 total one too high, with one of its parts read unsurely: that part is the suspect;
    without any cell in doubt, every cell of the relation is listed."""
    values = vary_values(SEED.gold, random.Random(6))["cells"]
    values["t4.review.total"] += 1
    cells = cells_of(values)
    cells["t4.review.upheld"].confidence = 0.6
    verdict = judge(cells, "2021", "split", flagged=None, inconsistent=[], ocr=False)
    assert [(i.cell, i.risk) for i in verdict.review] == [("t4.review.upheld", BROKEN)]


def test_review_items_say_why_and_the_riskiest_come_first():
    values = vary_values(SEED.gold, random.Random(4))["cells"]
    values["t4.review.total"] += 1  # breaks 表四's row
    cells = cells_of(values)
    unsure = "t2.rules.issued"
    cells[unsure].confidence = 0.6
    verdict = judge(cells, "2021", "split", flagged=None, inconsistent=[], ocr=False)
    assert verdict.status == NEEDS_REVIEW
    risks = [i.risk for i in verdict.review]
    assert risks == sorted(risks) and risks[0] == BROKEN and verdict.review[-1] == ReviewItem(unsure, verdict.review[-1].why, UNSURE)
    broken = [i for i in verdict.review if i.risk == BROKEN]
    assert {i.cell for i in broken} == {k for r in schema.relations("2021", "split") if r.name.startswith("t4.review")
                                        for k in r.keys}
    assert all("does not hold" in i.why for i in broken)
    assert "confidence 0.60" in verdict.review[-1].why


def test_output_review_items_carry_why():
    """End to end: a clean report declared OCR output holds its 表二 figures, each saying why."""
    seed = next(s for s in ALL_SEEDS if s.doc_id.startswith("002"))
    doc = Pipeline.load(ExtractSettings(engine="rules")).extract(seed.path, ocr=True).to_json()
    assert doc["output_version"] == 2 and doc["status"] == NEEDS_REVIEW and doc["review"]
    assert all(set(item) == {"cell", "why"} and "OCR" in item["why"] for item in doc["review"])


def test_a_guessed_other_form_sends_its_rows_to_review_before_lesser_doubts():
    """The 其他处理 form told from garbled words (detect.FORM_SURE): whatever was read in its rows
    a person checks, since read with the other form those rows are other cells."""
    from gaiml.verify.status import FORM, FORM_DOUBT_NOTE, ReviewItem, doubt_form

    values = vary_values(SEED.gold, random.Random(3))["cells"]
    cells = cells_of(values)
    rows = [k for k in cells if k.startswith(("t3.other_no_correction.", "t3.other_no_fee.", "t3.other_misc."))]
    review = [ReviewItem(rows[0], "read with confidence 0.80", UNSURE), ReviewItem(rows[1], "a broken sum", BROKEN)]
    doubt_form(cells, review, "2021", "split")
    by_cell = {item.cell: item for item in review}
    assert set(by_cell) == set(rows) and len(review) == len(rows) == 21
    assert by_cell[rows[0]].risk == FORM and by_cell[rows[1]].risk == BROKEN  # a riskier reason stays
    assert all(cells[k].confidence < REVIEW_BELOW and FORM_DOUBT_NOTE in cells[k].note for k in rows)
    verdict = judge(cells, "2021", "split", flagged=review, inconsistent=[], ocr=False)
    assert verdict.status == NEEDS_REVIEW and set(rows) <= {item.cell for item in verdict.review}


def test_a_column_the_report_leaves_blank_is_no_review_item_in_its_rows():
    """SPEC: some reports leave 表三's 总计 column blank for most rows. In text not read by OCR each
    such blank is what the report prints, whatever its row's sum implies: no review item; in
    OCR'd text, or in a column blank in a few rows only, the blank stays in review."""
    from gaiml.verify.status import BLANK_COLUMN_NOTE, IMPLIED

    values = vary_values(SEED.gold, random.Random(5))["cells"]
    totals = [k for k in values if k.startswith("t3.") and k.endswith(".total")]
    cells = cells_of({**values, **{k: None for k in totals}})
    for i, key in enumerate(totals):  # printed blanks, each with its span
        cells[key] = CellReading(None, 5000 + 3 * i, 5002 + 3 * i, "  ", 0.5, "rules", "blank cell")
    implied = [ReviewItem(k, "blank, but its row implies a figure", IMPLIED) for k in totals]
    verdict = judge(cells, "2021", "split", flagged=list(implied), inconsistent=[], ocr=False)
    assert not {item.cell for item in verdict.review} & set(totals)
    assert all(verdict.cells[k].note == BLANK_COLUMN_NOTE.format(rows=len(totals)) for k in totals)
    assert verdict.status == VERIFIED  # every relation needing a blank total is unassessable
    ocr = judge(cells, "2021", "split", flagged=list(implied), inconsistent=[], ocr=True)
    assert set(totals) <= {item.cell for item in ocr.review}
    few = dict(cells)
    for key in totals[5:]:
        few[key] = CellReading(values[key], 6000, 6002, str(values[key]), 0.97, "rules")
    verdict = judge(few, "2021", "split", flagged=implied[:5], inconsistent=[], ocr=False)
    assert set(totals[:5]) <= {item.cell for item in verdict.review}


def test_rows_read_from_the_same_printed_figures_go_to_review_whole():
    """A blank row whose next label was missed reads the next row's figures as its own (its two
    zeros and the next row's five make the seven cells it needs), and the next row reads them
    again where they stand: every sum still holds with zeros, so only the shared characters tell.
    Both rows go to review, every cell of them; the other rows are left alone."""
    values = vary_values(SEED.gold, random.Random(5))["cells"]
    cells = cells_of(values)
    before = {i.cell for i in judge(cells, "2021", "split", flagged=None, inconsistent=[], ocr=False).review}
    safety = [k for k in cells if k.startswith("t3.denied_safety.")]
    third = [k for k in cells if k.startswith("t3.denied_third_party.")]
    assert not before & (set(safety) | set(third))
    for mine, theirs in zip(safety[2:], third):  # the safety row's last five read from the next row's
        cells[mine] = CellReading(cells[mine].value, cells[theirs].start, cells[theirs].end, cells[theirs].text, 0.97, "rules")
    verdict = judge(cells, "2021", "split", flagged=None, inconsistent=[], ocr=False)
    review = {i.cell: i for i in verdict.review}
    assert verdict.status == NEEDS_REVIEW
    assert set(review) - before == set(safety) | set(third)
    assert all(review[k].risk == UNPLACED for k in safety + third)
    assert "t3.denied_third_party" in review[safety[0]].why and "t3.denied_safety" in review[third[0]].why
    assert all(verdict.cells[k].confidence < REVIEW_BELOW for k in review)
