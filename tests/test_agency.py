"""The reporting body (gaiml/detect.py ``detect_agency``): the body the title names, the signature
when the title names none, never an office the prose mentions nor a piece of a sentence."""

import pytest

from gaiml.detect import detect_agency, detect_year

from conftest import ALL_SEEDS

BODY = ("一、总体情况\n2023年，本局认真贯彻落实《中华人民共和国政府信息公开条例》，全年主动公开政府信息120条。\n"
        "（一）主动公开\n按照县政务公开领导小组办公室的部署，办公室保密与电子政务处负责审核，及时公开。\n"
        "五、存在的主要问题及改进情况\n无。\n六、其他需要报告的事项\n无。\n")

CASES = {
    "title without a body, signature at the end": (
        "2023年度政府信息公开工作年度报告\n\n" + BODY + "\n萍乡市安源区财政局\n2024年1月18日\n", "萍乡市安源区财政局"),
    "title naming no body, year after it": (
        "政府信息公开工作年度报告（2023年）\n" + BODY + "\n\n铜鼓县林业局\n\n2024年1月20日", "铜鼓县林业局"),
    "a notice naming an office above the title": (
        "根据县政务公开领导小组办公室通知要求，现将报告公布如下。\n来源：县政务公开领导小组办公室  发布时间：2024-01-20\n"
        "定南县交通运输局2023年政府信息公开工作年度报告\n" + BODY, "定南县交通运输局"),
    "a 管委会": (
        "赣州高新技术产业开发区管委会2022年度政府信息公开工作年度报告\n" + BODY.replace("本局", "本委"),
        "赣州高新技术产业开发区管委会"),
    "a title broken over two lines": (
        "樟树市行政服务中心管委会2021年政府信息\n公开工作年度报告\n" + BODY, "樟树市行政服务中心管委会"),
    "the name on a line of its own above the title": (
        "兴国县城市管理局\n2023年度政府信息公开工作年度报告\n" + BODY, "兴国县城市管理局"),
    "an office in the prose, the signature names the body": (
        "政府信息公开工作年度报告\n" + BODY + "省发展改革委保密与电子政务处负责解释。\n\n江西省发展和改革委员会\n2022年1月20日",
        "江西省发展和改革委员会"),
    "OCR lines above the title, its hanzi spaced out": (
        "和《国务院办公厅政府信息与政务公开办公室关于印发 《\n\n信息公开工作年度报告格式>的\n\n"
        "茶 陵 县 教 育 局\n2025 年度政府信息公开工作报告\n\n" + BODY, "茶陵县教育局"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_agency_of_hard_cases(case):
    text, want = CASES[case]
    got = detect_agency(text)
    assert got.value == want
    assert "".join(text[got.start:got.end].split()) == want  # the span is where it is printed


def test_a_sentence_mentioning_the_report_is_no_title():
    text = ("根据新修订的《中华人民共和国政府信息公开条例》文件要求，我镇结合工作实际，形成2020年度社区党工委信息公开年度报告。\n"
            + BODY + "\n中共桦川县社区工作委员会\n2021年1月10日")
    assert detect_agency(text).value == "中共桦川县社区工作委员会"


def test_year_from_a_title_below_other_lines():
    text = CASES["a notice naming an office above the title"][0]
    assert detect_year(text).value == 2023


@pytest.mark.parametrize("seed", ALL_SEEDS, ids=lambda s: s.doc_id[:3])
def test_agency_of_the_real_seeds(seed):
    got = detect_agency(seed.text).value
    want = seed.gold["agency"]
    assert got and (got in want or want in got)


def test_a_title_hanzi_misread_by_ocr_gives_way_to_the_spelling_printed_more_often():
    text = ("石城市昌石镇团结村民委员会 2023 年 政府信息公\n开工作年度报告\n"
            "如对本报告有疑问，请与石城市白石镇团结村民委员会联系。\n" + BODY + "\n石城市白石镇团结村民委员会\n2024年1月20日")
    got = detect_agency(text)
    assert got.value == "石城市白石镇团结村民委员会" and text[got.start:got.end] == got.value


def test_a_tie_keeps_the_title():
    text = "宜丰县人民政府2023年政府信息公开工作年度报告\n" + BODY + "\n宣丰县人民政府\n2024年1月20日"
    assert detect_agency(text).value == "宜丰县人民政府"
