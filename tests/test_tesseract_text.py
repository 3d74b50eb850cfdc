"""Tables as Tesseract prints them (gaiml/rules/tesseract_text.py): one line per printed row, rules
read as "|"/"l"/"1" glued to zeros read as "o", an unreadable figure printed as a hanzi, a label
lost. What OCR did not print is null and flagged, never guessed; every figure keeps its span."""

from gaiml import schema
from gaiml.rules import RuleExtractor
from gaiml.rules import tesseract_text as T
from gaiml.values import parse_cell

GAP = "   "
T3_ROWS = {  # row key -> the line Tesseract printed for it (None: the label lost, only ";" left)
    "new_received": ("一、本年新收政府信息公开申请数量", "31   生   0   0   0   0   33"),
    "carried_over": ("二、上年结转政府信息公开申请数量", "0   0   0   0   0   0   0"),
    "granted": ("到人 (一) 子以公开", "19   1   0   0   0   0   20"),
    "partial": ("年度办| (二) 部分公开〈区分处理的，只计这一情", "1   0   0   0   0   0   1"),
    "denied_secret": ("1.属于国家秘密", "0   0   0   0   0   0   0"),
    "denied_law": (None, "0   2   0   0   0   0   2"),
    "denied_safety": ("二  3.危及“三安全一稳定", "0  0  0  0  0  0  0"),
    "denied_third_party": ("、  4 .保护第三方合法权益", "0   0   0   0   0   0   0"),
    "denied_internal": ("5.属于三类内部事务信息", "0|olololololon"),
    "denied_process": ("6.属于四类过程性信息", "0   0   0   0   0   0   0"),
    "denied_enforcement": ("7.属于行政执法案卷", "0   0   0   0   0   0   0"),
    "denied_query": ("8.属于行政查询事项", "0   0   0   0   0   0   0"),
    "unable_not_held": ("(四) “|1.本机关不掌握相关政府信息", "9   0   0   0   0   0   9"),
    "unable_create": ("无法提，| 2.没有现成信息需要另行制作", "0  0  0  0  0  0  0"),
    "unable_unclear": ("供    3.补正后申请内容仍不明确", "1    0   0   0   0   0    1"),
    "rejected_petition": ("1 .信访举报投诉类申请", "0   0   0   0   0   0   0"),
    "rejected_duplicate": ("2.重复申请", "0   0   0   0   0   0   0"),
    "rejected_publication": ("(五) ”|3.要求提供公开出版物", "0   0   0   0   0   0   0"),
    "rejected_mass": ("不了处 |4 无正当理由大量反复申请", "0   0   0   0   0   0   0"),
    "rejected_confirm": ("5.要求行政机关确认或重新出具已", "0   0   0   0   0   0   0"),
    "other_no_correction": ("1.申请人无正当理由逾期不补正、", "0   0   0   0   0   0   0"),
    "other_no_fee": ("2.申请人逾期未按收费通知要求缴|", "0   0   0   0   0   0   0"),
    "other_misc": ("|   |3 .其他", "0|0|o|o|lo|lo lo"),
    "total": ("| (tt) 总计", "31|2|o|o|o|1o |33"),
    "carried_forward": ("四、结转下年度继续办理", "0    0    0    0    0    0    0"),
}
WANT = {
    "new_received": [31, None, 0, 0, 0, 0, 33], "granted": [19, 1, 0, 0, 0, 0, 20],
    "denied_law": [0, 2, 0, 0, 0, 0, 2], "denied_internal": [0] * 7, "other_misc": [0] * 7,
    "total": [31, 2, 0, 0, 0, 0, 33],
}


def tesseract_text() -> str:
    lines = ["茶 陵 县 教 育 局", "2025 年度政府信息公开工作报告", "", "一、总体情况", "本局依法公开政府信息。", "",
             "二、主动公开政府信息情况", "第二十条第 〈一) 项",
             "信息内容        本年制发件数        本年废止件数        现行有效件数",
             "规章               0                0                0",
             "行政规范性文件           驻                3               42",
             "第二十条第 (五) 项", "信息内容                         本年处理决定数量", "行政许可                             56",
             "第二十条第 〈六) 项", "信息内容                         本年处理决定数量", "行政处罚                              8",
             "行政强制                              0", "第二十条第〈八) 项", "信息内容                    本年收费金额 〈单位: 万元)",
             "行政事业性收费                               0", "", "三、收到和处理政府信息公开申请情况", "",
             "申请人情况", "自然 | 商业 | 科研 | 社会 | 法律      总计", "人          公益 | 服务 | 其他"]
    for label, figures in T3_ROWS.values():
        lines.append(f"{label or ';'}{GAP * 3}{figures}")
    lines += ["四、政府信息公开行政复议、行政拆讼情况", "行政复议                行政诉讼",
              "结果 | 结果 | 其他 | 尚未 总计 | 结果 | 结果 | 其他 | 尚未 总计", "0|o|lololololololololololololon", "",
              "五、存在的主要问题及改进情况", "一是信息公开制度有待进一步完善。", "六、其他需要报告的事项", "无。"]
    return "\n".join(lines) + "\n"


def test_rows_as_tesseract_prints_them():
    text = tesseract_text()
    cells = RuleExtractor().extract(text, "2021", "split").cells
    columns = [c.key for c in schema.tables("2021", "split")[1].rows[0].columns]
    for row, want in WANT.items():
        assert [cells[f"t3.{row}.{c}"].value for c in columns] == want, row
    assert [cells[f"t2.normative.{c}"].value for c in ("issued", "repealed", "in_force")] == [None, 3, 42]
    assert all(cells[k].value == 0 for k in cells if k.startswith("t4."))


def test_what_ocr_did_not_print_is_flagged_not_guessed():
    text = tesseract_text()
    cells = RuleExtractor().extract(text, "2021", "split").cells
    for key, mark in (("t3.new_received.commercial", "生"), ("t2.normative.issued", "驻")):
        cell = cells[key]
        assert cell.value is None and cell.confidence == 0.0 and cell.note == T.UNREADABLE_NOTE
        assert text[cell.start:cell.end] == mark


def test_a_row_whose_label_was_lost_is_read_but_to_review():
    cells = RuleExtractor().extract(tesseract_text(), "2021", "split").cells
    cell = cells["t3.denied_law.commercial"]
    assert cell.value == 2 and cell.confidence < 0.9 and cell.note == T.LOST_LABEL_NOTE


def test_every_figure_keeps_its_span():
    text = tesseract_text()
    cells = RuleExtractor().extract(text, "2021", "split").cells
    for key, cell in cells.items():
        if cell.value is not None:
            assert cell.start is not None and parse_cell(text[cell.start:cell.end]) == cell.value, key


def test_a_run_of_zeros_and_rules_is_cut_at_the_rules():
    pieces = T._figures(100, "lololon")
    assert [(p.start, p.end, p.digits) for p in pieces] == [(101, 102, "0"), (103, 104, "0"), (105, 106, "0")]
    assert T._figures(0, "2259") [0].digits == "2259" and T._figures(0, "划尖") is None


def test_a_rule_read_as_1_beside_zeros_read_as_o_is_not_sure():
    text = tesseract_text().replace("0|0|o|o|lo|lo lo", "| 0 | 0 | 0 | 0 | 0 | o 1")  # 其他: six zeros, a rule read "1"
    cell = RuleExtractor().extract(text, "2021", "split").cells["t3.other_misc.total"]
    assert text[cell.start:cell.end] == "1" and cell.confidence < 0.9


def test_the_split_other_form_is_told_through_ocr_damage():
    from gaiml.detect import detect_other_form
    from gaiml.text import CompactText, fold

    lines = ["工利请人无正当理由户期不补正、                0", "行政机关不再处理其政府信息公开| 0 | 0 | o | o | o。 | 。",
             "其他处“|2 申请人逾期未按收费通知要求缴              0", "理 |纳费用、行政机关不再处理其履府 0 | 0 | o | o | o。 | o"]
    assert detect_other_form(CompactText.of(fold("\n".join(lines)))).value == "split"
    near_miss = "2.没有现成信息需要另行制作  13  0  2（1件逾期） 3 18件\n3.补正后申请内容仍不明确  1  0  1\n本机关未发出收费通知。"
    assert detect_other_form(CompactText.of(fold(near_miss))).value == "single"


def test_the_split_form_is_told_from_its_sub_rows_own_words_garbled_past_every_marker():
    # Tesseract cut the second sub-row's label at a cell rule and garbled the first one's: no
    # marker scores high enough, but the second label's own words are printed nearly whole.
    from gaiml.detect import FORM_SURE, detect_other_form
    from gaiml.document import Field
    from gaiml.text import CompactText, fold

    lines = ["三、收到和处理政府信息公开申请情况", "人|时请类无让当理由治期趟补正 | 下天|", "(六) “|申请",
             "其他处 |2.申请人逾期未按收费通知要求缴                          0", "加加加加回国", "信息公开申请",
             "四、政府信息公开行政复议、行政拆讼情况", "六、其他需要报告的事项", "本机关 2022 年度未发出收费通知。"]
    form = detect_other_form(CompactText.of(fold("\n".join(lines))))
    assert form.value == "split" and form.confidence >= FORM_SURE
    # Only garbled words of a sub-row: still the split form, but a guess a person checks.
    weak = detect_other_form(CompactText.of(fold("\n".join(lines[:3] + lines[4:]))))
    assert weak.value == "split" and weak.confidence < FORM_SURE
    # Prose outside 表三 that speaks of late corrections and fee notices is no such evidence (it
    # scores up to 79 on the sub-rows' words, as near as OCR'd table lines do).
    single = ("（二）依申请公开情况\n申请人逾期未补正的申请1件，无申请人逾期未按要求缴纳费用的情况。\n"
              "三、收到和处理政府信息公开申请情况\n（六）其他处理  0  0  0  0  0  0  0\n（七）总计\n"
              "四、政府信息公开行政复议、行政诉讼情况\n本机关未发出收费通知，要求申请人补正2次。")
    assert detect_other_form(CompactText.of(fold(single))) == Field("single", confidence=0.95)


def test_a_guessed_form_sends_its_rows_to_review():
    from gaiml.auto import AutoExtractor
    from gaiml.document import Field
    from gaiml.frame import Frame
    from gaiml.verify.status import FORM, FORM_DOUBT_NOTE

    text = tesseract_text()
    frame = Frame.of(text, "2021", "split", ocr_declared=True)
    guessed = Frame(frame.text, frame.folded, frame.compact, frame.template, Field("split", confidence=0.5),
                    frame.year, True)
    decision = AutoExtractor(RuleExtractor()).read_both(guessed).decision
    rows = ("t3.other_no_correction.", "t3.other_no_fee.", "t3.other_misc.")
    flagged = {item.cell: item for item in decision.review if item.cell.startswith(rows)}
    assert len(flagged) == 21
    assert all(decision.cells[key].confidence < 0.9 for key in flagged)
    assert any(item.risk == FORM and item.why == FORM_DOUBT_NOTE for item in flagged.values())
    sure = AutoExtractor(RuleExtractor()).read_both(frame).decision
    assert not any(item.risk == FORM for item in sure.review)


def test_a_model_figure_beside_a_mark_ocr_made_of_the_cell_is_not_taken():
    # The rules found the cell's print and it is no figure ("二"); the model read its neighbour's
    # "0" for it: the cell is unread and in review, never the neighbour's figure.
    from gaiml.document import CellReading
    from gaiml.verify.reconcile import candidates

    rules = CellReading(None, 1555, 1556, "二", 0.0, "rules", T.UNREADABLE_NOTE)
    model = CellReading(0, 1552, 1553, "0", 0.99, "model")
    assert candidates("t3.denied_query.research", "count", rules, model) == []
    on_it = CellReading(0, 1555, 1556, "二", 0.6, "model")
    assert [c.value for c in candidates("t3.denied_query.research", "count", rules, on_it)] == [0]


def _lose_rows(text: str) -> str:
    """The text with every 表三 sum holding (its 予以公开 row moved a request from 商业企业 to 自然人),
    where Tesseract lost one row's figures entirely, kept two of another's, and printed a mark for
    a figure of a third (``生`` in 本年新收, already in the text)."""
    process, query = T3_ROWS["denied_process"], T3_ROWS["denied_query"]
    text = text.replace(T3_ROWS["granted"][1], "20   0   0   0   0   0   20")
    text = text.replace(f"{process[0]}{GAP * 3}{process[1]}", process[0])
    return text.replace(f"{query[0]}{GAP * 3}{query[1]}", f"{query[0]}       0    0")


def test_cells_ocr_lost_are_filled_only_where_the_sums_fix_them_and_stay_in_review():
    from gaiml.auto import AutoExtractor
    from gaiml.frame import Frame
    from gaiml.verify.status import REVIEW_BELOW

    text = _lose_rows(tesseract_text())
    decision = AutoExtractor(RuleExtractor()).read_both(Frame.of(text, "2021", "split", ocr_declared=True)).decision
    review = {item.cell: item.why for item in decision.review}
    lost = [f"t3.{row}.{c}" for row in ("denied_process", "denied_query") for c in (*schema.T3_PARTS, "total")]
    # Every other figure of their columns and rows is read: the sums leave them nothing but 0.
    for key in lost:
        cell = decision.cells[key]
        assert cell.value == 0 and cell.start is None and cell.confidence < REVIEW_BELOW, key
        assert "already holds without it, so 0" in review[key]
    # The mark OCR printed for a figure: its row's 总计 fixes it at 33 - 31 = 2.
    cell = decision.cells["t3.new_received.commercial"]
    assert cell.value == 2 and cell.start is None and "holds only with 2 here" in review["t3.new_received.commercial"]
    # Without the sums that fix it (both rows of its column's balance lost a figure and their 总计),
    # a lost figure stays null and in review: never guessed.
    no_total = text.replace(T3_ROWS["new_received"][1], "31   生   0   0   0   0").replace(
        f"{T3_ROWS['carried_over'][0]}{GAP * 3}{T3_ROWS['carried_over'][1]}", f"{T3_ROWS['carried_over'][0]}{GAP * 3}0   生   0   0   0   0")
    decision = AutoExtractor(RuleExtractor()).read_both(Frame.of(no_total, "2021", "split", ocr_declared=True)).decision
    assert decision.cells["t3.new_received.commercial"].value is None
    assert "t3.new_received.commercial" in {item.cell for item in decision.review}


def test_the_sums_fix_zeros_and_differences_never_a_printed_blank():
    from gaiml.verify.fixed import fixed_values

    rel = schema.Relation("r", ("t",), ("a", "b", "c"))
    # The read parts already make the total: the unread ones are 0, where zeros may be filled.
    assert fixed_values((rel,), {"t": 5, "a": 5, "b": None, "c": None}, {"b", "c"}) == {"b": (0, "r"), "c": (0, "r")}
    assert fixed_values((rel,), {"t": 5, "a": 5, "b": None, "c": None}, {"b", "c"}, lambda k: False) == {}
    # One unread part is the difference; two unread parts with something left are unknown.
    assert fixed_values((rel,), {"t": 5, "a": 3, "b": None, "c": 0}, {"b"}) == {"b": (2, "r")}
    assert fixed_values((rel,), {"t": 5, "a": 3, "b": None, "c": None}, {"b", "c"}) == {}
    # A part read as blank (not unread) is the report's: nothing is filled beside it.
    assert fixed_values((rel,), {"t": 5, "a": 5, "b": None, "c": None}, {"b"}) == {}
    # A total below its read parts (a misread) fixes nothing; a filled cell can fix the next.
    assert fixed_values((rel,), {"t": 2, "a": 3, "b": None, "c": 0}, {"b"}) == {}
    row = schema.Relation("row", ("u",), ("c", "d"))
    chained = fixed_values((row, rel), {"t": 5, "a": 5, "b": None, "c": None, "u": 2, "d": None}, {"b", "c", "d"})
    assert chained == {"b": (0, "r"), "c": (0, "r"), "d": (2, "row")}
