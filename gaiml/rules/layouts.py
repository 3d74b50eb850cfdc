"""Read the figures of one table row out of the text between its label and the next anchor.

One reader serves every layout the reports come in, because it only needs the separators:
tab rows with stray breaks ("0\t0\t0\t"), one cell per line ("\t0\n\t0\n"), pipe-mangled lines
("0 |\n0 |\n2259 | |"), markdown and box-drawn tables ("│ 0 │"), columns aligned by spaces
(`pdftotext -layout`) and single-spaced text (pdfplumber). Between two hard separators (tab,
pipe, box rule) an empty cell is a blank: null, never 0. Soft separators (line breaks, runs of
spaces) split cells but cannot show a blank.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from ..values import FIGURE_PATTERN, is_null_marker

FIG, NULL, BLANK = "figure", "null", "blank"
_FILLER = "※"  # stands in for ignored text; a label-like character, so never a blank or a figure

HARD_SEPARATORS = "\t│┃║┆┇┊┋|"
_NOT_FIGURES = [
    re.compile(p, re.M)
    for p in (
        r"^[ \t]*[-—–~_]+[ \t]*\d{1,3}[ \t]*[-—–~_]+[ \t]*$",  # page numbers: "— 5 —", "-4-"
        r"^[ \t]*第[ \t]*\d{1,3}[ \t]*页([ \t]*[,，]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?[ \t]*$",  # 第 5 页
        r"^[ \t]*\d{1,3}[ \t]*/[ \t]*\d{1,3}[ \t]*$",  # "5/12"
        r"第[^\n第]{1,6}?条第[^\n]{1,6}?项",  # 第二十条第（一）项, 第20条第(1)项
        r"(?<![\d.])\d{1,2}[ \t]*[.、．,，](?=[ \t]*[^\d\s.,])",  # list numbers "1." "2、"
        r"[(（][ \t]*[\d一二三四五六七八九十]{1,2}[ \t]*[)）]",  # "(1)" "（三）"
        r"[(（][^()（）\n]*?[\u4e00-\u9fff][^()（）\n]*?[)）]",  # notes: "（其中修订16件）", "（单位：万元）"
        r"\d{4}[ \t]*[年./-][ \t]*\d{1,2}[ \t]*[月./-]([ \t]*\d{1,2}[ \t]*日?)?",  # dates
        r"\d{2,4}[ \t]*年度?|\d{1,2}[ \t]*月[ \t]*\d{1,2}[ \t]*日",
        r"\d{3,4}-\d{7,8}|(?<!\d)1[3-9]\d{9}(?!\d)",  # phone numbers
        r"(https?://|www\.)\S+",
        r"\[[^\]\n]*[A-Za-z][^\]\n]*\]",  # "[bookmark: _GoBack]"
        r"-{3,}|—{3,}|={3,}|_{3,}|─{2,}|━{2,}",  # rules drawn with characters
    )
]


@dataclass(frozen=True)
class Item:
    """A cell-like thing in a row: a figure, a printed null marker or a blank between separators."""

    kind: str
    start: int
    end: int
    line: int  # index of the line it stands on, for layout decisions
    glued: bool = False  # separated from the previous item by a single space only


def mask_non_figures(folded: str, pipes_separate: bool) -> str:
    """The folded text with page numbers, list numbers, dates, notes etc. replaced by a filler."""
    out = folded if pipes_separate else folded.replace("|", "l")  # OCR: "|" for 1 in unruled text
    for pattern in _NOT_FIGURES:
        out = pattern.sub(lambda m: _FILLER * len(m.group()), out)
    assert len(out) == len(folded)
    return out


def items_between(masked: str, start: int, end: int, pipes_separate: bool) -> list[Item]:
    """The figures, null markers and blanks of ``masked[start:end]``, in order."""
    seps = HARD_SEPARATORS if pipes_separate else HARD_SEPARATORS.replace("|", "")
    items: list[Item] = []
    piece_start = start
    line = masked.count("\n", 0, start)
    for pos in range(start, end + 1):
        if pos < end and masked[pos] not in seps:
            continue
        items += _piece_items(masked, piece_start, pos, line, bounded=piece_start > start and pos < end)
        line += masked.count("\n", piece_start, pos)
        piece_start = pos + 1
    return items


def _piece_items(masked: str, start: int, end: int, line: int, bounded: bool) -> list[Item]:
    piece = masked[start:end]
    if not piece.strip():
        return [Item(BLANK, start, end, line)] if bounded and "\n" not in piece else []
    items = []
    prev_end = None
    for word in re.finditer(r"[^\s]+", piece):
        w_start, w_end = start + word.start(), start + word.end()
        w_line = line + piece.count("\n", 0, word.start())
        glued = prev_end is not None and masked[prev_end:w_start] == " "
        if is_null_marker(word.group()) and not _inside_prose(masked, w_start, w_end):
            items.append(Item(NULL, w_start, w_end, w_line, glued))
        elif word.group() in ("O", "o", "l", "I"):  # a lone OCR letter in a cell is a digit
            items.append(Item(FIG, w_start, w_end, w_line, glued))
        else:
            for m in FIGURE_PATTERN.finditer(word.group()):
                items.append(Item(FIG, w_start + m.start(), w_start + m.end(), w_line, glued))
                glued = False
        prev_end = w_end
    return items


def _inside_prose(masked: str, start: int, end: int) -> bool:
    """A "无" with CJK beside it is a word ("无 法提供" with spaced-out letters), not a null cell."""
    if masked[start:end] != "无":
        return False
    before = masked[:start].rstrip(" ")[-1:]
    after = masked[end:].lstrip(" ")[:1]
    return any("\u4e00" <= ch <= "\u9fff" for ch in before + after)


def cells_of(items: list[Item], ncols: int) -> tuple[list[Item], str | None]:
    """Choose the row's cells among its items; the second value explains any doubt.

    Leading and trailing blanks belong to the grid (merged label cells, trailing separators);
    blanks between figures are cells. Single-space-split thousands ("2 259") are joined when
    that is what makes the count come out right.
    """
    filled = [it for it in items if it.kind != BLANK]
    if len(filled) == ncols:
        return filled, None
    inner = _trim_blanks(items)
    if len(inner) == ncols:
        return inner, None
    if len(filled) > ncols:
        joined = _join_thousands(filled, ncols)
        if joined is not None:
            return joined, None
        return filled[:ncols], f"{len(filled)} figures for {ncols} columns; the first {ncols} taken"
    return filled, f"{len(filled)} figures for {ncols} columns"


def _trim_blanks(items: list[Item]) -> list[Item]:
    kinds = [it.kind != BLANK for it in items]
    if True not in kinds:
        return []
    first = kinds.index(True)
    last = len(kinds) - 1 - kinds[::-1].index(True)
    return items[first : last + 1]


def _join_thousands(items: list[Item], ncols: int) -> list[Item] | None:
    """Join "2 259"-style pairs (a single space, then exactly three digits) to reach ncols."""
    joinable = [i for i in range(1, len(items)) if items[i].glued and items[i].kind == FIG
                and items[i - 1].kind == FIG and items[i].end - items[i].start == 3]
    need = len(items) - ncols
    if need > len(joinable) or need > 4:
        return None
    for chosen in itertools.combinations(joinable, need):
        if any(b - a == 1 for a, b in zip(chosen, chosen[1:])):
            continue  # "1 234 567" chains are not worth the ambiguity
        out = list(items)
        for i in sorted(chosen, reverse=True):
            out[i - 1 : i + 1] = [Item(FIG, out[i - 1].start, out[i].end, out[i - 1].line)]
        return out
    return None


def display_column(text: str, pos: int) -> float:
    """Where ``pos`` stands on its line in display columns (CJK counts two), for aligned text."""
    line_start = text.rfind("\n", 0, pos) + 1
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text[line_start:pos])


def place_by_columns(text: str, figures: list[Item], centres: list[float]) -> list[int] | None:
    """Column index of each figure of a short row on one line, from where full rows put them.

    Used for space-aligned text, where a blank cell is a wider gap: the figures keep their
    order and each goes to the column whose centre is nearest (a monotone assignment).
    """
    if not figures or len({f.line for f in figures}) != 1 or len(figures) >= len(centres):
        return None
    xs = [(display_column(text, f.start) + display_column(text, f.end)) / 2 for f in figures]
    best: tuple[float, tuple[int, ...]] | None = None
    for cols in itertools.combinations(range(len(centres)), len(figures)):
        cost = sum(abs(x - centres[c]) for x, c in zip(xs, cols))
        if best is None or cost < best[0]:
            best = (cost, cols)
    assert best is not None
    spacing = min(b - a for a, b in zip(centres, centres[1:])) if len(centres) > 1 else 1.0
    if best[0] / len(figures) > spacing / 3:
        return None  # too far from every column: not an aligned layout
    return list(best[1])
