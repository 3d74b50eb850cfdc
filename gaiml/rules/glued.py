"""Split figure runs a converter glued together, by the tables' arithmetic.

Scraped web pages are often flattened with no separator between cells (BeautifulSoup's
``get_text("")``): ``本年新收政府信息公开申请数量472001050`` stands for 47|2|0|0|1|0|50, and a 表二
row's three figures run together (``规章3012`` for 3|0|12). Only the arithmetic can tell where
one figure ends and the next begins:

1. every split of the row's runs into its columns is enumerated (a count has no leading zero
   except "0" itself; a 本年增/减 may carry a minus sign, "-18"; an amount may carry decimals and
   thousands groups; "—", "/", and a "-" before no digit are printed nulls), keeping those that
   satisfy the row's own relation (表三 row total; 表四 group totals);
2. the rows of a table are then solved together under every relation between rows (表三
   results and balance), a backtracking search pruned by the range each relation can still reach;
3. a cell that every surviving split agrees on is taken; a cell the splits disagree on keeps
   the most plausible reading at low confidence (review) with the candidate splits in its note.

表二 has no relations: a run there is taken only when its length forces the split ("000").
A date or month (``20250310``, ``202603``) printed next to a table, apart from the run, is no
cell.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from ..document import GLUED_NOTE
from ..schema import AMOUNT, CHANGE, TOLERANCE, Relation
from ..values import Value, number

# Confidence of a cell the arithmetic split uniquely, of one it left open (review), and of one
# the row's own relation split uniquely while the table's other relations are broken.
UNIQUE, AMBIGUOUS, ROW_ONLY = 0.93, 0.5, 0.9
NOTE = GLUED_NOTE
UNIQUE_NOTE = NOTE + " split by the arithmetic"
MAX_DIGITS = 7  # no count of these reports runs past millions
MAX_SPLITS = 5000  # splits of one row beyond which the row is not worth guessing
MAX_SOLUTIONS = 64  # whole-table solutions kept; more means the table is open
MAX_NODES = 200_000
SHOWN = 6  # candidate splits listed in a note

_NULLS = "—/－"
_RUN_CHARS = r"[0-9.,\-—－/]"
_RUN = re.compile(_RUN_CHARS + "+")
_TWO_RUN_CHARS = re.compile(_RUN_CHARS * 2)
_DATE = re.compile(r"(19|20)\d\d(0[1-9]|1[0-2])((0[1-9]|[12]\d|3[01]))?")
_DASH = re.compile("[—-]")
_DIGIT = re.compile("[0-9]")
# A mobile number, as the masking took it: (?<!\d)1[3-9]\d{9}(?!\d), the lookbehind after the "1"
# so that the regex engine looks for the "1" instead of trying every position.
_PHONE = re.compile(r"1(?<!\d1)[3-9]\d{9}(?!\d)")
_PRINTABLE = re.compile(r"-?\d{1,3}(,\d{3})*(\.\d+)?|-?\d+(\.\d+)?|[—/－-]{1,2}")  # a figure one cell may print
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LIST_MARK = re.compile(r"[.、．][ \t]*[\u4e00-\u9fff]")  # after a row's run: the next row's "2." or "2. "


@dataclass(frozen=True)
class Part:
    """One cell of a split: its value (None for a printed null) and its span in the text."""

    value: Value
    start: int
    end: int


@dataclass
class GluedRow:
    """A row (or the 表四 block) whose figures run together, with every split of its runs."""

    name: str
    keys: list[str]
    kinds: list[str]
    runs: list[tuple[int, int]]
    splits: list[tuple[Part, ...]]
    texts: list[str]  # the runs as printed


# ---------------------------------------------------------------- finding the runs

def runs_between(folded: str, masked: str, start: int, end: int) -> list[tuple[int, int]]:
    """The figure runs of ``masked[start:end]``: maximal stretches of digits, signs, decimal
    points, thousands commas and null marks. Dashes the masking took for a drawn rule are put
    back where they touch a digit ("10001—————00000"); a lone mark between two CJK characters
    ("增/减") and a date apart from the row's first run are not figures."""
    view = masked[start:end]
    dashes = list(_DASH.finditer(folded, start, end))
    if dashes:  # only where a dash stands can one be put back
        chars = list(view)
        for m in dashes:
            chars[m.start() - start] = m.group()
        view = "".join(chars)
    for m in _PHONE.finditer(folded[start:end]):
        s, e = m.span()
        before = masked[start + s - 1] if start + s > 0 else ""
        if set(view[s:e]) == {masked[start + s]} and before and (_CJK.match(before) or before in ")）"):
            view = view[:s] + m.group() + view[e:]  # a glued row the phone-number mask took: "数量14461003154"
    runs = []
    for m in _RUN.finditer(view):
        text = m.group().lstrip(".,")
        s = m.end() - len(text)
        text = text.rstrip(".,")
        e = s + len(text)
        if s == e:
            continue
        if not _DIGIT.search(text):  # the run's only digits are ASCII ones (``_RUN``)
            before, after = view[s - 1 : s], view[e : e + 1]
            if _CJK.match(before or "x") and _CJK.match(after or "x"):
                continue  # 本年增/减
            if set(text) <= set("-") and (s > 0 and view[s - 1] not in " \t\n") and len(text) > 2:
                continue
        elif _LIST_MARK.match(folded, start + e) and len(text) > 1 and text[-1].isdigit():
            e -= 1  # "00000003.危及…", "10000012. 其他…": the next row's list number glued on
        if runs and _DATE.fullmatch(view[s:e]) and ("\n" in view[runs[0][1] - start : s] or view[s - 1] in " \t\n"):
            continue  # a publication date or month next to the table
        runs.append((start + s, start + e))
    return runs


def may_be_glued(folded: str, start: int, end: int) -> bool:
    """False when no run of ``runs_between`` can be longer than one character, so none is glued
    (``is_glued``): no two run characters stand together in the folded text. (Its runs stand
    where the folded text has run characters: the masked text holds the folded one's or a filler.)"""
    return _TWO_RUN_CHARS.search(folded, start, end) is not None


def is_glued(folded: str, runs: list[tuple[int, int]], ncols: int) -> bool:
    """True when some run must hold more than one cell: fewer runs than the row has cells, or
    figures no report prints alone ("019", "8-2", "1—")."""
    if any(_fused(folded[s:e]) for s, e in runs):
        return True
    return 0 < len(runs) < ncols and any(e - s > 1 for s, e in runs)


def _fused(text: str) -> bool:
    if _PRINTABLE.fullmatch(text):
        return len(text) > 1 and not text.startswith("-") and text[0] == "0" and "." not in text
    return True


def attached(masked: str, runs: list[tuple[int, int]]) -> bool:
    """True when the row's first run follows its label with nothing between ("规章3012")."""
    if not runs:
        return False
    s = runs[0][0]
    return s > 0 and (_CJK.match(masked[s - 1]) is not None or masked[s - 1] in ")）")


# ---------------------------------------------------------------- splitting one row

def row_splits(folded: str, runs: list[tuple[int, int]], keys: list[str], kinds: list[str],
               relations: tuple[Relation, ...]) -> list[tuple[Part, ...]] | None:
    """Every split of the runs into the row's cells that its own relations allow; None when
    there are too many to be worth solving."""
    own = [r for r in relations if set(r.keys) <= set(keys)]
    # For each cell index, the relations that it closes (all other keys come earlier).
    order = {k: i for i, k in enumerate(keys)}
    closes: dict[int, list[Relation]] = {}
    for r in own:
        closes.setdefault(max(order[k] for k in r.keys), []).append(r)
    # Totals printed after their parts (表三 rows, 表四 groups): (total index, part indexes).
    sums = [(order[r.left[0]], [order[k] for k in r.right]) for r in own
            if len(r.left) == 1 and all(order[k] < order[r.left[0]] for k in r.right)
            and all(kinds[order[k]] != CHANGE for k in r.right)]
    forced = {total: parts_of for total, parts_of in sums}
    summed = {r for r in own if len(r.left) == 1 and order[r.left[0]] in forced}
    closes = {i: [r for r in rs if r not in summed] for i, rs in closes.items()}
    tokens: dict[tuple, list] = {}
    texts = [(folded[s:e], s) for s, e in runs]
    out: list[tuple[Part, ...]] = []
    values: dict[str, Value] = {}
    parts: list[Part] = []
    ncols = len(keys)
    remaining = [sum(len(t) for t, _ in texts[i:]) for i in range(len(texts) + 1)]

    def go(run: int, pos: int, cell: int) -> bool:
        if len(out) > MAX_SPLITS:
            return False
        if run < len(texts) and pos == len(texts[run][0]):
            return go(run + 1, 0, cell)
        if cell == ncols:
            if run == len(texts):
                out.append(tuple(parts))
            return True
        if run == len(texts):
            return True
        left = remaining[run] - pos
        if left < ncols - cell:
            return True
        if fixed and fixed[1] is not None and cell < ncols - 1:
            # no part is wider than the total they add up to
            widest = len(f"{int(fixed[1]):,}")
            if left - fixed[2] > (ncols - 1 - cell) * widest:
                return True
        for total, parts_of in sums:
            if cell > total or any(values.get(keys[k], 0) is None for k in parts_of if k < cell):
                continue
            partial = sum(values[keys[k]] for k in parts_of if k < cell)
            before = sum(1 for k in range(cell, total))  # cells still to place ahead of the total
            room = left - before - (ncols - total - 1)  # characters the total can have at most
            if room < len(str(int(partial))) or partial >= 10 ** room:
                return True
            if fixed and total == ncols - 1 and fixed[1] is not None:
                if partial > fixed[1] + TOLERANCE:
                    return True
                k = ncols - 1 - cell  # parts still to place; the most they can add up to:
                if k and partial + 10 ** (left - fixed[2] - k + 1) - 1 + 9 * (k - 1) < fixed[1]:
                    return True
        text, base = texts[run]
        memo = (run, pos, kinds[cell])
        if memo not in tokens:
            tokens[memo] = list(_tokens(text, pos, kinds[cell]))
        need = forced.get(cell)
        if need is not None:
            parts_of = need
            need = None if any(values.get(keys[k]) is None for k in parts_of) else sum(values[keys[k]] for k in parts_of)
        for length, value in tokens[memo]:
            if need is not None and value is not None and abs(value - need) > TOLERANCE:
                continue
            if fixed and cell == ncols - 1 and (run, pos) != fixed[0]:
                continue
            values[keys[cell]] = value
            if any(r.broken(values) for r in closes.get(cell, ())):
                continue
            parts.append(Part(value, base + pos, base + pos + length))
            ok = go(run, pos + length, cell + 1)
            parts.pop()
            if not ok:
                return False
        values.pop(keys[cell], None)
        return True

    fixed: tuple | None = None
    if sorted(forced.get(ncols - 1, ())) == list(range(ncols - 1)) and texts:
        # The row's last figure is the sum of all the others (表三): take each ending of the run as the total first, so
        # that the parts before it are pruned by it (表三 rows: 6 parts, then their sum).
        last, text = len(texts) - 1, texts[-1][0]
        for q in range(len(text) - 1, -1, -1):
            for length, value in _tokens(text, q, kinds[-1]):
                if q + length == len(text):
                    fixed = ((last, q), value, length)
                    if not go(0, 0, 0):
                        return None
        return out
    if not go(0, 0, 0):
        return None
    return out


def _tokens(text: str, pos: int, kind: str):
    """(length, value) of every cell that can start at ``text[pos]``."""
    ch = text[pos]
    nxt = text[pos + 1 : pos + 2]
    if ch in _NULLS or (ch == "-" and not nxt.isdigit()):
        yield 1, None
        return
    sign = 0
    if ch == "-":
        if kind != CHANGE:
            return
        sign = 1
    start = pos + sign
    if start >= len(text) or not text[start].isdigit():
        return
    if text[start] == "0":
        ends = [start + 1]
    else:
        ends = [i for i in range(start + 1, min(len(text), start + MAX_DIGITS) + 1) if text[start:i].isdigit()]
    for end in ends:
        for stop in _extensions(text, end, kind):
            digits = text[pos:stop].replace(",", "")
            value = number(digits, AMOUNT if "." in digits else kind) if "." in digits else int(digits)
            if sign and value == 0:
                continue  # "-0" is no change anyone prints
            yield stop - pos, value


def _extensions(text: str, end: int, kind: str):
    """Where a figure whose integer digits end at ``end`` may stop: thousands groups, decimals."""
    stops = [end]
    i = end
    while i + 4 <= len(text) and text[i] == "," and text[i + 1 : i + 4].isdigit():
        i += 4
        stops.append(i)
    if kind == AMOUNT:
        for s in list(stops):
            if s < len(text) - 1 and text[s] == "." and text[s + 1].isdigit():
                j = s + 1
                while j < len(text) and text[j].isdigit():
                    j += 1
                    stops.append(j)
    return stops


# ---------------------------------------------------------------- solving a table

@dataclass
class Solved:
    """Per glued cell: the part chosen, the confidence and the note."""

    part: Part
    confidence: float
    note: str


def solve(rows: list[GluedRow], known: dict[str, Value], relations: tuple[Relation, ...],
          deadline: float = 0.8) -> dict[str, Solved]:
    """The cells of every glued row: unique across every relation, or open (review)."""
    out: dict[str, Solved] = {}
    started = time.perf_counter()
    groups: dict[tuple, list[GluedRow]] = {}
    for row in rows:
        if not row.splits:
            continue
        touching = [r for r in relations if set(r.keys) & set(row.keys)]
        group = tuple(sorted({r.keys[0].split(".")[0] for r in touching})) or (row.name,)
        groups.setdefault(group, []).append(row)
    for members in groups.values():
        solutions, complete = _search(members, known, relations, started + deadline)
        if solutions:
            confidence = UNIQUE
        else:  # the table's own arithmetic is broken somewhere: each row by its own relation
            solutions, complete = [tuple(range(len(m.splits))) for m in members], False
            confidence = ROW_ONLY
        for i, row in enumerate(members):
            if complete:
                chosen = sorted({sol[i] for sol in solutions})
            else:
                chosen = list(range(len(row.splits)))
            splits = [row.splits[c] for c in chosen]
            best = _plausible(splits, row.kinds, row.keys)
            shown = " or ".join("|".join(_fmt(p.value) for p in s) for s in splits[:SHOWN])
            more = f" (and {len(splits) - SHOWN} more)" if len(splits) > SHOWN else ""
            runs = " ".join(repr(t) for t in row.texts)
            for j, key in enumerate(row.keys):
                if all(s[j].value == best[j].value and (s[j].value is not None or best[j].value is None) for s in splits):
                    if len(splits) == 1:
                        note = f"{UNIQUE_NOTE}: {runs} read {'|'.join(_fmt(p.value) for p in best)}"
                    else:
                        note = f"{UNIQUE_NOTE}: {runs}; every split gives this cell {_fmt(best[j].value)}"
                    out[key] = Solved(best[j], confidence, note)
                else:
                    out[key] = Solved(best[j], AMBIGUOUS, f"{NOTE} {runs}: the arithmetic leaves the split open: {shown}{more}")
    return out


def _fmt(value: Value) -> str:
    return "null" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


# What the columns of one 表二 row say of each other, though no relation of SPEC.md checks it: a
# document issued this year is in force, one published this year is public; a 本年增/减 cannot
# take away more items than there were.
_AT_MOST = (("issued", "in_force"), ("repealed", "in_force"), ("published", "total_public"), ("made", "total_public"))
CHANGE_WEIGHT = 4  # a 本年增/减 is small next to the counts around it (chosen on the development split)


def _implausible(split: tuple[Part, ...], keys: list[str]) -> int:
    """How many of the row's soft constraints (``_AT_MOST``, items never below zero) the split breaks."""
    by = {k.rsplit(".", 1)[-1]: p.value for k, p in zip(keys, split)}
    bad = sum(1 for a, b in _AT_MOST if by.get(a) is not None and by.get(b) is not None and by[a] > by[b])
    if by.get("change") is not None and by.get("prev_items") is not None:
        bad += by["prev_items"] + by["change"] < 0
    return bad


def _plausible(splits: list[tuple[Part, ...]], kinds: list[str], keys: list[str] | None = None) -> tuple[Part, ...]:
    """The split to show first while the arithmetic leaves it open: the fewest soft constraints
    broken, then the most even widths of the integer digits, a 本年增/减 counted more."""
    def width(p: Part) -> int:
        return len(str(abs(int(p.value)))) if p.value is not None else 1

    def cost(s: tuple[Part, ...]):
        uneven = sum(width(p) ** 2 * (CHANGE_WEIGHT if k == CHANGE else 1) for p, k in zip(s, kinds))
        return (_implausible(s, keys) if keys else 0, uneven)

    return min(splits, key=cost)


def _search(rows: list[GluedRow], known: dict[str, Value], relations, deadline: float):
    """Every combination of the rows' splits that breaks no relation (up to MAX_SOLUTIONS);
    the second value is False when the search stopped early (too many, or out of time)."""
    where = {k: (i, j) for i, row in enumerate(rows) for j, k in enumerate(row.keys)}
    rels = [r for r in relations if any(k in where for k in r.keys)]
    bounds: dict[str, tuple[float, float] | None] = {}
    for i, row in enumerate(rows):
        for j, k in enumerate(row.keys):
            vals = [s[j].value for s in row.splits]
            bounds[k] = None if any(v is None for v in vals) else (min(vals), max(vals))
    by_row = [[r for r in rels if set(r.keys) & set(row.keys)] for row in rows]
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].splits))
    assigned: dict[str, Value] = {}
    choice = [0] * len(rows)
    solutions: list[tuple[int, ...]] = []
    nodes = 0
    complete = True

    def feasible(rel: Relation) -> bool:
        lo = hi = 0.0
        for side, sign in ((rel.left, 1), (rel.right, -1)):
            for k in side:
                if k in assigned:
                    v = assigned[k]
                    if v is None:
                        return True  # unassessable
                    lo += sign * v
                    hi += sign * v
                elif k in where:
                    b = bounds[k]
                    if b is None:
                        return True
                    lo += min(sign * b[0], sign * b[1])
                    hi += max(sign * b[0], sign * b[1])
                else:
                    v = known.get(k)
                    if v is None:
                        return True
                    lo += sign * v
                    hi += sign * v
        return lo - TOLERANCE <= 0 <= hi + TOLERANCE

    def go(depth: int) -> bool:
        nonlocal nodes, complete
        if depth == len(order):
            solutions.append(tuple(choice))
            if len(solutions) >= MAX_SOLUTIONS:
                complete = False
                return False
            return True
        i = order[depth]
        row = rows[i]
        for c, split in enumerate(row.splits):
            nodes += 1
            if nodes > MAX_NODES or (nodes % 1000 == 0 and time.perf_counter() > deadline):
                complete = False
                return False
            for k, p in zip(row.keys, split):
                assigned[k] = p.value
            if all(feasible(r) for r in by_row[i]):
                choice[i] = c
                if not go(depth + 1):
                    return False
        for k in row.keys:
            assigned.pop(k, None)
        return True

    go(0)
    return solutions, complete
