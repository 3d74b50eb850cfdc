"""Issue #15, real-world text forms: the readers behind template2019_large, markdown_broken, glued.

Generated documents (training/synth/forms.py) of the layouts each reader serves: every cell comes
out right, or goes below the sure confidence (review); never a wrong value read as sure.
"""

from __future__ import annotations

import pytest

pytest.importorskip("bs4")

from training.synth.forms import LARGE_CONVERTERS, _rng  # noqa: E402
from training.synth.generate import generate  # noqa: E402

from gaiml.rules import RuleExtractor  # noqa: E402
from gaiml.rules.glued import _plausible, row_splits  # noqa: E402
from gaiml.rules.header_rows import blank_pulled_headers  # noqa: E402
from gaiml.rules.spaced import NOTE_GRID, NOTE_NUMBERING, NOTE_RUNS  # noqa: E402
from gaiml import schema  # noqa: E402
from gaiml.values import values_equal  # noqa: E402

SURE = 0.9


def _large(converter: str, limit: int = 80):
    """Generated template2019_large documents that went through ``converter``."""
    for seed in range(limit):
        if str(_rng(seed, 35).choice(LARGE_CONVERTERS)) == converter:
            yield generate(seed, "template2019_large")


def _wrong(g, tables=("t2", "t3", "t4")):
    reading = RuleExtractor().extract(g.text)
    wrong, sure_wrong = [], []
    for key, want in g.report.cells.items():
        if key.split(".")[0] not in tables:
            continue
        got = reading.cells[key]
        if not ((want is None and got.value is None) or (want is not None and got.value is not None and values_equal(want, got.value))):
            wrong.append((key, want, got.value))
            if got.confidence >= SURE:
                sure_wrong.append((key, want, got.value, got.note))
    return reading, wrong, sure_wrong


def test_empty_html_cells_flattened_one_a_line_are_blank():
    # BeautifulSoup get_text("\n") of a page whose empty cells hold &nbsp;: a line of one no-break space
    g = next(_large("html_bs4"))
    assert "\n\u00a0\n" in g.text
    _, wrong, sure_wrong = _wrong(g)
    assert not wrong and not sure_wrong


def test_single_spaced_rows_count_their_blank_cells_from_the_gaps():
    # lynx lays a table too wide for it one row a line, cells one space apart, an empty cell widening the gap
    for g in _large("lynx"):
        reading, wrong, sure_wrong = _wrong(g, ("t3",))
        if any(NOTE_RUNS in w for w in reading.warnings):
            assert not wrong and not sure_wrong
            return
    pytest.fail("no lynx document printed 表三 single-spaced")


def _t3_placed_right(note: str, limit: int) -> int:
    """How many generated lynx documents (of the first ``limit`` seeds) have five 表三 rows or more
    placed by the reader that writes ``note``; every cell of 表三 must be right in each."""
    placed = 0
    for g in _large("lynx", limit):
        reading, wrong, _ = _wrong(g, ("t3",))
        if sum(1 for w in reading.warnings if w.startswith("t3.") and note in w) >= 5:
            assert not wrong
            placed += 1
    return placed


def test_rows_placed_under_the_numbers_of_a_table_padded_by_characters():
    # lynx pads 表三 by characters (a CJK character counting one) under its 栏次 row, the label cell
    # padded far from its numbers ("栏次                    1    2    3 …"): each short row goes
    # under the numbers in characters, where in display columns a zero may stand right under
    # another number
    assert _t3_placed_right(NOTE_NUMBERING, 60) >= 2


def test_rows_placed_under_headings_printed_on_two_lines():
    # 表三's headings on two lines, "自然人  法人或其他组织  总计" over "商业企业 科研机构 …", no 栏次 row:
    # every row of the table, however far below them, goes under the headings its figures start under
    from gaiml.rules.spaced import NOTE_HEADINGS

    assert _t3_placed_right(NOTE_HEADINGS, 240) >= 2  # most such tables keep a grid of their own too


def test_a_figure_as_far_from_two_headings_is_not_placed():
    # lynx squeezes 其他 and 总计 together: "45" starts two characters from either heading, and
    # under 其他 its row's sum would read as a blank 总计; it goes to review, never placed as sure
    g = generate(992200519, "template2019_large")
    assert "自然人 法人或其他组织                     总计\n" in g.text and "2               45\n" in g.text
    _, wrong, sure_wrong = _wrong(g, ("t3",))
    assert not sure_wrong


def test_a_table_without_a_complete_row_keeps_the_columns_its_figures_stand_in():
    # every row of this 表三 leaves a cell blank, and its first column's figures stand three
    # characters left of 自然人 and of its "1": the figures' own seven columns place the rows
    g = generate(992200181, "template2019_large")
    reading, wrong, _ = _wrong(g, ("t3",))
    assert any(w.startswith("t3.") and NOTE_GRID in w for w in reading.warnings)
    assert not wrong


def test_box_drawn_rows_wrapped_over_lines_are_read_by_their_columns():
    # w3m draws a bordered table too wide for it with box characters, labels and notes wrapping
    # onto the next lines of a table row: "│6（其中3│" above "│51 │" is 51 | 6, not 6 | 51
    from gaiml.rules.boxed import NOTE

    g = generate(992200293, "template2019_large")
    assert "│量" in g.text
    reading, _, sure_wrong = _wrong(g, ("t3",))
    assert not sure_wrong
    assert [reading.cells[f"t3.partial.{c}"].value for c in ("natural_person", "commercial", "total")] == [51, 6, 60]
    assert sum(1 for w in reading.warnings if w.startswith("t3.") and NOTE in w) >= 10


def _row(reading, g, row: str) -> tuple[list, list]:
    keys = [k for k in g.report.cells if k.startswith(row + ".")]
    return [reading.cells[k].value for k in keys], [g.report.cells[k] for k in keys]


def test_a_box_drawn_row_found_from_the_row_above_is_read_by_its_own_columns():
    # "8.属于行政查询事│…" wraps its last character onto the next line; the label is found
    # approximately from the "卷" the row above wrapped: its columns are still its own table row's.
    g = generate(992200541, "template2019_large")
    reading = RuleExtractor().extract(g.text)
    got, want = _row(reading, g, "t3.denied_query")
    assert got == want == [4, None, None, None, 0, None, 4]


def test_a_box_drawn_row_on_one_line_whose_sum_breaks_is_read_by_its_columns():
    # The table's last row leaves a cell blank; read as a stream its total came from the note
    # under the table ("…申请59件"), which breaks its sum: its columns give the row.
    g = generate(992200567, "template2019_large")
    got, want = _row(RuleExtractor().extract(g.text), g, "t3.carried_forward")
    assert got == want == [5, 0, 0, None, 1, 0, 6]


def test_labels_wrapped_in_box_drawn_cells_are_no_sign_of_ocr():
    # Three labels wrap inside their box-drawn cells and are found only approximately; a text
    # browser drew them, OCR prints no "│": the figures are what the text prints.
    from gaiml.verify.unchecked import read_by_ocr

    g = generate(992200066, "template2019_large")
    reading = RuleExtractor().extract(g.text)
    assert "│" in g.text and not read_by_ocr(False, reading.ocr_traces)
    labels = [line for line in g.text.splitlines() if "│3、要求提供公开出版" in line or "有现成信息需要│" in line]
    assert labels  # the wrapped labels the test is about


def _aligned(rows: list[tuple[str, list[str]]], starts=(20, 30, 40)) -> str:
    """Rows laid out the way a text browser aligns a table: each cell from its column's start."""
    out = []
    for label, cells in rows:
        line = "   " + label
        for start, cell in zip(starts, cells):
            width = sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in line)
            line += " " * max(1, start - width) + cell if cell else ""
        out.append(line.rstrip())
    return "\n".join(out)


T2_2019 = [("规章", ["1", "1", "5"]), ("规范性文件", ["2", "", "9"]), ("行政许可", ["3", "0", "12"]),
           ("其他对外管理服务事项", ["", "", "7"]), ("行政处罚", ["4", "1", "30"]), ("行政强制", ["1", "", "2"]),
           ("行政事业性收费", ["2", "0"]), ("政府集中采购", ["3", "12.5"])]


def _t2_text(rows) -> str:
    return ("二、主动公开政府信息情况\n" + _aligned(rows) + "\n三、收到和处理政府信息公开申请情况\n"
            "四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n")


def test_aligned_rows_are_placed_under_the_columns_complete_rows_stand_in():
    reading = RuleExtractor().extract(_t2_text(T2_2019), template="2019", other_form="single")
    cells = reading.cells
    assert [cells[f"t2.normative.{c}"].value for c in ("made", "published", "total_public")] == [2, None, 9]
    assert [cells[f"t2.other_services.{c}"].value for c in ("prev_items", "change", "decisions")] == [None, None, 7]
    assert [cells[f"t2.coercion.{c}"].value for c in ("prev_items", "change", "decisions")] == [1, None, 2]
    assert any(NOTE_GRID in w for w in reading.warnings)


def test_no_grid_where_complete_rows_stand_apart():
    # a sub-block laid out with other column widths (lynx lays each 第二十条 block out apart):
    # a short row there could stand under any column, so it is left to review, never placed
    rows = list(T2_2019)
    rows[2] = ("行政许可", ["3", "0", "     12"])  # this complete row's last figure stands elsewhere
    reading = RuleExtractor().extract(_t2_text(rows), template="2019", other_form="single")
    assert not any(NOTE_GRID in w for w in reading.warnings)
    assert all(reading.cells[f"t2.coercion.{c}"].confidence < SURE for c in ("prev_items", "change", "decisions"))


def test_a_single_spaced_line_with_a_wide_gap():
    text = ("三、收到和处理政府信息公开申请情况\n申请人情况\n自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计\n"
            "一、本年新收政府信息公开申请数量 1305 385   2 42 47 1,781\n"
            "二、上年结转政府信息公开申请数量 1 0 0 0 0 0 1\n"
            "三、本年度办理结果 （一）予以公开 5 1 0 0 0 0 6\n"
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）     3 0 0 0 3\n")
    cells = RuleExtractor().extract(text, template="2021", other_form="split").cells
    got = [cells[f"t3.new_received.{c.key}"].value for c in schema.T3_COLUMNS]
    assert got == [1305, 385, None, 2, 42, 47, 1781]
    partial = [cells[f"t3.partial.{c.key}"] for c in schema.T3_COLUMNS]
    assert [c.value for c in partial] == [None, None, 3, 0, 0, 0, 3]  # two blanks before, none swallowed after
    assert cells["t3.new_received.research"].start is not None  # the blank keeps its place in the text


def test_pulled_column_headings_are_no_label_and_no_cell():
    line = "| 一、本年新收 |  |  | 自然人<br>173 | 其他 5 | 总计<br> | 总计 |"
    blanked = blank_pulled_headers(line)
    assert len(blanked) == len(line)
    assert "自然人" not in blanked and "173" in blanked and "其他" not in blanked
    assert blanked.endswith("| 总计 |")  # a heading cell with nothing pulled under it stays


def test_markdown_broken_rows_read_with_headings_pulled_in():
    # the first data row of 表三 carries the column headings ("| 自然人<br>47 |"), its label wrapped
    seen = 0
    for seed in range(12):
        g = generate(seed, "markdown_broken")
        if "自然人<br" not in g.text and "| 自然人 " not in g.text:
            continue
        _, wrong, sure_wrong = _wrong(g, ("t3", "t4"))
        assert not sure_wrong
        assert not [w for w in wrong if w[0].startswith("t3.new_received")]
        seen += 1
    assert seen


def test_blank_before_the_right_rule_of_a_wrapped_markdown_row():
    text = ("三、收到和处理政府信息公开申请情况\n| | | | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n"
            "| 一、本年新收政府信息公开申请数量 |  |  | 26 | 3 | 0 | 0 | 0 | 1 | 30 |\n"
            "| 二、上年结转政府信息 |  |  | 26 | 3 | 0 | 0 | 0 | 0 |  |\n"
            "| 公开申请数量 |  |  |  |  |  |  |  |  |  |\n"
            "| 三、本年度办理结果 | （一）予以公开 |  | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n")
    cells = RuleExtractor().extract(text, template="2021", other_form="split").cells
    assert [cells[f"t3.carried_over.{c.key}"].value for c in schema.T3_COLUMNS] == [26, 3, 0, 0, 0, 0, None]


def test_next_rows_list_number_glued_with_a_space_is_no_figure():
    text = ("三、收到和处理政府信息公开申请情况（三）不予公开1. 属于国家秘密10000012. 其他法律行政法规禁止公开4100005"
            "3. 危及“三安全一稳定”0000000")
    reading = RuleExtractor().extract(text, template="2021", other_form="split")
    assert [reading.cells[f"t3.denied_secret.{c.key}"].value for c in schema.T3_COLUMNS] == [1, 0, 0, 0, 0, 0, 1]
    assert [reading.cells[f"t3.denied_law.{c.key}"].value for c in schema.T3_COLUMNS] == [4, 1, 0, 0, 0, 0, 5]


def test_an_open_t2_split_shows_the_plausible_reading_first():
    # "89-19889": 89|-1|9889 or 89|-19|889 …; a 本年增/减 is small, and items never drop below zero
    keys = ["t2.licensing.prev_items", "t2.licensing.change", "t2.licensing.decisions"]
    kinds = [c.kind for c in schema.tables("2019")[0].rows[2].columns]
    text = "89-19889"
    splits = row_splits(text, [(0, len(text))], keys, kinds, schema.relations("2019"))
    assert len(splits) > 1
    assert [p.value for p in _plausible(splits, kinds, keys)] == [89, -1, 9889]
    # 2021 form: what is issued this year is in force ("3040": 3|0|40, not 30|4|0, as even in widths)
    keys = ["t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force"]
    kinds = [c.kind for c in schema.tables("2021")[0].rows[1].columns]
    splits = row_splits("3040", [(0, 4)], keys, kinds, schema.relations("2021"))
    assert sorted([p.value for p in s] for s in splits) == [[3, 0, 40], [30, 4, 0]]
    assert [p.value for p in _plausible(splits, kinds, keys)] == [3, 0, 40]


def test_short_t2_rows_go_under_their_columns_headings():
    # A text browser's 表二: each small table's headings on a line, its rows' figures starting
    # under them, counted in characters (the figures' display columns would put "0" under 本年新公开数量).
    from gaiml.rules.spaced import NOTE_HEADINGS

    lines = ["二、主动公开政府信息情况", "   第二十条第(一)项",
             "   信息内容       本年新制作数量 本年新公开数量 对外公开总数量",
             "   规章         0               0",
             "   规范性文件      7       7       28",
             "   第二十条第(五)项",
             "      信息内容    上一年项目数量 本年增/减   处理决定数量",
             "   行政许可       21",
             "   其他对外管理服务事项 9               258",
             "   第二十条第(六)项",
             "      信息内容    上一年项目数量 本年增/减   处理决定数量",
             "   行政处罚       65              0",
             "   行政强制       9       -5"]
    reading = RuleExtractor().extract("\n".join(lines), template="2019", other_form="single")
    want = {"t2.rules": [0, None, 0], "t2.normative": [7, 7, 28], "t2.licensing": [21, None, None],
            "t2.other_services": [9, None, 258], "t2.penalty": [65, None, 0], "t2.coercion": [9, -5, None]}
    for row, values in want.items():
        cells = [reading.cells[f"{row}.{c}"] for c in (("made", "published", "total_public") if row in ("t2.rules", "t2.normative")
                                                       else ("prev_items", "change", "decisions"))]
        assert [c.value for c in cells] == values, row
        assert all(c.confidence >= SURE for c in cells), row
    # Every figure here stands at character 14, 22 or 30 and 规范性文件's complete row confirms that
    # grid: the table's character columns place the short rows (as its headings do).
    assert any(NOTE_HEADINGS in w or NOTE_GRID in w for w in reading.warnings)
    # Glued to its label, a figure stands under no heading of its own: left to the glued reader.
    glued = RuleExtractor().extract("\n".join(lines[:3] + ["   规章0               0"] + lines[4:]), template="2019", other_form="single")
    assert not any(w.startswith("t2.rules: " + NOTE_HEADINGS) for w in glued.warnings)


def _lynx_t2(headings: dict[str, str], rows: dict[str, dict[int, str]], starts: tuple[int, ...]) -> str:
    """A 表二 as lynx lays it out: one table, every figure padded by characters (a CJK character
    counting one) to its column's start, each small table's headings over it only roughly."""
    lines = ["二、主动公开政府信息情况"]
    for block, heading in headings.items():
        lines += [f"   第二十条第（{block}）项", heading]
        for label, figures in rows.items():
            if figures["at"] != block:
                continue
            line = "   " + label
            for col, fig in sorted((k, v) for k, v in figures.items() if k != "at"):
                line = line.ljust(starts[col]) + fig if len(line) < starts[col] else line + " " + fig
            lines.append(line)
    return "\n".join(lines + ["三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
                              "五、存在的主要问题及改进情况"]) + "\n"


_LYNX_HEADINGS = {"一": "      信息内容    本年新制作数量  本年新公开数量   对外公开总数量",
                  "五": "      信息内容    上一年项目数量   本年增/减  处理决定数量",
                  "六": "   信息内容       上一年项目数量  本年增/减     处理决定数量"}


def _t2_values(reading, row: str) -> list:
    cols = ("made", "published", "total_public") if row in ("rules", "normative") else ("prev_items", "change", "decisions")
    return [reading.cells[f"t2.{row}.{c}"].value for c in cols]


def test_short_t2_rows_stand_in_the_character_columns_of_the_whole_table():
    # lynx pads 表二's figures by characters to columns 14, 23, 31; 处理决定数量 printed two
    # characters right of its column, 本年增/减 one display column left of "99": by the headings'
    # display columns (closer) "99" would be 本年增/减's. The table's complete row stands on the
    # character grid every figure keeps to: there "99" is 处理决定数量's.
    rows = {"规章": {"at": "一", 1: "0"}, "规范性文件": {"at": "一", 0: "3", 1: "3", 2: "3"},
            "行政许可": {"at": "五", 2: "48"}, "其他对外管理服务事项": {"at": "五", 0: "0", 2: "0"},
            "行政处罚": {"at": "六", 0: "8", 2: "99"}, "行政强制": {"at": "六", 2: "5"}}
    text = _lynx_t2(_LYNX_HEADINGS, rows, (14, 23, 31))
    assert "   行政处罚       8                99\n" in text
    reading = RuleExtractor().extract(text, template="2019", other_form="single")
    want = {"rules": [None, 0, None], "normative": [3, 3, 3], "licensing": [None, None, 48],
            "other_services": [0, None, 0], "penalty": [8, None, 99], "coercion": [None, None, 5]}
    for row, values in want.items():
        assert _t2_values(reading, row) == values, row
    assert any(w.startswith("t2.penalty: " + NOTE_GRID) for w in reading.warnings)


def test_short_t2_rows_under_headings_keep_to_the_measure_the_table_keeps_to():
    # No complete row to confirm a grid, but every figure of the table stands at character 14, 22
    # or 30, while their display columns scatter with the labels' widths: the headings are read in
    # characters, though "4" stands one display column from 本年增/减 and two characters left of
    # 处理决定数量.
    from gaiml.rules.spaced import NOTE_HEADINGS

    headings = {"一": "      信息内容    本年新制作数量 本年新公开数量 对外公开总数量",
                "五": "      信息内容    上一年项目数量  本年增/减  处理决定数量",
                "六": "      信息内容    上一年项目数量 本年增/减     处理决定数量",
                "八": "      信息内容    上一年项目数量 本年增/减", "九": "      信息内容    采购项目数量 采购总金额"}
    rows = {"规章": {"at": "一", 2: "0"}, "规范性文件": {"at": "一", 2: "0"},
            "行政许可": {"at": "五", 1: "0", 2: "24"}, "其他对外管理服务事项": {"at": "五", 0: "0", 2: "12"},
            "行政处罚": {"at": "六", 0: "0", 2: "4"}, "行政强制": {"at": "六", 0: "6", 2: "0"},
            "行政事业性收费": {"at": "八", 0: "2", 1: "0"}, "政府集中采购": {"at": "九", 0: "4", 1: "256.99"}}
    text = _lynx_t2(headings, rows, (14, 22, 30))
    assert "   行政处罚       0               4\n" in text
    reading = RuleExtractor().extract(text, template="2019", other_form="single")
    want = {"licensing": [None, 0, 24], "other_services": [0, None, 12], "penalty": [0, None, 4], "coercion": [6, None, 0]}
    for row, values in want.items():
        assert _t2_values(reading, row) == values, row
        assert all(reading.cells[f"t2.{row}.{c}"].confidence >= SURE for c in ("prev_items", "change", "decisions"))
    assert any(w.startswith("t2.penalty: " + NOTE_HEADINGS) for w in reading.warnings)
