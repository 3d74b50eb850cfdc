"""Multi-year series of one body: consistent carry-overs, an author's error between years now and
then, a missing year, and the body's name printed differently from year to year.

    python -m training.synth.series            # training/benchmark_split/series/
    python -m training.synth.series --dev      # data/dev_split/series/

Each series is one body's reports over 3-5 consecutive years (2019-2025). Year N's 上年结转 equals
year N-1's 结转下年度 in every 表三 column (the document's own relations still hold), and between
two 2019-template years 表二's 上一年项目数量 is last year's plus its 本年增/减. In about a third of
the bodies one year's report breaks one of those (the author's error: the report agrees with
itself, not with last year's); some series lose a middle year. Bodies are renamed the ways real
reports do (淮安市洪泽区人民政府 / 洪泽区人民政府; 开发区管理委员会 / 管委会 / 管委会办公室; a town with
or without its county), and decoys stand beside them that must stay apart (a city's 人民政府 and
its 人民政府办公室). ``series.json`` holds the truth: bodies, names by year, injected errors as the
cross-year relations they break, missing years.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from gaiml import schema
from gaiml.series.relations import cross_relations

from . import names, noise, probe
from .content import _print_value, sample_report
from .dataset import BENCHMARK_SEED0, DEV_SEED0
from .generate import RENDER_ATTEMPTS, Generated, _render_and_label
from .labels import LabelError
from .layout import report_to_layout
from .styles import TEXT_STYLES

REPO = Path(__file__).resolve().parents[2]
SERIES_OFFSET = 50_000_000  # seeds of series start here within a split's block (styles use < 3,000,000)
STYLES = ("tabs", "pipes", "markdown", "cell_lines", "html_bs4", "lynx", "w3m", "pdftotext_layout")
# (renaming kind, level of the body)
KINDS = (("city_prefix", "county"), ("zone_office", "department"), ("department_prefix", "department"),
         ("town_prefix", "town"), ("stable", "city"), ("stable", "department"))
ERROR_SHARE = 0.35
MISSING_SHARE = 0.3
CANDIDATES = 5  # sampled reports per year (each ~40 draws to hit year and level), the one closest in size to last year's kept


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def body_names(rng, kind: str) -> list[str]:
    """The spellings one body prints over the years; the first is the fullest."""
    city = _pick(rng, names.CITIES) + "市"
    county = _pick(rng, names.COUNTIES) + _pick(rng, names.COUNTY_SUFFIX)
    if kind == "city_prefix":
        return [city + county + "人民政府", county + "人民政府"]
    if kind == "zone_office":
        zone = city + _pick(rng, ("经济技术开发区", "高新技术产业开发区", "工业园区"))
        return [zone + "管理委员会", zone + "管委会", zone + "管委会办公室"]
    if kind == "department_prefix":
        dept = _pick(rng, names.DEPARTMENTS[:27])
        return [city + county + dept, county + dept]
    if kind == "town_prefix":
        town = _pick(rng, names.TOWNS) + _pick(rng, ("镇人民政府", "乡人民政府"))
        return [county + town, town]
    if kind == "stable_city":
        return [city + "人民政府"]
    return [(city if rng.random() < 0.5 else county) + _pick(rng, names.DEPARTMENTS[:27])]


def _report(seed: int, year: int, level: str | None, target: float | None = None):
    """A report of ``year`` for a body of ``level`` without author's quirks, its size near
    ``target`` (last year's 本年新收), drawn from candidate seeds derived from ``seed``."""
    best, best_score, tried = None, math.inf, 0
    for k in range(100_000):
        r = sample_report(seed * 1000 + k)
        if r.year != year or level not in (None, r.level) or r.quirks:
            continue
        tried += 1
        size = r.cells["t3.new_received.total"] or 0
        score = 0 if target is None else abs(math.log1p(size) - math.log1p(target))
        if score < best_score:
            best, best_score = r, score
        if tried >= (1 if target is None else CANDIDATES):
            break
    return best


def _set(report, rng, key: str, v) -> None:
    report.cells[key] = v
    kind = schema.cell_index(report.template, report.other_form)[key].kind
    report.printed[key] = _print_value(rng, v, kind)


def _retotal(report, rng) -> None:
    """Every 表三 row's 总计 = the sum of its applicant columns (after figures moved)."""
    rows = {k.rsplit(".", 1)[0] for k in report.cells if k.startswith("t3.")}
    for row in rows:
        total = sum(report.cells[f"{row}.{p}"] for p in schema.T3_PARTS)
        if report.cells[f"{row}.total"] != total:
            _set(report, rng, f"{row}.total", total)
    report.prose["new_received"] = report.cells["t3.new_received.total"]


def _move_carried_over(report, rng, col: str, new_value: int) -> None:
    """Set 上年结转 of ``col`` and keep the year's balance (新收 + 结转 = 办理 + 结转下年): 新收
    makes up the difference, or 予以公开 (and the results' 总计) takes more carried over."""
    c = report.cells
    d = new_value - c[f"t3.carried_over.{col}"]
    _set(report, rng, f"t3.carried_over.{col}", new_value)
    if d < 0 or (d > 0 and c[f"t3.new_received.{col}"] >= d and rng.random() < 0.5):
        _set(report, rng, f"t3.new_received.{col}", c[f"t3.new_received.{col}"] - d)
    elif d > 0:
        _set(report, rng, f"t3.granted.{col}", c[f"t3.granted.{col}"] + d)
        _set(report, rng, f"t3.total.{col}", c[f"t3.total.{col}"] + d)


def _items_rows() -> list[str]:
    return [r.key for r in schema.tables("2019")[0].rows if {c.key for c in r.columns} >= {"prev_items", "change"}]


def link_years(earlier, later, rng) -> None:
    """Make ``later`` agree with ``earlier`` across the year (both relations of the issue)."""
    for col in schema.T3_PARTS:
        _move_carried_over(later, rng, col, earlier.cells[f"t3.carried_forward.{col}"])
    _retotal(later, rng)
    _smooth_t2(earlier, later, rng)
    if earlier.template == later.template == "2019":
        for row in _items_rows():
            prev = earlier.cells[f"t2.{row}.prev_items"] + earlier.cells[f"t2.{row}.change"]
            _set(later, rng, f"t2.{row}.prev_items", prev)
            if later.cells[f"t2.{row}.change"] < -prev:
                _set(later, rng, f"t2.{row}.change", -prev)


def _smooth_t2(earlier, later, rng) -> None:
    """表二's decision counts and new documents drift from last year's instead of being drawn
    afresh, so that a jump in the comparison means something (表二 has no relation to keep)."""
    pairs = [(f"t2.{row}.decisions", f"t2.{row}.decisions") for row in ("licensing", "penalty", "coercion")]
    pairs.append(("t2.normative.made" if earlier.template == "2019" else "t2.normative.issued",
                  "t2.normative.made" if later.template == "2019" else "t2.normative.issued"))
    for old, new in pairs:
        prev = earlier.cells[old]
        v = int(round(prev * rng.lognormal(0, 0.2))) if prev else int(rng.random() < 0.2) * int(rng.integers(1, 3))
        _set(later, rng, new, v)
    c = later.cells
    if later.template == "2021":
        _set(later, rng, "t2.normative.in_force", max(c["t2.normative.in_force"], c["t2.normative.issued"]))
    else:
        _set(later, rng, "t2.normative.published", min(c["t2.normative.published"], c["t2.normative.made"]))
        _set(later, rng, "t2.normative.total_public", max(c["t2.normative.total_public"], c["t2.normative.made"]))


def inject_error(earlier, later, rng) -> list[str]:
    """An author's error in ``later``: a figure that disagrees with last year's report while the
    report agrees with itself. Returns the names of the cross-year relations it breaks."""
    rels = {r.later[0]: r.name for r in cross_relations(earlier.template, later.template)}
    if later.template == "2019" == earlier.template and rng.random() < 0.4:
        row = _pick(rng, _items_rows())
        v = later.cells[f"t2.{row}.prev_items"]
        delta = int(rng.integers(1, 4)) * (1 if v < 3 or rng.random() < 0.5 else -1)
        _set(later, rng, f"t2.{row}.prev_items", v + delta)
        return [rels[f"t2.{row}.prev_items"]]
    col = _pick(rng, schema.T3_PARTS[:2])  # 自然人 or 商业企业: where carry-overs are
    v = later.cells[f"t3.carried_over.{col}"]
    delta = int(rng.integers(1, 4))
    if v >= delta and rng.random() < 0.5:
        delta = -delta
    _move_carried_over(later, rng, col, v + delta)
    _retotal(later, rng)
    return [rels[f"t3.carried_over.{col}"], rels["t3.carried_over.total"]]


def render(report, style: str, seed: int) -> Generated:
    """``report`` printed in ``style``, labels checked, as generate.generate does for a sampled one."""
    spec = TEXT_STYLES[style]
    layout = report_to_layout(report, np.random.default_rng([seed, 1]))
    for attempt in range(RENDER_ATTEMPTS):
        try:
            text, spans = _render_and_label(spec, layout, report, seed if attempt == 0 else seed * 7919 + attempt)
            break
        except (probe.ProbeError, LabelError):
            if attempt == RENDER_ATTEMPTS - 1:
                raise
    if spec.ocr_noise:  # as generate.generate: misread cells marked in the spans
        text, spans = noise.apply(text, spans, report, np.random.default_rng([seed, 7]))
    return Generated(report.doc_id, text, spans, report, style)


def make_reports(seed: int, number: int, kind: str, level: str) -> tuple[dict, list]:
    """One body's series as report contents (nothing rendered): its truth, the reports kept."""
    rng = np.random.default_rng([seed, 31])
    spellings = body_names(rng, "stable_city" if (kind, level) == ("stable", "city") else kind)
    start = int(rng.integers(2019, 2022))
    years = list(range(start, start + int(rng.integers(3, 6))))
    reports, target = [], None
    for i, year in enumerate(years):
        r = _report(seed * 10 + i, year, level, target)
        target = r.cells["t3.new_received.total"] or 0
        name = spellings[0] if len(spellings) == 1 or i == 0 else _pick(rng, spellings)
        if i == len(years) - 1 and len(spellings) > 1 and len({rep.agency for rep in reports} | {name}) == 1:
            name = spellings[1]  # every renamed body shows at least two spellings
        r.agency, r.doc_id = name, f"series_{number:03d}_{year}"
        r.short_agency = "本机关"
        reports.append(r)
    injected = []
    error_at = int(rng.integers(1, len(years))) if rng.random() < ERROR_SHARE else None
    for i in range(1, len(years)):
        link_years(reports[i - 1], reports[i], rng)
        if i == error_at:
            injected = [{"year": years[i], "relation": name} for name in inject_error(reports[i - 1], reports[i], rng)]
    _verify(reports, injected)
    missing = []
    if len(years) >= 4 and rng.random() < MISSING_SHARE:
        gone = int(rng.integers(1, len(years) - 1))
        if error_at not in (gone, gone + 1):
            missing = [years[gone]]
    kept = [r for r in reports if r.year not in missing]
    truth = {"body": number, "kind": kind, "level": level, "names": {str(r.year): r.agency for r in kept},
             "years": [r.year for r in kept], "missing": missing, "injected": injected,
             "docs": {str(r.year): r.doc_id for r in kept}}
    return truth, kept


def make_body(seed: int, number: int, kind: str, level: str) -> tuple[dict, list[Generated]]:
    """One body's series: its truth (for series.json) and its rendered reports."""
    truth, reports = make_reports(seed, number, kind, level)
    rng = np.random.default_rng([seed, 32])
    return truth, [render(r, _pick(rng, STYLES), seed * 10 + i) for i, r in enumerate(reports)]


def _verify(reports, injected: list[dict]) -> None:
    """Every report keeps its own relations, and across years exactly the injected ones break."""
    from gaiml.series.relations import check_pair
    from gaiml.validate import check_relations

    def doc(r):
        return {"doc_id": r.doc_id, "year": r.year, "template": r.template,
                "cells": {k: {"value": v, "confidence": 1.0} for k, v in r.cells.items()}}

    for r in reports:
        broken = check_relations(r.cells, r.template, r.other_form).broken
        assert not broken, f"{r.doc_id}: generated report breaks {broken[0].relation}"
    want = {(e["year"], e["relation"]) for e in injected}
    got = {(b.year, o.relation.name) for a, b in zip(reports, reports[1:])
           for o in check_pair(doc(a), doc(b)) if o.status == "broken"}
    assert got == want, f"{reports[0].doc_id}: cross-year breaks {sorted(got ^ want)} differ from the injected"


def plan(n_bodies: int) -> list[tuple[str, str]]:
    """Kinds in turn, plus a decoy: the 人民政府办公室 of a stable city body's city."""
    return [KINDS[i % len(KINDS)] for i in range(n_bodies)]


def write(out: Path, seed0: int, n_bodies: int) -> dict:
    """raw/<doc_id>.txt, gold/<doc_id>.json and series.json under ``out``."""
    (out / "raw").mkdir(parents=True, exist_ok=True)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    bodies = []
    for number, (kind, level) in enumerate(plan(n_bodies)):
        truth, docs = make_body(seed0 + SERIES_OFFSET + number, number, kind, level)
        if kind == "stable" and level == "city":  # its city's 人民政府办公室: another body, same place
            decoy_truth, decoy_docs = make_body(seed0 + SERIES_OFFSET + 10_000 + number, number + 500, "stable", "city")
            office = truth["names"][str(truth["years"][0])] + "办公室"
            for d in decoy_docs:
                d.report.agency = office
            decoy_docs = [render(d.report, d.style, seed0 + SERIES_OFFSET + 20_000 + number) for d in decoy_docs]
            decoy_truth["names"] = {y: office for y in decoy_truth["names"]}
            decoy_truth["kind"] = "decoy_office"
            bodies.append(decoy_truth)
            _save(out, decoy_docs, decoy_truth["body"])
        bodies.append(truth)
        _save(out, docs, number)
    manifest = {"seed0": seed0 + SERIES_OFFSET, "bodies": sorted(bodies, key=lambda b: b["body"])}
    (out / "series.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def _save(out: Path, docs: list[Generated], body: int) -> None:
    for d in docs:
        (out / "raw" / f"{d.doc_id}.txt").write_text(d.text, encoding="utf-8")
        gold = {**d.gold(), "body": body}
        (out / "gold" / f"{d.doc_id}.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n",
                                                      encoding="utf-8")


def score(manifest: dict, docs: list[dict]) -> dict:
    """How `gaiml compare --annotate`'s documents (``docs``) match the truth: bodies grouped right
    (all their documents together, nobody else's with them), injected errors found, false alarms."""
    truth = {doc_id: b["body"] for b in manifest["bodies"] for doc_id in b["docs"].values()}
    got = {d["doc_id"]: (d.get("validation", {}).get("cross_year") or {}).get("body") for d in docs}
    members: dict = {}
    for doc_id, body in truth.items():
        members.setdefault(body, set()).add(got.get(doc_id))
    owners: dict = {}
    for doc_id, predicted in got.items():
        if doc_id in truth:
            owners.setdefault(predicted, set()).add(truth[doc_id])
    right = [b for b, groups in members.items() if len(groups) == 1 and None not in groups
             and owners[next(iter(groups))] == {b}]
    expected = {(b["docs"][str(e["year"])], e["relation"]) for b in manifest["bodies"] for e in b["injected"]}
    found, checked = set(), 0
    for d in docs:
        cross = (d.get("validation", {}).get("cross_year") or {})
        for broken in cross.get("broken", []):
            found.add((broken["left_doc"], broken["relation"]))
        checked += cross.get("checked", 0)
    renamed = [b["body"] for b in manifest["bodies"] if len(set(b["names"].values())) > 1]
    return {"bodies": len(members), "bodies_grouped_right": len(right),
            "renamed_bodies": len(renamed), "renamed_grouped_right": len(set(renamed) & set(right)),
            "relations_checked": checked // 2, "injected": len(expected), "found": len(expected & found),
            "missed": sorted(expected - found), "false_alarms": sorted(found - expected)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m training.synth.series", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dev", action="store_true", help="the development split (data/dev_split/series) instead "
                   "of the benchmark split (training/benchmark_split/series)")
    p.add_argument("--bodies", type=int, default=None, help="bodies to generate (default 18; --dev 12)")
    p.add_argument("--out", help="folder to write (default: the split's series/ folder)")
    p.add_argument("--score", metavar="LINKED.jsonl", help="write nothing: score the documents `gaiml compare "
                   "--annotate` wrote for the split's series against its series.json")
    a = p.parse_args(argv)
    seed0 = DEV_SEED0 if a.dev else BENCHMARK_SEED0
    out = Path(a.out or (REPO / "data" / "dev_split" / "series" if a.dev else REPO / "training" / "benchmark_split" / "series"))
    if a.score:
        manifest = json.loads((out / "series.json").read_text(encoding="utf-8"))
        docs = [json.loads(line) for line in Path(a.score).read_text(encoding="utf-8").splitlines() if line.strip()]
        print(json.dumps(score(manifest, docs), ensure_ascii=False, indent=1))
        return
    manifest = write(out, seed0, a.bodies or (12 if a.dev else 18))
    bodies = manifest["bodies"]
    print(json.dumps({"out": str(out), "bodies": len(bodies), "documents": sum(len(b["docs"]) for b in bodies),
                      "injected": sum(len(b["injected"]) for b in bodies),
                      "missing_years": sum(len(b["missing"]) for b in bodies)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
