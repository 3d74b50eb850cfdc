"""Active learning without a server: label config, span checks and conversions on a recorded
Label Studio export (tests/data, recorded by tests/annotator.py), selection, round files."""

import json

import pytest

from gaiml.annotate.label_config import CONFIG_PATH, FROM_NAME, TO_NAME, label_config
from gaiml.annotate.rounds import load_round, pulled_annotation_ids, write_round
from gaiml.annotate.select import Candidate, diverse_order, layout_signature, select
from gaiml.annotate.review import load_flagged, review_prediction, text_of
from gaiml.annotate.tasks import (LabelledSpan, SpanError, acceptable_spans, compare_spans, export_to_examples, gold_cells,
                                  result_to_spans, task_to_example, training_spans, trim)
from gaiml.cli import app
from gaiml.errors import GaimlError
from gaiml.model.tags import TaggedSpan, entity_types, spans_to_tags
from typer.testing import CliRunner
from tests.annotator import ASTRAL_PREFIX, EXPORT, EXPORT_GOLD, load_json_gz, pool_document, write_pool


@pytest.fixture(scope="module")
def export():
    return load_json_gz(EXPORT)


@pytest.fixture(scope="module")
def export_gold():
    return load_json_gz(EXPORT_GOLD)


def item(start, end, text, label, id_="r"):
    return {"id": id_, "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
            "value": {"start": start, "end": end, "text": text, "labels": [label]}}


def test_annotate_label_config_committed_equals_generated():
    assert CONFIG_PATH.read_text(encoding="utf-8") == label_config(), \
        "annotations/label_config.xml is stale: run `.venv/bin/python -m gaiml.annotate.label_config`"


def test_annotate_label_config_parses_with_every_entity():
    interface = pytest.importorskip("label_studio_sdk.label_interface").LabelInterface(label_config())
    control = interface.get_control(FROM_NAME)
    assert sorted(control.labels) == sorted(entity_types())
    assert 'granularity="symbol"' in label_config()


def test_annotate_span_checks_reject_what_the_server_accepts():
    text = "规章\t12\t𠮷3"
    assert [s.triple for s in result_to_spans(text, [item(3, 5, "12", "COL=t2.issued")])] == [("COL=t2.issued", 3, 5)]
    assert result_to_spans(text, [item(7, 8, "3", "COL=t2.repealed")])[0].start == 7  # code points, not UTF-16
    for bad in (item(3, 5, "13", "COL=t2.issued"),  # text is not the text there
                item(3, 99, "12", "COL=t2.issued"),  # past the end
                item(3, 5, "12", "COL=t9.nothing"),  # not an entity
                {**item(3, 5, "12", "COL=t2.issued"), "value": {"start": 3, "end": 5, "text": "12", "labels": []}}):
        with pytest.raises(SpanError):
            result_to_spans(text, [bad])


def test_annotate_trim_drops_blanks_a_hand_selection_takes():
    text = "规章\t 12 \t"
    assert trim(text, LabelledSpan("COL=t2.issued", 2, 7)).triple == ("COL=t2.issued", 4, 6)
    assert trim(text, LabelledSpan("COL=t2.issued", 2, 4)) is None


def test_annotate_training_spans_take_the_row_from_the_row_label_before():
    spans = [LabelledSpan("COL=t3.total", 0, 1), LabelledSpan("ROW=t3.granted", 2, 6),
             LabelledSpan("COL=t3.total", 7, 8), LabelledSpan("COL=t4.review.upheld", 9, 10),
             LabelledSpan("AGENCY", 11, 14)]
    got = training_spans(spans)
    assert [(s["kind"], s["key"]) for s in got] == [("cell", None), ("row", "t3.granted"), ("cell", "t3.granted.total"),
                                                    ("cell", "t4.review.upheld"), ("agency", "agency")]
    tags = spans_to_tags(15, got)  # training tags by entity, so a figure with no row still teaches
    assert tags[0] == "B-COL=t3.total" and tags[9] == "B-COL=t4.review.upheld"


def test_annotate_compare_spans_names_every_kind_of_change():
    predicted = [LabelledSpan("ROW=t3.granted", 0, 4), LabelledSpan("COL=t3.total", 5, 6),
                 LabelledSpan("COL=t3.commercial", 7, 9), LabelledSpan("AGENCY", 20, 25)]
    annotated = [LabelledSpan("ROW=t3.granted", 0, 4), LabelledSpan("COL=t3.research", 5, 6),
                 LabelledSpan("COL=t3.commercial", 7, 10), LabelledSpan("YEAR", 30, 34)]
    c = compare_spans(predicted, annotated)
    assert c.counts() == {"kept": 1, "added": 1, "removed": 1, "relabelled": 1, "moved": 1}
    assert c.relabelled == [(5, 6, "COL=t3.total", "COL=t3.research")]
    assert c.moved == [("COL=t3.commercial", [7, 9], [7, 10])]


def test_annotate_recorded_export_gives_checked_examples_with_gold_cells(export, export_gold):
    examples, problems = export_to_examples(export)
    by_id = {e["doc_id"]: e for e in examples}
    # four tasks recorded: two annotated well, one with a span whose text is wrong, one not annotated
    assert len(export) == 4 and len(examples) == 2 and len(problems) == 1
    assert "cell_lines_7003" in problems[0] and "the text there is" in problems[0]
    for doc_id, ex in by_id.items():
        gold = export_gold[doc_id]
        assert ex["cells"] == gold["cells"], doc_id
        assert (ex["template"], ex["other_form"]) == (gold["template"], gold["other_form"])
        for s in ex["spans"]:
            assert s["end"] > s["start"] and s["entity"] in entity_types()
        want = {(s["start"], s["end"], s["kind"], s["key"]) for s in gold["spans"] if s["end"] > s["start"]}
        assert {(s["start"], s["end"], s["kind"], s["key"]) for s in ex["spans"]} == want
        c = ex["changes"]
        assert c["kept"] + c["relabelled"] + c["moved"] + c["added"] == len(ex["spans"])
        assert ex["model_version"] and ex["annotation_id"]


def test_annotate_recorded_export_keeps_code_point_offsets_past_astral_characters(export):
    task = next(t for t in export if t["data"]["text"].startswith(ASTRAL_PREFIX))
    ex = task_to_example(task)
    assert ex["spans"][0]["start"] >= len(ASTRAL_PREFIX)
    for s in ex["spans"]:
        assert ex["text"][s["start"]:s["end"]].strip()


def test_annotate_recorded_export_skips_annotations_already_pulled(export):
    examples, _ = export_to_examples(export)
    again, _ = export_to_examples(export, seen={e["annotation_id"] for e in examples})
    assert again == []


def test_annotate_rounds_are_numbered_and_never_overwritten(tmp_path, export):
    examples, _ = export_to_examples(export)
    first = write_round(examples[:1], tmp_path)
    second = write_round(examples[1:], tmp_path)
    assert (first.name, second.name) == ("round-001.jsonl", "round-002.jsonl")
    assert pulled_annotation_ids(tmp_path) == {e["annotation_id"] for e in examples}
    docs = load_round(first)
    assert docs[0]["text"] == examples[0]["text"] and docs[0]["spans"] == examples[0]["spans"]


@pytest.mark.parametrize("style, want", [("tabs", "tabs"), ("pipes", "pipes"), ("markdown", "markdown")])
def test_annotate_layout_signature_tells_the_separators(style, want):
    doc = pool_document(11, style)
    table = [s for s in doc["spans"] if s["kind"] == "cell"]
    region = doc["text"][min(s["start"] for s in table):max(s["end"] for s in table)]
    assert layout_signature(region) == want


def test_annotate_diverse_order_takes_buckets_in_turn():
    def cand(doc_id, layout, u):
        return Candidate(doc_id, doc_id, "2021", layout, uncertainty=u, model=True)

    pool = [cand("a1", "tabs", 0.9), cand("a2", "tabs", 0.8), cand("a3", "tabs", 0.7),
            cand("b1", "pipes", 0.5), cand("c1", "markdown", 0.1)]
    assert [c.doc_id for c in diverse_order(pool, 4)] == ["a1", "b1", "c1", "a2"]


def test_annotate_select_without_model_ranks_by_relations(tmp_path):
    docs = [pool_document(20 + i, style) for i, style in enumerate(["tabs", "pipes", "markdown", "cell_lines"])]
    write_pool(docs, tmp_path / "pool")
    (tmp_path / "pool" / "notes.txt").write_text("not a report", encoding="utf-8")
    skipped = []
    records, buckets = select(tmp_path / "pool", 3, model=None, on_skip=lambda p, why: skipped.append(p.name))
    assert len(records) == 3 and [r["rank"] for r in records] == [1, 2, 3]
    assert skipped == ["notes.txt"] and sum(buckets.values()) == 4
    assert len({r["bucket"] for r in records}) == 3  # three layouts, one each
    assert all(r["reasons"] and "no model" in r["reasons"][0] for r in records)
    json.dumps(records)


# --- the review queue, without a server ----------------------------------------------------------

def test_annotate_pre_annotations_drop_what_a_person_would_delete():
    text = "某某县人民政府2021年政府信息公开工作年度报告\n规章\t12\t3\n2021"
    agency, year = (0, 7), (7, 11)
    noisy = [TaggedSpan("AGENCY", 0, 7, 0.9), TaggedSpan("AGENCY", 12, 13, 0.4),  # a single character
             TaggedSpan("YEAR", 7, 11, 0.9), TaggedSpan("YEAR", 8, 11, 0.5),  # "021"
             TaggedSpan("ROW=t2.rules", 25, 27, 0.9), TaggedSpan("ROW=t2.rules", 27, 28, 0.3),  # a tab
             TaggedSpan("COL=t2.issued", 28, 30, 0.9), TaggedSpan("COL=t2.repealed", 29, 31, 0.2)]  # "2\t"
    kept = acceptable_spans(text, noisy, agency, year)
    assert [(s.entity, text[s.start:s.end]) for s in kept] == [
        ("AGENCY", "某某县人民政府"), ("YEAR", "2021"), ("ROW=t2.rules", "规章"), ("COL=t2.issued", "12")]
    assert not any(s.entity == "AGENCY" for s in acceptable_spans(text, noisy, None, year))  # no agency read: none shown


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Generated reports as `gaiml extract --engine rules --with-text` writes them, with their gold."""
    from gaiml.batch import extract_line
    from gaiml.pipeline import ExtractSettings, loaded_pipeline

    folder = tmp_path_factory.mktemp("extracted")
    docs = [pool_document(40 + i, style) for i, style in enumerate(["tabs", "markdown", "cell_lines"])]
    write_pool(docs, folder)
    rules = loaded_pipeline(ExtractSettings(engine="rules"))
    return [(extract_line(str(folder / f"{d['doc_id']}.txt"), True, rules), d) for d in docs]


def test_annotate_review_prediction_decodes_to_the_extraction(extracted):
    """The pre-annotation is the extraction's reading: decoded as pull decodes, it gives the same cells."""
    for line, doc in extracted:
        prediction, notes = review_prediction(line, line["text"], "review:rules")
        spans = result_to_spans(line["text"], prediction["result"])  # every region checks out
        cells, _ = gold_cells(line["text"], spans, line["template"], line["other_form"])
        assert cells == {k: c["value"] for k, c in line["cells"].items()} == doc["gold"]["cells"], line["doc_id"]
        assert notes == [] and prediction["score"] == 1.0  # nothing in review: last in the queue
        assert any(s.entity.startswith("ROW=") for s in spans)


def test_annotate_review_push_names_the_file_and_line_of_bad_input(tmp_path, extracted):
    line = extracted[0][0]
    results = tmp_path / "out.jsonl"
    results.write_text(json.dumps(line, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(GaimlError, match=r"out\.jsonl:2: not JSON"):
        load_flagged(results, "verified")
    results.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(GaimlError, match=r"no line has status 'needs review' \(statuses there: 'verified': 1\)"):
        load_flagged(results, "needs review")
    # no text and a source that is gone: said, with the line
    gone = {k: v for k, v in line.items() if k != "text"} | {"source": str(tmp_path / "gone.txt")}
    results.write_text("\n" + json.dumps(gone, ensure_ascii=False) + "\n", encoding="utf-8")
    [(n, doc)] = load_flagged(results, "verified")
    with pytest.raises(GaimlError, match=r"out\.jsonl:2: .* carries no text .* source cannot be read again"):
        text_of(doc, results, n)
    # the CLI says it before asking any server
    results.write_text("{not json\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["al", "push", "--url", "http://127.0.0.1:9", "--api-key", "x", "--project", "p",
                                 "--results", str(results)])
    assert r.exit_code == 2 and "out.jsonl:1: not JSON" in r.output, r.output


def test_annotate_review_text_reads_again_from_the_source(extracted, tmp_path):
    line, doc = extracted[1]
    bare = {k: v for k, v in line.items() if k != "text"}
    assert text_of(bare, tmp_path / "x.jsonl", 1) == doc["text"]
