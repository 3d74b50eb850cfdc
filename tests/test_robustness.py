"""Arbitrary text never crashes the extractor: it returns cells or raises InputError."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaiml.errors import InputError
from gaiml.output import check_output
from gaiml.pipeline import extract_text
from gaiml.rules import RuleExtractor
from gaiml.text import decode_report

from conftest import ALL_SEEDS

# Pieces of real reports: labels, separators, figures, null markers, OCR letters.
PIECES = st.sampled_from([
    "\t", "\n", " ", "  ", "|", "│", "/", "—", "-", "无", "0", "1", "12", "2,259", "1O", "l", "O", "3.5",
    "（一）", "1.", "第二十条第（五）项", "— 5 —", "2021年", "总计", "其他", "予以公开", "规章", "行政许可",
    "本年新收政府信息公开申请数量", "结转下年度继续办理", "行政复议", "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况", "申", "中", "（", "）",
])
MESSY = st.lists(PIECES, max_size=200).map("".join)
SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _extract_or_refuse(text: str) -> None:
    try:
        result = extract_text(text)
    except InputError:
        return
    check_output(result.to_json())
    for cell in result.cells.values():
        if cell.start is not None:
            assert 0 <= cell.start <= cell.end <= len(text)
            assert text[cell.start:cell.end] == cell.text


@SLOW
@given(st.text(max_size=2000))
def test_robustness_any_unicode_text(text):
    _extract_or_refuse(text)


@SLOW
@given(MESSY)
def test_robustness_table_like_noise(text):
    _extract_or_refuse(text)


@SLOW
@given(st.integers(0, 10_000), st.integers(0, 400), st.text(max_size=50))
def test_robustness_seed_with_spliced_noise(at, cut, noise):
    """A real report with a piece cut out and noise pasted in: still cells, spans still exact."""
    seed = ALL_SEEDS[at % len(ALL_SEEDS)]
    pos = at % len(seed.text)
    _extract_or_refuse(seed.text[:pos] + noise + seed.text[pos + cut:])


@SLOW
@given(st.binary(max_size=3000))
def test_robustness_any_bytes_decode_or_refuse(data):
    try:
        text, _ = decode_report(data, "x.txt")
    except InputError:
        return
    RuleExtractor().extract(text)
