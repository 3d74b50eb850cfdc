"""Figures are read right in each layout, and what is not a figure is never read as one."""

from gaiml.rules import RuleExtractor
from gaiml.rules.layouts import FIG, NULL, TEXT, items_between, mask_non_figures
from gaiml.text import fold

HEAD = "三、收到和处理政府信息公开申请情况\n"
ROWS = ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "三、本年度办理结果 （一）予以公开",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")


def extract(text: str, template="2021", form="split"):
    return RuleExtractor().extract(text, template=template, other_form=form)


def values(text: str, **kw) -> dict:
    return {k: c.value for k, c in extract(text, **kw).cells.items()}


def kinds(text: str) -> list[str]:
    masked = mask_non_figures(fold(text), pipes_separate=False)
    return [(it.kind, text[it.start:it.end]) for it in items_between(masked, 0, len(text), False) if it.kind != TEXT]


def test_layouts_tab_rows_with_stray_breaks():
    text = HEAD + f"{ROWS[0]}\t\t3\t1\t0\n\t0\t0\t0\t4\t\n{ROWS[1]}\t1\t0\t0\t0\t0\t0\t1\n"
    got = values(text)
    assert [got[f"t3.new_received.{c}"] for c in ("natural_person", "commercial", "total")] == [3, 1, 4]
    assert got["t3.carried_over.total"] == 1


def test_layouts_one_cell_per_line_with_indent():
    cells = "\n".join(f"\t{v}" for v in (5, 0, 0, 0, 0, 1, 6))
    text = HEAD + f"\t{ROWS[0]}\n{cells}\n\n\t{ROWS[1]}\n" + "\n".join("\t0" for _ in range(7)) + "\n"
    got = values(text)
    assert got["t3.new_received.natural_person"] == 5 and got["t3.new_received.total"] == 6


def test_layouts_pipe_lines_with_trailing_pipes():
    text = HEAD + f"{ROWS[0]} |\n7 |\n0 |\n0 |\n0 |\n0 |\n0 |\n7 | ||\n{ROWS[1]} |\n" + "0 |\n" * 6 + "0 | ||\n"
    got = values(text)
    assert got["t3.new_received.natural_person"] == 7 and got["t3.new_received.total"] == 7


def test_layouts_box_drawn_table():
    text = HEAD + f"┌──┬──┐\n│{ROWS[0]}│ 2 │ 0 │ 0 │ 0 │ 0 │ 1 │ 3 │\n├──┼──┤\n│{ROWS[1]}│ 0 │ 0 │ 0 │ 0 │ 0 │ 0 │ 0 │\n└──┴──┘\n"
    got = values(text)
    assert got["t3.new_received.other_org"] == 1 and got["t3.new_received.total"] == 3


def test_layouts_space_aligned_gap_is_placed_by_column():
    """pdftotext -layout: a blank cell is a wider gap; the figures keep their columns."""
    def line(label, figs):
        return label + " " * (50 - 2 * len(label)) + "".join(f.rjust(8) for f in figs)
    full = ["1", "0", "0", "0", "0", "0", "1"]
    text = HEAD + "\n".join([
        line("一、本年新收政府信息公开申请数量", full),
        line("二、上年结转政府信息公开申请数量", full),
        line("（一）予以公开", full),
        line("（二）部分公开", ["1", "0", "0", "", "0", "0", "1"]),
    ]) + "\n"
    got = values(text)
    assert got["t3.partial.social_org"] is None
    assert [got[f"t3.partial.{c}"] for c in ("natural_person", "research", "legal_service", "total")] == [1, 0, 0, 1]


def test_layouts_markdown_table():
    text = HEAD + "| 申请人情况 | 自然人 | 总计 |\n|---|---|---|\n" + f"| {ROWS[0]} | 2 | 0 | 0 | 0 | 0 | 0 | 2 |\n| {ROWS[1]} | / | 0 | 0 | 0 | 0 | 0 | 0 |\n"
    got = values(text)
    assert got["t3.new_received.total"] == 2
    assert got["t3.carried_over.natural_person"] is None


def test_layouts_t4_flattened_to_one_line():
    text = "四、政府信息公开行政复议、行政诉讼情况\n行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n" + " ".join(str(i) for i in range(1, 16)) + "\n五、存在的主要问题及改进情况\n2021年有 3 个问题。\n"
    got = values(text)
    assert got["t4.review.upheld"] == 1 and got["t4.suit_direct.upheld"] == 6 and got["t4.suit_after_review.total"] == 15


def test_layouts_page_number_and_repeated_header_inside_table():
    header = "申请人情况\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计\n"
    text = (HEAD + header + f"{ROWS[0]}\t1\t0\t0\t0\t0\t0\t1\n\n— 5 —\n\n" + header
            + f"{ROWS[1]}\t0\t0\t0\t0\t0\t2\t2\n-6-\n第 7 页\n")
    got = values(text)
    assert got["t3.new_received.total"] == 1
    assert [got["t3.carried_over.other_org"], got["t3.carried_over.total"]] == [2, 2]


def test_layouts_what_is_not_a_figure():
    text = ("1. 属于国家秘密 第二十条第（五）项 2021年12月31日 2022年 电话：0797-4448286 13800138000 "
            "http://www.gov.cn/a1/2 （其中修订16件） (三) 4、保护 [bookmark: _GoBack]")
    assert [k for k in kinds(text) if k[0] == FIG] == []


def test_layouts_figures_and_null_markers_are_read():
    assert kinds("22（其中修订16件）\t/\t—\t3\t无\t2,259") == [
        (FIG, "22"), (NULL, "/"), (NULL, "—"), (FIG, "3"), (NULL, "无"), (FIG, "2,259")]


def test_layouts_spaced_out_words_are_not_null_markers():
    assert kinds("无 法 提 供\t本 年 增 / 减\t0") == [(FIG, "0")]


def test_layouts_ocr_letters_inside_numbers():
    text = HEAD + f"{ROWS[0]}\t1O\t0\t0\t0\t0\tl\t1l\n{ROWS[1]}\tO\t0\t0\t0\t0\t0\tO\n"
    result = extract(text)
    got = {k: c.value for k, c in result.cells.items()}
    assert [got["t3.new_received.natural_person"], got["t3.new_received.other_org"], got["t3.new_received.total"]] == [10, 1, 11]
    assert got["t3.carried_over.natural_person"] == 0
    assert result.cells["t3.new_received.natural_person"].confidence < result.cells["t3.new_received.commercial"].confidence


def test_layouts_short_row_placed_by_arithmetic_is_flagged():
    """A dropped cell: six figures for seven columns, all placements agree by the row's sum."""
    text = HEAD + f"{ROWS[0]}\t0\t0\t0\t0\t0\t0\n{ROWS[1]}\t0\t0\t0\t0\t0\t0\t0\n"
    result = extract(text)
    assert all(result.cells[f"t3.new_received.{c}"].value == 0 for c in ("natural_person", "total"))
    derived = [c for c in result.cells.values() if c.note and "derived" in c.note]
    assert len(derived) == 1 and derived[0].start is None
    assert any("placed by arithmetic" in w for w in result.warnings)


def test_layouts_ambiguous_short_row_is_flagged_not_shifted():
    """Five figures for seven columns: which two are missing cannot be known."""
    text = HEAD + f"{ROWS[0]}\t3\t1\t0\t0\t4\n{ROWS[1]}\t0\t0\t0\t0\t0\t0\t0\n"
    result = extract(text)
    assert all(result.cells[f"t3.new_received.{c}"].value is None for c in ("natural_person", "commercial", "total"))
    assert any("t3.new_received" in w and "unplaced" in w for w in result.warnings)


def test_layouts_extra_thousands_group_joined():
    text = HEAD + f"{ROWS[0]} 2 259 1 0 0 0 0 2 260\n{ROWS[1]} 0 0 0 0 0 0 0\n"
    got = values(text)
    assert got["t3.new_received.natural_person"] == 2259 and got["t3.new_received.total"] == 2260
