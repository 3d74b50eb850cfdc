"""Predictions vs gold, per cell, table, document and input style. Null and 0 differ."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from .errors import GaimlError, InputError
from .output import review_cells
from .pipeline import ExtractSettings, Pipeline
from .values import values_equal

INPUT_SUFFIXES = (".txt", ".pdf")


@dataclass
class DocScore:
    doc_id: str
    style: str
    cells: int = 0
    correct: int = 0
    nonzero: int = 0
    nonzero_correct: int = 0
    template_ok: bool = False
    year_ok: bool = False
    agency_ok: bool = False
    by_table: dict[str, list[int]] = field(default_factory=dict)  # table -> [correct, total]
    wrong: list[dict] = field(default_factory=list)
    error: str | None = None
    # BIO tags over the table region, entity = cell key, for span-level scores (gold with spans)
    span_tags: tuple[list[str], list[str]] | None = None
    confident: dict[str, list[int]] = field(default_factory=dict)  # threshold -> [right, total]
    repairs: list[int] = field(default_factory=lambda: [0, 0])  # repaired cells: [right, total]
    status: str | None = None
    in_review: int = 0  # gold cells the result sends to review
    silent: int = 0  # wrong cells outside review: what a reader of the output would take as right

    @property
    def exact(self) -> bool:
        return self.error is None and self.correct == self.cells


def agency_matches(gold: str | None, got: str | None) -> bool:
    """SPEC: right when, whitespace removed, one name contains the other."""
    if not gold or not got:
        return gold == got
    a, b = "".join(gold.split()), "".join(got.split())
    return a in b or b in a


def score_document(gold: dict, result: dict | None, style: str, error: str | None = None) -> DocScore:
    """Score one output document (as JSON) against its gold file."""
    score = DocScore(gold["doc_id"], style, error=error)
    got_cells = (result or {}).get("cells", {})
    review = set(review_cells(result or {}))
    for key, want in gold["cells"].items():
        score.in_review += key in review
        got = got_cells.get(key, {}).get("value") if key in got_cells else None
        ok = key in got_cells and values_equal(want, got)
        table = key.split(".")[0]
        tally = score.by_table.setdefault(table, [0, 0])
        tally[1] += 1
        score.cells += 1
        if want not in (None, 0):
            score.nonzero += 1
            score.nonzero_correct += ok
        if ok:
            score.correct += 1
            tally[0] += 1
        else:
            score.wrong.append({"key": key, "gold": want, "got": got if key in got_cells else "missing"})
            score.silent += result is not None and key not in review
    _score_confidence(score, gold, got_cells)
    score.status = (result or {}).get("status")
    if "spans" in gold and result:
        score.span_tags = _span_tags(gold["spans"], got_cells)
    if result:
        score.template_ok = result.get("template") == gold["template"]
        score.year_ok = result.get("year") == gold["year"]
        score.agency_ok = agency_matches(gold.get("agency"), result.get("agency"))
    return score


CONFIDENCE_LEVELS = (0.5, 0.9, 0.99)


def _score_confidence(score: DocScore, gold: dict, got_cells: dict) -> None:
    """How often cells at each confidence level, and repaired cells, are right."""
    for key, want in gold["cells"].items():
        cell = got_cells.get(key)
        if cell is None:
            continue
        ok = values_equal(want, cell.get("value"))
        for level in CONFIDENCE_LEVELS:
            if cell.get("confidence", 0) >= level:
                tally = score.confident.setdefault(str(level), [0, 0])
                tally[0] += ok
                tally[1] += 1
        if cell.get("engine") == "repaired":
            score.repairs[0] += ok
            score.repairs[1] += 1


def _span_tags(gold_spans: list[dict], got_cells: dict) -> tuple[list[str], list[str]]:
    """Gold and predicted cell spans as BIO tag sequences over the region they cover.

    Blank cells have no gold span, so a predicted span over whitespace is left out too.
    """
    gold = [(s["key"], s["start"], s["end"]) for s in gold_spans if s["kind"] == "cell" and s["end"] > s["start"]]
    got = [(k, c["span"][0], c["span"][1]) for k, c in got_cells.items()
           if c.get("span") and c["span"][1] > c["span"][0] and (c.get("text") or "").strip()]
    if not gold and not got:
        return [], []
    lo = min(s for _, s, _ in gold + got)
    hi = max(e for _, _, e in gold + got)
    sequences = []
    for spans in (gold, got):
        tags = ["O"] * (hi - lo)
        for key, start, end in sorted(spans, key=lambda t: t[1]):
            tags[start - lo] = f"B-{key}"
            for i in range(start - lo + 1, end - lo):
                tags[i] = f"I-{key}"
        sequences.append(tags)
    return sequences[0], sequences[1]


def find_input(inputs: Path, doc_id: str) -> Path | None:
    for suffix in INPUT_SUFFIXES:
        candidate = inputs / f"{doc_id}{suffix}"
        if candidate.exists():
            return candidate
    return None


def evaluate(gold_dir: str | Path, inputs_dir: str | Path, settings: ExtractSettings = ExtractSettings(),
             ocr_inputs: str | None = None, progress: bool = False) -> dict:
    """Extract every input that has a gold file and score it; inputs whose file name matches the
    glob ``ocr_inputs`` are extracted as OCR output. ``progress``: say on standard error what
    engine loads and how long it took, then show a progress bar with rate and ETA.

    Returns a dict with ``documents`` (one score each), ``overall`` and ``by_style`` summaries.
    A gold file may carry ``"style"`` (generated benchmark data); seeds count as style "real".

    >>> report = evaluate("../shared/seeds/gold", "../shared/seeds/raw")  # doctest: +SKIP
    >>> report["overall"]["cell_accuracy"]  # doctest: +SKIP
    1.0
    """
    gold_dir, inputs_dir = Path(gold_dir), Path(inputs_dir)
    for folder, what in ((gold_dir, "gold"), (inputs_dir, "inputs")):
        if not folder.is_dir():
            raise InputError(str(folder), f"the {what} folder does not exist")
    gold_files = sorted(gold_dir.glob("*.json"))
    if not gold_files:
        raise InputError(str(gold_dir), "no gold .json files in this folder")
    import sys
    import time

    from tqdm import tqdm

    from .batch import describe_engine

    from .threads import apply, plan

    threads = plan(1)  # one process: torch gets every core (gaiml/threads.py)
    apply(threads.threads)
    if progress:
        print(f"loading the {describe_engine(settings)} ({threads.describe()}) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    pipeline = Pipeline.load(settings)
    if progress:
        print(f"engine loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    scores = []
    bar = tqdm(gold_files, unit="doc", file=sys.stderr, disable=not progress, dynamic_ncols=True,
               mininterval=0.1 if sys.stderr.isatty() else 5.0, smoothing=0.05, desc="eval")
    for gold_file in bar:
        try:
            gold = json.loads(gold_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(str(gold_file), f"unreadable gold file ({exc})") from exc
        style = gold.get("style", "real")
        source = find_input(inputs_dir, gold["doc_id"])
        if source is None:
            scores.append(score_document(gold, None, style, error=f"no input file for {gold['doc_id']}"))
            continue
        try:
            declared = True if ocr_inputs and fnmatch(source.name, ocr_inputs) else None  # None: the settings'
            result = pipeline.extract(source, ocr=declared).to_json()
            scores.append(score_document(gold, result, style))
        except GaimlError as exc:
            scores.append(score_document(gold, None, style, error=str(exc)))
    by_style = defaultdict(list)
    for s in scores:
        by_style[s.style].append(s)
    return {
        "engine": settings.engine,
        "overall": summarise(scores),
        "by_style": {style: summarise(group) for style, group in sorted(by_style.items())},
        "documents": [_doc_json(s) for s in scores],
    }


def summarise(scores: list[DocScore]) -> dict:
    cells = sum(s.cells for s in scores)
    correct = sum(s.correct for s in scores)
    nonzero = sum(s.nonzero for s in scores)
    nonzero_correct = sum(s.nonzero_correct for s in scores)
    tables: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for s in scores:
        for table, (ok, total) in s.by_table.items():
            tables[table][0] += ok
            tables[table][1] += total
    n = len(scores)
    confident: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for s in scores:
        for level, (ok, total) in s.confident.items():
            confident[level][0] += ok
            confident[level][1] += total
    repaired = [sum(s.repairs[0] for s in scores), sum(s.repairs[1] for s in scores)]
    verified = [s for s in scores if s.status == "verified"]
    wrong = sum(len(s.wrong) for s in scores if s.error is None)
    silent = sum(s.silent for s in scores)
    return {
        # what the review list costs a person, and what it lets through
        "review_burden": _ratio(sum(s.in_review for s in scores), cells),
        "wrong_caught_by_review": _ratio(wrong - silent, wrong),
        "silent_wrong_cells": silent,
        **_span_scores(scores),
        # among cells at least this confident, the share right (calibration)
        "right_at_confidence": {lvl: {"cells": t, "right": _ratio(ok, t)} for lvl, (ok, t) in sorted(confident.items())},
        "repairs": {"cells": repaired[1], "right": _ratio(*repaired)},
        "verified_documents": len(verified),
        "verified_with_wrong_cells": sum(1 for s in verified if not s.exact),
        "documents": n,
        "failed": sum(1 for s in scores if s.error),
        "cells": cells,
        "correct": correct,
        "cell_accuracy": _ratio(correct, cells),
        "nonzero_cells": nonzero,
        "nonzero_accuracy": _ratio(nonzero_correct, nonzero),
        "exact_documents": sum(s.exact for s in scores),
        "exact_document_rate": _ratio(sum(s.exact for s in scores), n),
        "table_accuracy": {t: _ratio(ok, total) for t, (ok, total) in sorted(tables.items())},
        "template_accuracy": _ratio(sum(s.template_ok for s in scores), n),
        "year_accuracy": _ratio(sum(s.year_ok for s in scores), n),
        "agency_accuracy": _ratio(sum(s.agency_ok for s in scores), n),
    }


def _span_scores(scores: list[DocScore]) -> dict:
    """seqeval's strict span precision, recall and F1 over the cell spans, when gold has spans."""
    pairs = [s.span_tags for s in scores if s.span_tags is not None]
    if not pairs:
        return {}
    from seqeval.metrics import f1_score, precision_score, recall_score

    gold = [g for g, _ in pairs]
    got = [p for _, p in pairs]
    return {"span_precision": round(precision_score(gold, got), 6), "span_recall": round(recall_score(gold, got), 6),
            "span_f1": round(f1_score(gold, got), 6)}


def _doc_json(s: DocScore) -> dict:
    return {"doc_id": s.doc_id, "style": s.style, "cells": s.cells, "correct": s.correct,
            "cell_accuracy": _ratio(s.correct, s.cells), "nonzero_accuracy": _ratio(s.nonzero_correct, s.nonzero),
            "template_ok": s.template_ok, "year_ok": s.year_ok, "agency_ok": s.agency_ok,
            "status": s.status, "error": s.error, "in_review": s.in_review, "silent_wrong": s.silent,
            "wrong": s.wrong}


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None
