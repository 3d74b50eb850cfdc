"""Series across years (gaiml/series, `gaiml compare`): linking renamed bodies, the cross-year
relations, the mapping file, bad input lines, the outputs; on reports from training/synth/series.py."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gaiml import schema
from gaiml.batch import extract_line
from gaiml.cli import app
from gaiml.errors import GaimlError
from gaiml.pipeline import ExtractSettings, Pipeline
from gaiml.series import link, records
from gaiml.series.check import annotate, check_series
from gaiml.series.compare import body_table, figure_value, FIGURE_INDEX
from gaiml.series.relations import cross_relations
from training.synth import series as synth

REPO = Path(__file__).resolve().parent.parent
BENCH_SERIES = REPO / "training" / "benchmark_split" / "series"
T3_NAMES = {c.key: f"t3 {c.key}: 上年结转 (year N) = 结转下年度 (year N-1)" for c in schema.T3_COLUMNS}


def as_doc(report, confidence: float = 1.0, review=None) -> dict:
    """A generated report as `gaiml extract` writes it (what matters to series work)."""
    return {"doc_id": report.doc_id, "source": f"{report.doc_id}.txt", "template": report.template,
            "other_form": report.other_form, "year": report.year, "agency": report.agency,
            "cells": {k: {"value": v, "span": None, "text": str(v), "confidence": confidence, "engine": "rules"}
                      for k, v in report.cells.items()},
            "status": "verified" if not review else "needs review", "review": list(review or []), "repairs": [],
            "validation": {"checked": 0, "holds": 0, "broken": [], "unassessable": [], "source_inconsistent": []},
            "warnings": []}


def years_of(first: int, n: int, seed: int = 7):
    """``n`` consecutive years of reports linked as the generator links them."""
    rng = np.random.default_rng(seed)
    reports = [synth._report(seed * 100 + i, first + i, None) for i in range(n)]
    for i, r in enumerate(reports):
        r.agency, r.doc_id = "赣州市章贡区人民政府", f"d{first + i}"
    for a, b in zip(reports, reports[1:]):
        synth.link_years(a, b, rng)
    return reports, rng


def write_jsonl(path: Path, docs) -> Path:
    path.write_text("".join((d if isinstance(d, str) else json.dumps(d, ensure_ascii=False)) + "\n" for d in docs),
                    encoding="utf-8")
    return path


def recs(docs) -> list[records.Record]:
    return [records.Record(d, "mem.jsonl", i + 1) for i, d in enumerate(docs)]


def run_checks(docs, mapping=None):
    linking = link.link(recs(docs), mapping)
    checks = [check_series(s) for s in linking.series]
    annotated = annotate(linking, checks)
    by_id = {}
    for s in linking.series:
        for rs in s.records.values():
            for r in rs:
                by_id[r.doc_id] = annotated[id(r)]
    return linking, checks, by_id


# ---------------------------------------------------------------- linking


@pytest.mark.parametrize("kind", ["city_prefix", "zone_office", "department_prefix", "town_prefix"])
def test_each_generated_renaming_is_one_body(kind):
    rng = np.random.default_rng(11)
    for _ in range(10):
        spellings = synth.body_names(rng, kind)
        docs = [{"doc_id": f"d{i}", "year": 2019 + i, "agency": name, "cells": {}} for i, name in enumerate(spellings)]
        linking = link.link(recs(docs))
        assert len(linking.series) == 1, (spellings, [s.body for s in linking.series])
        assert linking.series[0].body == spellings[0]  # the fullest name shows


def test_bodies_that_only_share_a_tail_stay_apart():
    names = ["赣州市人民政府", "赣州市人民政府办公室", "章贡区教育局", "南康区教育局", "教育局",
             "赣州市章贡区人民政府", "吉安市章贡区人民政府", "章贡区人民政府"]
    docs = [{"doc_id": f"d{i}", "year": 2020, "agency": n, "cells": {}} for i, n in enumerate(names)]
    linking = link.link(recs(docs))
    groups = {frozenset(s.names) for s in linking.series}
    assert frozenset({"赣州市人民政府"}) in groups and frozenset({"赣州市人民政府办公室"}) in groups
    assert frozenset({"教育局"}) in groups  # names no place: never merged by its tail
    assert frozenset({"章贡区人民政府"}) in groups  # the tail of two bodies: kept apart, and said
    assert any("章贡区政府" in n and "several" in n for n in linking.notes)


def test_title_year_glued_to_the_name_is_ignored():
    assert link.normalise("关岭县轿子山镇人民政府年度") == link.normalise("关岭县轿子山镇人民政府")
    assert link.normalise(" 芜湖市工业园区管理委员会 ") == link.normalise("芜湖市工业园区管委会办公室")


def test_mapping_file_overrides_grouping(tmp_path):
    docs = [{"doc_id": "a", "year": 2020, "agency": "洪泽区人民政府", "cells": {}},
            {"doc_id": "b", "year": 2021, "agency": "淮安市洪泽区人民政府", "cells": {}},
            {"doc_id": "c", "year": 2022, "agency": "洪泽区政府办", "cells": {}},
            {"doc_id": "d", "year": 2022, "agency": "淮安市洪泽区人民政府", "cells": {}}]
    assert len(link.link(recs(docs)).series) == 2
    mapping = tmp_path / "map.csv"
    mapping.write_text("name,body\n# c is the government's own report\nc,淮安市洪泽区人民政府\n"
                       "d, 别的机关\nnobody,淮安市\n", encoding="utf-8")
    linking = link.link(recs(docs), link.read_mapping(mapping))
    by_body = {s.body: sorted(r.doc_id for rs in s.records.values() for r in rs) for s in linking.series}
    assert by_body == {"淮安市洪泽区人民政府": ["a", "b", "c"], "别的机关": ["d"]}
    assert any("nobody" in n for n in linking.notes)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,body\n洪泽区人民政府\n", encoding="utf-8")
    with pytest.raises(GaimlError, match=r"bad.csv line 2"):
        link.read_mapping(bad)


def test_groups_file_reads_back_as_the_same_grouping(tmp_path):
    rng = np.random.default_rng(5)
    docs = [{"doc_id": f"{k}{i}", "year": 2019 + i, "agency": n, "cells": {}}
            for k in ("city_prefix", "zone_office", "town_prefix") for i, n in enumerate(synth.body_names(rng, k))]
    linking = link.link(recs(docs))
    path = tmp_path / "groups.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(link.grouping_rows(linking))
    again = link.link(recs(docs), link.read_mapping(path))
    assert sorted(sorted(s.names) for s in again.series) == sorted(sorted(s.names) for s in linking.series)


# ---------------------------------------------------------------- relations


def test_t3_carry_over_holds_per_column_and_an_authors_error_breaks_it_in_both_documents():
    reports, rng = years_of(2021, 3)
    _, _, docs = run_checks([as_doc(r) for r in reports])
    cross = docs["d2022"]["validation"]["cross_year"]
    assert cross["previous"] == {"doc_id": "d2021", "year": 2021} and cross["next"]["doc_id"] == "d2023"
    assert cross["checked"] == 2 * len(schema.T3_COLUMNS) and not cross["broken"]  # 2021 form: no 表二 relation
    broken_names = synth.inject_error(reports[1], reports[2], rng)
    _, _, docs = run_checks([as_doc(r) for r in reports])
    for doc_id in ("d2022", "d2023"):
        cross = docs[doc_id]["validation"]["cross_year"]
        assert {b["relation"] for b in cross["broken"]} == set(broken_names), doc_id
        assert set(cross["source_inconsistent"]) == set(broken_names)  # every reading sure
        assert docs[doc_id]["status"] == "source-inconsistent"
    assert docs["d2021"]["status"] == "verified"
    b = docs["d2023"]["validation"]["cross_year"]["broken"][0]
    assert (b["left_doc"], b["right_doc"], b["left_year"], b["right_year"]) == ("d2023", "d2022", 2023, 2022)
    assert b["difference"] == b["left_sum"] - b["right_sum"] != 0


@pytest.mark.parametrize("shape", ["keys", "objects"])
def test_unsure_break_sends_both_cells_to_review_in_the_documents_shape(shape):
    reports, rng = years_of(2021, 2, seed=9)
    names = synth.inject_error(reports[0], reports[1], rng)
    col = names[0].split()[1].rstrip(":")
    docs = [as_doc(r) for r in reports]
    docs[1]["cells"][f"t3.carried_over.{col}"]["confidence"] = 0.6  # read unsurely
    if shape == "objects":
        docs[0]["review"] = [{"cell": "t2.fees.amount", "why": "engines disagree"}]
    _, _, out = run_checks(docs)
    assert out["d2022"]["validation"]["cross_year"]["source_inconsistent"] == [n for n in names if col not in n]
    assert f"t3.carried_over.{col}" in records.review_cells(out["d2022"])
    assert f"t3.carried_forward.{col}" in records.review_cells(out["d2021"])
    assert out["d2021"]["status"] == out["d2022"]["status"] == "needs review"
    entries = out["d2021"]["review"]
    assert all(isinstance(e, dict) for e in entries) if shape == "objects" else all(isinstance(e, str) for e in entries)
    if shape == "objects":
        assert "cross-year" in entries[-1]["why"]
    assert docs[1]["review"] == []  # the input documents are not changed


def test_holding_relation_confirms_a_cell_in_review():
    reports, _ = years_of(2021, 2, seed=13)
    docs = [as_doc(r) for r in reports]
    docs[1]["review"] = [{"cell": "t3.carried_over.natural_person", "why": "unchecked OCR figure"}]
    docs[1]["status"] = "needs review"
    _, _, out = run_checks(docs)
    assert records.review_cells(out["d2022"]) == []
    assert "t3.carried_over.natural_person" in out["d2022"]["validation"]["cross_year"]["confirmed"]
    assert out["d2022"]["status"] == "verified"


def test_t2_items_relation_only_between_2019_template_years():
    reports, _ = years_of(2019, 3, seed=17)
    assert {r.template for r in reports} == {"2019", "2021"}
    items = [r for r in cross_relations("2019", "2019") if r.name.startswith("t2.")]
    assert {r.later[0].split(".")[1] for r in items} == {"licensing", "other_services", "penalty", "coercion", "fees"}
    assert all(r.earlier == (r.later[0], r.later[0].replace("prev_items", "change")) for r in items)
    assert not [r for r in cross_relations("2019", "2021") if r.name.startswith("t2.")]
    reports[1].cells["t2.penalty.prev_items"] += 2
    _, _, out = run_checks([as_doc(r) for r in reports])
    broken = [b["relation"] for b in out["d2020"]["validation"]["cross_year"]["broken"]]
    assert broken == [next(r.name for r in items if "penalty" in r.name)]
    assert out["d2020"]["validation"]["cross_year"]["checked"] == 2 * len(schema.T3_COLUMNS) + len(items)


def test_null_cell_is_unassessable_and_a_missing_year_is_a_note():
    reports, _ = years_of(2020, 4, seed=19)
    docs = [as_doc(r) for r in reports]
    docs[0]["cells"]["t3.carried_forward.total"]["value"] = None
    del docs[2]  # no report for 2022
    linking, checks, out = run_checks(docs)
    assert [u["missing"] for u in out["d2020"]["validation"]["cross_year"]["unassessable"]] == [["2020 t3.carried_forward.total"]]
    for doc_id in ("d2021", "d2023"):
        assert any("no report for 2022" in n for n in out[doc_id]["validation"]["cross_year"]["notes"])
    assert not out["d2023"]["validation"]["cross_year"]["broken"] and out["d2023"]["status"] == "verified"
    table = body_table(checks[0])
    assert [f.kind for f in table.flags if f.year == 2023] == ["missing-year"]


# ---------------------------------------------------------------- compare and the command


def test_figures_and_jump_threshold():
    reports, _ = years_of(2021, 2, seed=23)
    docs = [as_doc(r) for r in reports]
    docs[1]["cells"]["t2.penalty.decisions"]["value"] = docs[0]["cells"]["t2.penalty.decisions"]["value"] * 3 + 30
    _, checks, _ = run_checks(docs)
    denied = sum(reports[0].cells[f"t3.{r}.total"] for r in schema.result_rows("split") if r.startswith("denied"))
    assert figure_value(docs[0], FIGURE_INDEX["denied"]) == denied
    assert [f.figure for f in body_table(checks[0], jump=2).flags if f.kind == "jump"].count("penalty") == 1
    assert not [f for f in body_table(checks[0], jump=4, min_change=10**6).flags if f.kind == "jump"]


def test_compare_command_survives_bad_lines_and_writes_every_output(tmp_path):
    reports, rng = years_of(2020, 3, seed=29)
    synth.inject_error(reports[0], reports[1], rng)
    good = [as_doc(r) for r in reports]
    no_year = dict(good[0], doc_id="noyear", year=None)
    failed = {"doc_id": "broken", "source": "broken.pdf", "error": "broken PDF"}
    results = write_jsonl(tmp_path / "out.jsonl", [good[0], "{not json", no_year, good[1], failed, good[2]])
    runner = CliRunner()
    res = runner.invoke(app, ["compare", str(results), "--annotate", str(tmp_path / "linked.jsonl")])
    assert res.exit_code == 1
    assert f"{results} line 2: not JSON" in res.stderr and f"{results} line 3: noyear: no year" in res.stderr
    assert "赣州市章贡区人民政府" in res.stdout and "×" in res.stdout and "2022" in res.stdout
    linked = [json.loads(l) for l in (tmp_path / "linked.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [d["doc_id"] for d in linked] == ["d2020", "noyear", "d2021", "broken", "d2022"]
    assert linked[2]["validation"]["cross_year"]["broken"] and "cross_year" not in linked[1].get("validation", {})
    for name in ("t.csv", "t.xlsx", "t.png"):
        res = runner.invoke(app, ["compare", str(results), "--body", "章贡", "-o", str(tmp_path / name)])
        assert res.exit_code == 1 and (tmp_path / name).stat().st_size > 1000, res.output
    with open(tmp_path / "t.csv", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][:2] == ["body", "year"] and [r[1] for r in rows[2:]] == ["2020", "2021", "2022"]
    assert rows[3][rows[0].index("cross_year_broken")] != "0" and "上年结转" in rows[3][-1]
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "t.xlsx").active
    col = rows[0].index("carried_over") + 1
    assert sheet.cell(row=4, column=col).fill.fgColor.rgb.endswith("F4B6B6")
    from PIL import Image

    assert Image.open(tmp_path / "t.png").size[0] > 800
    res = runner.invoke(app, ["compare", str(results), "--body", "不存在"])
    assert res.exit_code == 2 and "no body matches" in res.stderr


def test_benchmark_series_every_injected_error_found_no_false_alarm(tmp_path):
    """The committed benchmark series (training/benchmark_split/series), extracted by the rules."""
    manifest = json.loads((BENCH_SERIES / "series.json").read_text(encoding="utf-8"))
    pipeline = Pipeline.load(ExtractSettings(engine="rules"))
    lines = [extract_line(str(p), pipeline=pipeline) for p in sorted((BENCH_SERIES / "raw").glob("*.txt"))]
    results = write_jsonl(tmp_path / "out.jsonl", lines)
    res = CliRunner().invoke(app, ["compare", str(results), "--annotate", str(tmp_path / "linked.jsonl")])
    assert res.exit_code == 0, res.output
    docs = [json.loads(l) for l in (tmp_path / "linked.jsonl").read_text(encoding="utf-8").splitlines()]
    score = synth.score(manifest, docs)
    assert score["injected"] >= 5 and score["renamed_bodies"] >= 8
    assert score["found"] == score["injected"] and score["false_alarms"] == [], score
    assert score["bodies_grouped_right"] == score["bodies"], score


def test_two_reports_of_one_year_conflict_or_duplicate():
    reports, _ = years_of(2021, 2, seed=31)
    docs = [as_doc(r) for r in reports]
    copy = json.loads(json.dumps(docs[1]))
    copy["doc_id"] = "d2022-copy"
    _, checks, out = run_checks(docs + [copy])
    assert out["d2022"]["validation"]["cross_year"]["checked"] == len(schema.T3_COLUMNS)
    assert "the same figures as d2022" in out["d2022-copy"]["validation"]["cross_year"]["notes"][0]
    copy["cells"]["t3.new_received.natural_person"]["value"] += 5
    _, checks, out = run_checks(docs + [copy])
    assert checks[0].series.conflicts() == [2022]
    assert out["d2021"]["validation"]["cross_year"]["checked"] == 0
    assert any("two different reports for 2022" in n for n in out["d2022"]["validation"]["cross_year"]["notes"])


def test_groups_written_by_the_command_map_back(tmp_path):
    reports, _ = years_of(2021, 2, seed=37)
    docs = [as_doc(r) for r in reports]
    docs[1]["agency"] = "章贡区政府"  # the tail of the body: linked
    results = write_jsonl(tmp_path / "out.jsonl", docs)
    runner = CliRunner()
    res = runner.invoke(app, ["compare", str(results), "--groups", str(tmp_path / "g.csv"), "-o", str(tmp_path / "a.csv")])
    assert res.exit_code == 0, res.output
    rows = list(csv.reader((tmp_path / "g.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["name", "body", "years", "doc_ids"] and {r[1] for r in rows[1:]} == {"赣州市章贡区人民政府"}
    rows[2][1] = "另一个机关"  # the user splits them
    (tmp_path / "g.csv").write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    res = runner.invoke(app, ["compare", str(results), "--mapping", str(tmp_path / "g.csv")])
    assert res.exit_code == 0 and "另一个机关" in res.stdout and res.stdout.count("1 year: 202") == 2, res.output


def test_ocr_slips_in_a_name_join_their_body_but_other_bodies_do_not():
    names = {2019: "蚌埠市茶陵县自然资源局", 2020: "茶陵陵县自然资源局", 2021: "蚌埠市茶陵自然源局",
             2022: "茶陵县自然资源局", 2023: "年蚌埠市茶陵县自然资源局"}
    docs = [{"doc_id": f"a{y}", "year": y, "agency": n, "cells": {}} for y, n in names.items()]
    docs += [{"doc_id": "b2020", "year": 2020, "agency": "茶陵县财政局", "cells": {}},  # 资源→财政: not a slip
             {"doc_id": "c2019", "year": 2019, "agency": "大余县民局", "cells": {}},
             {"doc_id": "c2020", "year": 2020, "agency": "大余县民政局", "cells": {}},
             {"doc_id": "d2019", "year": 2019, "agency": "大余县民政", "cells": {}}]  # 2019 taken: apart
    linking = link.link(recs(docs))
    groups = sorted(sorted(r.doc_id for rs in s.records.values() for r in rs) for s in linking.series)
    assert groups == [["a2019", "a2020", "a2021", "a2022", "a2023"], ["b2020"], ["c2019", "c2020"], ["d2019"]]
    assert any("same year" in n for n in linking.notes)
    assert not link.near("大余县民政局", "大余县财政局") and link.near("大余县民局", "大余县民政局")
