"""Read the figures of one table row out of the text between its label and the next anchor.

One reader serves every layout the reports come in, because it only needs the separators:
tab rows with stray breaks ("0\t0\t0\t"), one cell per line ("\t0\n\t0\n"), pipe-mangled lines
("0 |\n0 |\n2259 | |"), markdown and box-drawn tables ("│ 0 │"), columns aligned by spaces
(`pdftotext -layout`) and single-spaced text (pdfplumber). Between two hard separators (tab,
pipe, box rule) an empty cell is a blank: null, never 0. Soft separators (line breaks, runs of
spaces) split cells but cannot show a blank.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from ..text import folding_to
from ..values import FIGURE_PATTERN, NULL_MARKERS, is_null_marker

FIG, NULL, BLANK, TEXT = "figure", "null", "blank", "text"
_FILLER = "※"
_ZEROS = str.maketrans("OoD", "000")
_OCR_WORD = re.compile(r"[OoDlI]{1,3}")  # stands in for ignored text; a label-like character, so never a blank or a figure

HARD_SEPARATORS = "\t│┃║┆┇┊┋|"
_SEPARATOR = re.compile("[" + re.escape(HARD_SEPARATORS) + "]")
_SEPARATOR_NO_PIPE = re.compile("[" + re.escape(HARD_SEPARATORS.replace("|", "")) + "]")
_WORD = re.compile(r"[^\s]+")
_NEWLINE = re.compile("\n")
_HAS_DIGIT = re.compile("[0-9]")  # FIGURE_PATTERN's figures hold one
# Words longer than this and without a digit make no item: no null marker nor OCR word is longer.
_SHORT_WORD = max(3, *map(len, NULL_MARKERS))
_SHORT_WORDS = re.compile(rf"(?<!\S)\S{{1,{_SHORT_WORD}}}(?!\S)")
_DIGITS = frozenset("0123456789")
# Page numbers, each a whole line: "— 5 —", "-4-"; 第 5 页; "5/12" (the line without its break).
_PAGE_NUMBER_LINE = (
    r"[ \t]*[-—–~_]+[ \t]*\d{1,3}[ \t]*[-—–~_]+[ \t]*"
    r"|[ \t]*第[ \t]*\d{1,3}[ \t]*页([ \t]*[,，]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?[ \t]*"
    r"|[ \t]*\d{1,3}[ \t]*/[ \t]*\d{1,3}[ \t]*"
)
# The first line's, and every other line's after the line break that opens it: ``^…$`` with re.M,
# spelt so that the regex engine skips to the line breaks (a literal it finds fast) instead of
# trying every position.
_FIRST_PAGE_NUMBER = re.compile(rf"(?:{_PAGE_NUMBER_LINE})(?=\n|\Z)")
_PAGE_NUMBER = re.compile(rf"\n(?:{_PAGE_NUMBER_LINE})(?=\n|\Z)")
# Notes: "（其中修订16件）", "（单位：万元）". Folded text holds no full-width parenthesis (folding
# makes "（" a "("): there a note opens with a literal "(" (``_NOTE_IN_FOLDED``), the same matches.
_NOTE = re.compile(r"[(（][^()（）\n]*?[\u4e00-\u9fff][^()（）\n]*?[)）]")
_NOTE_IN_FOLDED = re.compile(r"\([^()（）\n]*?[\u4e00-\u9fff][^()（）\n]*?[)）]")
# Each pattern begins with a literal where it can, else with a single character class (``\d\d{3}``
# for ``\d{4}``, the lookbehind after the first digit), so as to let the regex engine skip to where
# it can match: the same matches, found without trying every position of the text (a literal is
# found some ten times faster than a class). Where one pattern is spelt as several, one per first
# character ("(" or "（", "http" or "www.", each rule character), their matches cannot overlap and
# masking one can neither make nor undo another's, so one pass after the other finds what one did.
_NOT_FIGURES = [
    re.compile(r"第[^\n第]{1,8}?条\s*第[^\n]{1,8}?项"),  # 第二十条第（一）项, 第20条第(1)项, spaced out
    re.compile(r"\d(?<![\d.]\d)\d?\s*[.、．,，](?=[ \t]*[^\d\s.,])"),  # list numbers "1." "2、", even "1\n."
    re.compile(r"\([ \t]*[\d一二三四五六七八九十]{1,2}[ \t]*[)）]"),  # "(1)" "（三）"
    re.compile(r"（[ \t]*[\d一二三四五六七八九十]{1,2}[ \t]*[)）]"),
    _NOTE,
    # Three that open with a digit, in one pass (a pass visits every digit of the text, most of
    # them the tables' figures), tried in this order at each digit. (The list numbers stay a pass
    # of their own before the notes: masked after them, OCR'd text reads differently.)
    re.compile(r"\d(?:"
               r"\d{3}[ \t]*[年./-][ \t]*\d{1,2}[ \t]*[月./-](?:[ \t]*\d{1,2}[ \t]*日?)?"  # dates
               r"|\d{1,3}[ \t]*年度?|\d?[ \t]*月[ \t]*\d{1,2}[ \t]*日"  # "2020年度", "1月10日"
               r"|\d{2,3}-\d{7,8}|(?<=(?<!\d)1)[3-9]\d{9}(?!\d))"),  # phone numbers: 0571-87654321, 13912345678
    re.compile(r"https?://\S+"),  # links
    re.compile(r"www\.\S+"),
    re.compile(r"\[[^\]\n]*[A-Za-z][^\]\n]*\]"),  # "[bookmark: _GoBack]"
    # rules drawn with characters: runs of three or more "-", "—", "=", "_", of two or more "─", "━"
    *(re.compile(re.escape(ch * n) + "+") for ch, n in (("-", 3), ("—", 3), ("=", 3), ("_", 3), ("─", 2), ("━", 2))),
]


# Not frozen: a frozen dataclass sets each field through ``object.__setattr__``, five times the
# cost of building a plain one, and a report makes hundreds of items. Never changed once made;
# compared and hashed by value as before.
@dataclass(slots=True, unsafe_hash=True)
class Item:
    """A cell-like thing in a row: a figure, a printed null marker or a blank between separators."""

    kind: str
    start: int
    end: int
    line: int  # index of the line it stands on, for layout decisions
    glued: bool = False  # separated from the previous item by a single space only
    crosses_line: bool = False  # a blank that runs over a line break


FUSED_ZEROS = "fused zeros split"  # the warning of a row whose zeros OCR ran together


def mask_non_figures(folded: str, pipes_separate: bool) -> str:
    """The folded text with page numbers, list numbers, dates, notes etc. replaced by a filler."""
    out = folded if pipes_separate else folded.replace("|", "l")  # OCR: "|" for 1 in unruled text
    first = _FIRST_PAGE_NUMBER.match(out)
    if first:
        out = _FILLER * first.end() + out[first.end():]
    out = _PAGE_NUMBER.sub(lambda m: "\n" + _FILLER * (len(m.group()) - 1), out)
    folded_parens = "（" not in out  # and none is made by the masking
    for pattern in _NOT_FIGURES:
        if pattern is _NOTE and folded_parens:
            pattern = _NOTE_IN_FOLDED
        out = pattern.sub(lambda m: _FILLER * len(m.group()), out)
    assert len(out) == len(folded)
    return out


# A line holding only no-break spaces: an empty HTML cell ("<td>&nbsp;</td>", as Word, WPS and the
# portals' editors write one) in text flattened one cell per line (BeautifulSoup ``get_text("\n")``).
_NBSP_LINE = re.compile(r"^[ \t]*\u00a0[\u00a0 \t]*$", re.M)
BLANK_MARK = "\u25a1"  # stands in the masked text for such a cell
# The characters an item needs (``_word_items``): a digit (every figure holds one), an OCR letter
# read as a digit, the blank mark, a null marker's (as printed or before folding). Text without
# any makes no item: labels, prose, masked list numbers.
_ITEM_CHARS = re.escape("0123456789OoDlI" + BLANK_MARK + folding_to("".join(sorted(set("".join(NULL_MARKERS))))))
_ITEM_CHAR = re.compile(f"[{_ITEM_CHARS}]")
# The usual pieces between two separators, told apart by one match (``items_between``): one figure
# of plain digits ("0", "\t12\n"; group 1 the figure); text on one line without an item character
# (a label, a masked "2."; no group), which ``_piece_items`` reads as a text item; only
# whitespace, or nothing (group 2). Anything else (no match) is ``_piece_items``' to read.
_PIECE = re.compile(rf"\s*([0-9]+)\s*|[^\S\n]*[^\s{_ITEM_CHARS}][^\n{_ITEM_CHARS}]*|(\s*)")
_LONE, _EMPTY = 1, 2  # ``lastindex`` of a figure's match and of an empty piece's


def mark_nbsp_cells(text: str, masked: str) -> str:
    """``masked`` with each no-break-space-only line of ``text`` (an empty cell) marked ``BLANK_MARK``."""
    if "\u00a0" not in text:  # found in C before the line-by-line pattern runs
        return masked
    found = [m for m in _NBSP_LINE.finditer(text)]
    if not found:
        return masked
    chars = list(masked)
    for m in found:
        pos = m.start() + m.group().index("\u00a0")
        chars[pos] = BLANK_MARK
    return "".join(chars)


def tab_rows(text: str) -> bool:
    """True when tabs separate the cells of whole rows ("规章\t0\t0\t0"), not one cell per line."""
    return one_line_rows(text, "\t")


def one_line_rows(text: str, separators: str) -> bool:
    """True when most lines that carry these separators carry several: each row is one line
    (tab rows, markdown, box-drawn tables), not one cell per line ("0 |" lines)."""
    if not any(ch in text for ch in separators):
        return False  # none at all (also no separators given): found in C before the pattern's pass
    seconds = _separated_lines(separators).findall(text)  # per line with one: its second, or ""
    return bool(seconds) and (len(seconds) - seconds.count("")) * 2 >= len(seconds)


# Line breaks as ``str.splitlines`` knows them.
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@functools.lru_cache(maxsize=16)
def _separated_lines(separators: str) -> re.Pattern:
    """One match per line that carries these separators, from its first one to the line's end,
    its group the line's second separator if any: every line counted by one pass in C, not
    split and searched line by line. Made once per set of separators."""
    sep, rest = "[" + re.escape(separators) + "]", "[^" + _LINE_BREAKS + "]"
    return re.compile(f"{sep}(?:{rest}*?({sep}))?{rest}*")


def separated(masked: str, start: int, end: int, pipes_separate: bool) -> bool:
    """Whether a hard separator stands in ``masked[start:end]`` ("|" only where pipes separate)."""
    return (_SEPARATOR if pipes_separate else _SEPARATOR_NO_PIPE).search(masked, start, end) is not None


def items_between(masked: str, start: int, end: int, pipes_separate: bool, rows_by_tabs: bool = False) -> list[Item]:
    """The figures, null markers, blanks and text pieces of ``masked[start:end]``, in order."""
    separator = _SEPARATOR if pipes_separate else _SEPARATOR_NO_PIPE
    items: list[Item] = []
    piece_start = start
    line = bisect.bisect_left(_line_breaks(masked), start)  # line breaks before ``start``
    # The separators' positions found in C, then ``end`` closing the last piece.
    cuts = [m.start() for m in separator.finditer(masked, start, end)] + [end]
    fullmatch, count = _PIECE.fullmatch, masked.count
    for pos in cuts:
        piece = fullmatch(masked, piece_start, pos)
        kind = -1 if piece is None else piece.lastindex
        if kind == _LONE:
            # The usual cell, "0", "\t12\n": one figure of plain digits, read here as
            # ``_piece_items`` reads it, unless a line break beside it makes that cut the piece.
            s, e = piece.span(1)
            above = count("\n", piece_start, s)
            if not (above and _tab_before(masked, piece_start) or rows_by_tabs and _cut_after(masked, e, pos, rows_by_tabs)):
                items.append(Item(FIG, s, e, line + above))
                line += above + count("\n", e, pos)
                piece_start = pos + 1
                continue
        elif kind is None:
            # A label or a masked list number on one line: a text item, as ``_piece_items`` reads it.
            items.append(Item(TEXT, piece_start, pos, line))
            piece_start = pos + 1
            continue
        elif kind == _EMPTY and piece_start > start and pos < end:
            # An empty cell between two separators: a blank, as ``_piece_items`` reads it.
            breaks = count("\n", piece_start, pos)
            items.append(Item(BLANK, piece_start, pos, line, crosses_line=breaks > 0))
            line += breaks
            piece_start = pos + 1
            continue
        items += _piece_items(masked, piece_start, pos, line, piece_start > start and pos < end, rows_by_tabs)
        line += count("\n", piece_start, pos)
        piece_start = pos + 1
    return items


def _tab_before(masked: str, start: int) -> bool:
    """A tab ends the previous cell: a line break that opens the piece leaves an empty cell."""
    return start > 0 and masked[start - 1] == "\t"


def _cut_after(masked: str, word_end: int, end: int, rows_by_tabs: bool) -> bool:
    """Where tabs separate whole rows, a line break after the piece's word before the next tab
    ends the row: ``_piece_items`` gives the next line's empty first cell."""
    return rows_by_tabs and end < len(masked) and masked[end] == "\t" and masked.find("\n", word_end, end) >= 0


@functools.lru_cache(maxsize=2)
def _line_breaks(masked: str) -> list[int]:
    """Where the text's line breaks stand: found once per text, not counted from its start per row."""
    return [m.start() for m in _NEWLINE.finditer(masked)]


def _piece_items(masked: str, start: int, end: int, line: int, bounded: bool, rows_by_tabs: bool) -> list[Item]:
    piece = masked[start:end]
    if not piece.strip():
        if bounded:
            return [Item(BLANK, start, end, line, crosses_line="\n" in piece)]
        if rows_by_tabs and "\n" in piece and start > 0 and masked[start - 1] == "\t":
            # "规章\t0\t\t\n": the tab that ends a row's line opens its last, empty cell (or
            # closes the row; the grid of the table's complete rows tells which, ``padding``).
            return [Item(BLANK, start, start + piece.index("\n"), line)]
        return []
    # An empty cell next to a line break merges into the text on the other side of it.
    # (Pipe lines end every cell with "|\n": there a line break after a separator is normal.)
    head, newline, _ = piece.partition("\n")
    if newline and not head.strip() and start > 0 and masked[start - 1] == "\t":
        # "0\t\n3.危及…", "\t0\n\t\n\n四、…": the row's last cell is empty, the next row follows.
        rest = start + len(head) + 1
        return [Item(BLANK, start, start + len(head), line)] + _piece_items(masked, rest, end, line + 1, bounded, rows_by_tabs)
    _, newline, tail = piece.rpartition("\n")
    # Only where tabs separate whole rows: one-cell-per-line text has a tab before every cell.
    if rows_by_tabs and newline and not tail.strip() and end < len(masked) and masked[end] == "\t" and piece[: -len(tail) - 1].strip():
        # "…总计\n\t5\t1": the line after the header starts with an empty cell.
        cut = end - len(tail)
        return (_piece_items(masked, start, cut - 1, line, bounded, rows_by_tabs)
                + [Item(BLANK, cut, end, line + piece.count("\n"))])
    items = _words_items(masked, piece, start, line)
    if not items:  # a label, caption or note: it bounds the blanks around it
        items.append(Item(TEXT, start, end, line))
    return items


def _words_items(masked: str, piece: str, start: int, line: int) -> list[Item]:
    """The items of the words of ``piece`` (which starts at ``start`` on line ``line``)."""
    if not _ITEM_CHAR.search(piece) or not _HAS_DIGIT.search(piece) and not _SHORT_WORDS.search(piece):
        return []  # labels and prose: no item character, or every word long and without a digit
    items: list[Item] = []
    prev = None  # the previous word's end in ``piece``
    for word in _WORD.finditer(piece):
        w, (s, e) = word.group(), word.span()
        # Lines counted from the previous word on, not from the piece's start for every word.
        line += piece.count("\n", 0 if prev is None else prev, s)
        glued = prev is not None and s - prev == 1 and piece[prev] == " "
        if w.isdigit() and w.isascii():  # most words of a table: FIGURE_PATTERN takes them whole
            items.append(Item(FIG, start + s, start + e, line, glued))
        elif len(w) > _SHORT_WORD and not _HAS_DIGIT.search(w):
            pass  # no digit, too long for a null marker or OCR letters: a label or prose
        else:
            items += _word_items(masked, w, start + s, start + e, line, glued)
        prev = e
    return items


def _word_items(masked: str, word: str, start: int, end: int, line: int, glued: bool) -> list[Item]:
    """A word's items: a blank mark, a null marker, OCR letters alone (a figure), or its figures."""
    if word[0] not in _DIGITS:  # the first three never open with a digit: most words skip them
        if word == BLANK_MARK:
            return [Item(BLANK, start, end, line)]
        if is_null_marker(word) and not _inside_prose(masked, start, end):
            return [Item(NULL, start, end, line, glued)]
        if _OCR_WORD.fullmatch(word):  # "O", "l", "DO": OCR letters alone in a cell are digits
            return [Item(FIG, start, end, line, glued)]
    out = []
    for m in FIGURE_PATTERN.finditer(word):
        out.append(Item(FIG, start + m.start(), start + m.end(), line, glued))
        glued = False
    return out


def _inside_prose(masked: str, start: int, end: int) -> bool:
    """A null marker inside spaced-out words is text: "无 法提供", "本 年 增 / 减"."""
    before = masked[max(0, start - 3):start].rstrip(" ")[-1:]
    after = masked[end:end + 3].lstrip(" ")[:1]
    cjk = [bool(ch) and "\u4e00" <= ch <= "\u9fff" for ch in (before, after)]
    return any(cjk) if masked[start:end] == "无" else all(cjk)


def padding(items: list[Item], ruled: bool = False, one_line_rows: bool = False) -> tuple[int, int]:
    """Blanks right before the first and right after the last figure: grid or empty cells.

    In ruled text ("| 0 | 0 |") the blank from a row's closing rule to the next row's opening
    one spans the line break; it is no cell, and the last row of a table does not have it.
    Where each row is one line (tab rows), blanks on another line belong to the next row.
    """
    filled = [i for i, it in enumerate(items) if it.kind in (FIG, NULL)]
    if not filled:
        return 0, 0
    first, last = items[filled[0]], items[filled[-1]]
    lead = 0
    for it in reversed(items[: filled[0]]):
        # Unruled, the empty first cell of a line that opens with a tab runs on from the line
        # break before it ("15\t\n\t\t0"): it belongs to the row's line.
        opens_line = not ruled and it.crosses_line and it.line + 1 == first.line
        if it.kind != BLANK or (one_line_rows and it.line != first.line and not opens_line):
            break
        lead += 1
    trailing = []
    for it in items[filled[-1] + 1 :]:
        if it.kind != BLANK or (one_line_rows and it.line != last.line):
            break
        trailing.append(it)
    if ruled and trailing and trailing[-1].crosses_line:
        trailing.pop()
    return lead, len(trailing)


def cells_of(masked: str, items: list[Item], ncols: int, grid: tuple[int, int] | None = None,
             ruled: bool = False, one_line_rows: bool = False) -> tuple[list[Item], str | None]:
    """Choose the row's cells among its items; the second value explains any doubt.

    Blanks between figures are cells. Blanks before the first and after the last figure are
    usually the grid (merged label cells, "| ||" row ends): ``grid`` is how many of them the
    document's complete rows show, and only blanks beyond that count as empty cells.
    Single-space-split thousands ("2 259") are joined when that makes the count come out right.
    """
    filled = [it for it in items if it.kind in (FIG, NULL)]
    if len(filled) == ncols:
        return filled, None
    if not filled:
        blanks = _all_blank_row(items, ncols, grid, ruled, one_line_rows)
        if blanks is not None:
            return blanks, None
        marked = [it for it in items if it.kind == BLANK and masked[it.start:it.end] == BLANK_MARK]
        if len(marked) == ncols:  # a row of empty HTML cells, one a line
            return marked, None
        return [], f"no figures for {ncols} columns"
    first, last = items.index(filled[0]), items.index(filled[-1])
    inner = [it for it in items[first : last + 1] if it.kind != TEXT]
    if len(inner) == ncols:
        return inner, None
    if len(filled) > ncols:
        joined = _join_thousands(filled, ncols)
        if joined is not None:
            return joined, None
        return filled[:ncols], f"{len(filled)} figures for {ncols} columns; the first {ncols} taken"
    split = _split_leading_zeros(masked, inner, ncols)
    if split is not None:
        return split, FUSED_ZEROS
    if grid is not None:
        lead, trail = padding(items, ruled, one_line_rows)
        extra_lead, extra_trail = max(0, lead - grid[0]), max(0, trail - grid[1])
        if len(inner) + extra_lead + extra_trail == ncols:
            return items[first - extra_lead : first] + inner + items[last + 1 : last + 1 + extra_trail], None
        if ruled and one_line_rows and extra_trail and len(inner) + extra_trail == ncols:
            # A ruled table's figure columns end at its right rule, while its label columns vary
            # from row to row (an empty sub-label cell): blanks before the row's last rule are cells.
            return inner + items[last + 1 : last + 1 + extra_trail], None
    return filled, f"{len(filled)} figures for {ncols} columns"


def _all_blank_row(items: list[Item], ncols: int, grid: tuple[int, int] | None, ruled: bool,
                   one_line_rows: bool) -> list[Item] | None:
    """A row of ruled or tab-separated text that prints no figure at all: its label, then one run of
    empty cells on its line, as many as its columns once the table's usual padding (``padding``)
    is taken off."""
    if grid is None or not (ruled or one_line_rows):
        return None
    kinds = "".join("b" if it.kind == BLANK else "t" if it.kind == TEXT else "f" for it in items)
    run = re.match(r"(t+)(b+)", kinds)
    if run is None or "f" in kinds:
        return None
    blanks = items[run.start(2):run.end(2)]
    blanks = [it for it in blanks if it.line == blanks[0].line]
    if ruled and blanks[-1].crosses_line:
        blanks.pop()  # from the row's closing rule to the next row's opening one: no cell
    if any(it.crosses_line for it in blanks[:-1]):
        return None
    inner = blanks[grid[0]:len(blanks) - grid[1]]
    return inner if len(inner) == ncols else None


def _split_leading_zeros(text: str, inner: list[Item], ncols: int) -> list[Item] | None:
    """Split figures no report prints, "00", "019", "DO", into their cells: OCR lost the gap.

    A count never has a leading zero, so "019" is "0" and "19" fused. Taken only when the
    split gives the row exactly its number of cells.
    """
    out = []
    for it in inner:
        digits = text[it.start:it.end].translate(_ZEROS) if it.kind == FIG else ""
        zeros = len(digits) - len(digits.lstrip("0"))
        if zeros and len(digits) > 1 and "." not in digits and "," not in digits:
            zeros = min(zeros, len(digits) - 1) if digits.strip("0") else len(digits)
            out += [Item(FIG, it.start + k, it.start + k + 1, it.line) for k in range(zeros)]
            if it.start + zeros < it.end:
                out.append(Item(FIG, it.start + zeros, it.end, it.line))
        else:
            out.append(it)
    return out if len(out) == ncols and len(out) > len(inner) else None


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
    return _line_columns(text, line_start)[pos - line_start]


@functools.lru_cache(maxsize=256)
def _line_columns(text: str, line_start: int) -> tuple[int, ...]:
    """The display column of every offset of the line at ``line_start``, summed once per line
    rather than from the line's start for every figure asked about."""
    line_end = text.find("\n", line_start)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    widths = (2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
    return (0, *itertools.accumulate(widths))


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
