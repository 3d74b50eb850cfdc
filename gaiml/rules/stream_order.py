"""Tables whose labels and figures a converter emitted apart (plain ``pdftotext`` of ruled tables).

Plain ``pdftotext`` (no -layout) of a Word/WPS/LibreOffice table follows the PDF's text flow, not
the rows: a block of row labels, then the figures one per line, a tall row's 总计 before its other
figures or after later rows, a merged cell's parent label after its sub-rows, page numbers in
between. Reading figures "between a label and the next anchor" then finds rows with no figures,
rows with two rows' figures, and shifted rows.

Here a table is read as a stream instead: every figure of the table's region, in text order, is
one cell, and the cells come in the template's row order with a few figures out of place. Which
figures are out of place is found by the table's arithmetic (row totals, column sums, the 表三
balance, 表四 totals): starting from the plain row-major reading, a figure is moved to another
place in the stream while a move mends relations (a beam search over moves, fewest moves first).
A reading is taken only when every reading that satisfies all relations with the fewest moves
gives the same values; cells where they differ go to review with a note. A table region with
more figures than cells drops bare page numbers (a figure alone on its line equal to its page's
number) and stray figures after the region, again as the arithmetic says. Every cell keeps the
exact span of the figure it was read from.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import numpy as np

from .. import schema
from ..document import BLANK_CELL_NOTE, CellReading
from ..values import parse_cell
from .layouts import FIG, NULL, Item, items_between

ENGINE = "rules"
NOTE = "read in stream order (labels and figures printed apart)"
AMBIGUOUS_NOTE = "stream order: the arithmetic allows other readings of this cell"
UNSOLVED_NOTE = "stream order: no reading satisfies the arithmetic"
CONFIDENCE = 0.95
DOUBTFUL = 0.5
# A region is read as a stream when at least this share of its figures stand alone on their line
# (or at the end of a label line), as plain pdftotext prints ruled tables.
LONE_SHARE = 0.8
MAX_DEPTH = 5
# Readings that need more moves than this are not taken without review (the development split
# needs at most 3).
SURE_MOVES = 3
BEAM = 8
MAX_DROPS = 3
# A page number stands at most this many lines before its page's end (the form feed).
PAGE_FOOT_LINES = 4
TOLERANCE = 1e-6


def reread(text: str, masked: str, picked: dict, cells: dict[str, CellReading], template: str,
           other_form: str, warnings: list[str]) -> list[str]:
    """Re-read 表三 and 表四 as figure streams where the row reading failed; returns the tables read."""
    done = []
    for table in schema.tables(template, other_form)[1:]:
        region = _region(table.key, picked, len(masked))
        if region is None:
            continue
        keys, own = _table_cells(tuple(cells), table.key, template, other_form)
        if not keys or not _needs_stream(keys, cells, own):
            continue
        end = picked.get("end")
        cut = end.start if table.key == "t4" and end is not None and end.start > region[0] else None
        tokens, droppable = _tokens(text, masked, *region, table.key == "t4", len(keys), cut)
        if tokens is None:
            continue
        prior = {k: (cells[k].start, cells[k].end) for k in keys if cells[k].start is not None and cells[k].confidence >= 0.9}
        result = solve_stream(text, tokens, droppable, keys, own, prior)
        if result is None:
            continue
        readings, note = result
        cells.update(readings)
        warnings.append(f"{table.key}: {note}")
        done.append(table.key)
    return done


def _region(table: str, picked: dict, size: int) -> tuple[int, int] | None:
    """From the table's heading to the next table's heading (表四: to the end of the text)."""
    head = picked.get(f"{table}.heading")
    if head is None:
        return None
    if table == "t3":
        nxt = picked.get("t4.heading") or picked.get("t4.block")
        if nxt is None or nxt.start <= head.end:
            return None
        return head.end, nxt.start
    return head.end, size


@lru_cache(maxsize=64)
def _table_cells(keys: tuple[str, ...], table: str, template: str, other_form: str) -> tuple[tuple[str, ...], tuple]:
    """The table's cells among ``keys`` and the relations among them alone: the same for every
    report of a template, so worked out once."""
    mine = tuple(k for k in keys if k.startswith(table + "."))
    key_set = set(mine)
    return mine, tuple(r for r in schema.relations(template, other_form) if set(r.keys) <= key_set)


def _needs_stream(keys: list[str], cells: dict[str, CellReading], relations) -> bool:
    """The row reading left cells unread or doubtful, or broke a relation."""
    values = {}
    for k in keys:
        cell = cells[k]
        if cell.value is None and cell.note not in (None, BLANK_CELL_NOTE) or cell.confidence < 0.9:
            return True
        values[k] = cell.value
    return any(r.broken(values) for r in relations)


_LINE_END_FIGURE = re.compile(r"[\u4e00-\u9fff、，）)\s]$")
_PROSE = re.compile(r"[\u4e00-\u9fff]{15,}")


def _tokens(text: str, masked: str, start: int, end: int, to_end: bool, n: int, cut: int | None = None):
    """The region's figures and null markers in text order, and the indices of those that may be
    no cell (bare page numbers; for 表四, figures after prose resumes). None when the region does
    not look like a figure stream."""
    items = [it for it in items_between(masked, start, end, False) if it.kind in (FIG, NULL)]
    lone = [_alone(masked, it) for it in items]
    if to_end:
        # 表四 runs to the text's end: keep figures up to the first prose line after its n-th
        # lone figure, then only lone figures (a trailing cell pdftotext put after the prose).
        if cut is None:
            cut = _prose_after(masked, items, lone, n)
        kept, tail = [], []
        for it, al in zip(items, lone):
            if cut is None or it.start < cut:
                kept.append(it)
            elif al and it.kind == FIG:
                tail.append(it)
        items = kept + tail
        extra = set(range(len(kept), len(items)))
    else:
        extra = set()
    if len(items) < n or not items:
        return None, None
    lone = [_alone(masked, it) for it in items]
    if sum(lone) < LONE_SHARE * len(items):
        return None, None
    droppable = {i for i, it in enumerate(items) if lone[i] and _page_number(text, it)} | extra
    if len(items) - n > min(MAX_DROPS, len(droppable)):
        return None, None
    return items, droppable


def _alone(masked: str, item: Item) -> bool:
    """The figure is the only figure on its line, at the line's end."""
    line_start = masked.rfind("\n", 0, item.start) + 1
    line_end = masked.find("\n", item.end)
    line_end = len(masked) if line_end < 0 else line_end
    before, after = masked[line_start:item.start], masked[item.end:line_end]
    if after.strip():
        return False
    return not before.strip() or bool(_LINE_END_FIGURE.search(before)) and not re.search(r"\d", before)


def _prose_after(masked: str, items: list[Item], lone: list[bool], n: int) -> int | None:
    if len(items) < n:
        return None
    pos = items[n - 1].end
    m = _PROSE.search(masked, pos)
    return m.start() if m else None


def _page_number(text: str, item: Item) -> bool:
    """A bare figure equal to the number of the page it stands on (pages split by form feeds)."""
    raw = text[item.start:item.end].strip()
    if not raw.isdigit():
        return False
    brk = text.find("\f", item.end)
    near = text[item.end: len(text) if brk < 0 else brk]
    if sum(1 for line in near.splitlines() if line.strip()) > PAGE_FOOT_LINES and not _isolated(text, item):
        return False
    return int(raw) == text.count("\f", 0, item.start) + 1


def _canonical(perm: np.ndarray, values: list, held: list) -> list[int]:
    """The same values cell by cell, where equal figures could stand in either cell: a cell keeps
    the figure the row reading gave it (``held``: a token index or None) when that figure has the
    value, the others take the remaining figures of their value in stream order."""
    want = [values[int(t)] for t in perm]
    out: list = [None] * len(perm)
    used = set()
    for c, h in enumerate(held):
        if h is not None and h not in used and values[h] == want[c]:
            out[c] = h
            used.add(h)
    queues: dict = {}
    for i, v in enumerate(values):
        if i not in used:
            queues.setdefault(v, []).append(i)
    for q in queues.values():
        q.reverse()
    for c in range(len(perm)):
        if out[c] is None:
            out[c] = queues[want[c]].pop()
    return out


def _isolated(text: str, item: Item) -> bool:
    """The lines next to the figure's line (blank lines skipped) carry no figure."""
    before = [ln for ln in text[:item.start].splitlines()[:-1] if ln.strip()][-1:]
    after = [ln for ln in text[item.end:].splitlines()[1:] if ln.strip()][:1]
    return all(not re.search(r"\d", ln) for ln in before + after)


def solve_stream(text: str, tokens: list[Item], droppable: set[int], keys: list[str], relations, prior=None):
    """Cells for ``keys`` (row-major) from the stream ``tokens``; None when nothing satisfies the
    arithmetic better than the row-major reading of a stream that needs no drop."""
    n = len(keys)
    raws = [text[t.start:t.end] for t in tokens]
    values = []
    for raw, t in zip(raws, tokens):
        try:
            v = parse_cell(raw, "count") if t.kind == FIG else None
        except ValueError:
            try:
                v = parse_cell(raw, "change")
            except ValueError:
                return None
        values.append(v)
    rels = _Relations(relations, keys)
    extra = len(tokens) - n
    best: tuple | None = None
    for drop in itertools.combinations(sorted(droppable), extra):
        kept = [i for i in range(len(tokens)) if i not in drop]
        vals = np.array([0.0 if values[i] is None else float(values[i]) for i in kept])
        nulls = np.array([values[i] is None for i in kept], dtype=float)
        found = _search(vals, nulls, rels)
        key = (found[0], found[1], len(drop))
        if best is None or key[:2] < best[0][:2]:
            best = (key, [found], kept)
        elif key[:2] == best[0][:2]:
            best[1].append(found)
            best = (best[0], best[1], best[2])
    if best is None:
        return None
    (broken, depth, _), founds, kept = best
    if broken and not extra:
        return None  # the author's arithmetic, or no stream: the row reading stands
    # every reading found with the fewest moves: their values per cell
    solutions = []
    for f in founds:
        solutions += f[2]
    at = {(tokens[i].start, tokens[i].end): j for j, i in enumerate(kept)}
    held = [at.get((prior or {}).get(k)) for k in keys]
    chosen_perm = _canonical(founds[0][2][0][1], [values[i] for i in kept], held)
    chosen_kept = kept
    readings = {}
    agree = [len({sol_vals[c] for sol_vals, _ in solutions}) == 1 for c in range(n)]
    for c, key in enumerate(keys):
        tok = tokens[chosen_kept[chosen_perm[c]]]
        raw = text[tok.start:tok.end]
        value = values[chosen_kept[chosen_perm[c]]]
        if broken:
            conf, note = DOUBTFUL, UNSOLVED_NOTE
        elif agree[c] and depth <= SURE_MOVES:
            conf, note = CONFIDENCE, NOTE if depth else None
        else:
            conf, note = DOUBTFUL, AMBIGUOUS_NOTE
        readings[key] = CellReading(value, tok.start, tok.end, raw, conf, ENGINE, note)
    moved = f"{depth} figure(s) out of row order" if depth else "in row order"
    how = "relations broken" if broken else ("ambiguous cells left open" if not all(agree) else "checked by the arithmetic")
    return readings, f"{NOTE}: {n} figures, {moved}; {how}"


class _Relations:
    """The relations as index lists over the cells, evaluated for many readings at once."""

    def __init__(self, relations, keys: list[str]):
        index = {k: i for i, k in enumerate(keys)}
        self.left = [np.array([index[k] for k in r.left]) for r in relations]
        self.right = [np.array([index[k] for k in r.right]) for r in relations]
        # row relations: their cells stand together in row-major order (row totals, 表四 totals)
        spans = [np.concatenate([a, b]) for a, b in zip(self.left, self.right)]
        self.rows = sorted((i for i, c in enumerate(spans) if c.max() - c.min() < 10), key=lambda i: spans[i].min())
        self.spans = spans

    def broken(self, vals: np.ndarray, nulls: np.ndarray, perms: np.ndarray, which=None) -> np.ndarray:
        """Per reading (rows of ``perms``: token index per cell), a boolean per relation."""
        v, u = vals[perms], nulls[perms] > 0
        out = []
        for r in range(len(self.left)) if which is None else which:
            lft, rgt = self.left[r], self.right[r]
            diff = np.abs(v[:, lft].sum(axis=1) - v[:, rgt].sum(axis=1)) > TOLERANCE
            if u.any():
                diff &= ~(u[:, lft].any(axis=1) | u[:, rgt].any(axis=1))
            out.append(diff)
        return np.stack(out, axis=1)

    def window(self, vals, nulls, perm: np.ndarray) -> tuple[np.ndarray, int]:
        """Where to move figures from or to, and the progress of a reading: the cells of the first
        broken row relation and a row's width around them (the cells of every broken relation
        when only column relations are broken); progress counts the row relations that hold
        before the first broken one."""
        b = self.broken(vals, nulls, perm[None, :])[0]
        first = next((k for k, r in enumerate(self.rows) if b[r]), None)
        if first is not None:
            cells = self.spans[self.rows[first]]
            lo, hi = int(cells.min()) - 7, int(cells.max()) + 8
            return np.arange(max(lo, 0), min(hi, len(perm))), first
        near = set()
        for r in np.flatnonzero(b).tolist():
            for c in self.spans[r].tolist():
                near.update(range(c - 7, c + 8))
        return np.array(sorted(c for c in near if 0 <= c < len(perm))), len(self.rows)

    def progress(self, broken: np.ndarray) -> np.ndarray:
        """Per reading, the row relations that hold before the first broken one."""
        rows = broken[:, self.rows]
        return np.where(rows.any(axis=1), rows.argmax(axis=1), len(self.rows))


def _moves(perm: np.ndarray, i: int, js: np.ndarray) -> np.ndarray:
    """The permutations made by taking the entry at ``i`` out and putting it back at each of ``js``."""
    n = len(perm)
    k = np.arange(n)[None, :]
    j = js[:, None]
    base = np.delete(perm, i)
    m = base[np.clip(np.where(k < j, k, k - 1), 0, n - 2)]
    m[np.broadcast_to(k == j, m.shape)] = perm[i]
    return m


def _key(vals: np.ndarray, nulls: np.ndarray, perm: np.ndarray) -> tuple:
    return tuple(None if u else v for v, u in zip(vals[perm].tolist(), nulls[perm].tolist()))


def _search(vals: np.ndarray, nulls: np.ndarray, rels: _Relations):
    """The readings of ``_search_by`` under both rankings (rows right from the top first, fewest
    broken relations first): those with fewest broken relations, then fewest moves, pooled."""
    found = [_search_by(vals, nulls, rels, by_progress) for by_progress in (True, False)]
    best = min(f[:2] for f in found)
    pooled = {}
    for f in found:
        if f[:2] == best:
            for key, p in f[2]:
                pooled.setdefault(key, p)
    return best[0], best[1], list(pooled.items())


def _search_by(vals: np.ndarray, nulls: np.ndarray, rels: _Relations, by_progress: bool):
    """(broken relations, moves, [(values, perm)]) of the readings with fewest broken relations,
    fewest moves first: a beam search over single moves (a figure taken out of the stream and put
    back elsewhere) from the row-major reading, each move into or out of the first broken row,
    readings ranked by the rows they get right from the top, then by broken relations."""
    n = len(vals)
    start = np.arange(n)
    b0 = int(rels.broken(vals, nulls, start[None, :]).sum())
    best = (b0, 0, [(_key(vals, nulls, start), start)])
    if b0 == 0:
        return best
    frontier = [start]
    seen = {best[2][0][0]}
    everywhere = np.arange(n)
    for depth in range(1, MAX_DEPTH + 1):
        pool: list[tuple[int, int, int, np.ndarray]] = []  # (-progress, broken, tie-break, perm)
        sols: dict[tuple, np.ndarray] = {}
        for p in frontier:
            window, _ = rels.window(vals, nulls, p)
            inside = set(window.tolist())
            batch = []
            for i in range(n):
                js = everywhere if i in inside else window
                js = js[js != i]
                if len(js):
                    batch.append(_moves(p, i, js))
            cands = np.concatenate(batch)
            table = rels.broken(vals, nulls, cands)
            broken = table.sum(axis=1)
            for idx in np.flatnonzero(broken == 0):
                sols.setdefault(_key(vals, nulls, cands[idx]), cands[idx])
            if sols:
                continue
            prog = rels.progress(table)
            order = (np.lexsort((broken, -prog)) if by_progress else np.lexsort((-prog, broken)))[: BEAM * 4]
            pool += [(-int(prog[o]), int(broken[o]), len(pool), cands[o]) for o in order]
        if sols:
            return 0, depth, list(sols.items())
        pool.sort(key=lambda x: x[:3] if by_progress else (x[1], x[0], x[2]))
        if pool and pool[0][1] < best[0]:
            best = (pool[0][1], depth, [(_key(vals, nulls, pool[0][3]), pool[0][3])])
        nxt = []
        for *_, p in pool:
            key = _key(vals, nulls, p)
            if key in seen:
                continue
            seen.add(key)
            nxt.append(p)
            if len(nxt) >= BEAM:
                break
        if not nxt:
            break
        frontier = nxt
    return best
