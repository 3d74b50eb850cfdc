"""The cross-year relations (勾稽关系 between two years' reports of one body), and their check.

Year N's 二、上年结转 is year N−1's 四、结转下年度继续办理, column by column (every 表三 column,
总计 included), whatever the templates. In the 2019 template, 表二's 上一年项目数量 of year N is
year N−1's 上一年项目数量 plus its 本年增/减 (rows with both columns; both reports of 2019 form).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..verify.status import REVIEW_BELOW
from .records import confidence, review_cells, value


@dataclass(frozen=True)
class CrossRelation:
    """``sum(later cells of year N) == sum(earlier cells of year N-1)``."""

    name: str
    later: tuple[str, ...]
    earlier: tuple[str, ...]
    label: str = ""  # for readers: which printed figures disagree


def _items_rows() -> tuple[tuple[str, str], ...]:
    """(row key, printed label) of the 2019 表二 rows with 上一年项目数量 and 本年增/减."""
    t2 = schema.tables("2019")[0]
    return tuple((r.key, r.label) for r in t2.rows if {c.key for c in r.columns} >= {"prev_items", "change"})


def cross_relations(earlier_template: str, later_template: str) -> tuple[CrossRelation, ...]:
    """The relations between a report of year N−1 (``earlier_template``) and one of year N."""
    out = [CrossRelation(f"t3 {col.key}: 上年结转 (year N) = 结转下年度 (year N-1)",
                         (f"t3.carried_over.{col.key}",), (f"t3.carried_forward.{col.key}",),
                         f"表三 {col.label}: 上年结转 vs 上年的结转下年度")
           for col in schema.T3_COLUMNS]
    if earlier_template == later_template == "2019":
        out += [CrossRelation(f"t2.{row}: 上一年项目数量 (year N) = 上一年项目数量 + 本年增/减 (year N-1)",
                              (f"t2.{row}.prev_items",), (f"t2.{row}.prev_items", f"t2.{row}.change"),
                              f"表二 {label}: 上一年项目数量 vs 上年的上一年项目数量 + 本年增/减")
                for row, label in _items_rows()]
    return tuple(out)


@dataclass
class Outcome:
    """One cross-year relation evaluated on two documents."""

    relation: CrossRelation
    earlier: dict
    later: dict
    status: str  # holds, broken, unassessable
    later_sum: float | None = None
    earlier_sum: float | None = None
    missing: tuple[str, ...] = ()  # "<year> <key>" of the null cells
    sure: bool = False  # every cell read surely: a break is the authors', not a misreading

    @property
    def difference(self) -> float | None:
        return None if self.later_sum is None else self.later_sum - self.earlier_sum

    def to_json(self) -> dict:
        head = {"relation": self.relation.name, "left": list(self.relation.later), "right": list(self.relation.earlier),
                "left_doc": self.later.get("doc_id"), "left_year": self.later.get("year"),
                "right_doc": self.earlier.get("doc_id"), "right_year": self.earlier.get("year")}
        if self.status == "unassessable":
            return {**head, "missing": list(self.missing)}
        return {**head, "left_sum": _num(self.later_sum), "right_sum": _num(self.earlier_sum),
                "difference": _num(self.difference)}


def _sure(doc: dict, keys) -> bool:
    review = set(review_cells(doc))
    return all(confidence(doc, k) >= REVIEW_BELOW and k not in review for k in keys)


def check_pair(earlier: dict, later: dict) -> list[Outcome]:
    """Every cross-year relation between consecutive years' documents ``earlier`` and ``later``."""
    out = []
    for rel in cross_relations(earlier["template"], later["template"]):
        missing = tuple(f"{later['year']} {k}" for k in rel.later if value(later, k) is None) + \
            tuple(f"{earlier['year']} {k}" for k in rel.earlier if value(earlier, k) is None)
        if missing:
            out.append(Outcome(rel, earlier, later, "unassessable", missing=missing))
            continue
        left = sum(value(later, k) for k in rel.later)
        right = sum(value(earlier, k) for k in rel.earlier)
        status = "broken" if abs(left - right) > schema.TOLERANCE else "holds"
        out.append(Outcome(rel, earlier, later, status, left, right,
                           sure=_sure(later, rel.later) and _sure(earlier, rel.earlier)))
    return out


def _num(x):
    return int(x) if float(x).is_integer() else round(float(x), 6)
