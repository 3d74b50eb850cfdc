"""The review queue: the documents a batch flagged go to Label Studio with the extraction's
readings as pre-annotations and the cells to check marked, so a person corrects only those; the
corrected documents come back as results (status ``reviewed``) and as training examples.

A task shows, above the report, which cells to check and why (riskiest first, from the
document's ``review`` list); each of those cells' regions carries the same words as its region
meta and its reading's confidence as its score. The prediction's score is low when many cells are
in review and they are unsure, so sorting by prediction score puts the worst documents first.
"""

from __future__ import annotations

from pathlib import Path

from .. import schema
from ..errors import GaimlError
from ..frame import Frame
from ..model.decode import spans_to_cells
from ..model.tags import AGENCY, YEAR, TaggedSpan, entity_of_span
from ..output import check_output, json_lines, review_items
from ..readers import read_document
from ..rules import T4_BLOCK, _anchors
from ..rules import anchors as A
from ..rules import header_rows as H
from ..rules.layouts import mask_non_figures
from ..text import pipes_separate
from ..values import FIGURE_PATTERN
from ..verify import check_relations
from ..verify.status import REVIEWED
from .label_config import FROM_NAME, TO_NAME
from .tasks import LabelledSpan, acceptable_spans, other_form_of, template_of

PERSON = "person"  # the engine of a cell a person labelled
CHANGED_NOTE = "corrected by a person in Label Studio (the extraction read {was})"
CHECKED_NOTE = "checked by a person in Label Studio"


# --- the flagged lines of an extract output ----------------------------------------------------

def load_flagged(path: str | Path, status: str) -> list[tuple[int, dict]]:
    """(line number, document) of every line of ``path`` with ``status``; one clear error naming
    the file and line for a line that is not a JSON object, or when no line has that status."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GaimlError(f"{path}: cannot be read ({exc}); write it with `gaiml extract --with-text -o`") from exc
    lines, statuses = [], {}
    for n, doc, not_json in json_lines(raw):
        if not_json:
            raise GaimlError(f"{path}:{n}: not JSON ({not_json}); expected a line of `gaiml extract`")
        if not isinstance(doc, dict) or not isinstance(doc.get("doc_id"), str):
            raise GaimlError(f"{path}:{n}: not a result document (no doc_id); expected a line of `gaiml extract`")
        if "error" in doc:
            continue  # a file extract could not read: nothing to review
        statuses[doc.get("status")] = statuses.get(doc.get("status"), 0) + 1
        if doc.get("status") == status:
            for name in ("cells", "template", "other_form"):
                if name not in doc:
                    raise GaimlError(f"{path}:{n}: {doc['doc_id']} has no {name!r}; expected a line of `gaiml extract`")
            lines.append((n, doc))
    if not lines:
        there = ", ".join(f"{k!r}: {v}" for k, v in statuses.items()) or "none"
        raise GaimlError(f"{path}: no line has status {status!r} (statuses there: {there})")
    return lines


def text_of(doc: dict, path: Path, n: int) -> str:
    """The text a document's spans index: its ``text`` (``extract --with-text``), else its source
    read again, checked against the cells' printed text (the file may have changed since)."""
    if isinstance(doc.get("text"), str):
        return doc["text"]
    source = doc.get("source")
    if not source:
        raise GaimlError(f"{path}:{n}: {doc['doc_id']} carries no text and no source; "
                         "extract with `gaiml extract --with-text`")
    try:
        text = read_document(source).text
    except GaimlError as exc:
        raise GaimlError(f"{path}:{n}: {doc['doc_id']} carries no text (`gaiml extract --with-text` writes it) "
                         f"and its source cannot be read again: {exc}") from exc
    for key, cell in doc["cells"].items():
        span = cell.get("span")
        if span and cell.get("text") is not None and text[span[0]:span[1]] != cell["text"]:
            raise GaimlError(f"{path}:{n}: {doc['doc_id']}: its source {source} changed since extraction "
                             f"({key} read {cell['text']!r} at {span}); extract it again with --with-text")
    return text


# --- readings -> pre-annotations ----------------------------------------------------------------

def row_label_spans(text: str, template: str, other_form: str) -> dict[str, tuple[int, int]]:
    """Where 表二/表三's row labels are printed, as the rules find them ("t3.granted" -> span):
    a figure's row is the row label before it, so the pre-annotation needs them."""
    frame = Frame.of(text, template, other_form)
    pipes = pipes_separate(frame.folded)
    masked = mask_non_figures(frame.folded, pipes)
    masked = H.mask_numbering(masked, H.numbering_rows(masked))
    anchor_list = _anchors(template, other_form)
    occurrences = A.locate(frame.folded, frame.compact, anchor_list)
    picked = A.chain(anchor_list, occurrences, [m.start() for m in FIGURE_PATTERN.finditer(masked)])
    rows = {a.name for a in anchor_list if a.kind == A.ROW and a.name != T4_BLOCK}
    return {name: (occ.start, occ.end) for name, occ in picked.items() if name in rows}


def _where(key: str, template: str, other_form: str) -> str:
    cell = schema.cell_index(template, other_form).get(key)
    return f"{cell.row_label} / {cell.column_label}" if cell else key


def review_prediction(doc: dict, text: str, model_version: str) -> tuple[dict, list[str]]:
    """The document's readings as a Label Studio prediction, and notes on what it could not show.

    Regions: every figure read (its column), the row labels before them, the agency and the
    year, each only where a person would accept it (``acceptable_spans``); the review cells'
    regions carry why as region meta."""
    template, other_form = doc["template"], doc["other_form"]
    why = {item["cell"]: item["why"] for item in review_items(doc)}
    spans, notes = [], []
    for key, cell in doc["cells"].items():
        span = cell.get("span")
        if cell.get("value") is None or not span or span[1] <= span[0]:
            continue  # a blank, "/" or "—" gets no label
        spans.append((TaggedSpan(entity_of_span("cell", key), span[0], span[1], float(cell.get("confidence", 0))), key))
    fields = doc.get("fields") or {}
    agency = tuple(fields.get("agency", {}).get("span") or ()) or None
    year = tuple(fields.get("year", {}).get("span") or ()) or None
    for entity, span in ((AGENCY, agency), (YEAR, year)):
        if span:
            spans.append((TaggedSpan(entity, span[0], span[1], float(fields[entity.lower()].get("confidence", 0))), None))
    figures = [s for s, _ in spans if s.entity.startswith("COL=")]
    rows_needed = {k.rsplit(".", 1)[0] for k, c in doc["cells"].items()
                   if not k.startswith("t4.") and c.get("value") is not None and c.get("span")}
    for row, (start, end) in row_label_spans(text, template, other_form).items():
        if row in rows_needed and not any(f.start < end and start < f.end for f in figures):
            spans.append((TaggedSpan(f"ROW={row}", start, end, 1.0), None))
    missing_rows = sorted(rows_needed - {s.entity[4:] for s, _ in spans if s.entity.startswith("ROW=")})
    if missing_rows:
        notes.append("row labels not found (label them before their figures): " + ", ".join(missing_rows))
    keys = {id(s): k for s, k in spans}
    kept = acceptable_spans(text, sorted((s for s, _ in spans), key=lambda s: (s.start, s.end)), agency, year)
    dropped = [keys[id(s)] for s, _ in spans if keys[id(s)] and all(s is not k for k in kept)]
    if dropped:
        notes.append("readings not shown (not a printed figure): " + ", ".join(dropped))
    result = []
    for i, s in enumerate(kept):
        key = keys[id(s)]
        item = {"id": f"r{i}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels", "origin": "prediction",
                "value": {"start": s.start, "end": s.end, "text": text[s.start:s.end], "labels": [s.entity]},
                "score": round(s.score, 4)}
        if key in why:
            item["meta"] = {"text": [f"CHECK {key}: {why[key]}"]}
        result.append(item)
    return {"model_version": model_version, "score": queue_score(doc), "result": result}, notes


def queue_score(doc: dict) -> float:
    """Low when many cells are in review and they are unsure: the data manager sorts by it."""
    cells = doc.get("cells") or {}
    keys = [k for k in (item["cell"] for item in review_items(doc)) if k in cells]
    if not keys:
        return 1.0
    mean = sum(float(cells[k].get("confidence", 0)) for k in keys) / len(keys)
    return round(mean * (1 - len(keys) / max(len(cells), 1)), 4)


def review_text(doc: dict, notes: list[str]) -> str:
    """What the task says above the report: which cells to check, where they are printed, and why."""
    items = review_items(doc)
    lines = [f"Check these {len(items)} cells (riskiest first); the other labels are the extraction's reading "
             "and need no look unless a check shows them wrong:"]
    for n, item in enumerate(items, 1):
        cell = doc["cells"].get(item["cell"], {})
        if cell.get("span"):
            read = f"read {cell.get('text')!r} at {cell.get('span')}"
        else:
            read = "nothing read" if cell.get("value") is None else f"{cell['value']!r}, printed nowhere (label it)"
        lines.append(f"{n}. {item['cell']} ({_where(item['cell'], doc['template'], doc['other_form'])}): "
                     f"{read}; {item['why'] or 'flagged'}")
    lines += [f"Note: {note}" for note in notes]
    return "\n".join(lines)


def review_tasks(lines: list[tuple[int, dict]], path: Path, model_version: str) -> list[dict]:
    """Label Studio tasks for the flagged documents (text, what to check, the reading to correct)."""
    tasks = []
    for n, doc in lines:
        text = text_of(doc, path, n)
        prediction, notes = review_prediction(doc, text, model_version)
        extraction = {k: v for k, v in doc.items() if k != "text"}
        data = {"text": text, "doc_id": doc["doc_id"], "source": doc.get("source"), "template": doc["template"],
                "other_form": doc["other_form"], "review": review_text(doc, notes), "results_line": f"{path}:{n}",
                "extraction": extraction}
        tasks.append({"data": data, "predictions": [prediction]})
    return tasks


def review_version(lines: list[tuple[int, dict]]) -> str:
    """The predictions' model version: the engine that read them (one project version for every
    batch, so the data manager sorts all of them by score)."""
    engines = sorted({doc.get("engine") or "?" for _, doc in lines})
    return f"review:{'+'.join(engines)}"


# --- a corrected task -> a result document ------------------------------------------------------

def corrected_document(task: dict, annotation: dict, spans: list[LabelledSpan]) -> dict:
    """The task's document as the person corrected it: each cell's value and span from the
    annotation, status ``reviewed``, relations checked again; raises GaimlError when the task has
    no extraction (it was not pushed from a results file) or the result breaks the output schema."""
    data = task["data"]
    original = data.get("extraction")
    if not isinstance(original, dict):
        raise GaimlError(f"task {task.get('id')} ({data.get('doc_id')}): not a review task (no extraction in its data)")
    text = data["text"]
    template = template_of(spans, original.get("template"))
    other_form = other_form_of(spans, original.get("other_form"))
    warnings: list[str] = []
    tagged = [TaggedSpan(s.entity, s.start, s.end, 1.0) for s in spans]
    decoded = spans_to_cells(text, tagged, template, other_form, warnings)
    review = {item["cell"] for item in review_items(original)}
    cells = {}
    for key, c in decoded.items():
        cell = {"value": c.value, "span": None if c.start is None else [c.start, c.end], "text": c.text,
                "confidence": 1.0, "engine": PERSON}
        was = (original.get("cells") or {}).get(key)
        if was is not None and (was.get("value"), was.get("span")) != (cell["value"], cell["span"]):
            cell["note"] = CHANGED_NOTE.format(was=f"{was.get('value')!r} at {was.get('span')}")
        elif key in review:
            cell["note"] = CHECKED_NOTE
        elif c.start is None:
            cell["note"] = "no figure labelled: blank"
        cells[key] = cell
    values = {k: c["value"] for k, c in cells.items()}
    validation = check_relations(values, template, other_form).to_json()
    # a person confirmed the printed figures: a relation they break is the report's own arithmetic
    validation["source_inconsistent"] = [b["relation"] for b in validation["broken"]]
    fields = dict(original.get("fields") or {})
    doc = {**original, "engine": PERSON, "template": template, "other_form": other_form, "cells": cells,
           "status": REVIEWED, "review": [], "repairs": [], "validation": validation, "warnings": warnings}
    for name, entity in (("agency", AGENCY), ("year", YEAR)):
        first = next((s for s in spans if s.entity == entity), None)
        if first is None:
            continue
        printed = text[first.start:first.end]
        value = int(printed) if name == "year" and printed.isdigit() else printed
        doc[name] = value
        fields[name] = {"value": value, "span": [first.start, first.end], "confidence": 1.0, "text": printed}
    fields["template"] = {"value": template, "span": None, "confidence": 1.0}
    fields["other_form"] = {"value": other_form, "span": None, "confidence": 1.0}
    doc["fields"] = fields
    doc["text"] = text
    try:
        check_output(doc)
    except GaimlError as exc:
        raise GaimlError(f"task {task.get('id')} ({data.get('doc_id')}): the corrected document is malformed: {exc}") from exc
    return doc


def corrected_documents(taken: list[tuple]) -> tuple[list[dict], list[str]]:
    """Result documents for the review tasks among the annotations a pull took, and problems."""
    docs, problems = [], []
    for task, annotation, spans in taken:
        if not isinstance((task.get("data") or {}).get("extraction"), dict):
            continue  # a task pushed from a selection: training example only
        try:
            docs.append(corrected_document(task, annotation, spans))
        except GaimlError as exc:
            problems.append(str(exc))
    return docs, problems

