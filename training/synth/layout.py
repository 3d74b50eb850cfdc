"""Report content -> Layout: title, prose sections and the three tables in the official structure.

The tables copy the State Council template's merged cells (rowspan/colspan): 表三's three header
rows and its nested row groups (三、本年度办理结果 > （三）不予公开 > 1.属于国家秘密), 表四's two-level
header. Printed label variants (（一） or (一), 1. or 1、) are chosen per document.
"""

from __future__ import annotations

from gaiml import schema

from . import prose
from .content import Report
from .doc import GridCell, Item, Layout, Para, Segment, Table

T3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


class _Items:
    """Collects labelled items and hands out their ids."""

    def __init__(self):
        self.items: list[Item] = []
        self.ids: dict[Item, int] = {}

    def seg(self, text: str, kind: str, key: str) -> Segment:
        item = Item(kind, key)
        if item not in self.ids:
            self.ids[item] = len(self.items)
            self.items.append(item)
        return Segment(text, self.ids[item])


def _label_style(rng):
    """A per-document way of printing list markers in labels."""
    half = rng.random() < 0.4
    dot = str(rng.choice([".", ".", "、", ". "]))

    def fix(label: str) -> str:
        if half:
            label = label.replace("（", "(").replace("）", ")")
        return label.replace("1.", "1" + dot).replace("2.", "2" + dot).replace("3.", "3" + dot) \
            .replace("4.", "4" + dot).replace("5.", "5" + dot).replace("6.", "6" + dot) \
            .replace("7.", "7" + dot).replace("8.", "8" + dot)
    return fix


def _h(text: str, rowspan: int = 1, colspan: int = 1, role: str = "header") -> GridCell:
    return GridCell([Segment(text)], role, rowspan, colspan)


def _value(report: Report, items: _Items, key: str, colspan: int = 1) -> GridCell:
    p = report.printed[key]
    segs = []
    if p.start:
        segs.append(Segment(p.text[:p.start]))
    if p.end > p.start:
        segs.append(items.seg(p.figure, "cell", key))
    if p.text[p.end:]:
        segs.append(Segment(p.text[p.end:]))
    return GridCell(segs, "value", 1, colspan)


def _label(items: _Items, text: str, row_key: str, rowspan: int = 1, colspan: int = 1) -> GridCell:
    return GridCell([items.seg(text, "row", row_key)], "label", rowspan, colspan)


def _t2(report: Report, items: _Items, fix) -> Table:
    rows: list[list[GridCell]] = []
    t2 = schema.tables(report.template, report.other_form)[0]
    by_key = {r.key: r for r in t2.rows}

    def section(caption: str, headers: list[tuple[str, int]], row_keys: list[str]):
        rows.append([_h(fix(caption), colspan=4)])
        rows.append([_h("信息内容")] + [_h(h, colspan=c) for h, c in headers])
        for rk in row_keys:
            row = by_key[rk]
            spans = [c for _, c in headers]
            cells = [_value(report, items, f"t2.{rk}.{col.key}", spans[i]) for i, col in enumerate(row.columns)]
            rows.append([_label(items, row.label, f"t2.{rk}")] + cells)

    if report.template == "2021":
        section("第二十条第（一）项", [("本年制发件数", 1), ("本年废止件数", 1), ("现行有效件数", 1)], ["rules", "normative"])
        section("第二十条第（五）项", [("本年处理决定数量", 3)], ["licensing"])
        section("第二十条第（六）项", [("本年处理决定数量", 3)], ["penalty", "coercion"])
        section("第二十条第（八）项", [("本年收费金额（单位：万元）", 3)], ["fees"])
    else:
        section("第二十条第（一）项", [("本年新制作数量", 1), ("本年新公开数量", 1), ("对外公开总数量", 1)],
                ["rules", "normative"])
        items_h = [("上一年项目数量", 1), ("本年增/减", 1), ("处理决定数量", 1)]
        section("第二十条第（五）项", items_h, ["licensing", "other_services"])
        section("第二十条第（六）项", items_h, ["penalty", "coercion"])
        section("第二十条第（八）项", [("上一年项目数量", 1), ("本年增/减", 2)], ["fees"])
        section("第二十条第（九）项", [("采购项目数量", 1), ("采购总金额", 2)], ["procurement"])
    return Table("t2", rows, 4, 0)


_T3_GROUPS = {"denied": "（三）不予公开", "unable": "（四）无法提供", "rejected": "（五）不予处理",
              "other_": "（六）其他处理"}


def _own_label(row: schema.Row) -> str:
    """The row's own cell text: the schema label without its group caption."""
    return row.label.split(" ", 1)[1] if " " in row.label else row.label


def _t3(report: Report, items: _Items, fix) -> Table:
    t3 = schema.tables(report.template, report.other_form)[1]
    rows: list[list[GridCell]] = [
        [_h(T3_CORNER, 3, 3), _h("申请人情况", colspan=7)],
        [_h("自然人", 2), _h("法人或其他组织", colspan=5), _h("总计", 2)],
        [_h(c.label) for c in schema.T3_COLUMNS[1:-1]],
    ]
    result_rows = schema.result_rows(report.other_form) + ("total",)
    group_sizes = {g: sum(1 for r in result_rows if r.startswith(g)) for g in _T3_GROUPS}
    for row in t3.rows:
        values = [_value(report, items, f"t3.{row.key}.{c.key}") for c in schema.T3_COLUMNS]
        own = fix(_own_label(row))
        cells: list[GridCell] = []
        if row.key == "granted":
            cells.append(_h(fix("三、本年度办理结果"), len(result_rows), role="group"))
        if row.key not in result_rows:
            cells.append(_label(items, own, f"t3.{row.key}", colspan=3))
        else:
            group = next((g for g in _T3_GROUPS if row.key.startswith(g)), None)
            if group and (report.other_form == "split" or group != "other_"):
                first = next(r for r in result_rows if r.startswith(group))
                if row.key == first:
                    cells.append(_h(fix(_T3_GROUPS[group]), group_sizes[group], role="group"))
                cells.append(_label(items, own, f"t3.{row.key}"))
            else:
                cells.append(_label(items, own, f"t3.{row.key}", colspan=2))
        rows.append(cells + values)
    return Table("t3", rows, 10, 3)


def _t4(report: Report, items: _Items) -> Table:
    fields = [f.label for f in schema.T4_FIELDS]
    rows = [
        [_h("行政复议", colspan=5), _h("行政诉讼", colspan=10)],
        [_h(f, 2) for f in fields] + [_h("未经复议直接起诉", colspan=5), _h("复议后起诉", colspan=5)],
        [_h(f) for f in fields] + [_h(f) for f in fields],  # distinct cells: OCR keys text by cell
        [_value(report, items, f"t4.{g.key}.{f.key}") for g in schema.T4_GROUPS for f in schema.T4_FIELDS],
    ]
    return Table("t4", rows, 15, 3)


def report_to_layout(report: Report, rng) -> Layout:
    """The whole report as blocks; ``rng`` picks the printed variants (labels, title, prose)."""
    items = _Items()
    fix = _label_style(rng)
    title = prose.title(report, rng, items.seg)
    blocks: list = []
    blocks += prose.opening(report, rng)
    blocks.append(Para([Segment(prose.heading(rng, "二", "主动公开政府信息情况"))], heading=True))
    blocks.append(_t2(report, items, fix))
    blocks.append(Para([Segment(prose.heading(rng, "三", "收到和处理政府信息公开申请情况"))], heading=True))
    blocks.append(_t3(report, items, fix))
    blocks.append(Para([Segment(prose.heading(rng, "四", "政府信息公开行政复议、行政诉讼情况"))], heading=True))
    blocks.append(_t4(report, items))
    blocks += prose.closing(report, rng, items.seg)
    return Layout(title, blocks, items.items)
