"""Check the tables' arithmetic (勾稽关系): which relations hold, break, or cannot be assessed."""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..values import Value


@dataclass(frozen=True)
class Broken:
    """A relation whose two sides differ: the author's arithmetic or a misread cell."""

    relation: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    left_sum: float
    right_sum: float

    @property
    def difference(self) -> float:
        return self.left_sum - self.right_sum

    def to_json(self) -> dict:
        return {"relation": self.relation, "left": list(self.left), "right": list(self.right),
                "left_sum": _num(self.left_sum), "right_sum": _num(self.right_sum),
                "difference": _num(self.difference)}


@dataclass(frozen=True)
class Unassessable:
    """A relation that needs a null cell: not checked, and not a violation."""

    relation: str
    missing: tuple[str, ...]

    def to_json(self) -> dict:
        return {"relation": self.relation, "missing": list(self.missing)}


@dataclass(frozen=True)
class Validation:
    holds: tuple[str, ...]
    broken: tuple[Broken, ...]
    unassessable: tuple[Unassessable, ...]

    @property
    def ok(self) -> bool:
        return not self.broken

    def to_json(self) -> dict:
        return {"checked": len(self.holds) + len(self.broken), "holds": len(self.holds),
                "broken": [b.to_json() for b in self.broken],
                "unassessable": [u.to_json() for u in self.unassessable]}


def check_relations(values: dict[str, Value], template: str, other_form: str) -> Validation:
    """Evaluate every SPEC relation of this template and form on ``values``.

    >>> v = check_relations({"t4.review.upheld": 1, "t4.review.corrected": 0, "t4.review.other": 0,
    ...                      "t4.review.pending": 0, "t4.review.total": 2}, "2021", "split")
    >>> v.broken[0].relation, v.broken[0].difference
    ('t4.review: 总计 = upheld + corrected + other + pending', 1)
    """
    holds, broken, unassessable = [], [], []
    get = values.get
    for rel in schema.relations(template, other_form):
        if None in map(get, rel.keys):
            unassessable.append(Unassessable(rel.name, tuple(k for k in rel.keys if get(k) is None)))
            continue
        left = sum(map(get, rel.left))
        right = sum(map(get, rel.right))
        if abs(left - right) > schema.TOLERANCE:  # ``Relation.broken``, with the sums made once
            broken.append(Broken(rel.name, rel.left, rel.right, left, right))
        else:
            holds.append(rel.name)
    return Validation(tuple(holds), tuple(broken), tuple(unassessable))


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 6)
