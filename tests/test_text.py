import codecs

import pytest

from gaiml.errors import InputError
from gaiml.text import CompactText, canonical_label, decode_report, fold, read_report

SAMPLE = "二、主动公开政府信息情况\n规章\t0\t２\t3\n行政许可\t2,259\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be"])
def test_text_decodes_common_encodings(tmp_path, encoding):
    path = tmp_path / "report.txt"
    path.write_bytes(SAMPLE.encode(encoding))
    text, used = read_report(path)
    assert text == SAMPLE
    assert used


def test_text_keeps_crlf_and_offsets():
    text, _ = decode_report("规章\r\n0\r\n".encode("utf-8"))
    assert text == "规章\r\n0\r\n"


@pytest.mark.parametrize("data, problem", [
    (b"", "empty file"),
    (b"   \n\t \n", "empty file"),
    (bytes(range(256)) * 20, "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
    (codecs.BOM_UTF8 + b"\xff\xfe\xfa", "binary"),
])
def test_text_rejects_empty_and_binary(data, problem):
    with pytest.raises(InputError, match=problem) as info:
        decode_report(data, "some/file.txt")
    assert "some/file.txt" in str(info.value)


def test_text_missing_file_named(tmp_path):
    with pytest.raises(InputError, match="no such file") as info:
        read_report(tmp_path / "nope.txt")
    assert "nope.txt" in str(info.value)


def test_text_fold_is_one_to_one():
    raw = "０１２３　（一）ＡＢ，２，２５９－３"
    folded = fold(raw)
    assert folded == "0123 (一)AB,2,259-3"
    assert len(folded) == len(raw)


def test_text_compact_maps_back_to_original_offsets():
    text = "（三）不 予公开\n1. 属于国家\n秘密\t0"
    compact = CompactText.of(text)
    pos = compact.chars.find(canonical_label("属于国家秘密"))
    start, end = compact.span(pos, pos + 6)
    assert text[start:end] == "属于国家\n秘密"


def test_text_canonical_label_folds_lookalikes():
    assert canonical_label("1.属于国家秘密") == canonical_label("1．属千国家秘密")
    assert canonical_label("（三）不予公开") == canonical_label("(三) 不 子 公 开")
    assert canonical_label("本年新收政府信息公开申请") == canonical_label("本年新收政府信息公开中请")
