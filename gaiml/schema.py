"""The code copy of SPEC.md: template versions, tables, rows, columns, cell keys and relations.

Pure data plus lookups: no I/O, no third-party imports. Every other module gets cell keys,
printed labels and arithmetic relations from here; nobody types a cell key by hand elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

TEMPLATES = ("2019", "2021")
# How 表三 prints （六）其他处理: one row (the 2019 template) or three sub-rows (2021).
OTHER_FORMS = ("single", "split")
DEFAULT_OTHER_FORM = {"2019": "single", "2021": "split"}

COUNT, CHANGE, AMOUNT = "count", "change", "amount"
VALUE_KINDS = (COUNT, CHANGE, AMOUNT)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = COUNT


@dataclass(frozen=True)
class Row:
    """One printed table row: the cells it holds, in printed order, and how to find it.

    ``label`` is the printed label; ``anchors`` are the distinctive pieces of it that the rule
    extractor searches for (whitespace, punctuation and list markers such as "1." or "（三）"
    removed), the first being preferred.
    """

    key: str
    label: str
    anchors: tuple[str, ...]
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Table:
    key: str  # "t2", "t3", "t4"
    title: str
    headings: tuple[str, ...]  # printed section headings that open the table
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Cell:
    key: str
    table: str
    row: str
    column: str
    kind: str
    row_label: str
    column_label: str


TOLERANCE = 1e-6  # sums of decimal amounts (万元) differ by float noise only below this


@dataclass(frozen=True)
class Relation:
    """``sum(left) == sum(right)`` over cell values; ``name`` says which rule of SPEC.md it is."""

    name: str
    left: tuple[str, ...]
    right: tuple[str, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return self.left + self.right

    def broken(self, values: dict) -> bool:
        """True when every cell is known and the two sums differ (a null cell: unassessable)."""
        left = list(map(values.get, self.left))  # lists, not generators: called for every relation of every report
        right = list(map(values.get, self.right))
        if None in left or None in right:
            return False
        return abs(sum(left) - sum(right)) > TOLERANCE

    def holds(self, values: dict) -> bool:
        """True when every cell is known and the two sums agree."""
        return all(values.get(k) is not None for k in self.keys) and not self.broken(values)

    def solve(self, key: str, values: dict):
        """The value ``key`` must take for the relation to hold; None while another cell is unknown."""
        if any(values.get(k) is None for k in self.keys if k != key):
            return None
        left = sum(values[k] for k in self.left if k != key)
        right = sum(values[k] for k in self.right if k != key)
        return right - left if key in self.left else left - right


# ---------------------------------------------------------------- 表二 主动公开

_ISSUED = (Column("issued", "本年制发件数"), Column("repealed", "本年废止件数"), Column("in_force", "现行有效件数"))
_MADE = (Column("made", "本年新制作数量"), Column("published", "本年新公开数量"), Column("total_public", "对外公开总数量"))
_ITEMS = (Column("prev_items", "上一年项目数量"), Column("change", "本年增/减", CHANGE), Column("decisions", "处理决定数量"))

_T2_2021 = (
    Row("rules", "规章", ("规章",), _ISSUED),
    Row("normative", "行政规范性文件", ("行政规范性文件", "规范性文件"), _ISSUED),
    Row("licensing", "行政许可", ("行政许可",), (Column("decisions", "本年处理决定数量"),)),
    Row("penalty", "行政处罚", ("行政处罚",), (Column("decisions", "本年处理决定数量"),)),
    Row("coercion", "行政强制", ("行政强制",), (Column("decisions", "本年处理决定数量"),)),
    Row("fees", "行政事业性收费", ("行政事业性收费",), (Column("amount", "本年收费金额（单位：万元）", AMOUNT),)),
)
_T2_2019 = (
    Row("rules", "规章", ("规章",), _MADE),
    Row("normative", "规范性文件", ("规范性文件",), _MADE),
    Row("licensing", "行政许可", ("行政许可",), _ITEMS),
    Row("other_services", "其他对外管理服务事项", ("其他对外管理服务事项",), _ITEMS),
    Row("penalty", "行政处罚", ("行政处罚",), _ITEMS),
    Row("coercion", "行政强制", ("行政强制",), _ITEMS),
    Row("fees", "行政事业性收费", ("行政事业性收费",), _ITEMS[:2]),
    Row("procurement", "政府集中采购", ("政府集中采购",),
        (Column("items", "采购项目数量"), Column("amount", "采购总金额", AMOUNT))),
)
T2_HEADINGS = ("主动公开政府信息情况",)

# Column headers that tell the template versions apart (see SPEC.md, "how to tell").
TEMPLATE_MARKERS = {
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"),
    "2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增减",
             "政府集中采购", "采购项目数量", "采购总金额", "其他对外管理服务事项"),
}

# ---------------------------------------------------------------- 表三 依申请公开

T3_COLUMNS = (
    Column("natural_person", "自然人"),
    Column("commercial", "商业企业"),
    Column("research", "科研机构"),
    Column("social_org", "社会公益组织"),
    Column("legal_service", "法律服务机构"),
    Column("other_org", "其他"),
    Column("total", "总计"),
)
T3_PARTS = tuple(c.key for c in T3_COLUMNS[:-1])


def _t3(key: str, label: str, *anchors: str) -> Row:
    return Row(key, label, anchors, T3_COLUMNS)


_T3_HEAD = (
    _t3("new_received", "一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量"),
    _t3("carried_over", "二、上年结转政府信息公开申请数量", "上年结转政府信息公开申请数量"),
    _t3("granted", "三、本年度办理结果 （一）予以公开", "予以公开"),
    _t3("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开"),
    _t3("denied_secret", "（三）不予公开 1.属于国家秘密", "属于国家秘密"),
    _t3("denied_law", "2.其他法律行政法规禁止公开", "其他法律行政法规禁止公开"),
    _t3("denied_safety", "3.危及“三安全一稳定”", "危及三安全一稳定"),
    _t3("denied_third_party", "4.保护第三方合法权益", "保护第三方合法权益"),
    _t3("denied_internal", "5.属于三类内部事务信息", "属于三类内部事务信息"),
    _t3("denied_process", "6.属于四类过程性信息", "属于四类过程性信息"),
    _t3("denied_enforcement", "7.属于行政执法案卷", "属于行政执法案卷"),
    _t3("denied_query", "8.属于行政查询事项", "属于行政查询事项"),
    _t3("unable_not_held", "（四）无法提供 1.本机关不掌握相关政府信息", "本机关不掌握相关政府信息"),
    _t3("unable_create", "2.没有现成信息需要另行制作", "没有现成信息需要另行制作"),
    _t3("unable_unclear", "3.补正后申请内容仍不明确", "补正后申请内容仍不明确"),
    _t3("rejected_petition", "（五）不予处理 1.信访举报投诉类申请", "信访举报投诉类申请"),
    _t3("rejected_duplicate", "2.重复申请", "重复申请"),
    _t3("rejected_publication", "3.要求提供公开出版物", "要求提供公开出版物"),
    _t3("rejected_mass", "4.无正当理由大量反复申请", "无正当理由大量反复申请"),
    _t3("rejected_confirm", "5.要求行政机关确认或重新出具已获取信息", "要求行政机关确认或重新出具已获取信息"),
)
_T3_OTHER = {
    "single": (_t3("other", "（六）其他处理", "其他处理"),),
    "split": (
        _t3("other_no_correction", "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请", "逾期不补正"),
        _t3("other_no_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            "申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请", "逾期未按收费通知要求缴纳费用"),
        _t3("other_misc", "3.其他", "其他"),
    ),
}
_T3_TAIL = (
    _t3("total", "（七）总计", "总计"),
    _t3("carried_forward", "四、结转下年度继续办理", "结转下年度继续办理"),
)
T3_HEADINGS = ("收到和处理政府信息公开申请情况",)
# Printed only in the split form: how the rule extractor tells the two forms apart.
SPLIT_FORM_MARKERS = ("逾期不补正", "逾期未按收费通知要求缴纳费用", "不再处理其政府信息公开申请")
# Row-group captions printed beside the rows; never rows themselves.
T3_GROUP_CAPTIONS = ("本年度办理结果", "不予公开", "无法提供", "不予处理", "申请人情况", "法人或其他组织")

# ---------------------------------------------------------------- 表四 复议诉讼

T4_FIELDS = (
    Column("upheld", "结果维持"),
    Column("corrected", "结果纠正"),
    Column("other", "其他结果"),
    Column("pending", "尚未审结"),
    Column("total", "总计"),
)
T4_GROUPS = (
    Row("review", "行政复议", ("行政复议",), T4_FIELDS),
    Row("suit_direct", "行政诉讼 未经复议直接起诉", ("未经复议直接起诉",), T4_FIELDS),
    Row("suit_after_review", "行政诉讼 复议后起诉", ("复议后起诉",), T4_FIELDS),
)
T4_HEADINGS = ("政府信息公开行政复议行政诉讼情况", "行政复议行政诉讼情况", "被申请行政复议提起行政诉讼情况")

# Section headings that close the last table: prose starts again.
AFTER_TABLES_HEADINGS = ("存在的主要问题及改进情况", "存在的主要问题", "其他需要报告的事项")


# ---------------------------------------------------------------- lookups


def check_template(template: str) -> None:
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; expected one of {TEMPLATES}")


def check_other_form(other_form: str) -> None:
    if other_form not in OTHER_FORMS:
        raise ValueError(f"unknown 其他处理 form {other_form!r}; expected one of {OTHER_FORMS}")


@cache
def tables(template: str, other_form: str | None = None) -> tuple[Table, ...]:
    """The three tables of a template, rows in printed order."""
    check_template(template)
    other_form = other_form or DEFAULT_OTHER_FORM[template]
    check_other_form(other_form)
    t2_rows = _T2_2021 if template == "2021" else _T2_2019
    t3_rows = _T3_HEAD + _T3_OTHER[other_form] + _T3_TAIL
    return (
        Table("t2", "表二 主动公开政府信息情况", T2_HEADINGS, t2_rows),
        Table("t3", "表三 收到和处理政府信息公开申请情况", T3_HEADINGS, t3_rows),
        Table("t4", "表四 政府信息公开行政复议、行政诉讼情况", T4_HEADINGS, T4_GROUPS),
    )


@cache
def cells(template: str, other_form: str | None = None) -> tuple[Cell, ...]:
    """Every cell of a template and 其他处理 form, in printed order."""
    out = []
    for table in tables(template, other_form):
        for row in table.rows:
            for col in row.columns:
                out.append(Cell(f"{table.key}.{row.key}.{col.key}", table.key, row.key, col.key,
                                col.kind, row.label, col.label))
    return tuple(out)


@cache
def cell_keys(template: str, other_form: str | None = None) -> tuple[str, ...]:
    return tuple(c.key for c in cells(template, other_form))


@cache
def cell_index(template: str, other_form: str | None = None) -> dict[str, Cell]:
    return {c.key: c for c in cells(template, other_form)}


def result_rows(other_form: str) -> tuple[str, ...]:
    """The 办理结果 rows that add up to （七）总计, from 予以公开 to the last 其他处理 row."""
    check_other_form(other_form)
    keys = [r.key for r in _T3_HEAD[2:] + _T3_OTHER[other_form]]
    return tuple(keys)


@cache
def relations(template: str, other_form: str | None = None) -> tuple[Relation, ...]:
    """The arithmetic constraints of SPEC.md that apply to this template and form."""
    other_form = other_form or DEFAULT_OTHER_FORM[template]
    t3 = tables(template, other_form)[1]
    out = []
    for row in t3.rows:  # 1. row totals
        out.append(Relation(f"t3.{row.key}: 总计 = sum of applicants",
                            (f"t3.{row.key}.total",), tuple(f"t3.{row.key}.{p}" for p in T3_PARTS)))
    for col in T3_COLUMNS:  # 2. balance, 3. results
        c = col.key
        out.append(Relation(f"t3 {c}: new + carried over = total + carried forward",
                            (f"t3.new_received.{c}", f"t3.carried_over.{c}"),
                            (f"t3.total.{c}", f"t3.carried_forward.{c}")))
        out.append(Relation(f"t3 {c}: total = sum of results",
                            (f"t3.total.{c}",), tuple(f"t3.{r}.{c}" for r in result_rows(other_form))))
    for group in T4_GROUPS:  # 4. 表四 totals
        g = group.key
        out.append(Relation(f"t4.{g}: 总计 = upheld + corrected + other + pending",
                            (f"t4.{g}.total",), tuple(f"t4.{g}.{f.key}" for f in T4_FIELDS[:-1])))
    return tuple(out)


def other_form_of_keys(keys) -> str:
    """The 其他处理 form that a set of cell keys (a gold file's, say) belongs to."""
    return "split" if any(k.startswith("t3.other_misc.") for k in keys) else "single"


def schema_version() -> str:
    """A short hash of every cell key and relation: models record it and refuse a mismatch."""
    parts = []
    for template in TEMPLATES:
        for form in OTHER_FORMS:
            parts += cell_keys(template, form)
            parts += [f"{r.left}={r.right}" for r in relations(template, form)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
