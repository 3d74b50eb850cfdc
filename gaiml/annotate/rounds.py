"""One round of the loop as plain functions: push a selection, pull the annotations back.

The CLI (``gaiml al push|pull``) is glue over these; the tests call them directly.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ..errors import GaimlError
from ..frame import Frame
from ..readers import read_document
from ..rules import RuleExtractor
from . import client as ls
from .label_config import REVIEW_NAME, label_config
from .tasks import export_to_round, prediction_of, summarise_changes, task_of

ROUND_FILE = re.compile(r"round-(\d{3,})\.jsonl$")


def model_version(model_dir: str | Path) -> str:
    """A model's identity for Label Studio: its folder name and a hash of its weights."""
    model_dir = Path(model_dir)
    digest = hashlib.sha256()
    for name in ("model.safetensors", "gaiml.json"):
        path = model_dir / name
        if path.exists():
            digest.update(path.read_bytes())
    return f"{model_dir.name}@{digest.hexdigest()[:10]}"


def load_selection(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        raise GaimlError(f"{path}: no selection (write one with `gaiml al select`)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def selection_tasks(selection: list[dict], model=None, version: str | None = None) -> list[dict]:
    """Tasks for the selected reports, with the model's spans as pre-annotations when given."""
    rules = RuleExtractor()
    tasks = []
    for record in selection:
        text = read_document(record["path"]).text
        frame = Frame.of(text)
        reading = rules.read(frame)
        prediction = None
        if model is not None:
            p = model.predict(text)
            prediction = prediction_of(text, p.tags, p.scores, version, _span(frame.agency), _span(frame.year))
        meta = {"source": str(record["path"]), "template": reading.template.value,
                "other_form": reading.other_form.value, "al_score": record.get("score"),
                "al_reasons": " | ".join(record.get("reasons", []))}
        tasks.append(task_of(record["doc_id"], text, prediction, meta))
    return tasks


def _span(f) -> tuple[int, int] | None:
    return (f.start, f.end) if f.start is not None and f.end is not None and f.end > f.start else None


def push(client, project_title: str, selection: list[dict], model=None, version: str | None = None) -> dict:
    """Create or reuse the project and import the selected reports not in it yet."""
    project, created = ls.ensure_project(client, project_title, label_config())
    already = ls.task_doc_ids(client, project.id) if not created else set()
    fresh = [r for r in selection if r["doc_id"] not in already]
    tasks = selection_tasks(fresh, model, version)
    task_ids = ls.import_tasks(client, project.id, tasks) if tasks else []
    if version and tasks and model is not None:
        ls.set_model_version(client, project.id, version)
    return {"project_id": project.id, "created": created, "imported": len(tasks),
            "skipped": len(selection) - len(fresh), "task_ids": task_ids, "model_version": version}


def round_files(out_dir: Path) -> list[Path]:
    return sorted(p for p in out_dir.glob("round-*.jsonl") if ROUND_FILE.search(p.name))


def pulled_annotation_ids(out_dir: Path) -> set:
    """Annotation ids already stored by earlier rounds (pull never stores one twice)."""
    seen = set()
    for path in round_files(out_dir):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                seen.add(record.get("annotation_id"))
                seen.update(record.get("annotation_ids") or [])  # a task two annotators agreed on
    return seen


def next_round_path(out_dir: Path) -> Path:
    numbers = [int(ROUND_FILE.search(p.name).group(1)) for p in round_files(out_dir)]
    return out_dir / f"round-{max(numbers, default=0) + 1:03d}.jsonl"


def write_round(examples: list[dict], out_dir: str | Path) -> Path:
    """Store a round's examples as the next annotations/round-NNN.jsonl; never overwrites."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = next_round_path(out_dir)
    with path.open("x", encoding="utf-8") as f:  # "x": an existing file is an error, not a loss
        for ex in examples:
            f.write(json.dumps(ex, ensure_ascii=False) + "\n")
    return path


def push_review(client, project_title: str, results: str | Path, status: str = "needs review") -> dict:
    """Send the documents of an extract output with ``status`` to a review project: the
    extraction's readings as pre-annotations, the cells to check named in the task and marked on
    their regions; documents already in the project are not sent again."""
    from .review import load_flagged, review_tasks, review_version

    results = Path(results)
    lines = load_flagged(results, status)
    version = review_version(lines)
    project, created = ls.ensure_project(client, project_title, label_config(review=True))
    if not created and f'value="${REVIEW_NAME}"' not in (getattr(project, "label_config", "") or ""):
        raise GaimlError(f"project {project_title!r} is not a review project (it was made by `gaiml al push "
                         "--selection`); give the review queue a title of its own")
    already = ls.task_doc_ids(client, project.id) if not created else set()
    fresh = [(n, doc) for n, doc in lines if doc["doc_id"] not in already]
    tasks = review_tasks(fresh, results, version)
    task_ids = ls.import_tasks(client, project.id, tasks) if tasks else []
    if tasks:
        ls.set_model_version(client, project.id, version)
    return {"project_id": project.id, "created": created, "imported": len(tasks),
            "skipped": len(lines) - len(fresh), "task_ids": task_ids, "model_version": version,
            "review_cells": sum(len(doc.get("review") or []) for _, doc in fresh)}


def pull(client, project_title: str, out_dir: str | Path, save_export: str | Path | None = None,
         results: str | Path | None = None) -> dict:
    """Export the project, check and convert the new annotations, store them as the next round.

    Review tasks (pushed with ``push_review``) also give corrected result documents, written to
    ``results`` (default: ``reviewed-NNN.jsonl`` beside the round file). Tasks two or more people
    annotated give their agreement, and only agreed labels are trained on."""
    from .review import corrected_documents

    project = ls.find_project(client, project_title)
    if project is None:
        raise GaimlError(f"no Label Studio project titled {project_title!r}")
    export = ls.export_with_predictions(client, project.id)
    if save_export:
        Path(save_export).write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    pulled = export_to_round(export, getattr(project, "model_version", None), pulled_annotation_ids(Path(out_dir)))
    corrected, bad = corrected_documents(pulled.taken)
    path = write_round(pulled.examples, out_dir) if pulled.examples else None
    results_path = None
    if corrected:
        results_path = Path(results) if results else Path(out_dir) / path.name.replace("round-", "reviewed-")
        results_path.parent.mkdir(parents=True, exist_ok=True)
        with results_path.open("x", encoding="utf-8") as f:  # never overwrites
            for doc in corrected:
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return {"project_id": project.id, "tasks": len(export), "examples": len(pulled.examples), "path": path,
            "problems": pulled.problems + bad, "changes": summarise_changes(pulled.examples),
            "agreements": pulled.agreements, "corrected": len(corrected), "results_path": results_path}


def load_round(path: str | Path) -> list[dict]:
    """Training documents (doc_id, text, spans) of a round file."""
    path = Path(path)
    if not path.exists():
        raise GaimlError(f"{path}: no such annotations file (write one with `gaiml al pull`)")
    docs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        text = record["text"]
        for s in record["spans"]:
            if not 0 <= s["start"] <= s["end"] <= len(text):
                raise GaimlError(f"{path}:{n}: span {s} outside its text")
        docs.append({"doc_id": record["doc_id"], "text": text, "spans": record["spans"], "style": "annotated"})
    return docs
