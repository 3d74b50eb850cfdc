"""Header rows that look like figures: the 栏次 row numbering the columns "1 2 3 … 7" / "1 … 15".

Large-format templates print a row under the column headings that numbers the columns (表三
"栏次 1 2 3 4 5 6 7", 表四 "1 2 … 15"). Read as figures it fills a row or, in 表四, the whole block.
No table row can print it: a run 1, 2, …, n of a whole row (n = 7 or 15, no other figure next
to it) breaks the row total (1 + … + (n-1) ≠ n, 1 + 2 + 3 + 4 ≠ 5), so masking every such run,
whatever the layout around it, costs no real figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..values import FIGURE_PATTERN, is_null_marker

# The tables that number their columns: 表三 (7 columns) and 表四 (15). The whole run, alone between
# labels or rules, is the numbering: a row may well print "1 2 3 4 5 6 21" (the sum holds).
COLUMN_COUNTS = (7, 15)
_FILLER = "※"
# Between two numbers of the run: only spaces, line breaks and cell rules.
_GAP_CHARS = r"[\s|│┃║┆┇┊┋─━┼├┤┬┴┌┐└┘╋]*"
_GAP = re.compile(_GAP_CHARS)
# "栏次" and only spaces after it on the line, however far (a text browser pads the label cell).
_LABEL_BEFORE = re.compile(r"栏次[ \t]*\Z")
# What every numbering run prints, "1" to the smallest count with gaps between: a text without
# it has none, and its figures need not be scanned.
_RUN_HEAD = re.compile(_GAP_CHARS.join(str(k) for k in range(1, min(COLUMN_COUNTS) + 1)))


@dataclass(frozen=True)
class NumberingRow:
    """One column-numbering run: the spans of its numbers."""

    spans: tuple[tuple[int, int], ...]

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]


def numbering_rows(masked: str) -> list[NumberingRow]:
    """Every run of figures reading 1, 2, …, n (n in COLUMN_COUNTS) with nothing but gaps between,
    and no figure right before or after it."""
    out: list[NumberingRow] = []
    if not _RUN_HEAD.search(masked):
        return out
    tokens = [m for m in FIGURE_PATTERN.finditer(masked) if m.group().isdigit()]
    i = 0
    while i < len(tokens):
        if tokens[i].group() != "1":
            i += 1
            continue
        run = [tokens[i]]
        j = i + 1
        while (j < len(tokens) and tokens[j].group() == str(len(run) + 1)
               and _GAP.fullmatch(masked[run[-1].end():tokens[j].start()])):
            run.append(tokens[j])
            j += 1
        before = tokens[i - 1] if i else None
        after = tokens[j] if j < len(tokens) else None
        # The next row may follow on the next line ("…15\t\n0\t0", one cell a line "15\n2\n2"): no
        # row of 7 or 15 cells can start or end with the whole run either.
        alone = all(t is None or not _GAP.fullmatch(gap) or "\n" in gap
                    for t, gap in ((before, masked[before.end():run[0].start()] if before else ""),
                                   (after, masked[run[-1].end():after.start()] if after else "")))
        # A header: labelled 栏次, or right above the data row (no label between the run and the next
        # figure). A lone "1 2 … 15" under the headings with nothing after it is read as printed.
        labelled = ("栏次" in masked[max(0, run[0].start() - 12):run[0].start()]
                    or _LABEL_BEFORE.search(masked, max(0, run[0].start() - 200), run[0].start()) is not None)
        above_data = after is not None and not _CJK.search(masked[run[-1].end():after.start()])
        if len(run) in COLUMN_COUNTS and alone and (labelled or above_data):
            out.append(NumberingRow(tuple((m.start(), m.end()) for m in run)))
            i = j
        else:
            i += 1
    return out


# A footnote under a table ("备注：上年结转申请已于1月底前全部办结", "注：…含通过互联网提交的申请82件")
# is no row, yet it stands before the next heading, inside the last row's reach.
_NOTE_LINE = re.compile(r"^[ \t│┃║|]*(?:备注|注|说明)[ \t]*[:：][^\n]*", re.M)
# The same lines found from their words: a search for "注"/"说明" skips to them, where a pattern
# opening with "^" is tried at every character of the text (``_note_lines``).
_NOTE_WORD = re.compile(r"(?:备注|注|说明)[ \t]*[:：][^\n]*")
_NOTE_INDENT = re.compile(r"[ \t│┃║|]*")
# A note in a ruled cell wrapped over two lines, "│10（其中续办7 │" then "│件）  │": the figure in
# it is no cell. Opened and not closed before the cell's rule, or closed in a cell it did not open in.
_WRAPPED_NOTE = re.compile(r"[(（][^()（）\n│┃║|]*(?=[│┃║|])|(?<=[│┃║|])[^()（）\n│┃║|]*[)）]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


_BOX_CELL = re.compile(r"(?<=[│┃║])[^│┃║\n]+(?=[│┃║])")


class _Span:
    """A stretch to mask, as ``re.Match`` gives it."""

    def __init__(self, start: int, end: int):
        self._span = (start, end)

    def start(self) -> int:
        return self._span[0]

    def end(self) -> int:
        return self._span[1]


def _note_middles(masked: str) -> list[_Span]:
    """The middle lines of a note wrapped over three or more lines of a box-drawn cell:
    "│181（其中 │" / "│104件为转 │" / "│办）│": the cell of the same place on the line above opened
    a note that no line has closed yet, so its figure is the note's, no cell."""
    out: list[_Span] = []
    open_at: set[int] = set()  # which cells of the line (counted from its left) hold an unclosed note
    line_start = 0
    for line in masked.split("\n"):
        now: set[int] = set()
        for k, m in enumerate(_BOX_CELL.finditer(line)):
            cell = m.group()
            if k in open_at and not re.search(r"[)）]", cell):
                out.append(_Span(line_start + m.start(), line_start + m.end()))
                now.add(k)
            elif cell.rfind("（") > cell.rfind("）") or cell.rfind("(") > cell.rfind(")"):
                now.add(k)
        open_at = now
        line_start += len(line) + 1
    return [sp for sp in out if _CJK.search(masked[sp.start():sp.end()])]


def _note_lines(masked: str) -> list[_Span]:
    """``_NOTE_LINE``'s matches: a note word that only rules and spaces precede on its line, to
    the line's end. (The first such word of a line is the first note word of the line at all.)"""
    out = []
    if "注" not in masked and "说明" not in masked:
        return out  # no note word (备注 holds 注): found in C, not by the pattern's class at every position
    for m in _NOTE_WORD.finditer(masked):
        line_start = masked.rfind("\n", 0, m.start()) + 1
        if _NOTE_INDENT.fullmatch(masked, line_start, m.start()):
            out.append(_Span(line_start, m.end()))
    return out


def mask_numbering(masked: str, rows: list[NumberingRow] | None = None) -> str:
    """``masked`` with the numbers of every column-numbering run, and every footnote line under
    a table, replaced by the filler."""
    rows = numbering_rows(masked) if rows is None else rows
    notes = _note_lines(masked)
    # Wrapped notes open or close a bracket the masking left (it took the notes closed on their line).
    if any(ch in masked for ch in "│┃║") and any(ch in masked for ch in "()（）"):
        notes += [m for m in _WRAPPED_NOTE.finditer(masked) if _CJK.search(m.group())]
        notes += _note_middles(masked)
    if not rows and not notes:
        return masked
    chars = list(masked)
    for m in notes:
        chars[m.start():m.end()] = _FILLER * (m.end() - m.start())
    for row in rows:
        for s, e in row.spans:
            chars[s:e] = _FILLER * (e - s)
    return "".join(chars)


def _fields(masked: str, line_start: int, line_end: int) -> list[tuple[int, int]]:
    """[start, end) of each tab-separated field of the line."""
    out, start = [], line_start
    for pos in range(line_start, line_end + 1):
        if pos == line_end or masked[pos] == "\t":
            out.append((start, pos))
            start = pos + 1
    return out


def _line_of(masked: str, pos: int) -> tuple[int, int]:
    start = masked.rfind("\n", 0, pos) + 1
    end = masked.find("\n", pos)
    return start, len(masked) if end < 0 else end


def tab_grid(masked: str, rows: list[NumberingRow], segment: tuple[int, int], filled: list[tuple[int, int]],
             ncols: int) -> list[tuple[str, int, int]] | None:
    """The row's cells by the tab fields of the 栏次 row above it: (kind, start, end) per column,
    kind "figure", "null" or "blank"; None when the layout does not say.

    Tab rows print the figures in the last fields of their line; the numbering line, the same
    way, numbers the fields the columns stand in, so counting fields from the right end of the
    line puts every figure, and every empty field, in its column: a blank cell is an empty field
    even where a converter dropped its neighbours' tabs at the line's start.
    """
    at = filled[0][0] if filled else segment[0]  # a row without figures: its label's line
    above = [r for r in rows if len(r.spans) == ncols and r.end <= at]  # 表四's is inside its block
    if not above:
        return None
    numbering = above[-1]
    n_start, n_end = _line_of(masked, numbering.start)
    if "\n" in masked[numbering.start:numbering.end] or "\t" not in masked[n_start:n_end]:
        return None
    r_start, r_end = _line_of(masked, at)
    if any(not (r_start <= s and e <= r_end) for s, e in filled):
        return None
    n_fields = _fields(masked, n_start, n_end)
    r_fields = _fields(masked, r_start, r_end)
    from_right = {}
    for k, (s, e) in enumerate(numbering.spans):
        idx = next((i for i, (fs, fe) in enumerate(n_fields) if fs <= s and e <= fe), None)
        if idx is None:
            return None
        from_right[len(n_fields) - 1 - idx] = k
    if len(r_fields) < max(from_right) + 1:
        return None
    out: list[tuple[str, int, int] | None] = [None] * ncols
    used = 0
    for i, (fs, fe) in enumerate(r_fields):
        r = len(r_fields) - 1 - i
        figures = [m for m in FIGURE_PATTERN.finditer(masked, fs, fe)]
        field = masked[fs:fe].strip()
        if r not in from_right:
            if figures:
                return None  # a figure outside the numbered fields: the grid does not hold
            continue
        k = from_right[r]
        if not field:
            out[k] = ("blank", fs, fe)
        elif is_null_marker(field):
            lead = len(masked[fs:fe]) - len(masked[fs:fe].lstrip())
            out[k] = ("null", fs + lead, fs + lead + len(field))
        elif len(figures) == 1:
            out[k] = ("figure", figures[0].start(), figures[0].end())
            used += 1
        else:
            return None
    if used != sum(1 for s, e in filled if FIGURE_PATTERN.fullmatch(masked[s:e])) or any(c is None for c in out):
        return None
    return out  # type: ignore[return-value]


GRID_NOTE = "placed by the tab fields of the 栏次 row"


def reread_by_tab_grid(masked: str, numbering: list[NumberingRow], rows, cells: dict, read, warnings: list[str],
                       sure: float = 0.9) -> None:
    """Rows read unsurely (short, placed by arithmetic or left unplaced) read again by ``tab_grid``.

    ``rows`` carry ``name``, ``keys``, ``kinds``, ``raw_items`` and ``segment``; ``read(kind,
    start, end, cell_kind)`` makes a cell reading. Only rows some cell of which is below ``sure``
    are touched.
    """
    if not numbering:
        return
    for row in rows:
        if row.raw_items is None or row.segment is None:
            continue
        if all(key in cells and cells[key].confidence >= sure for key in row.keys):
            continue
        filled = [(it.start, it.end) for it in row.raw_items if it.kind in ("figure", "null")]
        grid = tab_grid(masked, numbering, row.segment, filled, len(row.keys))
        if grid is None:
            continue
        for key, kind, (how, s, e) in zip(row.keys, row.kinds, grid):
            cells[key] = read(how, s, e, kind)
        warnings.append(f"{row.name}: {GRID_NOTE}")


# ---------------------------------------------------------------- column headers pulled into data cells

def _column_labels() -> tuple[str, ...]:
    from .. import schema

    labels = {c.label for tpl in schema.TEMPLATES for t in schema.tables(tpl) for r in t.rows for c in r.columns}
    return tuple(sorted(labels, key=len, reverse=True))


# A markdown cell whose converter pulled the column heading above it into it: "| 自然人<br>47 |",
# "| 总计<br> |", "| 结果维持 0 |". The heading is no part of the row's label, nor a cell.
_PULLED = re.compile(r"(?<=\|)([ \t]*)(%s)(<br/?>|[ \t]+)(?=[^|\n]*\|)" % "|".join(map(re.escape, _column_labels())))
_PULLED_REST = re.compile(r"[ \t]*(?:[-+]?[\d.,]+|[—/－-]|无)?[ \t]*")


def blank_pulled_headers(folded: str) -> str:
    """``folded`` with every column heading that stands before a cell's figure (or alone before a
    ``<br>`` in a blank cell) inside a ``|`` cell replaced by spaces; offsets kept."""
    chars = None
    for m in _PULLED.finditer(folded):
        end = folded.index("|", m.end())
        if m.group(3).strip() == "" and not folded[m.end():end].strip():
            continue  # "| 总计 |": a heading cell, no figure pulled under it
        if not _PULLED_REST.fullmatch(folded[m.end():end]):
            continue
        if chars is None:
            chars = list(folded)
        chars[m.start(2):m.end(3)] = " " * (m.end(3) - m.start(2))
    return folded if chars is None else "".join(chars)
