"""The gaiml command end to end, through a subprocess as a user runs it."""

import json
import os
import subprocess
import sys

from gaiml.output import check_output

from conftest import ALL_SEEDS, SEEDS

GAIML = [sys.executable, "-m", "gaiml"]


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*GAIML, *map(str, args)], capture_output=True, text=True, encoding="utf-8", cwd=cwd, env=env, timeout=300)


def test_cli_help_explains_every_command_and_option():
    top = run("--help")
    assert top.returncode == 0
    for command in ("extract", "validate", "eval"):
        assert command in top.stdout
        sub = run(command, "--help")
        assert sub.returncode == 0
    assert "--engine" in run("extract", "--help").stdout
    assert "--gold" in run("eval", "--help").stdout


def test_cli_extract_folder_then_validate(tmp_path):
    out = tmp_path / "out.jsonl"
    done = run("extract", SEEDS / "raw", "-o", out)
    assert done.returncode == 0, done.stderr
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(d["doc_id"] for d in docs) == sorted(s.doc_id for s in ALL_SEEDS)
    for doc in docs:
        check_output(doc)
    checked = run("validate", out)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.count("0 broken") == 5


def test_cli_extract_to_stdout_single_file():
    done = run("extract", ALL_SEEDS[4].path)
    assert done.returncode == 0
    doc = json.loads(done.stdout)
    assert doc["cells"]["t2.other_services.decisions"]["value"] == 2259
    assert doc["cells"]["t2.other_services.decisions"]["text"] == "2259"


def test_cli_bad_inputs_are_named_and_the_others_go_on(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 40)
    prose = tmp_path / "prose.txt"
    prose.write_text("关于做好春节期间安全生产工作的通知\n各单位：请认真做好值班值守工作。\n", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    out = tmp_path / "out.jsonl"
    done = run("extract", empty, junk, ALL_SEEDS[0].path, prose, missing, "-o", out)
    assert done.returncode == 1
    lines = {d["doc_id"]: d for d in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert len(lines) == 5
    assert "cells" in lines[ALL_SEEDS[0].doc_id]
    assert "empty" in lines["empty"]["error"]
    assert "binary" in lines["junk"]["error"]
    assert "not a government information-disclosure annual report" in lines["prose"]["error"]
    assert "no such file" in lines["missing"]["error"]
    for name in ("empty.txt", "junk.txt", "prose.txt", "missing.txt"):
        assert name in done.stderr


def test_cli_validate_reports_broken_relation(tmp_path):
    doc = json.loads(run("extract", ALL_SEEDS[4].path).stdout)
    doc["cells"]["t4.review.total"]["value"] = 3
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    done = run("validate", path)
    assert done.returncode == 1
    assert "t4.review: 总计 = upheld + corrected + other + pending" in done.stdout
    assert "difference 3" in done.stdout


def test_cli_validate_rejects_malformed_result(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"doc_id": "x", "cells": {}}), encoding="utf-8")
    done = run("validate", path)
    assert done.returncode == 1 and "malformed" in done.stdout


def test_cli_eval_on_seeds(tmp_path):
    done = run("eval", "--gold", SEEDS / "gold", "--inputs", SEEDS / "raw", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    overall = report["overall"]
    assert (overall["correct"], overall["cells"]) == (996, 996)
    assert overall["template_accuracy"] == overall["year_accuracy"] == overall["agency_accuracy"] == 1.0
    table = run("eval", "--gold", SEEDS / "gold", "--inputs", SEEDS / "raw")
    assert "996/996" in table.stdout


def test_cli_eval_lists_wrong_cells(tmp_path):
    gold_dir, inputs = tmp_path / "gold", tmp_path / "inputs"
    gold_dir.mkdir()
    inputs.mkdir()
    seed = ALL_SEEDS[4]
    gold = {**seed.gold, "cells": {**seed.gold["cells"], "t2.other_services.decisions": 2260}}
    (gold_dir / f"{seed.doc_id}.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    (inputs / f"{seed.doc_id}.txt").write_text(seed.text, encoding="utf-8")
    report = json.loads(run("eval", "--gold", gold_dir, "--inputs", inputs, "--json").stdout)
    assert report["documents"][0]["wrong"] == [{"key": "t2.other_services.decisions", "gold": 2260, "got": 2259}]
    assert report["overall"]["exact_document_rate"] == 0.0


def test_cli_unknown_engine_is_a_usage_error():
    done = run("extract", ALL_SEEDS[0].path, "--engine", "magic")
    assert done.returncode == 2 and "magic" in done.stderr


def test_cli_eval_scores_spans_when_gold_has_them(tmp_path):
    """Generated gold carries the cell spans: eval adds seqeval span precision, recall and F1."""
    from training.synth.generate import generate

    gold_dir, inputs = tmp_path / "gold", tmp_path / "inputs"
    gold_dir.mkdir()
    inputs.mkdir()
    for seed, style in ((1, "tabs"), (2, "pipes")):
        row = generate(seed, style).row()
        spans = json.loads(row["spans"]) if isinstance(row["spans"], str) else row["spans"]
        if style == "pipes":  # one gold span one character wider: the value is still right
            cell = next(s for s in spans if s["kind"] == "cell")
            cell["end"] += 1
        cells = json.loads(row["cells"]) if isinstance(row["cells"], str) else row["cells"]
        gold = {"doc_id": row["doc_id"], "template": row["template"], "year": row["year"], "agency": row["agency"],
                "cells": cells, "style": style, "spans": spans}
        (gold_dir / f"{row['doc_id']}.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
        (inputs / f"{row['doc_id']}.txt").write_text(row["text"], encoding="utf-8")
    report = json.loads(run("eval", "--gold", gold_dir, "--inputs", inputs, "--json").stdout)
    assert report["overall"]["cell_accuracy"] == 1.0
    assert report["by_style"]["tabs"]["span_f1"] == 1.0
    assert report["by_style"]["pipes"]["span_f1"] < 1.0
    assert "cell spans (seqeval" in run("eval", "--gold", gold_dir, "--inputs", inputs).stdout
