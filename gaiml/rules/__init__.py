"""The rule-based extractor: anchors on printed labels, reads figures by separators.

Steps: detect the template and 其他处理 form; find every table heading and row label and chain
them in template order (``anchors``); read each row's figures from the text between its label
and the next anchor (``layouts``); place rows that lost a cell by column position or, failing
that, by arithmetic (``complete``).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache, partial

from .. import schema
from ..document import BLANK_BY_POSITION_NOTE, BLANK_CELL_NOTE, BLANK_COLUMN_NOTE, CellReading, Reading
from ..frame import Frame
from ..text import CompactText, fold, pipes_separate
from ..values import FIGURE_PATTERN, OCR_LETTERS, parse_cell
from . import anchors as A
from . import boxed as B
from . import glued as G
from . import header_rows as H
from . import spaced as SP
from . import stream_order as S
from . import tesseract_text as T
from ..verify.complete import DERIVED_NOTE, complete_rows, placement_warning
from .layouts import BLANK, FIG, FUSED_ZEROS, HARD_SEPARATORS, NULL, Item, cells_of, display_column, items_between, mark_nbsp_cells, mask_non_figures, one_line_rows, padding, place_by_columns, separated, tab_rows

ENGINE = "rules"
CONFIDENCE = {"clean": 0.97, "ocr": 0.85, "null": 0.95, "blank": 0.85, "derived": 0.7, "doubtful": 0.5}
T4_BLOCK = "t4.block"
# OCR_LETTERS (and a gap: space or pipe) as one compiled class, searched in C for every cell.
_OCR_LETTER = re.compile(f"[{re.escape(OCR_LETTERS)}]")
_OCR_OR_GAP = re.compile(f"[{re.escape(OCR_LETTERS)} |]")
# A row whose figures these separate is never read as glued.
_GLUE_BREAKERS = re.compile("[\t│┃║]")
# A row's figures are read at most this far past its label when no next anchor bounds them.
MAX_TAIL = 1500


@dataclass
class _Row:
    """A table row (or the whole 表四 block) as read: its keys and the items chosen for them."""

    name: str
    keys: list[str]
    kinds: list[str]
    raw_items: list[Item] | None = None  # everything between the label and the next anchor
    items: list[Item] | None = None  # the row's cells, when they could be chosen
    doubt: str | None = None
    same_line_spaces: bool = False
    segment: tuple[int, int] | None = None  # from the label's end to where the row's figures end


class RuleExtractor:
    """Extract every cell of a report's tables with rules that know the templates."""

    name = ENGINE

    @classmethod
    def load(cls, settings=None) -> RuleExtractor:
        """The rules need nothing loaded; the same call as every engine's (``gaiml.pipeline.ENGINES``)."""
        return cls()

    def extract(self, text: str, template: str | None = None, other_form: str | None = None) -> Reading:
        """Read the tables of a bare ``text``; ``template``/``other_form`` override detection."""
        return self.read(Frame.of(text, template, other_form))

    def read(self, frame: Frame) -> Reading:
        """Read the tables of a report whose template, form and year the pipeline detected."""
        text, folded, compact = frame.text, frame.folded, frame.compact
        year, tpl, form = frame.year, frame.template, frame.other_form
        pipes = pipes_separate(folded)
        if pipes:  # "| 自然人<br>47 |": the heading a converter pulled into the cell is neither label nor cell
            folded = H.blank_pulled_headers(folded)
            compact = CompactText.of(folded)
        masked = mark_nbsp_cells(text, mask_non_figures(folded, pipes))
        numbering = H.numbering_rows(masked)
        masked = H.mask_numbering(masked, numbering)  # 栏次 "1 2 … 7" is no row
        anchor_list = _anchors(tpl.value, form.value)
        occurrences = A.locate(folded, compact, anchor_list)
        figure_starts = [m.start() for m in FIGURE_PATTERN.finditer(masked)]
        picked = A.chain(anchor_list, occurrences, figure_starts)
        rows = _read_rows(tpl.value, form.value, anchor_list, picked, masked, pipes)
        warnings: list[str] = []
        cells = _cells_from_rows(text, rows, tpl.value, form.value, warnings, folded, masked)
        H.reread_by_tab_grid(masked, numbering, rows, cells, lambda how, s, e, kind: _reading(text, Item(how, s, e, 0), kind, None, H.GRID_NOTE), warnings)
        relations, read = schema.relations(tpl.value, form.value), partial(_reading, text)
        B.reread(text, masked, picked, rows, cells, read, relations, warnings)  # box-drawn rows wrapped over lines
        SP.reread(text, masked, numbering, rows, cells, read, relations, warnings)  # cells apart by spaces only
        S.reread(text, masked, picked, cells, tpl.value, form.value, warnings)  # labels and figures apart
        T.reread(text, masked, picked, cells, tpl.value, form.value, warnings, frame.folded)  # Tesseract's table lines
        found = sum(1 for r in rows if r.items)
        return Reading(tpl, form, year, cells, found, warnings, ocr_traces=_ocr_traces(text, picked, cells, warnings))


_BOX_DRAWING = re.compile("[\u2500-\u257f]")


def _ocr_traces(text: str, picked: dict[str, A.Occurrence], cells: dict[str, CellReading], warnings: list[str]) -> int:
    """Signs that the text went through OCR (gaiml/verify/unchecked.py): row labels found only
    approximately, figures printed with OCR letters ("1O", "l2"), runs of zeros fused together,
    cells of Tesseract table lines that show its damage (a lost label, no figure, zeros as letters).
    A label cut by a box-drawn table's rules ("│") wrapped in its cell: a text browser drew it, and
    OCR prints no box-drawing character."""
    labels = sum(1 for occ in picked.values() if occ.score < 1 and not _BOX_DRAWING.search(text, occ.start, occ.end))
    letters = tesseract = 0
    for c in cells.values():
        # Digits alone hold no OCR letter (the test most cells pass, before folding and searching).
        if c.text and c.value is not None and not c.text.isdigit() and _OCR_LETTER.search(fold(c.text)):
            letters += 1
        if c.note in T.DAMAGE_NOTES:
            tesseract += 1
    fused = sum(1 for w in warnings if w.endswith(FUSED_ZEROS))
    return labels + letters + fused + tesseract


@lru_cache(maxsize=8)
def _anchors(template: str, other_form: str) -> tuple[A.Anchor, ...]:
    """The anchors of a template and form, in template order: made once, read by every report."""
    out = []
    for table in schema.tables(template, other_form):
        out.append(A.Anchor(f"{table.key}.heading", A.HEADING, table.headings, weight=0.5))
        if table.key == "t4":
            out.append(A.Anchor(T4_BLOCK, A.ROW, ("行政复议",)))
            continue
        for i, row in enumerate(table.rows):
            short = min(len(a) for a in row.anchors) < A.TETHER_BELOW
            out.append(A.Anchor(f"{table.key}.{row.key}", A.ROW, row.anchors, tethered=short and i > 0))
    out.append(A.Anchor("end", A.END, schema.AFTER_TABLES_HEADINGS, weight=0.5))
    return tuple(out)


def _read_rows(template, other_form, anchor_list, picked, masked, pipes) -> list[_Row]:
    order = [a.name for a in anchor_list]
    rows_by_tabs = tab_rows(masked)
    starts = sorted(o.start for o in picked.values())
    rows = []
    for name, keys, kinds in _row_blocks(template, other_form):
        row = _Row(name, list(keys), list(kinds))
        rows.append(row)
        occ = picked.get(name)
        if occ is None:
            continue
        k = bisect.bisect_left(starts, occ.end)  # the next anchor's start
        nxt = starts[k] if k < len(starts) else None
        last_of_table = _is_last_before(order, name, picked)
        end = nxt if nxt is not None else min(len(masked), occ.end + MAX_TAIL)
        if last_of_table:
            end = _cut_at_prose(masked, occ.end, end)
        row.raw_items = items_between(masked, occ.start, end, pipes, rows_by_tabs)
        row.segment = (occ.end, end)
        row.same_line_spaces = not separated(masked, occ.start, end, pipes)
    separators = HARD_SEPARATORS if pipes else HARD_SEPARATORS.replace("|", "")
    _choose_cells(masked, rows, pipes or any(ch in masked for ch in "│┃║"), one_line_rows(masked, separators))
    return rows


@lru_cache(maxsize=8)
def _row_blocks(template: str, other_form: str) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """(name, cell keys, cell kinds) of every row read, 表四 as one block, in template order."""
    out = []
    for table in schema.tables(template, other_form):
        blocks = [(T4_BLOCK, list(table.rows))] if table.key == "t4" else [(f"{table.key}.{r.key}", [r]) for r in table.rows]
        for name, row_defs in blocks:
            out.append((name, tuple(f"{table.key}.{r.key}.{c.key}" for r in row_defs for c in r.columns),
                        tuple(c.kind for r in row_defs for c in r.columns)))
    return tuple(out)


def _choose_cells(masked: str, rows: list[_Row], ruled: bool, one_line_rows: bool) -> None:
    """Each row's cells among its items, short rows judged against their table's usual grid."""
    complete = [r for r in rows if r.raw_items is not None
                and sum(1 for it in r.raw_items if it.kind == FIG or it.kind == NULL) == len(r.keys)]
    # Each complete row's padding once (not once per row read): by table, and for the document.
    by_table: dict[str, Counter] = {}
    document: Counter = Counter()
    for r in complete:
        pad = padding(r.raw_items, ruled, one_line_rows)
        by_table.setdefault(r.name.split(".")[0], Counter())[pad] += 1
        document[pad] += 1
    grids: dict[str, tuple[int, int] | None] = {}  # by table: the same for all its rows
    for row in rows:
        if row.raw_items is None:
            continue
        # The grid of the row's own table, else of the document (表四 has a single row). A row
        # whose table has no complete row is no complete row itself, so the document's grid
        # needs no exclusion of it.
        table = row.name.split(".")[0]
        if table not in grids:
            pads = by_table.get(table) or document
            grids[table] = pads.most_common(1)[0][0] if pads else None
        row.items, row.doubt = cells_of(masked, row.raw_items, len(row.keys), grids[table], ruled, one_line_rows)


def _is_last_before(order: list[str], name: str, picked) -> bool:
    """True when the next picked anchor is a heading or the end, or there is none."""
    for later in order[order.index(name) + 1 :]:
        if later in picked:
            return later.endswith(".heading") or later == "end"
    return True


def _cut_at_prose(masked: str, start: int, end: int) -> int:
    """End a table's last row where prose resumes: a line of many CJK characters, no figures."""
    pos = masked.find("\n", start)
    seen_figure = False
    while 0 <= pos < end:
        nxt = masked.find("\n", pos + 1)
        line = masked[pos + 1 : end if nxt < 0 else min(nxt, end)]
        if FIGURE_PATTERN.search(line):
            seen_figure = True
        elif seen_figure and len(re.findall(r"[\u4e00-\u9fff]", line)) >= 15:
            return pos
        if nxt < 0:
            break
        pos = nxt
    return end


def _cells_from_rows(text, rows: list[_Row], template, other_form, warnings, folded=None, masked=None) -> dict[str, CellReading]:
    relations = schema.relations(template, other_form)
    cells: dict[str, CellReading] = {}
    short: list[_Row] = []
    for row in rows:
        if row.items is None:
            warnings.append(f"{row.name}: row not found")
            continue
        if len(row.items) == len(row.keys):
            confidence = None if row.doubt is None else CONFIDENCE["doubtful"]
            for key, kind, item in zip(row.keys, row.kinds, row.items):
                cells[key] = _reading(text, item, kind, confidence, row.doubt)
            if row.doubt:
                warnings.append(f"{row.name}: {row.doubt}")
        else:
            short.append(row)
    if folded is not None and masked is not None:
        for row in _split_glued(text, folded, masked, rows, cells, relations, warnings):
            if row in short:
                short.remove(row)
    for row in _place_aligned(text, rows, short, cells):
        short.remove(row)
    _complete_short_rows(text, short, cells, relations, warnings)
    keys = schema.cell_keys(template, other_form)
    for key in keys:
        if key not in cells:  # not ``setdefault``: it would make a reading for every cell found too
            cells[key] = CellReading(None, None, None, None, 0.0, ENGINE, "not found")
    return {key: cells[key] for key in keys}


def _split_glued(text, folded, masked, rows: list[_Row], cells, relations, warnings) -> list[_Row]:
    """Rows whose figures a converter glued together ("规章3012"), split by the arithmetic
    (``glued``); returns the rows it read."""
    read = [row for row in rows if row.segment is not None and (row.items is not None or row.raw_items is not None)]
    found = []
    for row in read:
        if _GLUE_BREAKERS.search(masked, *row.segment) or not G.may_be_glued(folded, *row.segment):
            continue  # separated cells, or single digits: nothing is glued (cheap tests, before the runs)
        runs = G.runs_between(folded, masked, *row.segment)
        if G.is_glued(folded, runs, len(row.keys)):
            found.append((row, runs))
    if not found:
        return []
    # How many rows run their figures on from the label: counted only once some row is glued.
    attached = sum(G.attached(masked, G.runs_between(folded, masked, *row.segment)) for row in read)
    glued_rows = []
    for row, runs in found:
        if attached < 3 and not G.attached(masked, runs):
            continue
        splits = G.row_splits(folded, runs, row.keys, row.kinds, relations)
        if splits:
            glued_rows.append((row, G.GluedRow(row.name, row.keys, row.kinds, runs, splits, [text[s:e] for s, e in runs])))
    if not glued_rows:
        return []
    mine = {k for row, _ in glued_rows for k in row.keys}
    known = {k: c.value for k, c in cells.items() if k not in mine}
    solved = G.solve([g for _, g in glued_rows], known, relations)
    for row, g in glued_rows:
        if row.doubt and f"{row.name}: {row.doubt}" in warnings:
            warnings.remove(f"{row.name}: {row.doubt}")  # "fused zeros split": the run is read whole here
        open_cells = 0
        for key in row.keys:
            s = solved[key]
            cells[key] = CellReading(s.part.value, s.part.start, s.part.end, text[s.part.start:s.part.end], s.confidence, ENGINE, s.note)
            open_cells += s.confidence < CONFIDENCE["clean"] - 0.1
        how = f"{open_cells} cells left open" if open_cells else "split by the arithmetic"
        warnings.append(f"{row.name}: {G.NOTE} {' '.join(g.texts)}; {how}")
    return [row for row, _ in glued_rows]


def _reading(text: str, item: Item, kind: str, confidence: float | None = None, note: str | None = None) -> CellReading:
    raw = text[item.start : item.end]
    if item.kind == BLANK:
        return CellReading(None, item.start, item.end, raw, confidence or CONFIDENCE["blank"], ENGINE, BLANK_CELL_NOTE)
    if item.kind == FIG and raw.isdigit() and raw.isascii() and kind in schema.VALUE_KINDS:
        # Most cells: plain digits, which parse_cell reads as int and which hold no OCR letter or gap.
        return CellReading(int(raw), item.start, item.end, raw, CONFIDENCE["clean"] if confidence is None else confidence, ENGINE, note)
    try:
        value = parse_cell(raw, kind)
    except ValueError:
        return CellReading(None, item.start, item.end, raw, 0.0, ENGINE, f"unreadable figure {raw!r}")
    if confidence is None:
        if item.kind == NULL:
            confidence = CONFIDENCE["null"]
        elif _OCR_OR_GAP.search(fold(raw)):  # a letter or a gap read as a digit
            confidence = CONFIDENCE["ocr"]
        else:
            confidence = CONFIDENCE["clean"]
    return CellReading(value, item.start, item.end, raw, confidence, ENGINE, note)


def _place_aligned(text, rows: list[_Row], short: list[_Row], cells) -> list[_Row]:
    """Short rows of space-aligned tables: each figure to the column it stands under."""
    placed = []
    for row in short:
        peers = [r for r in rows if r.items and len(r.items) == len(row.keys) and r.name.split(".")[0] == row.name.split(".")[0]
                 and r.same_line_spaces and len({it.line for it in r.items}) == 1]
        if not row.same_line_spaces or len(peers) < 3 or len(row.keys) < 2:
            continue
        xs = [[(display_column(text, r.items[i].start) + display_column(text, r.items[i].end)) / 2 for r in peers]
              for i in range(len(row.keys))]
        centres = [sum(column) / len(column) for column in xs]
        spacing = min(b - a for a, b in zip(centres, centres[1:]))
        if any(max(column) - min(column) > spacing / 2 for column in xs):
            continue  # the full rows do not stand in columns (single spaces after labels of any length)
        figures = [it for it in row.items if it.kind != BLANK]
        columns = place_by_columns(text, figures, centres)
        if columns is None:
            continue
        by_column = dict(zip(columns, figures))
        for i, (key, kind) in enumerate(zip(row.keys, row.kinds)):
            if i in by_column:
                cells[key] = _reading(text, by_column[i], kind)
            else:
                cells[key] = CellReading(None, None, None, None, CONFIDENCE["blank"], ENGINE, BLANK_BY_POSITION_NOTE)
        placed.append(row)
    return placed


def _complete_short_rows(text, short: list[_Row], cells, relations, warnings) -> None:
    """Place one-figure-short rows by arithmetic, repeating while a placement unlocks another."""
    figures = [[it for it in row.items if it.kind != BLANK] for row in short]
    readings = [[_reading(text, it, kind) for it, kind in zip(items, row.kinds)] for items, row in zip(figures, short)]
    known = {k: c.value for k, c in cells.items()}
    placed = complete_rows([(row.keys, [r.value for r in rs]) for row, rs in zip(short, readings)], known, relations)
    for i, (values, derived) in placed.items():
        row, it = short[i], iter(figures[i])
        blank_column = values[derived] is None  # figures in printed order, the table's blank 总计 last
        for key, kind in zip(row.keys, row.kinds):
            if key == derived and blank_column:
                cells[key] = CellReading(None, None, None, None, CONFIDENCE["blank"], ENGINE, BLANK_COLUMN_NOTE)
            elif blank_column:
                cells[key] = _reading(text, next(it), kind)
            elif key == derived:
                cells[key] = CellReading(values[key], None, None, None, CONFIDENCE["derived"], ENGINE, DERIVED_NOTE)
            else:
                cells[key] = _reading(text, next(it), kind, CONFIDENCE["derived"], "placed by arithmetic")
        warnings.append(placement_warning(row.name, len(figures[i]), len(row.keys), values, derived))
    pending = [row for i, row in enumerate(short) if i not in placed]
    for row in pending:
        warnings.append(f"{row.name}: {row.doubt}; cells left unplaced")
        for key in row.keys:
            cells[key] = CellReading(None, None, None, None, 0.0, ENGINE, "row could not be placed: " + (row.doubt or ""))
