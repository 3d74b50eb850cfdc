"""A body's key figures year by year, the change from the year before, and what to look at.

Figures are the ones readers follow: applications received and carried over, each outcome group,
表四's totals, 表二's counts. A flag marks a broken cross-year relation, a missing year, or a
jump: a figure more than ``jump`` times the year before or less than 1/``jump`` of it (and
changed by at least ``min_change``, so that 1 → 3 is not news).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from .. import schema
from .check import SeriesCheck
from .records import value

_T3 = {r.key: r for r in schema.tables("2021", "split")[1].rows} | {r.key: r for r in schema.tables("2019", "single")[1].rows}


def _rows(prefix: str) -> tuple[str, ...]:
    return tuple(k for k in _T3 if k.startswith(prefix))


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    t3_rows: tuple[str, ...] = ()  # 表三 rows, summed over their 总计 column
    cells: tuple[str, ...] = ()  # other cells, summed (those a template lacks are skipped)


FIGURES = (
    Figure("new_received", "本年新收申请", ("new_received",)),
    Figure("carried_over", "上年结转申请", ("carried_over",)),
    Figure("granted", "予以公开", ("granted",)),
    Figure("partial", "部分公开", ("partial",)),
    Figure("denied", "不予公开", _rows("denied_")),
    Figure("unable", "无法提供", _rows("unable_")),
    Figure("rejected", "不予处理", _rows("rejected_")),
    Figure("other", "其他处理", ("other", "other_no_correction", "other_no_fee", "other_misc")),
    Figure("handled", "办理结果总计", ("total",)),
    Figure("carried_forward", "结转下年度", ("carried_forward",)),
    Figure("review", "行政复议", cells=("t4.review.total",)),
    Figure("suit_direct", "诉讼(未经复议)", cells=("t4.suit_direct.total",)),
    Figure("suit_after_review", "诉讼(复议后)", cells=("t4.suit_after_review.total",)),
    Figure("normative", "规范性文件(制发)", cells=("t2.normative.issued", "t2.normative.made")),
    Figure("licensing", "行政许可决定", cells=("t2.licensing.decisions",)),
    Figure("penalty", "行政处罚决定", cells=("t2.penalty.decisions",)),
    Figure("coercion", "行政强制决定", cells=("t2.coercion.decisions",)),
)
FIGURE_INDEX = {f.key: f for f in FIGURES}


def row_total(doc: dict, row: str):
    """表三 row ``row``'s 总计, or the sum of its applicant columns when 总计 is blank; None when
    the report has no such row or leaves it blank."""
    total = value(doc, f"t3.{row}.total")
    if total is not None:
        return total
    parts = [value(doc, f"t3.{row}.{p}") for p in schema.T3_PARTS]
    return sum(parts) if parts and all(p is not None for p in parts) else None


def figure_value(doc: dict, figure: Figure):
    """The figure in one report: the sum of what it prints (None when it prints none of it)."""
    found = [row_total(doc, r) for r in figure.t3_rows] + [value(doc, k) for k in figure.cells]
    found = [v for v in found if v is not None]
    return sum(found) if found else None


@dataclass
class Flag:
    year: int
    figure: str | None  # a Figure key, or None for the whole report
    kind: str  # cross-year, jump, missing-year, conflict
    text: str


@dataclass
class YearRow:
    year: int
    doc_id: str | None
    status: str | None
    values: dict[str, float | None]
    changes: dict[str, float | None]
    cross_checked: int = 0
    cross_broken: int = 0


@dataclass
class BodyTable:
    body: str
    names: list[str]
    rows: list[YearRow]
    flags: list[Flag] = field(default_factory=list)

    def flagged(self, year: int, figure: str) -> str:
        """"×" for a broken cross-year relation, "!" for a jump, "" otherwise."""
        kinds = {f.kind for f in self.flags if f.year == year and f.figure == figure}
        return "×" if "cross-year" in kinds else "!" if "jump" in kinds else ""


def _figure_of(outcome) -> str:
    key = outcome.relation.later[0]
    return "carried_over" if key.startswith("t3.") else None


def body_table(check: SeriesCheck, jump: float = 2.0, min_change: float = 10,
               annotated: dict[int, dict] | None = None) -> BodyTable:
    """The year-by-year table of one series with its flags; ``annotated`` (check.annotate's
    documents) gives each report's status after the cross-year check."""
    series = check.series
    table = BodyTable(series.body, sorted(series.names), [])
    previous: YearRow | None = None
    for year in series.years:
        rec = series.document(year)
        doc = rec.doc if rec else {}
        values = {f.key: figure_value(doc, f) if rec else None for f in FIGURES}
        status = (annotated or {}).get(id(rec), doc).get("status") if rec else None
        row = YearRow(year, rec.doc_id if rec else None, status, values, {})
        linked = previous is not None and previous.year == year - 1
        for f in FIGURES:
            old = previous.values.get(f.key) if linked else None
            new = values[f.key]
            row.changes[f.key] = None if old is None or new is None else new - old
            change = row.changes[f.key]
            if change is not None and abs(change) >= min_change and max(new, old) > jump * max(min(new, old), 1):
                pct = f"{change / old:+.0%}" if old else "from 0"
                table.flags.append(Flag(year, f.key, "jump", f"{f.label} {old:g} → {new:g} ({change:+g}, {pct})"))
        outcomes = check.outcomes.get(year, [])
        row.cross_checked = sum(o.status != "unassessable" for o in outcomes)
        broken = [o for o in outcomes if o.status == "broken"]
        row.cross_broken = len(broken)
        for o in broken:
            who = "the reports disagree (both read surely)" if o.sure else "a misreading or the reports (cells to review)"
            table.flags.append(Flag(year, _figure_of(o), "cross-year",
                                    f"{o.relation.label}: {o.later_sum:g} in {year}, {o.earlier_sum:g} in {year - 1}; {who}"))
        if previous is not None and not linked:
            gap = ", ".join(str(y) for y in range(previous.year + 1, year))
            table.flags.append(Flag(year, None, "missing-year", f"no report for {gap} in the collection: "
                                    f"changes and the cross-year check start again in {year}"))
        for note in check.notes.get(year, []):
            if note.startswith("two different"):
                table.flags.append(Flag(year, None, "conflict", note))
        table.rows.append(row)
        previous = row
    return table


# ---------------------------------------------------------------- terminal view


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - _width(text), 0)
    return gap + text if right else text + gap


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) and not float(v).is_integer() else f"{int(v):,}"


def render_text(table: BodyTable) -> str:
    """The table as a reader sees it on a terminal: figures down, years across, each value with
    its change; × marks a broken cross-year relation, ! a jump."""
    years = [r.year for r in table.rows]
    others = [n for n in table.names if n != table.body]
    span = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    head = f"{table.body}  ({len(years)} year{'s' if len(years) != 1 else ''}: {span}" + \
        (f"; also printed as {', '.join(others)}" if others else "") + ")"
    lines = [head]
    cells = [["", *[str(y) for y in years]],
             ["report", *[r.doc_id or "(none)" for r in table.rows]],
             ["status", *[r.status or "" for r in table.rows]],
             ["跨年勾稽 cross-year", *[("-" if not r.cross_checked else
                                    f"{r.cross_checked - r.cross_broken}/{r.cross_checked} hold") for r in table.rows]]]
    for f in FIGURES:
        line = [f.label]
        for r in table.rows:
            v, d = r.values[f.key], r.changes[f.key]
            text = _fmt(v) + ("" if not d else f" ({'+' + _fmt(d) if d > 0 else '-' + _fmt(-d)})")
            line.append(text + table.flagged(r.year, f.key))
        cells.append(line)
    widths = [max(_width(row[i]) for row in cells) for i in range(len(cells[0]))]
    for n, row in enumerate(cells):
        lines.append("  ".join(_pad(c, widths[i], right=i > 0) for i, c in enumerate(row)).rstrip())
        if n == 3:
            lines.append("  ".join("-" * w for w in widths))
    if table.flags:
        lines.append("look at:")
        for flag in table.flags:
            mark = {"cross-year": "×", "jump": "!"}.get(flag.kind, "·")
            lines.append(f"  {mark} {flag.year} {flag.text}")
    return "\n".join(lines)


# ---------------------------------------------------------------- CSV / XLSX


def table_rows(tables: list[BodyTable]) -> list[list]:
    """Two header rows (keys, Chinese labels), then one row per body and year: each figure and
    its change from the year before, and the flags in words."""
    keys = ["body", "year", "doc_id", "status", "cross_year_checked", "cross_year_broken"]
    labels = ["机关", "年度", "文件", "状态", "跨年勾稽(核对)", "跨年勾稽(不成立)"]
    for f in FIGURES:
        keys += [f.key, f"{f.key}_change"]
        labels += [f.label, f"{f.label} 增减"]
    keys.append("flags")
    labels.append("提示")
    rows = [keys, labels]
    for t in tables:
        for r in t.rows:
            row = [t.body, r.year, r.doc_id, r.status, r.cross_checked, r.cross_broken]
            for f in FIGURES:
                row += [r.values[f.key], r.changes[f.key]]
            row.append("; ".join(fl.text for fl in t.flags if fl.year == r.year))
            rows.append(row)
    return rows


def flag_cells(tables: list[BodyTable]) -> dict[tuple[int, int], str]:
    """(row, column) of table_rows' flagged values (0-based) → flag kind, for colouring."""
    out = {}
    n = 2
    for t in tables:
        for r in t.rows:
            for i, f in enumerate(FIGURES):
                mark = t.flagged(r.year, f.key)
                if mark:
                    out[(n, 6 + 2 * i)] = "cross-year" if mark == "×" else "jump"
            n += 1
    return out


def write_csv(tables: list[BodyTable], path) -> None:
    from ..export import write_csv as _write

    _write(table_rows(tables), path)


def write_xlsx(tables: list[BodyTable], path) -> None:
    """One sheet, headers frozen; flagged values filled red (cross-year) or orange (jump)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "compare"
    for row in table_rows(tables):
        sheet.append(row)
    fills = {"cross-year": PatternFill("solid", fgColor="F4B6B6"), "jump": PatternFill("solid", fgColor="FBD9A6")}
    for (r, c), kind in flag_cells(tables).items():
        sheet.cell(row=r + 1, column=c + 1).fill = fills[kind]
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C3"
    sheet.column_dimensions["A"].width = 28
    book.save(path)
