"""Tables as Tesseract prints them: one text line per printed row, its cells apart by gaps.

Tesseract (``-l chi_sim``, psm 3/4/6) reads a ruled table line by line: the row's label, then its
figures apart by runs of spaces. A vertical rule comes out as "|", "l", "I" or "1", often glued to
the figures ("0|o|lololon": seven zeros, each after its rule); a zero as the letter "o"; a figure it
cannot read as a hanzi or a mark ("31   生   0"); a label as noise (";") or not at all. Reading
"between a label and the next label" then gives a lost label's figures to the row above, and a
row with an unreadable figure one figure short.

Here every line of a table's region is cut into cells, and a line whose cells are as many as the
table's columns is a printed row. A line holding a found label is that row (a wrapped label's lines
together, their cells ordered by where they stand); full lines between two found rows go, in order,
to the rows between them whose labels were lost, when their numbers agree. A cell OCR turned into a
mark or a hanzi is read as nothing: null, confidence 0, to review, never guessed. Only rows the
main reader could not read surely are replaced; every cell keeps the span of what it was read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import schema
from ..document import CellReading
from ..text import fold
from ..values import parse_cell
from .layouts import display_column

ENGINE = "rules"
NOTE = "read as a Tesseract table line"
LOST_LABEL_NOTE = "read as a Tesseract table line whose label OCR lost (its place among the rows)"
UNREADABLE_NOTE = "OCR printed no figure here"
DAMAGED_NOTE = "on a line OCR damaged (zeros read as letters, rules as figures)"
DAMAGE_NOTES = (LOST_LABEL_NOTE, UNREADABLE_NOTE, DAMAGED_NOTE)  # signs of OCR (rules._ocr_traces)
CLEAN, OCR = 0.97, 0.85
# Rows the main reader read at least this surely are left as they are.
SURE = 0.9
_RULES = "|lI1"
_TRAILING_MARKS = "。，、'\"“”‘’"
_PIECE = re.compile(r"[^\s|]+")
_DIGITS = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
# A run of one-digit cells and the rules between them: "0|o|lololon", "o141o1o1", "lo".
_O_RUN = re.compile(r"[0-9oOlI1|]*[oO][0-9oOlI1|]*[nu]?")
# Tesseract's own damage, not other OCR letters ("1O"): a lone "o", or rules glued to "o"s ("lolo").
_RULED_ZEROS = re.compile(r"o|[0-9oOlI1|]*(?:[lI|][oO]|[oO][lI|])[0-9oOlI1|]*[nu]?")
# What OCR prints for a figure it cannot read: one hanzi, or a mark or two.
_UNREADABLE = re.compile(r"[\u4e00-\u9fff]|[^\w\s\u4e00-\u9fff※]{1,2}|[A-Za-z]")


@dataclass(frozen=True)
class Piece:
    """One cell of a line: a figure (``digits`` as meant) or nothing readable (``digits`` None)."""

    start: int
    end: int
    digits: str | None
    ocr: bool  # read through OCR letters or rules


def reread(text: str, masked: str, picked: dict, cells: dict[str, CellReading], template: str,
           other_form: str, warnings: list[str], folded: str | None = None) -> list[str]:
    """Re-read the rows the main reader left unsure, line by line; returns the rows replaced.

    Lines and cells are cut from the folded text, not ``masked``: masking a list number may run
    over a line break ("33\n、结转…" read as "33、"), and a table line is read from its end anyway.
    ``folded``: ``fold(text)`` when the caller has it (the frame's), not folded again.
    """
    masked = fold(text) if folded is None else folded
    lines = None  # cut once a table needs its lines: most reports have no unsure row
    done: list[str] = []
    tables = schema.tables(template, other_form)
    for t, table in enumerate(tables):
        region = _region(table, tables[t + 1] if t + 1 < len(tables) else None, picked, len(masked))
        if region is None:
            continue
        if all(k in cells and cells[k].confidence >= SURE for k in _table_keys(template, other_form)[table.key]):
            continue  # no row of it would be replaced: its lines need not be read (nor looked at)
        if not _plain_lines(masked[region[0]:region[1]]):
            continue
        rows = [(f"{table.key}.block", list(table.rows))] if table.key == "t4" else [(f"{table.key}.{r.key}", [r]) for r in table.rows]
        lines = _lines(masked) if lines is None else lines
        found = _rows_by_line(text, masked, lines, region, rows, picked)
        for name, row_defs in rows:
            if name not in found:
                continue
            pieces, note = found[name]
            keys = [f"{table.key}.{r.key}.{c.key}" for r in row_defs for c in r.columns]
            kinds = [c.kind for r in row_defs for c in r.columns]
            if _sure(cells, table.key, row_defs):
                continue
            readings = [_reading(text, p, kind, note) for p, kind in zip(pieces, kinds)]
            if any(r is None for r in readings):
                continue
            for key, reading in zip(keys, readings):
                cells[key] = reading
            warnings.append(f"{name}: {note}")
            done.append(name)
    _doubt_damaged_lines(masked, cells)
    return done


@lru_cache(maxsize=8)
def _table_keys(template: str, other_form: str) -> dict[str, tuple[str, ...]]:
    """Each table's cell keys (its rows' together, as ``_sure`` makes them): the same for every
    report of a template, made once."""
    return {table.key: tuple(f"{table.key}.{r.key}.{c.key}" for r in table.rows for c in r.columns)
            for table in schema.tables(template, other_form)}


def _sure(cells: dict[str, CellReading], table: str, row_defs) -> bool:
    """Every cell of these rows was read surely: nothing for this reader to replace."""
    keys = (f"{table}.{r.key}.{c.key}" for r in row_defs for c in r.columns)
    return all(k in cells and cells[k].confidence >= SURE for k in keys)


def _doubt_damaged_lines(folded: str, cells: dict[str, CellReading]) -> None:
    """A sure cell on a line where OCR printed zeros as "o" glued to rules ("| 0 | o | o 1") is
    not sure: a rule read as "1" there looks like a figure. Such cells go to review."""
    if "o" not in folded and "O" not in folded:
        return  # every match of _RULED_ZEROS holds an "o" or "O": no line is damaged
    damaged: dict[tuple[int, int], bool] = {}  # a line's verdict, once for all its cells
    for key, cell in cells.items():
        if cell.start is None or cell.confidence < SURE:
            continue
        bounds = (folded.rfind("\n", 0, cell.start) + 1, _line_end(folded, cell.end))
        if bounds not in damaged:
            line = folded[slice(*bounds)]
            # every match of _RULED_ZEROS holds an "o" or "O": a line without one is not damaged
            damaged[bounds] = ("o" in line or "O" in line) and any(_RULED_ZEROS.fullmatch(w) for w in _PIECE.findall(line))
        if damaged[bounds]:
            cells[key] = CellReading(cell.value, cell.start, cell.end, cell.text, OCR, cell.engine,
                                     cell.note or DAMAGED_NOTE)


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _plain_lines(region: str) -> bool:
    """Tesseract prints spaces only: a tab, a box rule or a markdown row ("| 0 | 3 |") says the
    cells are delimited, and a blank between delimiters is a cell this reader would lose."""
    if any(ch in region for ch in "\t│┃║┆┇┊┋"):
        return False
    framed = [line for line in region.splitlines() if line.strip().startswith("|") and line.strip().endswith("|")]
    return len(framed) < 3


def _lines(masked: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n\f]+", masked)]


def _region(table, after, picked: dict, size: int) -> tuple[int, int] | None:
    """From the table's first found label to the next table's (or the end of the tables)."""
    mine = [o.start for name, o in picked.items() if name.startswith(table.key + ".")]
    if not mine:
        return None
    later = [o.start for name, o in picked.items()
             if (after is not None and name.startswith(after.key + ".")) or name == "end"]
    start = min(mine)
    ends = [s for s in later if s > start]
    return start, min(ends) if ends else size


def _rows_by_line(text, masked, lines, region, rows, picked) -> dict[str, tuple[list[Piece], str]]:
    """Row name -> its cells, for the rows whose line (or lines) can be told."""
    lo, hi = region
    in_region = [(s, e) for s, e in lines if lo <= s < hi or s < lo < e]
    out: dict[str, tuple[list[Piece], str]] = {}
    owned: dict[int, str] = {}  # line index -> row whose label stands on it
    for name, row_defs in rows:
        occ = picked.get(name)
        if occ is None:
            continue
        for i, (s, e) in enumerate(in_region):
            if s <= occ.end - 1 and occ.start < e:
                owned.setdefault(i, name)
    ncols = {name: sum(len(r.columns) for r in defs) for name, defs in rows}
    for name, _ in rows:
        mine = [i for i, n in owned.items() if n == name]
        if not mine:
            continue
        pieces = _row_cells(text, masked, [in_region[i] for i in mine], ncols[name])
        if pieces is None and len(rows) == 1:  # 表四: one row of figures under its column headers
            full = [c for c in (_cells_of_line(masked, *in_region[i]) for i in range(min(mine), len(in_region)))
                    if len(c) == ncols[name]]
            pieces = full[0] if len(full) == 1 else None
        if pieces is not None:
            out[name] = (pieces, NOTE)
    # Full lines no found label owns go to the rows between their neighbours whose labels were lost.
    order = [name for name, _ in rows]
    width = max(ncols.values())
    free = [i for i in range(len(in_region)) if i not in owned
            and len(_cells_of_line(masked, *in_region[i])) == width]
    anchored = sorted((min(i for i, n in owned.items() if n == name), name) for name in set(owned.values()))
    bounds = [(-1, None)] + anchored + [(len(in_region), None)]
    for (la, a), (lb, b) in zip(bounds, bounds[1:]):
        ia = order.index(a) + 1 if a else 0
        ib = order.index(b) if b else len(order)
        lost = [n for n in order[ia:ib] if n not in picked and ncols[n] == width]
        between = [i for i in free if la < i < lb]
        if a is None and b is None or not lost or len(between) != len(lost) or ib - ia != len(lost):
            continue
        for name, i in zip(lost, between):
            out[name] = (_cells_of_line(masked, *in_region[i]), LOST_LABEL_NOTE)
    return out


def _row_cells(text, masked, row_lines: list[tuple[int, int]], ncols: int) -> list[Piece] | None:
    """A row's cells from its label's lines: one line holding them all, or the lines together
    ordered by where each cell stands (a tall row's 总计 printed on another line)."""
    per_line = [_cells_of_line(masked, s, e) for s, e in row_lines]
    full = [p for p in per_line if len(p) == ncols]
    if len(full) == 1 and sum(len(p) for p in per_line) == ncols:
        return full[0]
    together = [p for line in per_line for p in line]
    if len(together) != ncols or len([p for p in per_line if p]) < 2:
        return None
    placed = sorted(together, key=lambda p: display_column(text, p.start) + display_column(text, p.end))
    return [Piece(p.start, p.end, p.digits, True) for p in placed]


def _cells_of_line(masked: str, start: int, end: int) -> list[Piece]:
    """The cells at the end of a line: figures and unreadable marks after the label's text."""
    words = [(start + m.start(), start + m.end(), m.group()) for m in _PIECE.finditer(masked[start:end])]
    cells: list[Piece] = []
    for k in range(len(words) - 1, -1, -1):
        s, e, word = words[k]
        got = _figures(s, word)
        if got is None and _UNREADABLE.fullmatch(word) and _apart(masked, s, e, start, end):
            got = [Piece(s, e, None, True)]
        if got is None:
            break
        cells[:0] = got
    return cells


def _apart(masked: str, s: int, e: int, lo: int, hi: int) -> bool:
    """A mark stands for a cell only when gaps set it apart from the label and the next cell."""
    before = masked[max(lo, s - 2):s]
    after = masked[e:min(hi, e + 2)]
    return (before == "  " or "|" in before) and (after in ("", "  ") or "|" in after or e == hi)


def _figures(start: int, word: str) -> list[Piece] | None:
    """The figures of one word: a plain figure, or a run of one-digit cells and rules; a mark
    OCR glued after it ("o。": the rule beside the cell) is left out of its span."""
    stripped = word.rstrip(_TRAILING_MARKS)
    if stripped != word and stripped:
        return _figures(start, stripped)
    if _DIGITS.fullmatch(word):
        return [Piece(start, start + len(word), word.replace(",", ""), False)]
    if word in ("o", "O", "D"):
        return [Piece(start, start + 1, "0", True)]
    if not _O_RUN.fullmatch(word):
        return None
    out = []
    for m in re.finditer(rf"[^{re.escape(_RULES)}nu]+", word):
        digits = m.group().translate(str.maketrans("oO", "00"))
        if not digits.isdigit():
            return None
        out.append(Piece(start + m.start(), start + m.end(), digits, True))
    return out or None


def _reading(text: str, piece: Piece, kind: str, note: str) -> CellReading | None:
    raw = text[piece.start:piece.end]
    if piece.digits is None:
        return CellReading(None, piece.start, piece.end, raw, 0.0, ENGINE, UNREADABLE_NOTE)
    try:
        value = parse_cell(piece.digits, kind)
    except ValueError:
        return None
    sure = CLEAN if not piece.ocr and note == NOTE else OCR
    return CellReading(value, piece.start, piece.end, raw, sure, ENGINE, note)
