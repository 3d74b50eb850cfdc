"""Figures from the tag probabilities: re-cut where the tags slip, each with its column odds.

Per-character argmax tags slip inside numbers: "706" comes out B-X B-X I-X ("7" and "06"), "274"
as B-X I-X B-Y ("27" and "4"), and the cut pieces then fill, or crowd out, the wrong cells. A run
of characters the model tags as figures is therefore re-segmented as a whole: every way of cutting
it into figures is scored by the probabilities of its tags (B- on a figure's first character, I-
on the rest), and a cut costs ``CUT_PRIOR``, because two figures printed with nothing between them
happen only where OCR fuses cells. Two neighbours in a run never share a column: one column's
figures stand in different rows, with a row label between them.

Every figure also carries how likely each column is (the mass of its B- and I- tags, averaged
over its characters), so that the cells can be decided a whole row at a time (decode.py).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .tags import TaggedSpan

# How likely a run of figure characters holds one more figure than it seems to. Chosen on the
# development split (data/dev_split), not the benchmark.
CUT_PRIOR = 0.05
_FLOOR = 1e-9


class FigureReader:
    """Figures for one tag set (the COL= entities' B- and I- tag columns)."""

    def __init__(self, labels: list[str], cut_prior: float = CUT_PRIOR):
        self.entities = [t[2:] for t in labels if t.startswith("B-COL=")]
        self._entity_set = set(self.entities)
        index = {t: i for i, t in enumerate(labels)}
        self.b_columns = np.array([index[f"B-{e}"] for e in self.entities])
        self.i_columns = np.array([index[f"I-{e}"] for e in self.entities])
        self.figure_tags = {f"{p}-{e}" for e in self.entities for p in "BI"}
        self.cut_cost = math.log(cut_prior)

    def read(self, spans: list[TaggedSpan], tags: list[str], probs: np.ndarray, delimited: bool = False) -> list[TaggedSpan]:
        """``spans`` with every run of consecutive figure-tagged characters cut afresh where its
        tags disagree, and every figure given its column odds. In ``delimited`` text (cells between
        pipes) nothing fuses cells, so each run is one figure, whatever its tags."""
        runs = [(a, b) for a, b in _runs([t in self.figure_tags for t in tags]) if not _one_figure(tags[a:b])]
        in_run = {i for a, b in runs for i in range(a, b)}
        kept = [s for s in spans if not (s.start in in_run and s.entity in self._entity_set)]
        for a, b in runs:
            kept.extend([self._whole(a, probs[a:b])] if delimited else self._cut(a, probs[a:b]))
        return [self._with_columns(s, probs) if s.entity in self._entity_set else s
                for s in sorted(kept, key=lambda s: s.start)]

    def _with_columns(self, span: TaggedSpan, probs: np.ndarray) -> TaggedSpan:
        chars = probs[span.start:span.end]
        mass = (chars[:, self.b_columns] + chars[:, self.i_columns]).mean(axis=0)
        return replace(span, columns=dict(zip(self.entities, mass.tolist())))

    def _whole(self, offset: int, probs: np.ndarray) -> TaggedSpan:
        """One run as one figure, of the column its tags favour over all its characters."""
        mass = (probs[:, self.b_columns] + probs[:, self.i_columns]).sum(axis=0)
        k = int(np.argmax(mass))
        chosen = [probs[0, self.b_columns[k]]] + list(probs[1:, self.i_columns[k]])
        return TaggedSpan(self.entities[k], offset, offset + len(probs), float(np.mean(chosen)))

    def _cut(self, offset: int, probs: np.ndarray) -> list[TaggedSpan]:
        """Best segmentation of one run (rows of ``probs`` are its characters) by dynamic programming
        over (end, column of the last figure)."""
        n = len(probs)
        log_b = np.log(np.maximum(probs[:, self.b_columns], _FLOOR))
        log_i = np.log(np.maximum(probs[:, self.i_columns], _FLOOR))
        inside = np.vstack([np.zeros(len(self.entities)), np.cumsum(log_i, axis=0)])  # prefix sums
        best = np.full((n + 1, len(self.entities)), -np.inf)
        back: dict[tuple[int, int], tuple[int, int]] = {}
        for end in range(1, n + 1):
            for start in range(end):
                piece = log_b[start] + inside[end] - inside[start + 1]  # one figure per column
                if start == 0:
                    score, prev = piece, np.full(len(self.entities), -1)
                else:
                    before = best[start]
                    first, second = np.argsort(before)[::-1][:2]
                    prev = np.where(np.arange(len(self.entities)) == first, second, first)
                    score = piece + before[prev] + self.cut_cost
                better = score > best[end]
                best[end] = np.where(better, score, best[end])
                for k in np.flatnonzero(better):
                    back[(end, int(k))] = (start, int(prev[k]))
        spans, end, k = [], n, int(np.argmax(best[n]))
        while end > 0:
            start, prev = back[(end, k)]
            chosen = [probs[start, self.b_columns[k]]] + list(probs[start + 1:end, self.i_columns[k]])
            spans.append(TaggedSpan(self.entities[k], offset + start, offset + end, float(np.mean(chosen))))
            end, k = start, prev
        return spans[::-1]


def _one_figure(tags: list[str]) -> bool:
    """B-X then I-X to the end: already one figure, nothing to decide."""
    return tags[0].startswith("B-") and all(t == "I-" + tags[0][2:] for t in tags[1:])


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """[start, end) of every run of True longer than one (a lone character needs no cutting)."""
    runs, start = [], None
    for i, flag in enumerate(flags + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > 1:
                runs.append((start, i))
            start = None
    return runs
