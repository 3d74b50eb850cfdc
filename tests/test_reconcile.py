"""The auto engine's decisions: repairs only on evidence, source errors kept as printed."""

import random
from dataclasses import replace

from gaiml import schema
from gaiml.document import CellReading, Field, Reading
from gaiml.pipeline import ExtractSettings, Pipeline
from gaiml.verify import check_relations
from gaiml.verify.reconcile import reconcile
from gaiml.verify.status import NEEDS_REVIEW, SOURCE_INCONSISTENT, VERIFIED, decide
from relayout import relayout, vary_values

from conftest import ALL_SEEDS

SEED = ALL_SEEDS[0]  # 2021, split form


def gold_values(seed=0) -> dict:
    return vary_values(SEED.gold, random.Random(seed))["cells"]


def reading(values: dict, engine: str, confidence: float = 0.97, printed: dict | None = None) -> Reading:
    """A Reading as an engine would return it; ``printed`` overrides a cell's printed text."""
    printed = printed or {}
    cells = {}
    for i, (key, value) in enumerate(values.items()):
        text = printed.get(key, "" if value is None else str(value))
        cells[key] = CellReading(value, 10 * i, 10 * i + len(text), text, confidence, engine)
    return Reading(Field("2021"), Field("split"), Field(2021), cells, 30)


def status_of(decision, template="2021", other_form="split") -> str:
    """The status gaiml/verify/status.py gives the decision's cells."""
    validation = check_relations({k: c.value for k, c in decision.cells.items()}, template, other_form)
    return decide(validation, decision.review, decision.inconsistent)


def test_reconcile_agreement_with_every_relation_holding_is_verified():
    values = gold_values()
    decision = reconcile(reading(values, "rules"), reading(values, "model", 0.99), "2021", "split")
    assert status_of(decision) == VERIFIED and decision.repairs == []
    assert all(c.confidence >= 0.99 for c in decision.cells.values())


def test_reconcile_misread_digit_only_the_constraints_can_fix():
    """Both engines read the scan's "8" where the report printed 3: the arithmetic says 3."""
    values = gold_values(1)
    key = "t3.new_received.natural_person"
    delta = 3 - values[key]  # make the printed value 3, keeping every relation
    for k in (key, "t3.new_received.total", "t3.total.natural_person", "t3.granted.natural_person", "t3.total.total",
              "t3.granted.total"):
        values[k] += delta
    misread = {**values, key: 8}
    decision = reconcile(reading(misread, "rules"), reading(misread, "model", 0.9), "2021", "split")
    cell = decision.cells[key]
    assert cell.value == 3 and cell.engine == "repaired" and "printed '8'" in cell.note
    assert decision.repairs == [{"cell": key, "printed": "8", "was": 8, "chosen": 3, "kind": "misread digit",
                                 "why": decision.repairs[0]["why"]}]
    assert "t3.new_received: 总计 = sum of applicants" in decision.repairs[0]["why"]
    # Every relation holds after the repair, but a repaired figure stays in review with why.
    assert cell.confidence < 0.9 and status_of(decision) == NEEDS_REVIEW
    assert [item.why for item in decision.review if item.cell == key][0].startswith("printed '8', read as 3")


def test_reconcile_repairs_no_digit_in_text_not_read_by_ocr():
    """Text that was not OCR'd prints what its author wrote: a relation its figure breaks is the
    author's, not a misread digit, so the printed value stays and the report is inconsistent."""
    values = gold_values(1)
    key = "t3.new_received.natural_person"
    delta = 3 - values[key]
    for k in (key, "t3.new_received.total", "t3.total.natural_person", "t3.granted.natural_person", "t3.total.total",
              "t3.granted.total"):
        values[k] += delta
    printed = {**values, key: 8}
    decision = reconcile(reading(printed, "rules"), reading(printed, "model", 0.9), "2021", "split", misreads=False)
    assert decision.cells[key].value == 8 and decision.repairs == []
    assert status_of(decision) == SOURCE_INCONSISTENT and decision.inconsistent


def test_reconcile_source_error_stays_as_printed():
    """The author's own arithmetic: both engines agree, no one-digit reading mends it."""
    values = gold_values(2)
    values["t3.carried_over.total"] += 11  # an 11 no single misread digit explains in every relation
    decision = reconcile(reading(values, "rules"), reading(values, "model", 0.99), "2021", "split")
    assert decision.cells["t3.carried_over.total"].value == values["t3.carried_over.total"]
    assert status_of(decision) == SOURCE_INCONSISTENT
    assert "t3.carried_over: 总计 = sum of applicants" in decision.inconsistent
    assert not [r for r in decision.repairs if r["cell"] == "t3.carried_over.total"]


def test_reconcile_shifted_row_is_taken_from_the_engine_the_arithmetic_supports():
    """The rules lost a blank cell and shifted a row; the model read it right."""
    values = gold_values(3)
    row = [f"t3.granted.{c.key}" for c in schema.T3_COLUMNS]
    shifted = {**values, **dict(zip(row, [values[k] for k in row[1:]] + [None]))}
    decision = reconcile(reading(shifted, "rules"), reading(values, "model", 0.8), "2021", "split")
    assert [decision.cells[k].value for k in row] == [values[k] for k in row]
    assert {r["cell"] for r in decision.repairs} <= set(row)
    assert all(r["kind"] == "engines disagree" for r in decision.repairs)


def test_reconcile_disagreement_without_arithmetic_goes_to_review():
    values = gold_values(4)
    other = {**values, "t2.rules.issued": values["t2.rules.issued"] + 1}  # 表二 has no relation
    decision = reconcile(reading(values, "rules"), reading(other, "model", 0.99), "2021", "split")
    assert status_of(decision) == NEEDS_REVIEW and "t2.rules.issued" in decision.review_cells


def test_reconcile_auto_engine_end_to_end_without_a_model(tmp_path):
    """With no model installed, auto is the rules plus the arithmetic, and says so."""
    pipeline = Pipeline.load(ExtractSettings(engine="auto", model_dir=None))
    if pipeline.engine.model is not None:
        pipeline.engine.model = None
    gold = vary_values(SEED.gold, random.Random(5))
    result = pipeline.extract_text(relayout(SEED.text, gold, "pipe"))
    assert result.values() == gold["cells"]
    assert result.status == VERIFIED
    assert any("no model installed" in w for w in result.warnings)


def test_reconcile_a_derived_figure_does_not_overrule_a_printed_one():
    """The report printed a total its row does not add up to; the model, missing that figure,
    derived one from the row's sum. The sum must not talk auto into the derived figure."""
    values = gold_values(4)
    key = "t3.denied_secret.total"
    printed = {**values, key: values[key] + 2}  # the author's slip
    model = reading(printed, "model", 0.99)
    derived = values[key]
    model.cells[key] = CellReading(derived, None, None, None, 0.6, "model", "derived from the row's sum")
    decision = reconcile(reading(printed, "rules"), model, "2021", "split")
    assert decision.cells[key].value == printed[key]
    assert decision.repairs == [] and status_of(decision) != VERIFIED


def test_reconcile_the_model_leads_where_the_rules_doubt_the_document():
    """Rules unsure of most cells (a layout they could not follow): where the engines disagree and
    no relation can settle it (表二 has none), the model's reading is taken, flagged for review."""
    values = gold_values(5)
    key = "t2.licensing.decisions"
    rules_values = {**values, key: values[key] + 10}
    doubtful = reading(rules_values, "rules", 0.5)
    decision = reconcile(doubtful, reading(values, "model", 0.75), "2021", "split")
    assert decision.cells[key].value == values[key] and key in decision.review_cells
    sure = reading(rules_values, "rules", 0.97)
    decision = reconcile(sure, reading(values, "model", 0.75), "2021", "split")
    assert decision.cells[key].value == rules_values[key] and key in decision.review_cells


def test_reconcile_a_much_surer_engine_settles_what_the_arithmetic_cannot():
    values = gold_values(6)
    key = "t2.penalty.decisions"
    rules = reading({**values, key: values[key] + 7}, "rules", 0.97)
    rules.cells[key] = CellReading(values[key] + 7, 0, 2, str(values[key] + 7), 0.5, "rules")  # one doubtful cell
    decision = reconcile(rules, reading(values, "model", 0.95), "2021", "split")
    assert decision.cells[key].value == values[key] and key in decision.review_cells


def test_reconcile_blank_cells_are_no_doubt_of_the_rules():
    """A report with a whole column printed blank: the rules' blanks (placed by position) do not
    hand the lead to the model."""
    values = gold_values(7)
    key = "t2.licensing.decisions"
    rules = reading({**values, key: values[key] + 10}, "rules", 0.97)
    for k in [k for k in values if k.endswith(".research")]:
        rules.cells[k] = CellReading(None, 0, 0, "", 0.85, "rules", "blank cell")
    decision = reconcile(rules, reading(values, "model", 0.75), "2021", "split")
    assert decision.cells[key].value == values[key] + 10


def test_reconcile_a_blank_by_position_is_a_reading_not_a_derived_figure():
    """The rules see a blank cell by column position (no span); the model put a figure there.
    The blank leads like any reading of the rules, so the row's printed total is not 'repaired'.
    In OCR'd text a blank no mark prints may be a figure OCR lost: the row's 总计 fixes it, in review."""
    values = gold_values(8)
    row = [k for k in values if k.startswith("t3.rejected_mass.")]
    values.update({k: 0 for k in row})
    values.update({row[0]: None, row[-1]: 1})  # natural_person blank, total 1: unassessable, kept
    rules = reading(values, "rules")
    rules.cells[row[0]] = CellReading(None, None, None, None, 0.85, "rules", "blank by column position")
    model = reading({**values, row[0]: 0, row[-1]: 0}, "model", 0.99)
    printed = reconcile(rules, model, "2021", "split", misreads=False)
    assert printed.cells[row[0]].value is None and printed.cells[row[-1]].value == 1
    assert not any(r["cell"] == row[-1] for r in printed.repairs)
    ocr = reconcile(rules, model, "2021", "split")
    assert ocr.cells[row[-1]].value == 1 and not any(r["cell"] == row[-1] for r in ocr.repairs)
    assert ocr.cells[row[0]].value == 1 and ocr.cells[row[0]].start is None and row[0] in ocr.review_cells


def _t4_line(line: str, figures: dict[str, tuple[int, str]], engine: str, confidence: float) -> dict:
    """Cells of 表四 read from ``line``: key -> (offset of the figure in the line, as printed)."""
    cells = {}
    for key, (at, printed) in figures.items():
        value = None if printed == "" else int(printed)
        cells[key] = CellReading(value, at, at + len(printed), printed, confidence, engine,
                                 "blank cell" if value is None else None)
    return cells


def test_reconcile_a_model_figure_from_another_cells_place_is_no_rival_of_a_printed_blank():
    """Blank rows taking figures (template2019_large): the rules place a row's figures under its
    columns, blanks between; the model reads the row shifted, each blank taking its neighbour's
    figure. The blanks stand, and no cell goes to review for it."""
    line = "   5         1         6"
    group = [f"t4.review.{f}" for f in ("upheld", "corrected", "other", "pending", "total")]
    rules = _t4_line(line, dict(zip(group, [(3, "5"), (5, ""), (13, "1"), (15, ""), (23, "6")])), "rules", 0.9)
    model = _t4_line(line, dict(zip(group, [(3, "5"), (13, "1"), (13, "1"), (23, "6"), (23, "6")])), "model", 0.9)
    as_read = lambda cells, engine: Reading(Field("2019"), Field("single"), Field(2020), cells, 30)  # noqa: E731
    decision = reconcile(as_read(rules, "rules"), as_read(model, "model"), "2019", "single", misreads=False, text=line)
    assert [decision.cells[k].value for k in group] == [5, None, 1, None, 6]
    assert not set(group) & set(decision.review_cells)
    # In text OCR read, a blank may be a figure OCR lost: there the model's figure stays a rival.
    ocr = reconcile(as_read(rules, "rules"), as_read(model, "model"), "2019", "single", misreads=True, text=line)
    assert {"t4.review.corrected", "t4.review.pending"} <= set(ocr.review_cells)


def test_reconcile_the_rules_row_shifted_is_still_mended_by_the_models_row():
    """A figure the model read from a place the rules gave another cell is no rival of its own,
    but a whole row the model read right still mends the relations the rules' shifted row breaks."""
    values = gold_values(3)
    row = [f"t3.granted.{c.key}" for c in schema.T3_COLUMNS]
    model = reading(values, "model", 0.8)  # each figure read where it is printed
    rules = reading(values, "rules", 0.97)
    for key, right in zip(row, row[1:]):  # the rules lost a blank: each figure one cell to the left
        rules.cells[key] = replace(model.cells[right], engine="rules", confidence=0.97)
    rules.cells[row[-1]] = CellReading(None, 999, 999, "", 0.9, "rules", "blank cell")
    decision = reconcile(rules, model, "2021", "split", misreads=False, text=" " * 2000)
    assert [decision.cells[k].value for k in row] == [values[k] for k in row]


def test_reconcile_column_numbers_and_bracketed_notes_are_no_cells_figures():
    """The 栏次 row ("1 2 3 … 15", on one line or one a line) numbers the columns, and a note glued
    to a figure ("1,781（848件逾期）") tells of another count: the model's readings there are none."""
    from gaiml.verify.reconcile import numbering_lines

    numbers = "   1   2    3    4    5   6    7    8   9    10 11    12   13  14   15\n"
    text = numbers + "   5                   6\n" + "栏次 1 2 3 4 5 6 7\n" + "\n".join(str(i) for i in range(1, 8)) + "\n1,781（848件逾期）"
    spans = numbering_lines(text)
    assert [text[s:e].split()[:2] for s, e in spans] == [["1", "2"], ["栏次", "1"], ["1", "2"]]
    assert numbering_lines("一、 1 2 3\n规章 1 2 3 4 5\n1\n2\n3\n") == ()  # a row's figures, too few numbers
    group = [f"t4.review.{f}" for f in ("upheld", "corrected", "other", "pending", "total")]
    row = len(numbers)
    rules = {group[0]: CellReading(5, row + 3, row + 4, "5", 0.9, "rules"),
             group[-1]: CellReading(6, row + 23, row + 24, "6", 0.9, "rules")}
    for k in group[1:-1]:
        rules[k] = CellReading(None, row + 5, row + 5, "", 0.9, "rules", "blank cell")
    at = [numbers.index(f" {n} ") + 1 for n in (1, 2, 3, 4, 5)]
    model = {k: CellReading(n, a, a + 1, str(n), 0.95, "model") for k, n, a in zip(group, (1, 2, 3, 4, 5), at)}
    note = text.index("848")
    model["t3.new_received.total"] = CellReading(848, note, note + 3, "848", 0.97, "model")
    rules["t3.new_received.total"] = CellReading(1781, note - 8, note - 1, "1,781", 0.9, "rules")
    as_read = lambda cells: Reading(Field("2019"), Field("single"), Field(2020), cells, 30)  # noqa: E731
    decision = reconcile(as_read(rules), as_read(model), "2019", "single", misreads=False, text=text)
    assert [decision.cells[k].value for k in group] == [5, None, None, None, 6]
    assert decision.cells["t3.new_received.total"].value == 1781
    assert not (set(group) | {"t3.new_received.total"}) & set(decision.review_cells)


def test_reconcile_the_rules_reading_of_the_column_numbers_is_none():
    """A reader of table lines that meets the 栏次 row under 表四's headings ("1 2 3 … 15") reads
    it as the block's fifteen figures; each group's sum breaks, but only the cells already in doubt
    would be blamed, leaving "11", "12", "13" outside review. No reading of a cell stands on a
    numbering row: the model's figures from the row below are taken, and a cell nobody else read
    goes to review as unread."""
    numbers = "    1    2   3    4    5  6    7    8     9   10       11   12   13  14   15\n"
    figures = "   0                      5    0    1         6                         0    0\n"
    text = numbers + figures
    fields = ("upheld", "corrected", "other", "pending", "total")
    keys = [f"t4.{g}.{f}" for g in ("review", "suit_direct", "suit_after_review") for f in fields]
    at = []
    pos = 0
    for n in range(1, 16):
        pos = numbers.index(str(n), pos)
        at.append(pos)
        pos += len(str(n))
    rules = {k: CellReading(n, a, a + len(str(n)), str(n), 0.97 if n < 14 else 0.5, "rules")
             for k, n, a in zip(keys, range(1, 16), at)}
    row = len(numbers)
    model = {}
    for key, col in zip(("t4.review.upheld", "t4.suit_direct.upheld", "t4.suit_direct.corrected", "t4.suit_direct.other",
                         "t4.suit_direct.total", "t4.suit_after_review.pending", "t4.suit_after_review.total"),
                        (3, 26, 31, 36, 46, 72, 77)):
        model[key] = CellReading(int(figures[col]), row + col, row + col + 1, figures[col], 0.95, "model")
    as_read = lambda cells: Reading(Field("2019"), Field("single"), Field(2020), cells, 30)  # noqa: E731
    decision = reconcile(as_read(rules), as_read(model), "2019", "single", misreads=False, text=text)
    review = set(decision.review_cells)
    for key in keys:
        cell = decision.cells[key]
        assert cell.start is None or cell.start >= row, key  # nothing read from the numbering row
        assert key in model or key in review, key
    assert decision.cells["t4.suit_direct.total"].value == 6


def _t4_reading(values: dict, engine: str, confidence: float, note: str | None = None) -> Reading:
    """表四 as an engine read it: each cell spanned (a printed blank too), unless ``note`` says
    why its blank was no reading ("not found")."""
    cells = {}
    for i, (key, value) in enumerate(values.items()):
        spanned = value is not None or note is None
        cells[key] = CellReading(value, 5 * i if spanned else None, 5 * i + 1 if spanned else None,
                                 None if value is None else str(value), confidence, engine, note)
    return Reading(Field("2019"), Field("single"), Field(2020), cells, 30)


T4_KEYS = [f"t4.{g}.{f}" for g in ("review", "suit_direct", "suit_after_review")
           for f in ("upheld", "corrected", "other", "pending", "total")]


def test_reconcile_a_blank_a_row_needs_negative_sends_the_row_to_review():
    """表四's line lost its first blank cell (a tab row stripped at its start): every figure stands
    one cell to the left. 行政诉讼 未经复议直接起诉 then reads blank, 1, 0, 2, 2: its blank would
    have to be -1, no count is, so the row's figures stand in the wrong cells, each to review,
    however sure both engines read them."""
    printed = [0, 0, 0, 0, 1, None, 1, 0, 2, 2, 0, 0, None, 2, None]
    values = dict(zip(T4_KEYS, printed))
    decision = reconcile(_t4_reading(values, "rules", 0.97), _t4_reading(values, "model", 0.97), "2019", "single",
                         misreads=False)
    review = set(decision.review_cells)
    direct = [k for k in T4_KEYS if k.startswith("t4.suit_direct.")]
    assert set(direct) <= review
    assert all(decision.cells[k].confidence < 0.9 for k in direct)
    assert any("negative" in item.why for item in decision.review if item.cell == "t4.suit_direct.corrected")
    # A blank its row needs as 0 or more is no sign of a shifted row.
    fine = dict(zip(T4_KEYS, [0, 0, 0, 0, 0, None, 1, 0, 2, 3, 0, 0, None, 0, 0]))
    decision = reconcile(_t4_reading(fine, "rules", 0.97), _t4_reading(fine, "model", 0.97), "2019", "single",
                         misreads=False)
    assert not {"t4.suit_direct.corrected", "t4.suit_direct.pending"} & set(decision.review_cells)


def test_reconcile_a_model_0_the_sums_cannot_tell_from_a_blank_goes_to_review():
    """Rows the rules could not place (or did not find, in a table that prints blank cells) that
    only the model read: a 0 keeps every sum a blank keeps, so holding relations do not confirm
    it; a non-zero figure they confirm, and one they cannot check goes to review."""
    values = dict(zip(T4_KEYS, [1, 0, 0, 0, 1, 2, None, None, 0, 2, None, None, None, None, None]))
    printed_blank = CellReading(None, 900, 901, "", 0.85, "rules", "blank cell")
    for note in ("row could not be placed: 4 figures for 15 columns", "not found"):
        rules = _t4_reading({k: None for k in T4_KEYS}, "rules", 0.0, note)
        rules.cells["t4.suit_after_review.total"] = printed_blank
        decision = reconcile(rules, _t4_reading(values, "model", 0.97), "2019", "single", misreads=False)
        review = set(decision.review_cells)
        # 行政复议 1, 0, 0, 0, 1: its sum holds, which confirms the 1s and not the 0s
        assert {"t4.review.corrected", "t4.review.other", "t4.review.pending"} <= review, note
        assert not {"t4.review.upheld", "t4.review.total"} & review, note
    # in a row the rules did not find, a figure other than 0 stands only where its sums check
    # it: 直接起诉 2, blank, blank, 0, 2 cannot be checked (a box-drawn row whose label the rules
    # missed, read by the model from a wrapped cell: "27" as 2 and 7)
    assert {"t4.suit_direct.upheld", "t4.suit_direct.pending"} <= review
    assert "the model's figure is unchecked" in decision.cells["t4.suit_direct.upheld"].note
    # a table where the rules read no blank cell prints its zeros: the model's 0s stand
    rules = _t4_reading({k: None for k in T4_KEYS}, "rules", 0.0, "not found")
    decision = reconcile(rules, _t4_reading(values, "model", 0.97), "2019", "single", misreads=False)
    assert not {"t4.review.corrected", "t4.review.other", "t4.suit_direct.pending"} & set(decision.review_cells)
