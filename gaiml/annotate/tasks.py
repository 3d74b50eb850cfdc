"""Extraction <-> Label Studio task, prediction and annotation JSON, with every span checked.

Label Studio stores whatever it is sent (unknown labels, offsets past the text, a span text that
is not the text at those offsets), so every span that crosses the boundary is checked here:
``text[start:end] == value["text"]`` and the label is one of the model's entities.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from .. import schema
from ..model.decode import spans_to_cells
from ..model.tags import AGENCY, YEAR, TaggedSpan, entity_types, tags_to_spans
from ..text import fold
from ..values import FIGURE_PATTERN
from .label_config import FROM_NAME, TO_NAME

YEAR_TEXT = re.compile(r"(19|20)\d\d")  # the year a report covers, as printed (folded)


class SpanError(ValueError):
    """A span of a Label Studio result that does not fit its task's text or label set."""


@dataclass
class LabelledSpan:
    """One labelled region: an entity over text[start:end]."""

    entity: str
    start: int
    end: int
    score: float | None = None

    @property
    def triple(self) -> tuple[str, int, int]:
        return self.entity, self.start, self.end


# --- model -> Label Studio ----------------------------------------------------------------

def spans_to_result(text: str, spans: list[TaggedSpan], prefix: str = "p") -> list[dict]:
    """Label Studio result items (labels over the text) for the model's tagged spans."""
    return [{"id": f"{prefix}{i}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
             "origin": "prediction",
             "value": {"start": s.start, "end": s.end, "text": text[s.start:s.end], "labels": [s.entity]},
             "score": round(s.score, 4)}
            for i, s in enumerate(spans)]


def acceptable_spans(text: str, spans: list[TaggedSpan], agency: tuple[int, int] | None = None,
                     year: tuple[int, int] | None = None) -> list[TaggedSpan]:
    """The spans a person would accept as pre-annotations; the model's noise is dropped, so a
    person does not spend the task deleting it.

    An AGENCY span must be the document's agency field (``agency``: its span) or the same name
    printed again; a YEAR span a printed four-digit year (never "021"); a figure a whole printed figure;
    a row label at least two characters with one that is no digit.
    """
    name = text[agency[0]:agency[1]] if agency else None
    folded = fold(text)  # same length and offsets as the text
    kept = []
    for s in spans:
        piece = text[s.start:s.end]
        if s.entity == AGENCY:
            ok = name is not None and len(name) >= 2 and ((s.start, s.end) == tuple(agency) or piece == name)
        elif s.entity == YEAR:
            ok = YEAR_TEXT.fullmatch(fold(piece)) is not None and (
                year is None or fold(piece) == fold(text[year[0]:year[1]]))
        elif s.entity.startswith("COL="):  # a whole printed figure: no blank, no digit glued on either side
            match = FIGURE_PATTERN.match(folded, s.start)
            ok = match is not None and match.end() == s.end
        else:
            ok = len(piece.strip()) >= 2 and any(not ch.isdigit() and not ch.isspace() for ch in piece)
        if ok:
            kept.append(s)
    return kept


def prediction_of(text: str, tags: list[str], scores: list[float], model_version: str,
                  agency: tuple[int, int] | None = None, year: tuple[int, int] | None = None) -> dict:
    """A Label Studio prediction from per-character tags, noise dropped (``acceptable_spans``);
    its score is the mean span score, which Label Studio sorts the queue by."""
    spans = acceptable_spans(text, tags_to_spans(tags, scores), agency, year)
    result = spans_to_result(text, spans)
    score = sum(s.score for s in spans) / len(spans) if spans else 0.0
    return {"model_version": model_version, "score": round(score, 4), "result": result}


def task_of(doc_id: str, text: str, prediction: dict | None, meta: dict | None = None) -> dict:
    """A task to import: the text (what the labels index), the doc id and what we knew of it."""
    task = {"data": {"text": text, "doc_id": doc_id, **(meta or {})}}
    if prediction is not None:
        task["predictions"] = [prediction]
    return task


# --- Label Studio -> spans, checked ---------------------------------------------------------

def result_to_spans(text: str, result: list[dict]) -> list[LabelledSpan]:
    """The labelled spans of a result, each checked against the text; raises SpanError."""
    known = set(entity_types())
    spans = []
    if not isinstance(result, list):
        raise SpanError(f"result is {type(result).__name__}, not a list of regions")
    for item in result:
        if not isinstance(item, dict):
            raise SpanError(f"region {item!r:.60}: not an object")
        value = item.get("value") or {}
        if not isinstance(value, dict):
            raise SpanError(f"region {item.get('id')!r}: value is not an object")
        if item.get("type") != "labels" or item.get("from_name") != FROM_NAME:
            if "start" in value or "end" in value or item.get("type") == "labels":
                # a span under a control the label config does not have: it would be lost
                raise SpanError(f"region {item.get('id')!r}: a span under {item.get('type')!r} control "
                                f"{item.get('from_name')!r}, which the label config does not have "
                                f"(expected labels {FROM_NAME!r})")
            continue  # relations or other controls: not spans
        start, end, labels = value.get("start"), value.get("end"), value.get("labels") or []
        where = f"region {item.get('id')!r} [{start}, {end})"
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise SpanError(f"{where}: offsets outside a text of {len(text)} characters")
        if text[start:end] != value.get("text"):
            raise SpanError(f"{where}: says {value.get('text')!r} but the text there is {text[start:end]!r}")
        if len(labels) != 1 or labels[0] not in known:
            raise SpanError(f"{where}: labels {labels} are not one entity of the label set")
        spans.append(LabelledSpan(labels[0], start, end, item.get("score")))
    spans.sort(key=lambda s: (s.start, s.end))
    for before, after in zip(spans, spans[1:]):
        if after.start < before.end:  # one character under two labels: which one is meant?
            raise SpanError(f"regions [{before.start}, {before.end}) {before.entity} and [{after.start}, "
                            f"{after.end}) {after.entity} overlap; a character takes one label")
    return spans


def trim(text: str, span: LabelledSpan) -> LabelledSpan | None:
    """The span without the blanks a hand selection takes at its ends; None if only blanks."""
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return LabelledSpan(span.entity, start, end, span.score) if end > start else None


# --- annotated spans -> training example ------------------------------------------------------

@cache
def _template_columns() -> dict[str, frozenset[str]]:
    """表二 column entities that only one template prints (本年制发件数 vs 本年新制作数量, ...)."""
    cols = {t: {f"COL=t2.{c.key}" for table in schema.tables(t, "single") if table.key == "t2"
                for row in table.rows for c in row.columns} for t in schema.TEMPLATES}
    return {t: frozenset(cols[t] - set().union(*(cols[o] for o in cols if o != t))) for t in cols}


def template_of(spans: list[LabelledSpan], default: str | None) -> str:
    """The template the labels imply (表二's columns), else ``default``, else the newer one."""
    entities = {s.entity for s in spans}
    votes = {t: len(entities & only) for t, only in _template_columns().items()}
    best = max(votes, key=votes.get)
    if votes[best] and list(votes.values()).count(votes[best]) == 1:
        return best
    return default if default in schema.TEMPLATES else schema.TEMPLATES[-1]


def other_form_of(spans: list[LabelledSpan], default: str | None) -> str:
    """"split" when a 其他处理 sub-row is labelled, "single" for the one row, else ``default``."""
    entities = {s.entity for s in spans}
    if entities & {"ROW=t3.other_no_correction", "ROW=t3.other_no_fee", "ROW=t3.other_misc"}:
        return "split"
    if "ROW=t3.other" in entities:
        return "single"
    return default if default in schema.OTHER_FORMS else "split"


def training_spans(spans: list[LabelledSpan]) -> list[dict]:
    """Spans in the training format; a figure's cell key is its column plus the row label before it.

    The entity is kept too: a 表二/表三 figure with no row label before it has no cell key
    (``key`` None), and training tags by entity anyway.
    """
    out, current_row = [], {}
    for s in sorted(spans, key=lambda s: s.start):
        kind, _, name = s.entity.partition("=")
        if kind == "ROW":
            table, row = name.split(".")
            current_row[table] = row
            record = ("row", name)
        elif kind == "COL":
            parts = name.split(".")
            if parts[0] == "t4":
                key = name
            else:
                key = f"{parts[0]}.{current_row[parts[0]]}.{parts[1]}" if parts[0] in current_row else None
            record = ("cell", key)
        else:
            record = {AGENCY: ("agency", "agency"), YEAR: ("year", "year")}[s.entity]
        out.append({"start": s.start, "end": s.end, "kind": record[0], "key": record[1],
                    "entity": s.entity, "ocr_misread": False})
    return out


def gold_cells(text: str, spans: list[LabelledSpan], template: str, other_form: str) -> tuple[dict, list[str]]:
    """Cell values decoded from the annotated spans as the model engine decodes its own tags."""
    warnings: list[str] = []
    tagged = [TaggedSpan(s.entity, s.start, s.end, 1.0) for s in spans]
    cells = spans_to_cells(text, tagged, template, other_form, warnings)
    return {k: c.value for k, c in cells.items()}, warnings


# --- what the annotators changed --------------------------------------------------------------

@dataclass
class Changes:
    """Annotation against prediction, span by span."""

    kept: int = 0
    added: list[tuple] = field(default_factory=list)
    removed: list[tuple] = field(default_factory=list)
    relabelled: list[tuple] = field(default_factory=list)  # (start, end, predicted, annotated)
    moved: list[tuple] = field(default_factory=list)  # (entity, predicted start/end, annotated start/end)

    def counts(self) -> dict[str, int]:
        return {"kept": self.kept, "added": len(self.added), "removed": len(self.removed),
                "relabelled": len(self.relabelled), "moved": len(self.moved)}

    def to_json(self) -> dict:
        return {**self.counts(), "details": {
            "added": [list(t) for t in self.added], "removed": [list(t) for t in self.removed],
            "relabelled": [list(t) for t in self.relabelled], "moved": [list(t) for t in self.moved]}}


def compare_spans(predicted: list[LabelledSpan], annotated: list[LabelledSpan]) -> Changes:
    """Kept (same entity, same place), relabelled (same place, other entity), moved (same entity,
    overlapping place), then what is left: removed (prediction only) and added (annotation only)."""
    changes = Changes()
    pred = {s.triple for s in predicted}
    ann = {s.triple for s in annotated}
    same = pred & ann
    changes.kept = len(same)
    pred, ann = sorted(pred - same, key=lambda t: t[1]), sorted(ann - same, key=lambda t: t[1])
    for a in list(ann):
        p = next((p for p in pred if (p[1], p[2]) == (a[1], a[2])), None)
        if p:
            changes.relabelled.append((a[1], a[2], p[0], a[0]))
            pred.remove(p)
            ann.remove(a)
    for a in list(ann):
        p = next((p for p in pred if p[0] == a[0] and p[1] < a[2] and a[1] < p[2]), None)
        if p:
            changes.moved.append((a[0], [p[1], p[2]], [a[1], a[2]]))
            pred.remove(p)
            ann.remove(a)
    changes.removed = [(e, s, t) for e, s, t in pred]
    changes.added = [(e, s, t) for e, s, t in ann]
    return changes


# --- a whole export ---------------------------------------------------------------------------

def _field(obj, name, default=None):
    """Exports give dicts; the SDK gives objects for predictions."""
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def latest_annotation(task: dict) -> dict | None:
    """The task's most recent annotation that was not cancelled (skipped)."""
    done = [a for a in task.get("annotations") or [] if not _field(a, "was_cancelled")]
    return max(done, key=lambda a: (str(_field(a, "updated_at") or ""), _field(a, "id") or 0), default=None)


def prediction_for(task: dict, model_version: str | None) -> dict | None:
    """The prediction of ``model_version`` (the project's), else the task's last one."""
    preds = [p for p in task.get("predictions") or [] if not isinstance(p, int)]
    chosen = [p for p in preds if model_version and _field(p, "model_version") == model_version]
    return (chosen or preds or [None])[-1]


def annotator_of(annotation) -> object:
    """Who submitted an annotation (the export gives a user id, sometimes a user object)."""
    who = _field(annotation, "completed_by")
    return who.get("id") if isinstance(who, dict) else who


def annotations_by_annotator(task: dict) -> list[dict]:
    """Each annotator's latest annotation that was not cancelled (skipped), by annotation id."""
    latest: dict = {}
    for a in task.get("annotations") or []:
        if _field(a, "was_cancelled"):
            continue
        who = annotator_of(a)
        order = (str(_field(a, "updated_at") or ""), _field(a, "id") or 0)
        if who not in latest or order > latest[who][0]:
            latest[who] = (order, a)
    return sorted((a for _, a in latest.values()), key=lambda a: _field(a, "id") or 0)


def annotated_spans(task: dict, annotation: dict) -> tuple[str, list[LabelledSpan]]:
    """The task's text and an annotation's spans, checked against it and trimmed; raises SpanError."""
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise SpanError(f"task {task.get('id')}: no text in its data; left out")
    text = data["text"]
    try:
        annotated = result_to_spans(text, _field(annotation, "result") or [])
    except SpanError as exc:
        raise SpanError(f"task {task.get('id')} ({data.get('doc_id')}), annotation {_field(annotation, 'id')}: {exc}") from exc
    return text, [t for t in (trim(text, s) for s in annotated) if t is not None]


def task_to_example(task: dict, model_version: str | None = None, annotation: dict | None = None) -> dict | None:
    """One annotated task -> a training example with its gold cells and the changes made.

    ``annotation``: which one (default: the latest). Returns None for a task nobody annotated;
    raises SpanError when a span does not check out (the whole task is then left out: a
    half-trusted annotation would teach "O" where a label was).
    """
    annotation = annotation if annotation is not None else latest_annotation(task)
    if annotation is None:
        return None
    text, annotated = annotated_spans(task, annotation)
    data = task["data"]
    prediction = prediction_for(task, model_version)
    predicted = []
    if prediction is not None:
        try:
            predicted = result_to_spans(text, _field(prediction, "result") or [])
        except SpanError:
            predicted = []  # a prediction that does not fit: everything annotated counts as added
    template = template_of(annotated, data.get("template"))
    other_form = other_form_of(annotated, data.get("other_form"))
    cells, warnings = gold_cells(text, annotated, template, other_form)
    return {
        "doc_id": data.get("doc_id") or f"task-{task.get('id')}",
        "task_id": task.get("id"),
        "annotation_id": _field(annotation, "id"),
        "annotator": annotator_of(annotation),
        "model_version": _field(prediction, "model_version") if prediction is not None else None,
        "source": data.get("source"),
        "template": template,
        "other_form": other_form,
        "text": text,
        "spans": training_spans(annotated),
        "cells": cells,
        "warnings": warnings,
        "changes": compare_spans(predicted, annotated).to_json(),
    }


# --- two or more annotators on one task --------------------------------------------------------

def cell_readings(text: str, spans: list[LabelledSpan], template: str, other_form: str) -> dict[str, tuple]:
    """What an annotation says of each cell and field: (value, span), as the model engine decodes."""
    tagged = [TaggedSpan(s.entity, s.start, s.end, 1.0) for s in spans]
    cells = spans_to_cells(text, tagged, template, other_form, [])
    out = {k: (c.value, None if c.start is None else [c.start, c.end]) for k, c in cells.items()}
    for name, entity in (("agency", AGENCY), ("year", YEAR)):
        first = next((s for s in spans if s.entity == entity), None)
        out[name] = (text[first.start:first.end], [first.start, first.end]) if first else (None, None)
    return out


def agreement_of(task: dict, annotations: list[dict], spans: list[list[LabelledSpan]]) -> dict:
    """How far the annotators of one task agree: per cell (same value and span from all), and
    whether their labels are the same; what training takes from the task and why.

    Label Studio Community has no review API (label-studio-sdk 2.1.2's ``annotation_reviews`` is
    Enterprise only), so a disagreement is settled only by an annotation a manager marked as ground
    truth (the star in the data manager); otherwise the task is not trained on.
    """
    data = task["data"]
    text = data["text"]
    template = template_of(spans[0], data.get("template"))
    other_form = other_form_of(spans[0], data.get("other_form"))
    readings = [cell_readings(text, s, template, other_form) for s in spans]
    who = [annotator_of(a) for a in annotations]
    keys = list(dict.fromkeys(k for r in readings for k in r))
    differ = []
    for key in keys:
        seen = [r.get(key, (None, None)) for r in readings]
        if any(x != seen[0] for x in seen[1:]):
            differ.append({"cell": key, "readings": [{"annotator": w, "value": v, "span": sp}
                                                     for w, (v, sp) in zip(who, seen)]})
    same_labels = all({t.triple for t in s} == {t.triple for t in spans[0]} for s in spans[1:])
    truth = [i for i, a in enumerate(annotations) if _field(a, "ground_truth")]
    if same_labels:
        trained, settled = 0, "the annotators agree on every label"
    elif len(truth) == 1:
        trained, settled = truth[0], f"annotation {_field(annotations[truth[0]], 'id')} is marked ground truth"
    else:
        trained, settled = None, "the annotators differ and no annotation is marked ground truth: not trained on"
    return {"task_id": task.get("id"), "doc_id": data.get("doc_id"), "annotators": who,
            "annotation_ids": [_field(a, "id") for a in annotations], "cells": len(keys),
            "agreed": len(keys) - len(differ), "share": round((len(keys) - len(differ)) / len(keys), 4) if keys else 1.0,
            "differ": differ, "same_labels": same_labels, "trained_on": None if trained is None else _field(annotations[trained], "id"),
            "settled": settled}


# --- a whole export ---------------------------------------------------------------------------

@dataclass
class RoundResult:
    """A pulled export: the training examples, the tasks left out (why), and for each task with
    two or more annotators their agreement."""

    examples: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    agreements: list[dict] = field(default_factory=list)
    # (task, annotation, checked spans) of every new annotation taken: what a review pull reads
    taken: list[tuple] = field(default_factory=list)


def export_to_round(export: list[dict], model_version: str | None = None,
                    seen: set | frozenset = frozenset()) -> RoundResult:
    """Every newly annotated task of an export -> examples, problems and agreements. ``seen``:
    annotation ids already pulled in an earlier round (a task whose annotations were all pulled
    is skipped). One annotator: their latest annotation. Several: only labels they agree on
    (``agreement_of``)."""
    out = RoundResult()
    for n, task in enumerate(export, 1):
        try:
            annotations = annotations_by_annotator(task)
            if not annotations or all(_field(a, "id") in seen for a in annotations):
                continue
            checked = [annotated_spans(task, a)[1] for a in annotations]
            chosen = 0
            if len(annotations) > 1:
                agreement = agreement_of(task, annotations, checked)
                out.agreements.append(agreement)
                if agreement["trained_on"] is None:
                    continue
                chosen = agreement["annotation_ids"].index(agreement["trained_on"])
            example = task_to_example(task, model_version, annotations[chosen])
            if len(annotations) > 1:
                example["annotation_ids"] = [_field(a, "id") for a in annotations]
                example["agreement"] = {k: agreement[k] for k in ("share", "agreed", "cells", "settled")}
        except SpanError as exc:
            out.problems.append(str(exc))
            continue
        except Exception as exc:  # a malformed task (no data, no text, odd types): left out, the rest kept
            task_id = task.get("id") if isinstance(task, dict) else None
            out.problems.append(f"task {task_id if task_id is not None else f'#{n} of the export'}: malformed "
                                f"({type(exc).__name__}: {exc}); left out")
            continue
        out.examples.append(example)
        out.taken.append((task, annotations[chosen], checked[chosen]))
    return out


def export_to_examples(export: list[dict], model_version: str | None = None,
                       seen: set | frozenset = frozenset()) -> tuple[list[dict], list[str]]:
    """Every newly annotated task of an export -> (examples, problems); see ``export_to_round``."""
    result = export_to_round(export, model_version, seen)
    return result.examples, result.problems


def summarise_changes(examples: list[dict]) -> dict:
    """Changes over a round: totals, and the entities most often added, removed or relabelled."""
    totals = Counter()
    by_entity = Counter()
    for ex in examples:
        c = ex["changes"]
        totals.update({k: c[k] for k in ("kept", "added", "removed", "relabelled", "moved")})
        by_entity.update(f"added {e}" for e, _, _ in c["details"]["added"])
        by_entity.update(f"removed {e}" for e, _, _ in c["details"]["removed"])
        by_entity.update(f"relabelled {p} -> {a}" for _, _, p, a in c["details"]["relabelled"])
    return {"documents": len(examples), **dict(totals), "most_common": by_entity.most_common(10)}
