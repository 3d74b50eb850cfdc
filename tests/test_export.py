"""gaiml export: wide CSV/XLSX and long CSV of real results, both templates in one file."""

import csv
import json
import subprocess
import sys

import pytest

from gaiml import schema
from gaiml.batch import extract_line
from gaiml.export import DOCUMENT_COLUMNS, cell_statuses, export, load_results
from gaiml.pipeline import ExtractSettings, Pipeline
from relayout import relayout

from conftest import ALL_SEEDS, REPO

INCONSISTENT = "inconsistent"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """The five seeds (templates 2019 and 2021), one report whose own arithmetic is off, one failure."""
    root = tmp_path_factory.mktemp("export")
    seed = ALL_SEEDS[1]
    cells = dict(seed.gold["cells"], **{"t4.review.total": seed.gold["cells"]["t4.review.total"] + 1})
    (root / f"{INCONSISTENT}.txt").write_text(relayout(seed.text, {**seed.gold, "cells": cells}, "pipe"), encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    pipeline = Pipeline.load(ExtractSettings(engine="rules"))  # what is exported, not how it was read
    paths = [s.path for s in ALL_SEEDS] + [root / f"{INCONSISTENT}.txt", root / "empty.txt"]
    out = root / "results.jsonl"
    out.write_text("".join(json.dumps(extract_line(str(p), pipeline=pipeline), ensure_ascii=False) + "\n"
                           for p in paths), encoding="utf-8")
    return out


def union_keys() -> set[str]:
    return {k for s in ALL_SEEDS for k in s.gold["cells"]}


def check_wide(rows: list[list]):
    keys, row_labels, column_labels, *body = rows
    first = len(DOCUMENT_COLUMNS)
    assert set(keys[first:]) == union_keys() and len(keys) == len(set(keys))
    for i, key in enumerate(keys[first:], first):  # the report's own labels head each column
        for cell in (c for t in schema.TEMPLATES for c in schema.cells(t, "split") if c.key == key):
            assert cell.row_label in row_labels[i] and cell.column_label in column_labels[i].split(" / ")
    assert column_labels[keys.index("t2.licensing.decisions")] == "处理决定数量 / 本年处理决定数量"
    docs = {row[0]: dict(zip(keys, row)) for row in body}
    assert len(docs) == len(ALL_SEEDS) + 2
    for seed in ALL_SEEDS:
        row = docs[seed.doc_id]
        # seed 001 prints 表三 rows a figure short: placed by arithmetic, so sent to review
        assert row["status"] == ("needs review" if seed is ALL_SEEDS[1] else "verified")
        assert str(row["year"]) == str(seed.gold["year"]) and bool(row["review"]) == (seed is ALL_SEEDS[1])
        for key in union_keys():
            expected = seed.gold["cells"].get(key)
            assert (row[key] in ("", None)) if expected is None else float(row[key]) == expected, key
    # The rules engine alone cannot tell the author's arithmetic from a misreading: review.
    assert docs[INCONSISTENT]["status"] == "needs review" and str(docs[INCONSISTENT]["broken_relations"]) == "1"
    # Each cell that is not plainly right is named with its status, so a flat table hides nothing.
    flagged = dict(item.split(": ") for item in docs[INCONSISTENT]["flagged"].split("; "))
    assert {k for k, v in flagged.items() if v == "in-broken-relation"} == {
        f"t4.review.{f}" for f in ("total", "upheld", "corrected", "other", "pending")}
    assert all(docs[s.doc_id]["flagged"] in ("", None) for s in ALL_SEEDS if s is not ALL_SEEDS[1])
    assert set(docs[ALL_SEEDS[1].doc_id]["flagged"].split("; ")) == {f"{k}: review" for k in docs[ALL_SEEDS[1].doc_id]["review"].split()}
    assert docs["empty"]["status"] == "failed" and "empty file" in docs["empty"]["error"]


def test_export_wide_csv(results, tmp_path):
    path = tmp_path / "wide.csv"
    assert export(results, "csv", path) == len(ALL_SEEDS) + 2
    with open(path, encoding="utf-8-sig", newline="") as f:
        check_wide(list(csv.reader(f)))


def test_export_xlsx(results, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "wide.xlsx"
    export(results, "xlsx", path)
    sheet = load_workbook(path).active
    assert sheet.freeze_panes == "K4"
    check_wide([list(row) for row in sheet.iter_rows(values_only=True)])


def test_export_long_csv_marks_cells_to_review(results, tmp_path):
    path = tmp_path / "long.csv"
    export(results, "long", path)
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(len(s.gold["cells"]) for s in ALL_SEEDS) + len(ALL_SEEDS[1].gold["cells"]) + 1
    seed = ALL_SEEDS[0]
    mine = {r["key"]: r for r in rows if r["doc_id"] == seed.doc_id}
    assert {k: (None if r["value"] == "" else float(r["value"])) for k, r in mine.items()} == seed.gold["cells"]
    assert mine["t3.total.natural_person"]["row_label"] == "表三 （七）总计"
    assert mine["t3.total.natural_person"]["column_label"] == "自然人"
    flagged = {r["key"] for r in rows if r["doc_id"] == INCONSISTENT and r["status"] == "in-broken-relation"}
    assert flagged == {f"t4.review.{f}" for f in ("total", "upheld", "corrected", "other", "pending")}
    failed = [r for r in rows if r["status"] == "failed"]
    assert [r["doc_id"] for r in failed] == ["empty"] and "empty file" in failed[0]["note"]


def test_export_cli(results, tmp_path):
    path = tmp_path / "wide.xlsx"
    done = subprocess.run([sys.executable, "-m", "gaiml", "export", str(results), "--format", "xlsx", "-o", str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert path.stat().st_size > 0 and "7 reports" in done.stderr
    done = subprocess.run([sys.executable, "-m", "gaiml", "export", str(results), "--format", "pdf", "-o", str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--format" in done.stderr


def test_export_load_results_names_a_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"doc_id": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(Exception, match="line 2 is not JSON"):
        load_results(path)


def test_export_cell_statuses_show_repairs_and_the_reports_own_errors():
    """A figure read otherwise than printed, and a relation the report itself breaks, are named
    as such, not as ``ok``."""
    doc = {"cells": {"a": {}, "b": {}, "c": {}, "d": {}},
           "validation": {"broken": [{"relation": "r", "left": ["b"], "right": ["c"]}], "source_inconsistent": ["r"]},
           "repairs": [{"cell": "a", "kind": "misread digit"}], "review": [{"cell": "a", "why": "printed '8', read as 3"}]}
    assert cell_statuses(doc) == {"a": "repaired", "b": "source-inconsistent", "c": "source-inconsistent", "d": "ok"}
