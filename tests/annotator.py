"""A scripted annotator for the active-learning tests: generated reports (whose true spans are
known) go into the pool, and the "person" labels them through Label Studio's API.

Also records the export committed as tests/data/label_studio_export.json:

    .venv/bin/python -m tests.annotator --url http://127.0.0.1:PORT --api-key TOKEN --model models/default
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from gaiml.annotate import client as ls
from gaiml.annotate.tasks import spans_to_result
from gaiml.model.tags import TaggedSpan, entity_of_span
from training.synth.generate import generate

DATA = Path(__file__).resolve().parent / "data"
# gzipped: the export holds every span of four reports twice (predictions and annotations), ~0.5 MB as text
EXPORT = DATA / "label_studio_export.json.gz"
EXPORT_GOLD = DATA / "label_studio_export.gold.json.gz"
# A character outside the Basic Multilingual Plane and a CRLF before the tables: offsets must stay
# code points (Label Studio releases before 1.x counted UTF-16 units).
ASTRAL_PREFIX = "𠮷𠮷 附\r\n"


def pool_document(seed: int, style: str, astral: bool = False) -> dict:
    """A generated report with its true spans and cells; ``astral`` puts ASTRAL_PREFIX in front."""
    g = generate(seed, style)
    text, spans = g.text, [dict(s) for s in g.spans]
    if astral:
        text = ASTRAL_PREFIX + text
        for s in spans:
            s["start"] += len(ASTRAL_PREFIX)
            s["end"] += len(ASTRAL_PREFIX)
    return {"doc_id": g.doc_id, "text": text, "spans": spans, "gold": {**g.gold(), "spans": spans}}


def write_pool(docs: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for d in docs:
        (folder / f"{d['doc_id']}.txt").write_text(d["text"], encoding="utf-8", newline="")


def write_gold(docs: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for d in docs:
        (folder / f"{d['doc_id']}.json").write_text(json.dumps(d["gold"], ensure_ascii=False), encoding="utf-8")


def true_result(doc: dict) -> list[dict]:
    """What a careful annotator submits: every true span (blank cells have none), as Label Studio JSON."""
    spans = [TaggedSpan(entity_of_span(s["kind"], s["key"]), s["start"], s["end"], 1.0)
             for s in doc["spans"] if s["end"] > s["start"]]
    result = spans_to_result(doc["text"], spans, prefix="a")
    for item in result:
        item.pop("score")
        item["origin"] = "manual"
    return result


def broken_result(doc: dict) -> list[dict]:
    """A result Label Studio accepts but gaiml must not: one span whose text is not the text there."""
    result = true_result(doc)
    result[-1]["value"]["text"] += "9"
    return result


def annotate(client, project_id: int, docs: dict[str, dict], bad: set[str] = frozenset(),
             skip: set[str] = frozenset()) -> dict[str, int]:
    """Submit an annotation on every task of the project (a broken one for ``bad`` doc ids, none
    for ``skip``); returns doc id -> task id."""
    ids = {}
    for task in ls.list_tasks(client, project_id):
        doc_id = task.data["doc_id"]
        ids[doc_id] = task.id
        if doc_id in skip:
            continue
        doc = docs[doc_id]
        assert task.data["text"] == doc["text"], f"{doc_id}: Label Studio changed the text"
        result = broken_result(doc) if doc_id in bad else true_result(doc)
        ls.create_annotation(client, task.id, result, project_id)
    return ids


def flag_unread(line: dict, key: str) -> dict:
    """An extract line as if the extraction had not read ``key``: a "needs review" document."""
    line = json.loads(json.dumps(line))
    line["cells"][key] = {"value": None, "span": None, "text": None, "confidence": 0.0, "engine": "rules",
                          "note": "row not found"}
    line["status"], line["review"] = "needs review", [{"cell": key, "why": "not read"}]
    return line


def flag_misread(line: dict, key: str, wrong) -> dict:
    """An extract line as if the extraction had read ``wrong`` for ``key`` (a misread digit)."""
    line = json.loads(json.dumps(line))
    line["cells"][key].update(value=wrong, confidence=0.5, note="misread digit repaired")
    line["status"] = "needs review"
    line["review"] = [{"cell": key, "why": "a misread digit repaired: compare it with the print"}]
    return line


def second_annotator(client, email: str = "second.annotator@example.com"):
    """Another user of the server (made once): annotations can be submitted in their name."""
    known = next((u for u in client.users.list() if u.email == email), None)
    return known or client.users.create(username=email.split("@")[0], email=email, password="gaiml-second-pw-1")


def correct_review(task, doc: dict) -> list[dict]:
    """What a reviewer submits: the task's pre-annotation as it stands, with a region added for
    every true figure it lacks (a cell the extraction did not read) and nothing else touched."""
    result = [{**item, "origin": "prediction-changed"} for item in task.predictions[0].result]
    taken = {(r["value"]["start"], r["value"]["end"]) for r in result}
    for item in true_result(doc):
        v = item["value"]
        if (v["start"], v["end"]) not in taken and not any(v["start"] < e and s < v["end"] for s, e in taken):
            result.append(item)
    return result


def save_json_gz(obj, path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def load_json_gz(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def record(url: str, api_key: str, model_dir: str) -> None:
    """Run push and the scripted annotator against a server and commit what its export looks like."""
    from gaiml.annotate.rounds import model_version, push
    from gaiml.model import ModelExtractor

    docs = [pool_document(7001, "tabs", astral=True), pool_document(7002, "markdown"),
            pool_document(7003, "cell_lines"), pool_document(7004, "pipes")]
    write_pool(docs, Path("/tmp/gaiml-record-pool"))
    selection = [{"doc_id": d["doc_id"], "path": f"/tmp/gaiml-record-pool/{d['doc_id']}.txt", "score": 1.0,
                  "reasons": ["recorded"]} for d in docs]
    client = ls.connect(url, api_key)
    model = ModelExtractor.from_dir(model_dir)
    answer = push(client, "gaiml recorded export", selection, model, model_version(model_dir))
    by_id = {d["doc_id"]: d for d in docs}
    annotate(client, answer["project_id"], by_id, bad={docs[2]["doc_id"]}, skip={docs[3]["doc_id"]})
    export = ls.export_with_predictions(client, answer["project_id"])
    save_json_gz(export, EXPORT)
    save_json_gz({d["doc_id"]: d["gold"] for d in docs}, EXPORT_GOLD)
    print(f"{EXPORT}: {len(export)} tasks from project {answer['project_id']}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--model", default="models/default")
    args = parser.parse_args()
    record(args.url, args.api_key, args.model)
