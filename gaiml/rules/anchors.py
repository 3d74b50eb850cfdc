"""Find the printed row labels and table headings of a report, tolerant of noise.

Labels are matched in the compact view of the text (CJK and letters only, look-alikes folded),
so "三、本 年度办 理结果", a label wrapped over three lines or "1．本机关不掌握相关政府信息" all
match their anchor. Every label may also occur in prose ("未收到政府信息公开申请"), so the
occurrences are not taken one by one: ``chain`` picks one occurrence per anchor such that the
anchors stand in template order, preferring table rows that have figures right after them.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter, defaultdict, deque
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..text import CompactText, canonical_label

# Anchors this short must match exactly: a fuzzy "总计" would match half the report.
EXACT_BELOW = 4
MIN_SCORE = 78.0
# Four characters with one misread ("其他处埋") score 75; such anchors are tethered anyway.
MIN_SCORE_SHORT = 74.0
TETHER_BELOW = 5  # anchors shorter than this are tethered to their neighbours
TETHER = 3  # how many anchors back a tethered anchor's predecessor may be
TETHER_CHARS = 200  # and how many label characters before it
ROW, HEADING, END = "row", "heading", "end"


@dataclass(frozen=True)
class Anchor:
    """Something to find, in template order: a row label, a table heading or the end of tables."""

    name: str  # "t3.granted", "t3.heading", "end"
    kind: str
    patterns: tuple[str, ...]
    weight: float = 1.0
    # Short labels ("总计", "其他") also head columns: such a row counts only right after one
    # of its few predecessors in the template, unless it opens its table.
    tethered: bool = False


@dataclass(frozen=True)
class Occurrence:
    anchor: int  # index into the anchor list
    start: int  # original text offsets [start, end)
    end: int
    cstart: int  # compact offsets
    cend: int
    score: float  # 0..1 similarity


def find_occurrences(compact: CompactText, pattern: str, index: dict[str, list[int]]) -> list[tuple[int, int, float]]:
    """Compact [start, end) and similarity of every place the canonical ``pattern`` stands."""
    chars = compact.chars
    m = len(pattern)
    found = []
    pos = chars.find(pattern)
    while pos >= 0:
        found.append((pos, pos + m, 1.0))
        pos = chars.find(pattern, pos + 1)
    if m < EXACT_BELOW:
        return found
    # Fuzzy: bigrams of the pattern vote for where it would start, the best starts are scored.
    votes: Counter[int] = Counter()
    for j in range(m - 1):
        for p in index.get(pattern[j : j + 2], ()):
            votes[p - j] += 1
    exact_starts = {s for s, _, _ in found}
    need = max(1 if m < TETHER_BELOW else 2, int(0.35 * (m - 1)))
    for start in sorted(s for s, v in votes.items() if v >= need):
        if any(abs(start - s) <= m // 2 for s in exact_starts):
            continue
        lo = max(0, start - 2)
        window = chars[lo : start + m + 2]
        hit = fuzz.partial_ratio_alignment(pattern, window)
        if hit is None or hit.score < (MIN_SCORE_SHORT if m < TETHER_BELOW else MIN_SCORE):
            continue
        cstart, cend = lo + hit.dest_start, lo + hit.dest_end
        if found and cstart < found[-1][1] and found[-1][2] >= hit.score / 100:
            continue  # overlaps a better hit
        found = [f for f in found if not (cstart < f[1] and f[0] < cend)]
        found.append((cstart, cend, hit.score / 100))
        exact_starts.add(cstart)
    return sorted(found)


def bigram_index(compact: CompactText) -> dict[str, list[int]]:
    index: dict[str, list[int]] = defaultdict(list)
    chars = compact.chars
    for i in range(len(chars) - 1):
        index[chars[i : i + 2]].append(i)
    return index


def locate(text: str, compact: CompactText, anchors: list[Anchor]) -> list[Occurrence]:
    """Every occurrence of every anchor, sorted by position."""
    index = bigram_index(compact)
    out = []
    for i, anchor in enumerate(anchors):
        seen: set[tuple[int, int]] = set()
        for pattern in anchor.patterns:
            for cstart, cend, score in find_occurrences(compact, canonical_label(pattern), index):
                if (cstart, cend) in seen:
                    continue
                seen.add((cstart, cend))
                start, end = compact.span(cstart, cend)
                out.append(Occurrence(i, start, end, cstart, cend, score))
    out.sort(key=lambda o: (o.start, o.anchor))
    return out


def chain(anchors: list[Anchor], occurrences: list[Occurrence], figure_starts: list[int]) -> dict[str, Occurrence]:
    """At most one occurrence per anchor, in anchor order and text order, of greatest total weight.

    A row occurrence counts more when a figure follows it closely (table rows carry figures,
    prose mentions of the same words rarely do); among equal chains the most compact wins.

    Linear in the occurrences (times log of the anchors): a predecessor is released once the text
    passes its end, into a prefix maximum over anchor order; a tethered anchor looks only at the
    released occurrences of its few predecessor anchors within TETHER_CHARS.
    """
    n = len(occurrences)
    if not n:
        return {}
    gain = [_gain(anchors[o.anchor], o, figure_starts) for o in occurrences]
    best = [0.0] * n
    back = [-1] * n
    prefix = _PrefixMax(len(anchors))
    recent: dict[int, deque[int]] = defaultdict(deque)  # released occurrences of each anchor, by end
    pending: list[tuple[int, int]] = []  # (end, index) of occurrences not yet released
    for i, occ in enumerate(occurrences):
        while pending and pending[0][0] <= occ.start:
            _, j = heapq.heappop(pending)
            prev = occurrences[j]
            # best[j] - 1e-7 * (start - end_j) is largest where best[j] + 1e-7 * end_j is
            prefix.update(prev.anchor, (best[j] + 1e-7 * prev.end, -j))
            recent[prev.anchor].append(j)
        best[i], back[i] = gain[i], -1
        anchor = anchors[occ.anchor]
        if anchor.tethered:
            best[i] = float("-inf")
            for a in range(max(0, occ.anchor - TETHER), occ.anchor):
                queue = recent.get(a)
                if not queue:
                    continue
                while queue and not occ.cstart - occurrences[queue[0]].cend < TETHER_CHARS:
                    queue.popleft()  # too far back for this and every later occurrence
                for j in queue:
                    prev = occurrences[j]
                    cand = best[j] + gain[i] - 1e-7 * (occ.start - prev.end)
                    if cand > best[i] or (cand == best[i] and back[i] > j >= 0):
                        best[i], back[i] = cand, j
        else:
            top = prefix.query(occ.anchor)  # anchors before this one
            if top is not None:
                j = -top[1]
                # A tiny cost per character skipped prefers tight chains over spread-out ones.
                cand = best[j] + gain[i] - 1e-7 * (occ.start - occurrences[j].end)
                if cand > best[i]:
                    best[i], back[i] = cand, j
        heapq.heappush(pending, (occ.end, i))
    i = max(range(n), key=best.__getitem__)
    if best[i] == float("-inf"):
        return {}
    picked = {}
    while i >= 0:
        picked[anchors[occurrences[i].anchor].name] = occurrences[i]
        i = back[i]
    return picked


class _PrefixMax:
    """Fenwick tree of maxima: ``update(k, v)``, ``query(k)`` = the largest v at positions < k."""

    def __init__(self, size: int):
        self.tree: list = [None] * (size + 1)

    def update(self, k: int, value) -> None:
        k += 1
        while k < len(self.tree):
            if self.tree[k] is None or value > self.tree[k]:
                self.tree[k] = value
            k += k & -k

    def query(self, k: int):
        top = None
        while k > 0:
            if self.tree[k] is not None and (top is None or self.tree[k] > top):
                top = self.tree[k]
            k -= k & -k
        return top


def _gain(anchor: Anchor, occ: Occurrence, figure_starts: list[int]) -> float:
    gain = anchor.weight * occ.score
    if anchor.kind == ROW:
        k = bisect.bisect_left(figure_starts, occ.start)
        if k < len(figure_starts) and figure_starts[k] - occ.end < 80:
            gain += 0.5
    return gain
