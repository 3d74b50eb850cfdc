"""Where a report's tables are, found cheaply, so the model need not read the prose around them.

Real reports average about 6,000 characters, most of it prose; the model costs per character and
the rules find tables by their printed labels. So the table regions are the stretches around the
schema's distinctive labels (row labels, column headers, table headings: found in the compact
text, so wrapped and spaced labels count) and around runs of densely packed figures (a table
whose labels OCR mangled), joined when close and widened by generous margins, plus the title and
the signature (agency, year: active learning's pre-annotations). Nothing found: the whole text.
The model uses these as a reading mask only: what lies inside a region is read exactly as in the
whole text.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

from . import schema
from .text import CompactText, canonical_label, fold

MIN_ANCHOR = 4  # shorter labels (规章, 总计, 其他) occur in prose too often to place a table
JOIN = 200  # hits closer than this (in ink, below) are one stretch; prose mentions further apart are not chained
TABLE_ANCHORS = 3  # fewer distinct labels (no heading, no run of figures): prose naming them
DENSE_FIGURES = 6  # this many figures in a row with no CJK between them: a table's cells
MARGIN = 300  # ink characters of context kept before and after each table stretch
HEAD = TAIL = 150  # the title (agency and year) and the signature (agency and date)
_FIGURE = re.compile(r"\d+(?:\.\d+)?|[/—]")  # a figure or a printed blank
# Not ink: distances are counted without them, since a drawn or padded table spreads a row over
# hundreds of spaces and rules.
_NO_INK = frozenset(" \t\r\n\u3000|+-=_:") | frozenset(chr(c) for c in range(0x2500, 0x2580))
_CJK = re.compile(r"[\u3400-\u9fff]")


@cache
def anchors() -> tuple[str, ...]:
    """Compact forms of every label that marks a table, for both templates and forms."""
    labels: list[str] = [*schema.T2_HEADINGS, *schema.T3_HEADINGS, *schema.T4_HEADINGS,
                         *schema.SPLIT_FORM_MARKERS]
    for markers in schema.TEMPLATE_MARKERS.values():
        labels += markers
    for template in schema.TEMPLATES:
        for other_form in schema.OTHER_FORMS:
            for table in schema.tables(template, other_form):
                for row in table.rows:
                    labels += row.anchors
                    labels += [c.label for c in row.columns]
    compact = {canonical_label(label) for label in labels}
    return tuple(sorted(a for a in compact if len(a) >= MIN_ANCHOR))


@cache
def _headings() -> frozenset[str]:
    return frozenset(canonical_label(h) for h in (*schema.T2_HEADINGS, *schema.T3_HEADINGS, *schema.T4_HEADINGS))


@cache
def _anchor_pattern() -> re.Pattern:
    return re.compile("|".join(re.escape(a) for a in sorted(anchors(), key=len, reverse=True)))


def _label_hits(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of every table label, found in the compact text (wraps and spaces ignored)."""
    compact = CompactText.of(text)
    return [(*compact.span(m.start(), m.end()), m.group()) for m in _anchor_pattern().finditer(compact.chars)]


def _figure_runs(folded: str) -> list[tuple[int, int]]:
    """[start, end) of every run of ``DENSE_FIGURES`` or more figures with no CJK between them:
    table cells, not prose (a date or a count in a sentence has 年, 件, 条 around it)."""
    runs, run = [], []
    for m in _FIGURE.finditer(folded):
        if run and _CJK.search(folded, run[-1][1], m.start()):
            if len(run) >= DENSE_FIGURES:
                runs.append((run[0][0], run[-1][1]))
            run = []
        run.append(m.span())
    if len(run) >= DENSE_FIGURES:
        runs.append((run[0][0], run[-1][1]))
    return runs


def _ink(text: str) -> np.ndarray:
    """ink[i]: how many ink characters come before offset i (length len(text) + 1)."""
    return np.concatenate([[0], np.cumsum([ch not in _NO_INK for ch in text])])


def _stretches(hits: list[tuple[int, int, str | None]], ink: np.ndarray) -> list[tuple[int, int]]:
    """Hits joined while closer than ``JOIN``; a stretch is kept when it holds a run of figures
    (label None), a table's heading (表四 in OCR'd text may have nothing else readable) or
    ``TABLE_ANCHORS`` distinct labels."""
    out, group = [], []

    def close():
        kept = _trimmed(group)
        labels = {label for _, _, label in kept}
        if None in labels or labels & _headings() or len(labels) >= TABLE_ANCHORS:
            out.append((kept[0][0], max(end for _, end, _ in kept)))

    for hit in sorted(hits, key=lambda h: h[0]):
        if group and ink[hit[0]] - ink[max(end for _, end, _ in group)] > JOIN:
            close()
            group = []
        group.append(hit)
    if group:
        close()
    return out


def _trimmed(group: list) -> list:
    """``group`` without the labels at either end that it holds again further in: prose that keeps
    naming a label (规范性文件 in every paragraph) next to a table is not part of it."""
    while len(group) > 1 and group[-1][2] is not None and any(h[2] == group[-1][2] for h in group[:-1]):
        group = group[:-1]
    while len(group) > 1 and group[0][2] is not None and any(h[2] == group[0][2] for h in group[1:]):
        group = group[1:]
    return group


def table_regions(text: str) -> list[tuple[int, int]]:
    """Sorted, disjoint [start, end) stretches of ``text`` that hold its tables and title, margins
    included; ``[(0, len(text))]`` when no table is found."""
    n = len(text)
    hits = _label_hits(text) + [(a, b, None) for a, b in _figure_runs(fold(text))]
    ink = _ink(text)
    tables = _stretches(hits, ink)
    if not tables:
        return [(0, n)] if n else []
    # MARGIN ink characters on each side: the first offset with that much ink before a or after b
    widened = [(int(np.searchsorted(ink, ink[a] - MARGIN)), int(np.searchsorted(ink, ink[b] + MARGIN)))
               for a, b in tables]
    spans = [(0, min(n, HEAD)), (max(0, n - TAIL), n)] + [(a, min(n, b)) for a, b in widened]
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if a >= b:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]
