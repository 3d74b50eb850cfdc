"""Rank unlabelled reports by what a label would teach, spread over templates and layouts.

Three signals, each in [0, 1], summed into a document's score:

- **uncertainty**: the model's margin (top probability minus runner-up) per character, as
  ``1 - margin`` averaged over the table region (the span from the first to the last cell the
  engines read; prose outside it teaches little);
- **broken relations**: relations of SPEC.md still broken after the ``auto`` reconciliation and not
  explained as the report's own arithmetic (``min(1, n / 3)``);
- **disagreement**: the share of cells where the rules and the model read different values.

Diversity: documents are bucketed by (template, layout signature) and taken round-robin, the
best bucket first, so a selection of 20 is not 20 copies of the layout the model finds hardest.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..auto import AutoExtractor
from ..document import Reading
from ..errors import GaimlError
from ..frame import Frame
from ..readers import read_document
from ..rules import RuleExtractor
from ..values import values_equal
from ..verify import check_relations

UNSURE_MARGIN = 0.5  # a character whose top two tags are closer than this counts as unsure
BROKEN_SATURATES = 3
MIN_ROWS_FOUND = 4  # as the pipeline: fewer table rows and the text is not such a report


@dataclass
class Candidate:
    """One pool document with its signals, score and the reasons in words."""

    doc_id: str
    path: str
    template: str
    layout: str
    uncertainty: float = 0.0
    unsure_chars: int = 0
    broken: list[str] = field(default_factory=list)
    disagree: list[str] = field(default_factory=list)
    cells: int = 0
    model: bool = False

    @property
    def score(self) -> float:
        broken = min(1.0, len(self.broken) / BROKEN_SATURATES)
        disagree = len(self.disagree) / self.cells if self.cells else 0.0
        return round(self.uncertainty + broken + disagree, 4)

    def reasons(self) -> list[str]:
        out = []
        if self.model:
            out.append(f"model uncertainty {self.uncertainty:.3f} over the tables "
                       f"({self.unsure_chars} characters with margin < {UNSURE_MARGIN})")
        else:
            out.append("no model: ranked by broken relations only")
        if self.broken:
            out.append(f"{len(self.broken)} relation(s) broken after reconciliation: " + "; ".join(self.broken[:3]))
        if self.disagree:
            out.append(f"{len(self.disagree)}/{self.cells} cells differ between rules and model: "
                       + ", ".join(self.disagree[:5]))
        return out

    def to_json(self, rank: int) -> dict:
        record = asdict(self)
        return {"rank": rank, "doc_id": self.doc_id, "path": self.path, "score": self.score,
                "bucket": f"{self.template}/{self.layout}", "reasons": self.reasons(),
                "signals": {k: record[k] for k in ("uncertainty", "unsure_chars", "broken", "disagree", "cells")},
                "template": self.template, "layout": self.layout}


def layout_signature(region: str) -> str:
    """How the tables are laid out, from the separators of their text (tabs, pipes, box rules...)."""
    lines = [ln for ln in region.splitlines() if ln.strip()] or [""]
    n = len(lines)
    if re.search(r"\|\s*:?-{3,}", region):
        return "markdown"
    if sum(ch in "│┃├┼┤┌┐└┘─━" for ch in region) > n:
        return "box"
    if region.count("|") > n:
        return "pipes"
    if region.count("\t") > n:
        return "tabs"
    if len(re.findall(r"\S {2,}\S", region)) > n:
        return "spaces"
    one_token = sum(len(ln.split()) <= 1 for ln in lines)
    return "cell_lines" if one_token > 0.6 * n else "other"


def table_region(text: str, readings: list[Reading]) -> tuple[int, int]:
    """From the first to the last character of a cell any engine read (the whole text if none)."""
    starts = [c.start for r in readings for c in r.cells.values() if c.start is not None]
    ends = [c.end for r in readings for c in r.cells.values() if c.end is not None]
    return (min(starts), max(ends)) if starts else (0, len(text))


def score_document(path: Path, text: str, auto: AutoExtractor) -> Candidate | None:
    """The candidate record of one report, or None when it is not such a report: scored through
    the ``auto`` engine, whose reading runs the model once."""
    both = auto.read_both(Frame.of(text))
    by_rules, by_model, decision = both.by_rules, both.by_model, both.decision
    if max(by_rules.found_rows, by_model.found_rows if by_model else 0) < MIN_ROWS_FOUND:
        return None
    template, form = by_rules.template.value, by_rules.other_form.value
    readings = [by_rules] + ([by_model] if by_model else [])
    lo, hi = table_region(text, readings)
    cand = Candidate(path.stem, str(path), template, layout_signature(text[lo:hi]), cells=len(by_rules.cells))
    validation = check_relations({k: c.value for k, c in decision.cells.items()}, template, form)
    cand.broken = [b.relation for b in validation.broken if b.relation not in decision.inconsistent]
    if by_model is not None:
        cand.model = True
        prediction = both.prediction
        margins = [s - r for s, r in zip(prediction.scores[lo:hi], prediction.runner_up[lo:hi])]
        cand.uncertainty = round(sum(1 - m for m in margins) / len(margins), 4) if margins else 0.0
        cand.unsure_chars = sum(m < UNSURE_MARGIN for m in margins)
        cand.disagree = [k for k, c in by_rules.cells.items()
                         if k in by_model.cells and not values_equal(c.value, by_model.cells[k].value)]
    return cand


def diverse_order(candidates: list[Candidate], k: int) -> list[Candidate]:
    """Round-robin over (template, layout) buckets, each bucket best first, the best bucket first."""
    buckets: dict[tuple, list[Candidate]] = defaultdict(list)
    for c in sorted(candidates, key=lambda c: (-c.score, c.doc_id)):
        buckets[(c.template, c.layout)].append(c)
    queues = sorted(buckets.values(), key=lambda q: (-q[0].score, q[0].doc_id))
    out: list[Candidate] = []
    while len(out) < k and any(queues):
        for q in queues:
            if q and len(out) < k:
                out.append(q.pop(0))
    return out


def pool_files(pool: Path) -> list[Path]:
    if not pool.is_dir():
        raise GaimlError(f"{pool}: the pool folder does not exist")
    return sorted(p for p in pool.rglob("*.txt") if p.is_file())


def _skip(bar, on_skip, path: Path, why: str) -> None:
    """Report a skipped file through ``on_skip``, above the progress bar when one is drawn."""
    if bar.disable:
        on_skip(path, why)
    else:
        with bar.external_write_mode():
            on_skip(path, why)


def select(pool: str | Path, k: int, model=None, exclude: set[str] = frozenset(),
           on_skip=lambda path, why: None, progress: bool = False) -> tuple[list[dict], Counter]:
    """The ``k`` reports of ``pool`` (.txt files) most worth labelling, as selection records.

    ``model`` is a loaded ``ModelExtractor`` (None: rules only); ``exclude`` holds doc ids already
    labelled or sent. Returns the records (rank, doc_id, path, score, bucket, reasons, signals)
    and a count of the pool's buckets. ``progress``: a progress bar with rate and ETA on standard error.
    """
    import sys

    from tqdm import tqdm

    from ..threads import apply, plan

    apply(plan(1).threads)  # one process scoring: torch gets every core, never more (gaiml/threads.py)
    auto = AutoExtractor(RuleExtractor(), model)
    candidates = []
    bar = tqdm(pool_files(Path(pool)), unit="doc", desc="scoring", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, mininterval=0.1 if sys.stderr.isatty() else 5.0)
    for path in bar:
        if path.stem in exclude:
            continue
        try:
            text = read_document(path).text
        except GaimlError as exc:
            _skip(bar, on_skip, path, str(exc))
            continue
        cand = score_document(path, text, auto)
        if cand is None:
            _skip(bar, on_skip, path, "not a government information-disclosure annual report")
            continue
        candidates.append(cand)
    chosen = diverse_order(candidates, k)
    buckets = Counter(f"{c.template}/{c.layout}" for c in candidates)
    return [c.to_json(rank) for rank, c in enumerate(chosen, 1)], buckets
