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
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
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
# Bits of a bigram's position packed under its key to sort both at once (``_BigramIndex``); the
# compact view's characters (CJK, letters) are below U+10000, so a key takes 37 of the other 40.
_POSITION_BITS = 24


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


# Not frozen, as ``layouts.Item``: a report makes dozens; never changed once made.
@dataclass(slots=True, unsafe_hash=True)
class Occurrence:
    anchor: int  # index into the anchor list
    start: int  # original text offsets [start, end)
    end: int
    cstart: int  # compact offsets
    cend: int
    score: float  # 0..1 similarity


def find_occurrences(compact: CompactText, pattern: str, index: _BigramIndex) -> list[tuple[int, int, float]]:
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
    taken = [s for s, _, _ in found]  # ascending: starts near these are no new place
    half = m // 2
    for start in index.starts(pattern):
        k = bisect.bisect_left(taken, start - half)
        if k < len(taken) and taken[k] <= start + half:
            continue
        lo = max(0, start - 2)
        window = chars[lo : start + m + 2]
        hit = _alignment(pattern, window)
        if hit is None or hit[0] < _min_score(m):
            continue
        score, cstart, cend = hit[0], lo + hit[1], lo + hit[2]
        if found and cstart < found[-1][1] and found[-1][2] >= score / 100:
            continue  # overlaps a better hit
        found = [f for f in found if not (cstart < f[1] and f[0] < cend)]
        found.append((cstart, cend, score / 100))
        bisect.insort(taken, cstart)
    return sorted(found)


@lru_cache(maxsize=16384)
def _alignment(pattern: str, window: str) -> tuple[float, int, int] | None:
    """rapidfuzz's best partial alignment (score, start, end in ``window``), cached: the same
    labels and the words around them recur in report after report."""
    hit = fuzz.partial_ratio_alignment(pattern, window)
    return None if hit is None else (hit.score, hit.dest_start, hit.dest_end)


def _need(m: int) -> int:
    """How many bigrams of a pattern of ``m`` characters must vote for a start to try it there."""
    return max(1 if m < TETHER_BELOW else 2, int(0.35 * (m - 1)))


def _min_score(m: int) -> float:
    return MIN_SCORE_SHORT if m < TETHER_BELOW else MIN_SCORE


class _BigramIndex:
    """The compact text's bigrams sorted (text order kept among equal ones), and the votes of
    the anchors' patterns counted over them for all patterns at once (``count_votes``): a few
    array operations per report instead of a pass per pattern."""

    def __init__(self, chars: str):
        self.code = np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        code = self.code.astype(np.uint64)
        keys = (code[:-1] << np.uint64(21)) | code[1:]  # one number per bigram: code points fit in 21 bits
        if len(keys) < 1 << _POSITION_BITS and (not len(keys) or int(keys.max()) < 1 << (64 - _POSITION_BITS)):
            # Each key with its position in the low bits, sorted as plain numbers: the stable
            # order of the keys, five times faster than a stable argsort.
            both = (keys << np.uint64(_POSITION_BITS)) | np.arange(len(keys), dtype=np.uint64)
            both.sort()
            self.order = (both & np.uint64((1 << _POSITION_BITS) - 1)).astype(np.int64)
            self.sorted = (both >> np.uint64(_POSITION_BITS)).astype(np.int64)
        else:
            self.order = np.argsort(keys, kind="stable")
            self.sorted = keys[self.order].astype(np.int64)
        self.counted: dict[str, list[int]] = {}

    def starts(self, pattern: str) -> list[int]:
        """Ascending starts to align ``pattern`` at (``count_votes``)."""
        if pattern not in self.counted:
            self.count_votes([pattern])
        return self.counted[pattern]

    def count_votes(self, patterns: list[str]) -> None:
        """The starts worth aligning each of these patterns (two characters or more) at, for all
        in one go: starts that ``_need`` of its bigrams vote for (a bigram at pattern offset j
        found at p votes for p - j) and whose window can reach the pattern's score (``_in_reach``)."""
        todo = tuple(dict.fromkeys(p for p in patterns if p not in self.counted))
        if not todo:
            return
        table = _pattern_table(todo)
        owner, offset, keys = table.owner, table.offset, table.keys
        lo, hi = self.sorted.searchsorted(keys, "left"), self.sorted.searchsorted(keys, "right")
        sizes = hi - lo
        # Each bigram's run of places, laid end to end: run r's i-th place is order[lo[r] + i].
        pick = np.repeat(lo - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
        base = int(offset.max())  # starts run from -base: shifted to count from 0
        span = len(self.sorted) + base + 1
        code = np.repeat(owner, sizes) * span + (self.order[pick] - np.repeat(offset, sizes) + base)
        voted, votes = np.unique(code, return_counts=True)  # by pattern, then by start
        which, starts = voted // span, voted % span - base
        keep = votes >= table.need[which]
        which, starts = which[keep], starts[keep]
        keep = self._in_reach(table, which, starts)
        which, starts = which[keep], starts[keep]
        bounds = np.searchsorted(which, np.arange(len(todo) + 1))
        for k, pattern in enumerate(todo):
            self.counted[pattern] = starts[bounds[k]:bounds[k + 1]].tolist()

    def _in_reach(self, table: _Patterns, which: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Whether the window ``find_occurrences`` aligns pattern ``which`` in at ``start`` can
        score ``_min_score``: most starts voted for are the pattern's common words in prose
        ("政府信息公开"), and an alignment, even cached, costs more than this bound on all at once.

        rapidfuzz scores ratio(a, b) = 200 * LCS / (|a| + |b|), ``b`` a part of the longer string no
        longer than ``a``. LCS is at most I, the window's characters that occur in the pattern
        (counted at most m times), so the score is at most 200 * I / (min(m, w) + I)."""
        if table.bits is None or not len(starts):
            return np.ones(len(starts), dtype=bool)
        n = len(self.code)
        m = table.length[which]
        lo, hi = np.maximum(starts - 2, 0), np.minimum(starts + m + 2, n)
        width = int((hi - lo).max())
        # Per character of the text, the patterns holding it (a bit each); each window's row.
        held = np.concatenate([table.bits[np.minimum(self.code, _BMP - 1)], np.zeros(width, dtype=np.uint64)])
        rows = np.lib.stride_tricks.sliding_window_view(held, width)[lo]
        inside = np.arange(width) < (hi - lo)[:, None]
        seen = (((rows >> which.astype(np.uint64)[:, None]) & np.uint64(1)).astype(bool) & inside).sum(axis=1)
        shared = np.minimum(seen, m)
        return 200 * shared >= table.min_score[which] * (np.minimum(m, hi - lo) + shared)


_BMP = 0x10000  # the compact view's characters (CJK, letters) are all below


@dataclass(frozen=True, eq=False)
class _Patterns:
    """The patterns of a template, as ``_BigramIndex`` counts and bounds them."""

    owner: np.ndarray  # per bigram of every pattern: the pattern's index,
    offset: np.ndarray  # the bigram's offset in it,
    keys: np.ndarray  # its key (as ``_BigramIndex`` numbers bigrams)
    length: np.ndarray  # per pattern: its characters,
    need: np.ndarray  # ``_need``,
    min_score: np.ndarray  # ``_min_score``
    bits: np.ndarray | None  # per code point: bit k set when pattern k holds it (None: over 64 patterns)


@lru_cache(maxsize=64)
def _pattern_table(patterns: tuple[str, ...]) -> _Patterns:
    """The same for every report of a template: cached."""
    owner, offset, keys = [], [], []
    for k, pattern in enumerate(patterns):
        for j in range(len(pattern) - 1):
            owner.append(k)
            offset.append(j)
            keys.append(ord(pattern[j]) << 21 | ord(pattern[j + 1]))
    bits = None
    # U+FFFF stands for every character from it up (``_in_reach``): no pattern may hold one.
    if len(patterns) <= 64 and all(ord(ch) < _BMP - 1 for pattern in patterns for ch in pattern):
        bits = np.zeros(_BMP, dtype=np.uint64)
        for k, pattern in enumerate(patterns):
            for ch in set(pattern):
                bits[ord(ch)] |= np.uint64(1 << k)
    return _Patterns(np.array(owner, dtype=np.int64), np.array(offset, dtype=np.int64), np.array(keys, dtype=np.int64),
                     np.array([len(p) for p in patterns], dtype=np.int64), np.array([_need(len(p)) for p in patterns], dtype=np.int64),
                     np.array([_min_score(len(p)) for p in patterns]), bits)


def bigram_index(compact: CompactText) -> _BigramIndex:
    """Where the compact text's bigrams stand, for the patterns' votes (``count_votes``)."""
    return _BigramIndex(compact.chars)


def locate(text: str, compact: CompactText, anchors: list[Anchor]) -> list[Occurrence]:
    """Every occurrence of every anchor, sorted by position."""
    index = bigram_index(compact)
    patterns = [canonical_label(p) for anchor in anchors for p in anchor.patterns]
    index.count_votes([p for p in patterns if len(p) >= EXACT_BELOW])  # those that go fuzzy
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
        tree, size = self.tree, len(self.tree)
        k += 1
        while k < size:
            held = tree[k]
            if held is None or value > held:
                tree[k] = value
            k += k & -k

    def query(self, k: int):
        tree, top = self.tree, None
        while k > 0:
            held = tree[k]
            if held is not None and (top is None or held > top):
                top = held
            k -= k & -k
        return top


def _gain(anchor: Anchor, occ: Occurrence, figure_starts: list[int]) -> float:
    gain = anchor.weight * occ.score
    if anchor.kind == ROW:
        k = bisect.bisect_left(figure_starts, occ.start)
        if k < len(figure_starts) and figure_starts[k] - occ.end < 80:
            gain += 0.5
    return gain
