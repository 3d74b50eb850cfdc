"""Row labels are found however the text mangles them."""

import pytest

from gaiml.rules import RuleExtractor

HEAD = "三、收到和处理政府信息公开申请情况\n"


def read(text: str) -> dict:
    return {k: c.value for k, c in RuleExtractor().extract(text, template="2021", other_form="split").cells.items()}


@pytest.mark.parametrize("label", [
    "一、本年新收政府信息公开申请数量",
    "一、本年新收政府\n信息公开申请数量",  # a line break inside the label
    "一、本 年 新 收 政 府 信 息 公 开 申 请 数 量",  # spaces between characters
    "一.本年新收政府信息公开申请数量",  # "1." vs "1、"
    "一、本年新收政府信息公开中请数量",  # OCR: 申 -> 中
    "一、本年新收政府信息公开申请",  # truncated
])
def test_anchors_mangled_first_row(label):
    text = HEAD + label + "\t5\t1\t0\t0\t0\t0\t6\n二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0\n"
    got = read(text)
    assert [got[f"t3.new_received.{c}"] for c in ("natural_person", "commercial", "total")] == [5, 1, 6]
    assert got["t3.carried_over.total"] == 0


@pytest.mark.parametrize("label, key", [
    ("（三）不予公开 1、属千国家秘密", "denied_secret"),  # 于 -> 千
    ("（一）子以公开", "granted"),  # 予 -> 子
    ("4.保护第三方合法\n权益", "denied_third_party"),
])
def test_anchors_lookalikes_and_breaks(label, key):
    text = HEAD + f"{label}\t2\t0\t0\t0\t0\t1\t3\n"
    assert read(text)[f"t3.{key}.total"] == 3


def test_anchors_prose_mention_does_not_steal_the_row():
    prose = "一、总体情况\n本年新收政府信息公开申请数量为 9 件，上年结转政府信息公开申请数量 1 件。\n"
    table = (HEAD + "一、本年新收政府信息公开申请数量\t2\t0\t0\t0\t0\t0\t2\n"
             "二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0\n")
    got = read(prose + table)
    assert got["t3.new_received.total"] == 2
    assert got["t3.carried_over.total"] == 0


def test_anchors_short_labels_need_their_place_in_order():
    """"其他" and "总计" also head columns; only the ones between their neighbours are rows."""
    text = (HEAD + "申请人情况\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计\n"
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0\n"
            "3.其他\t4\t0\t0\t0\t0\t0\t4\n（七）总计\t7\t0\t0\t0\t0\t1\t8\n四、结转下年度继续办理\t0\t0\t0\t0\t0\t0\t0\n")
    got = read(text)
    assert got["t3.other_misc.total"] == 4
    assert got["t3.total.total"] == 8
    assert got["t3.total.other_org"] == 1
