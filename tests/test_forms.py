"""Real-world text forms: the seeds' tables re-laid the way large-format templates print them.

The 栏次 row numbering the columns ("1 2 … 7", "1 … 15"), tab rows that end in a tab, rows that
print no figure at all, footnotes under a table and notes wrapped inside a ruled cell. Every
cell must come out right, or, where the text does not say, go to review (never a wrong value
read as sure).
"""

from __future__ import annotations

import pytest
from conftest import ALL_SEEDS
from relayout import HEADINGS, split_raw, table_rows

from gaiml import schema
from gaiml.rules import RuleExtractor
from gaiml.rules.header_rows import mask_numbering, numbering_rows
from gaiml.values import values_equal

SURE = 0.9


def _check(text: str, gold: dict, tables=("t2", "t3", "t4")) -> None:
    form = schema.other_form_of_keys(gold["cells"])
    reading = RuleExtractor().extract(text, template=gold["template"], other_form=form)
    wrong_sure = []
    for key, want in gold["cells"].items():
        if key.split(".")[0] not in tables:
            continue
        cell = reading.cells[key]
        right = (want is None and cell.value is None) or (want is not None and cell.value is not None and values_equal(want, cell.value))
        if not right and cell.confidence >= SURE:
            wrong_sure.append((key, want, cell.value))
        if gold["template"] == "2019" and key.split(".")[0] in ("t3", "t4"):
            assert right, (key, want, cell.value, cell.note)  # these layouts say where every cell is
    assert not wrong_sure


def _tab_report(seed) -> str:
    before, after = split_raw(seed.text)
    rows = table_rows(seed.gold)
    out = [before, HEADINGS["t2"]]
    for kind, cells in rows["t2"]:
        out.append("\t".join(cells))  # 表二 rows: no closing tab
    out.append(HEADINGS["t3"])
    for kind, cells in rows["t3"]:
        out.append("\t".join(cells) + "\t" if kind == "row" else "\t".join(cells))
        if cells and cells[0] == "" and "商业企业" in cells:
            out.append("栏次\t" + "\t".join(str(i) for i in range(1, 8)) + "\t")
    out.append("注：1.本表数据统计期限为全年；2.“本年新收政府信息公开申请数量”含通过互联网提交的申请82件。")
    out.append(HEADINGS["t4"])
    for kind, cells in rows["t4"]:
        if kind == "row":
            out.append("\t".join(str(i) for i in range(1, 16)) + "\t")
        out.append("\t".join(cells) + "\t" if kind == "row" else "\t".join(cells))
    out.append("备注：上年结转申请已于1月底前全部办结。")
    return "\n".join(out) + "\n" + after


def _box_line(cells: list[str]) -> str:
    return "│" + "│".join(c.ljust(6) for c in cells) + "│"


def _box_report(seed) -> str:
    before, after = split_raw(seed.text)
    rows = table_rows(seed.gold)
    out = [before]
    for table in ("t2", "t3", "t4"):
        out.append(HEADINGS[table])
        wrapped = False
        for kind, cells in rows[table]:
            if table == "t4" and kind == "row":
                out.append(_box_line([str(i) for i in range(1, 16)]))
                out.append("├" + "┼".join("──────" for _ in cells) + "┤")
            if table == "t3" and kind == "row" and not wrapped and cells[1] not in ("", "0"):
                # a note wrapped inside the first cell: "12（其中续办2" then "件）"
                wrapped = True
                out.append(_box_line([cells[0], cells[1] + "（其中续办2"] + cells[2:]))
                out.append(_box_line(["", "件）"] + [""] * (len(cells) - 2)))
            else:
                out.append(_box_line(cells))
            out.append("├" + "┼".join("──────" for _ in cells) + "┤")
            if table == "t3" and kind == "header" and "商业企业" in cells:
                out.append(_box_line(["栏次"] + [str(i) for i in range(1, 8)]))
                out.append("├" + "┼".join("──────" for _ in range(8)) + "┤")
    return "\n".join(out) + "\n" + after


@pytest.mark.parametrize("seed", ALL_SEEDS, ids=lambda s: s.doc_id[:3])
def test_forms_tab_rows_with_column_numbering(seed):
    _check(_tab_report(seed), seed.gold)


@pytest.mark.parametrize("seed", ALL_SEEDS, ids=lambda s: s.doc_id[:3])
def test_forms_box_drawn_with_column_numbering_and_wrapped_note(seed):
    _check(_box_report(seed), seed.gold)


def test_forms_column_numbering_is_masked_and_never_data():
    text = "栏次\t1\t2\t3\t4\t5\t6\t7\t\n一、本年新收\t1\t2\t3\t4\t5\t6\t21\n"  # the row holds: kept
    rows = numbering_rows(text)
    assert len(rows) == 1 and len(rows[0].spans) == 7
    masked = mask_numbering(text, rows)
    assert masked.endswith("1\t2\t3\t4\t5\t6\t21\n") and "7" not in masked.split("\n")[0]
    # eight figures: no numbering row
    assert numbering_rows("规章\t1\t2\t3\t4\t5\t6\t7\t8\n") == []  # not alone: a row


def test_forms_blank_row_of_tab_table_is_blank_not_review():
    seed = ALL_SEEDS[0]
    gold = {**seed.gold, "cells": dict(seed.gold["cells"])}
    for key in [k for k in gold["cells"] if k.startswith("t3.denied_secret.")]:
        gold["cells"][key] = None
    text = _tab_report(type(seed)(seed.doc_id, seed.path, seed.text, gold))
    form = schema.other_form_of_keys(gold["cells"])
    reading = RuleExtractor().extract(text, template=gold["template"], other_form=form)
    cells = [reading.cells[k] for k in gold["cells"] if k.startswith("t3.denied_secret.")]
    assert all(c.value is None and c.confidence > 0 for c in cells)
