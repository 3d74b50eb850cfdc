"""Check every series and record the result in its documents, like any relation.

Each document gets ``validation.cross_year``: the relations with the year before and the year
after, the ones that hold, break or cannot be assessed, and notes (a missing year, two different
reports of one year). A relation that holds confirms its cells (they leave ``review``); one that
breaks sends its cells to ``review``, or, when every cell of it was read surely, is the authors'
own inconsistency (``source_inconsistent``, values kept as printed).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .link import Linking, Series
from ..verify.status import rejudged
from .records import Record, add_review, remove_review, review_cells
from .relations import Outcome, check_pair



@dataclass
class SeriesCheck:
    """The outcomes of one series, by the later year of each checked pair, and its notes by year."""

    series: Series
    outcomes: dict[int, list[Outcome]] = field(default_factory=dict)
    notes: dict[int, list[str]] = field(default_factory=dict)

    def broken(self, year: int | None = None) -> list[Outcome]:
        years = [year] if year is not None else list(self.outcomes)
        return [o for y in years for o in self.outcomes.get(y, []) if o.status == "broken"]


def check_series(series: Series) -> SeriesCheck:
    """Check each pair of consecutive years that both have one document; note the gaps."""
    result = SeriesCheck(series)
    conflicts = series.conflicts()
    for year in conflicts:
        ids = ", ".join(f"{r.doc_id} ({r.where})" for r in series.records[year])
        result.notes.setdefault(year, []).append(
            f"two different reports for {year} in {series.body}: {ids}; not checked across years "
            "(map one of them to another body with --mapping)")
    years = series.years
    for prev, year in zip(years, years[1:]):
        if year != prev + 1:
            for y in (prev, year):
                result.notes.setdefault(y, []).append(
                    f"no report for {', '.join(str(m) for m in range(prev + 1, year))} in the collection: "
                    f"{prev} and {year} not checked against each other")
            continue
        earlier, later = series.document(prev), series.document(year)
        if earlier is not None and later is not None:
            result.outcomes[year] = check_pair(earlier.doc, later.doc)
    return result


def annotate(linking: Linking, checks: list[SeriesCheck]) -> dict[int, dict]:
    """Copies of the linked documents (by ``id`` of their Record) with ``validation.cross_year``
    filled in and ``review``/``status`` updated; the input documents are left untouched."""
    out: dict[int, dict] = {}
    for check in checks:
        series = check.series
        for year, recs in series.records.items():
            for rec in recs:
                out[id(rec)] = _annotated(rec, series, check, year)
    return out


def _annotated(rec: Record, series: Series, check: SeriesCheck, year: int) -> dict:
    doc = copy.deepcopy(rec.doc)
    validation = doc.setdefault("validation", {})
    cross = {"body": series.body, "previous": None, "next": None, "checked": 0, "holds": 0, "broken": [],
             "unassessable": [], "source_inconsistent": [], "confirmed": [], "notes": list(check.notes.get(year, []))}
    validation["cross_year"] = cross
    first = series.document(year)
    if first is not rec:  # a second copy or a conflicting report: only the notes
        if first is not None:
            cross["notes"].append(f"the same figures as {first.doc_id} ({first.where}), checked there")
        return doc
    changed = False
    for side, pair_year in (("previous", year), ("next", year + 1)):
        outcomes = check.outcomes.get(pair_year)
        if outcomes is None:
            continue
        other = outcomes[0].earlier if side == "previous" else outcomes[0].later
        cross[side] = {"doc_id": other.get("doc_id"), "year": other.get("year")}
        for o in outcomes:
            mine = o.relation.later if side == "previous" else o.relation.earlier
            if o.status == "unassessable":
                cross["unassessable"].append(o.to_json())
                continue
            cross["checked"] += 1
            if o.status == "holds":
                cross["holds"] += 1
                for key in mine:
                    if key not in cross["confirmed"]:
                        cross["confirmed"].append(key)
                    changed |= remove_review(doc, key)
                continue
            cross["broken"].append(o.to_json())
            if o.sure:
                cross["source_inconsistent"].append(o.relation.name)
                changed = True
            else:
                why = (f"cross-year relation broken with {other.get('year')} ({other.get('doc_id')}): "
                       f"{o.relation.name}, {o.later_sum:g} vs {o.earlier_sum:g}")
                for key in mine:
                    if key not in review_cells(doc):
                        add_review(doc, key, why)
                        changed = True
    if changed:
        doc["status"] = rejudged(doc)
    return doc
