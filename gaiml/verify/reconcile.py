"""The `auto` engine's decision: one value per cell from the model's and the rules' readings,
settled by the tables' arithmetic, repairing a printed figure only on stronger evidence.

Candidates per cell: the rules' reading, the model's reading and, in OCR'd text only, for each,
the readings with one OCR-confusable digit read the other way (in other text a figure is what it
prints). The start is the best-supported candidate of each
cell (the rules lead, unless they doubt over one in twenty of the cells); then, while a
relation is broken, the one substitution of printed readings that mends the most relations (and
breaks none of the cell's others) is taken, the cheapest first; a disagreement the arithmetic
leaves open goes to the engine that is much surer, and to review. A model figure is no reading of
a cell where it stands in a 栏次 row numbering the columns, in a note bracketed to a figure
("1,781（848件逾期）"), or beside the mark OCR printed for the cell; and in text not read by OCR,
one the rules placed in another cell (the model's row shifted into a printed blank) is no rival of
the rules' reading there, only part of the model's whole row should the arithmetic take that
(``Places``). A relation still broken at the
end with every cell read alike by both engines is the author's own arithmetic: the printed values
stay, and ``status.py`` calls the document "source-inconsistent". In OCR'd text a cell no engine
read that the sums fix (a 0 lost from a row of 0s, the one figure its row's 总计 leaves) is filled
and stays in review (``fixed.py``). Each cell sent to review goes with why (a ``ReviewItem``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .. import schema
from ..document import GLUED_NOTE as GLUED, CellReading, Reading
from ..values import Value, values_equal
from .confusions import confusable_readings
from .fixed import fixed_values
from .status import DISAGREE, IMPLIED, REPAIRED, REVIEW_BELOW, UNPLACED, UNREAD, UNSURE, ReviewItem

SETTLED = 0.95  # a disagreement of the engines that every relation of the cell settles
FIXED_CONFIDENCE = 0.5  # a cell no engine read that the sums fix: in review, for a person to check
MAX_ROUNDS = 40
# Both chosen on the development split (data/dev_split), never the benchmark:
RULES_DOUBT = 0.05  # share of doubtful rules cells above which the model's readings lead
SURER = 0.3  # how much surer one engine must be to settle a disagreement the arithmetic left open


@dataclass(frozen=True)
class Candidate:
    value: Value
    reading: CellReading  # where it was read (a repair keeps the printed reading's span)
    source: str  # "rules", "model", "both" or "repaired"
    evidence: float  # how well the engines support it, 0..1
    cost: float = 0.0  # how far it departs from the printed text (a misread digit: 1)
    # Read from characters the rules placed in another cell (a row shifted by a blank cell): no
    # rival of this cell's own reading, only part of a whole row read the other way (``_moves``).
    elsewhere: bool = False


@dataclass
class Decision:
    cells: dict[str, CellReading]
    repairs: list[dict]
    inconsistent: list[str]  # relations the source itself breaks
    review: list[ReviewItem]  # cells a person should look at, and why

    @property
    def review_cells(self) -> list[str]:
        return [item.cell for item in self.review]


@dataclass(frozen=True)
class Places:
    """Where in the text a cell's figure cannot be: the characters the rules read as another
    cell's figure (in text not read by OCR, where the rules place a figure by the print's own
    layout) and the 栏次 rows that number a table's columns ("1 2 3 … 15")."""

    figures: tuple[tuple[int, int, str], ...] = ()  # (start, end, key) of the rules' figures
    numbering: tuple[tuple[int, int], ...] = ()  # spans of numbering lines
    text: str = ""

    @classmethod
    def of(cls, rules: Reading, text: str | None, misreads: bool) -> Places:
        figures = () if misreads else tuple(sorted(
            (c.start, c.end, key) for key, c in rules.cells.items() if c.start is not None and c.value is not None))
        return cls(figures, numbering_lines(text) if text else (), text or "")

    def in_brackets(self, reading: CellReading) -> bool:
        """The reading stands in a bracketed note glued to a figure ("1,781（848件逾期）",
        "12（含2件补正）", "23（其中10件为转办）"): a figure the note tells of, never a cell's own."""
        if reading.start is None or not self.text:
            return False
        return bool(_NOTE_BEFORE.search(self.text, max(0, reading.start - 12), reading.start))

    def another_cells(self, key: str, reading: CellReading) -> bool:
        """The reading's characters are (part of) a figure the rules read as another cell's."""
        return reading.start is not None and any(
            k != key and s < reading.end and reading.start < e for s, e, k in self.figures)

    def numbers_columns(self, reading: CellReading) -> bool:
        return reading.start is not None and any(s <= reading.start and reading.end <= e for s, e in self.numbering)


# The consecutive column numbers 1, 2, … n (n ≥ 5), on one line and nothing else but "栏次" before
# them, or one a line on consecutive lines (a table flattened one cell a line): the 栏次 row of the
# large-format templates, numbering the columns, never a row's figures.
_NUMBERING_MIN = 5
# A figure, an opening bracket and at most ten characters of a note without a space, ending
# where the reading starts.
_NOTE_BEFORE = re.compile(r"\d[（(][^\s|（()）\d]{0,10}$")
_RULES = str.maketrans({ch: " " for ch in "│┃║|"})


def numbering_lines(text: str) -> tuple[tuple[int, int], ...]:
    """The spans of the text's 栏次 numbering rows."""
    out = []
    run: list[tuple[int, int]] = []  # one number a line: the lines of 1, 2, … so far

    def close():
        if len(run) >= _NUMBERING_MIN:
            out.append((run[0][0], run[-1][1]))
        run.clear()

    pos = 0
    for line in text.split("\n"):
        words = line.translate(_RULES).split()
        if words and words[0] == "栏次":
            words = words[1:]
        span = (pos, pos + len(line))
        pos += len(line) + 1
        if len(words) >= _NUMBERING_MIN and words == [str(i) for i in range(1, len(words) + 1)]:
            close()
            out.append(span)
        elif len(words) == 1 and words[0] == str(len(run) + 1):
            run.append(span)
        else:
            close()
            if words == ["1"]:
                run.append(span)
    close()
    return tuple(out)


def candidates(key: str, kind: str, rules: CellReading | None, model: CellReading | None,
               lead: str = "rules", misreads: bool = True, places: Places | None = None) -> list[Candidate]:
    """Every reading of one cell worth considering, best supported first; where the engines
    disagree, ``lead``'s reading first; with ``misreads`` (OCR'd text) also each reading with one
    OCR-confusable digit read the other way. ``places``: where no reading of this cell can stand."""
    out: list[Candidate] = []
    elsewhere = False
    if places is not None and rules is not None and rules.value is not None and places.numbers_columns(rules):
        # The rules read the 栏次 row numbering the columns as a row's figures (a reader of table
        # lines that met "1 2 3 … 15" under 表四's headings): no reading of this cell. Without
        # it, a cell the model reads elsewhere is the model's, one nobody reads goes to review.
        rules = None
    if places is not None and model is not None and model.value is not None:
        if places.numbers_columns(model) or places.in_brackets(model):
            model = None  # a column number of the 栏次 row, or a figure of a note, taken for a cell's
        elif rules is not None and _placed(rules) and places.another_cells(key, model):
            # The rules read this cell where the print's layout puts it (a blank, or a figure they
            # are sure of), and the model a figure the rules placed in another cell: the model's
            # row shifted into a blank cell. No rival of the rules' reading, unless the arithmetic
            # takes the model's whole row (the rules' row the one shifted).
            elsewhere = True
    if rules is not None and rules.note and rules.note.startswith(GLUED):
        # A run of figures glued together ("规章3012"), split by the arithmetic (rules/glued.py):
        # where it allows one split only, another reading breaks a relation; where it leaves the
        # split open, the model's agreeing with one candidate settles nothing (it reads glued runs
        # no better), so the cell keeps the rules' reading, its confidence and its candidates.
        model = None
    if _inside(model, rules):
        model = None  # the model tagged part of the figure the rules read whole: "4" of "48"
    if _no_figure_there(rules, model):
        # The rules found this cell's print and it is no figure (a hanzi or a mark OCR made of
        # it); the model's figure stands elsewhere, in a neighbour's place: not a reading of this
        # cell. Left out, the cell is unread and a person reads it (never a figure invented).
        model = None
    # Nothing read, or characters that are no figure (confidence 0), is no candidate; a blank the
    # rules placed by column position is one.
    readings = [r for r in (rules, model) if r is not None and (r.value is not None or r.confidence > 0)]
    if rules is not None and model is not None and values_equal(rules.value, model.value) and readings:
        both = 1 - (1 - rules.confidence) * (1 - model.confidence)
        out.append(Candidate(rules.value, rules if rules.start is not None else model, "both", min(0.999, both)))
    else:
        for name, reading in (("rules", rules), ("model", model)):
            if reading is not None and reading in readings:
                out.append(Candidate(reading.value, reading, name, reading.confidence,
                                     elsewhere=elsewhere and name == "model"))
    for cand in list(out) if misreads else ():
        printed = cand.reading.text
        if cand.reading.start is None or not printed or cand.elsewhere:
            continue
        for value, cost in confusable_readings(printed, kind):
            if not any(values_equal(value, c.value) for c in out):
                out.append(Candidate(value, cand.reading, "repaired", cand.evidence, cost))
    out.sort(key=lambda c: (c.cost, _precedence(c, lead), -c.evidence))
    return out


def _inside(part: CellReading | None, whole: CellReading | None) -> bool:
    """True when ``part`` was read from a strict piece of the characters ``whole`` was read from."""
    if part is None or whole is None or part.start is None or whole.start is None:
        return False
    return whole.start <= part.start and part.end <= whole.end and (part.start, part.end) != (whole.start, whole.end)


def _placed(rules: CellReading) -> bool:
    """A blank the rules placed (not a row they could not place), or a figure they read surely."""
    if rules.value is None:
        return rules.confidence > 0
    return rules.start is not None and rules.confidence >= REVIEW_BELOW


def _no_figure_there(rules: CellReading | None, model: CellReading | None) -> bool:
    """True when the rules read this cell's characters as no figure (spanned, confidence 0) and
    the model's figure was read from other characters."""
    if rules is None or model is None or rules.start is None or rules.value is not None or rules.confidence > 0:
        return False
    return model.start is None or model.end <= rules.start or rules.end <= model.start


def _precedence(cand: Candidate, lead: str) -> int:
    """Which reading to start from when the engines disagree: the leading engine's printed
    reading (the rules', which read whole figures where the layout puts them, unless they doubt
    the document: ``_lead``), then the other's or a figure an engine only derived, then a rules
    "reading" of nothing (a row not found or not placed). The arithmetic then takes the other
    reading where it mends a relation (``_best_move``)."""
    if cand.source == "rules" and cand.evidence == 0 or cand.elsewhere:
        return 2
    return 0 if cand.source == "both" or (cand.source == lead and _printed(cand)) else 1


def reconcile(rules: Reading, model: Reading | None, template: str, other_form: str, misreads: bool = True,
              text: str | None = None) -> Decision:
    """Settle every cell; see the module docstring for the policy. Without a model the rules'
    readings stand for the printed text, and only misread digits can be repaired. ``misreads``:
    the text may carry misread digits (it was read by OCR); in other text a figure is what it
    prints, and a relation it breaks is the author's. ``text``: the text both engines read (its
    栏次 rows number columns, no cell's figure stands there)."""
    index = schema.cell_index(template, other_form)
    relations = schema.relations(template, other_form)
    touching = {key: [r for r in relations if key in r.keys] for key in index}
    lead = _lead(rules, index) if model is not None else "rules"
    places = Places.of(rules, text, misreads) if model is not None else None
    options = {key: candidates(key, index[key].kind, rules.cells.get(key), model.cells.get(key) if model else None,
                               lead, misreads, places) for key in index}
    chosen = {key: opts[0] for key, opts in options.items() if opts}
    values = {key: c.value for key, c in chosen.items()}
    repairs = []
    for _ in range(MAX_ROUNDS):
        move = _best_move(relations, touching, options, chosen, values)
        if move is None:
            break
        for key, cand in zip(move.keys, move.picks):
            before = chosen[key]
            if values_equal(before.value, cand.value):
                continue
            chosen[key], values[key] = cand, cand.value
            repairs.append({"cell": key, "printed": cand.reading.text, "was": before.value, "chosen": cand.value,
                            "kind": "misread digit" if cand.cost else "engines disagree",
                            "why": "makes " + "; ".join(move.mended) + " hold"})
    _surer_where_unsettled(options, touching, chosen, values)
    agreed = ("both",) if model is not None else ("rules",)
    decision = _hold_unplaced(_decide(index, relations, touching, options, chosen, values, repairs, agreed), rules,
                              touching, misreads)
    return _fill_fixed(decision, rules, relations) if misreads else decision


def _fill_fixed(decision: Decision, rules: Reading, relations) -> Decision:
    """In OCR'd text, cells no engine read (no value, no span) that the sums fix (``fixed.py``):
    filled, in review with the relation that fixes them, for a person to check against the page.
    Not in other text: a converter loses no figure, so a cell it left unread is a blank the text
    does not show (glued cells), or a figure the rules could not place, already in review."""
    cells = decision.cells
    unread = {key for key, cell in cells.items() if cell.value is None and cell.start is None}
    if not unread:
        return decision
    blanks = _printed_blank_tables(rules)  # there a lost cell may be a blank, not a 0
    fixed = fixed_values(relations, {key: cell.value for key, cell in cells.items()}, unread,
                         lambda key: key.split(".")[0] not in blanks)
    for key, (value, relation) in fixed.items():
        why = (f"not read; {relation} already holds without it, so 0 (a lost 0 or a blank: check the page)" if value == 0
               else f"not read; {relation} holds only with {value:g} here (a lost figure: check the page)")
        cells[key] = CellReading(value, None, None, None, FIXED_CONFIDENCE, "auto", why)
        decision.review = [item for item in decision.review if item.cell != key] + [ReviewItem(key, why, UNREAD)]
    return decision


def _printed_blank_tables(rules: Reading) -> set[str]:
    """The tables ("t3") where the rules read a printed blank cell."""
    return {key.split(".")[0] for key, c in rules.cells.items() if c.value is None and c.start is not None and c.confidence > 0}


def _hold_unplaced(decision: Decision, rules: Reading, touching, misreads: bool = True) -> Decision:
    """Cells of a row the rules found but could not place (fewer figures than columns, blanks the
    text does not show) that only the model read: where the figures go is a guess (a blank and a
    dropped cell look alike), so unless every relation of the cell can be checked and holds, the
    cell goes to review. In text not read by OCR (``misreads`` False), where a blank is what the
    report prints, a 0 always, since it keeps every sum a blank keeps; so does a 0 only the model
    read in a row the rules did not find, in a table that leaves cells blank. A figure only the
    model read in a row the rules did not find goes to review unless its sums check it."""
    values = {key: cell.value for key, cell in decision.cells.items()}
    blanks = set() if misreads else _printed_blank_tables(rules)  # there a 0 may be a blank read as one
    for key, cell in decision.cells.items():
        by_rules = rules.cells.get(key)
        if by_rules is None or by_rules.confidence > 0 or cell.engine != "model" or cell.confidence < REVIEW_BELOW:
            continue
        unplaced = (by_rules.note or "").startswith("row could not be placed")
        not_found = by_rules.note == "not found" and (cell.value != 0 or key.split(".")[0] in blanks)
        if not unplaced and not not_found:
            continue
        mine = touching[key]
        # A 0 keeps every sum a blank keeps: the relations cannot tell it from a blank cell the
        # model's row was shifted across. Another figure misplaced breaks a sum, once the sums
        # can be checked.
        checked = mine and all(all(values.get(k) is not None for k in r.keys) and not r.broken(values) for r in mine)
        if checked and (cell.value != 0 or misreads):
            continue
        why = ("the rules could not place this row; the model's placement is unchecked" if unplaced else
               "the rules did not find this row; the model's figure is unchecked (its sums cannot be checked)"
               if cell.value != 0 else
               "the rules did not find this row and its table leaves cells blank; the model's 0 is unchecked "
               "(a 0 and a blank keep the same sums)")
        decision.cells[key] = replace(cell, confidence=0.5, note=why)
        decision.review = [item for item in decision.review if item.cell != key] + [ReviewItem(key, why, UNPLACED)]
    return decision


@dataclass(frozen=True)
class _Move:
    keys: list[str]
    picks: list[Candidate]
    mended: list[str]  # the broken relations it makes hold

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.picks)

    @property
    def rank(self) -> tuple:
        """Most relations mended, then the least departure from the print, the fewest cells, the
        strongest evidence."""
        return len(self.mended), -self.cost, -len(self.keys), sum(c.evidence for c in self.picks)

    def change(self) -> set:
        return {(k, c.value) for k, c in zip(self.keys, self.picks)}


def _best_move(relations, touching, options, chosen, values) -> _Move | None:
    """The substitution that mends the most broken relations without breaking another: one
    cell's other reading, or a whole row read as the other engine read it (a row shifted by a
    dropped blank cell is wrong in every cell, so no single cell can mend it)."""
    broken = [r for r in relations if r.broken(values)]
    found = []
    for keys, picks in _moves(broken, options, chosen):
        trial = {**values, **{k: c.value for k, c in zip(keys, picks)}}
        touched = {r.name: r for k in keys for r in touching[k]}.values()
        if any(r.broken(trial) for r in touched):
            continue  # a change must satisfy every relation it touches
        if any(c.cost for c in picks) and not all(r.holds(trial) for r in touched):
            continue  # a misread digit is only repaired where every relation of it can confirm it (SPEC)
        mended = [r.name for r in touched if r.broken(values) and r.holds(trial)]  # not merely unassessable
        if mended:
            found.append(_Move(keys, picks, mended))
    if not found:
        return None
    best = max(found, key=lambda m: m.rank)
    if best.cost and any(len(m.mended) == len(best.mended) and m.cost == best.cost and m.change() != best.change()
                         for m in found):
        # Several misread digits would mend the same relations (the total or one of its parts):
        # the arithmetic does not tell which was misread, so none is repaired.
        found = [m for m in found if not m.cost]
        best = max(found, key=lambda m: m.rank) if found else None
    return best


def _moves(broken, options, chosen):
    """Candidate substitutions around the broken relations: (keys, candidates) pairs."""
    keys = [k for k in dict.fromkeys(k for r in broken for k in r.keys) if k in chosen]
    for key in keys:
        for cand in options[key]:
            if cand.value is not None and _printed(cand) and not cand.elsewhere \
                    and not values_equal(cand.value, chosen[key].value):
                yield [key], [cand]
    for row in dict.fromkeys(k.rsplit(".", 1)[0] for k in keys):
        row_keys = [k for k in options if k.rsplit(".", 1)[0] == row and k in chosen]
        for source in ("rules", "model"):
            picks = [next((c for c in options[k] if c.source in (source, "both")), None) for k in row_keys]
            if None in picks:
                continue
            changed = [p for p, k in zip(picks, row_keys) if not values_equal(p.value, chosen[k].value)]
            if changed and all(_printed(p) for p in changed):
                yield row_keys, picks


def _printed(cand: Candidate) -> bool:
    """False for a figure no engine read in the text (derived by an engine's own arithmetic): it
    does not overrule a printed one, or the arithmetic would only be agreeing with itself. A blank
    is a reading of the text, spanned or not."""
    return cand.value is None or cand.reading.start is not None or cand.source == "both"


def _lead(rules: Reading, index) -> str:
    """Whose readings to start from: the rules', unless they doubt more than ``RULES_DOUBT`` of
    the document's cells (a layout they could not follow, OCR noise), then the model's."""
    doubtful = sum(1 for key in index if _doubted(rules.cells.get(key)))
    return "model" if doubtful > RULES_DOUBT * len(index) else "rules"


def _doubted(reading: CellReading | None) -> bool:
    """A cell the rules could not place, or a figure they read unsure of it; a blank they placed
    by column position is no doubt (reports with a whole blank column are common)."""
    if reading is None or reading.confidence == 0:
        return True
    return reading.value is not None and reading.confidence < REVIEW_BELOW


def _surer_where_unsettled(options, touching, chosen, values) -> None:
    """Where the engines still disagree after the arithmetic, the reading the other engine is
    clearly surer of (by ``SURER``), unless it would break a relation that holds. The cell stays
    flagged for review (``_decide``): confidence decided it, not the sums."""
    for key, cand in list(chosen.items()):
        rivals = [c for c in options[key] if c.cost == 0 and c.source in ("rules", "model") and c.source != cand.source
                  and not values_equal(c.value, cand.value) and not c.elsewhere]
        rival = max(rivals, key=lambda c: c.evidence, default=None)
        if rival is None or rival.evidence < cand.evidence + SURER:
            continue
        trial = {**values, key: rival.value}
        if any(r.broken(trial) and not r.broken(values) for r in touching[key]):
            continue
        chosen[key], values[key] = rival, rival.value


def _implied(mine: list[schema.Relation], key: str, values: dict[str, Value]) -> tuple[str, Value] | None:
    """A relation of ``key`` in which it is the only null cell and which needs it non-zero."""
    for rel in mine:
        need = rel.solve(key, values)
        if need is not None and abs(need) > schema.TOLERANCE:
            return rel.name, need
    return None


def _decide(index, relations, touching, options, chosen, values, repairs, agreed: tuple[str, ...]) -> Decision:
    cells, review = {}, []
    for key in index:
        cand = chosen.get(key)
        if cand is None:
            cells[key] = CellReading(None, None, None, None, 0.0, "auto", "no engine read this cell")
            review.append(ReviewItem(key, "no engine read this cell", UNREAD))
            continue
        reading = cand.reading
        confidence = cand.evidence
        engine = {"both": "model", "rules": "rules", "model": "model", "repaired": "repaired"}[cand.source]
        note = reading.note
        why = None
        if cand.source == "repaired":
            # Only in OCR'd text (``misreads``); a person confirms it against the scan.
            confidence = min(confidence, 0.85)
            note = f"printed {reading.text!r}, read as {cand.value} (one misread digit; the relations it touches hold)"
            why = (f"printed {reading.text!r}, read as {cand.value}: one misread digit, chosen because every relation "
                   "it stands in then holds", REPAIRED)
        elif any(_rival(c, cand) for c in options[key]):
            # The engines disagree: the arithmetic settles it when every relation of the cell can
            # be checked and holds; otherwise (表二 has none) a person should look.
            mine = touching[key]
            settled = mine and all(all(values.get(k) is not None for k in r.keys) and not r.broken(values) for r in mine)
            confidence = min(confidence, SETTLED if settled else 0.5)
            rival = next(c for c in options[key] if _rival(c, cand))
            why = (f"the engines read {_shown(cand.value)} and {_shown(rival.value)}; "
                   + ("no relation checks this cell" if not mine else "its relations cannot settle it"), DISAGREE)
        implied = _implied(touching[key], key, values) if cand.value is None else None
        if implied:
            # A blank (or a figure OCR lost) where the arithmetic needs a figure: kept null, checked
            # by a person, since a printed blank and a dropped figure look alike in the text.
            confidence = min(confidence, 0.5)
            note = f"blank, but {implied[0]} implies {implied[1]:g}"
            why = (note, IMPLIED)
        cells[key] = CellReading(cand.value, reading.start, reading.end, reading.text, confidence, engine, note)
        if confidence < REVIEW_BELOW:
            if why is None:
                unread = cand.value is None and confidence == 0
                why = (note or "not read", UNREAD) if unread else \
                      (f"read with confidence {confidence:.2f}" + (f": {note}" if note else ""), UNSURE)
            review.append(ReviewItem(key, *why))
    _doubt_negative_blanks(cells, review, relations, values)
    still = [r for r in relations if r.broken(values)]
    inconsistent = [r.name for r in still if all(chosen.get(k) and chosen[k].source in agreed for k in r.keys)]
    return Decision(cells, repairs, inconsistent, review)


def _doubt_negative_blanks(cells, review, relations, values) -> None:
    """Every cell of a row's sum whose one blank it needs negative, in a table of counts (表三,
    表四): no count is below zero, so the figures around the blank stand in the wrong cells (a
    row that lost a blank cell at its line's start, its figures shifted one cell to the left),
    and each of them may be wrong, however sure the engines were of reading it. As of a broken
    relation, a figure of it already in review is the suspect, and the others stay out."""
    listed = {item.cell for item in review}
    for rel in relations:
        blanks = [k for k in rel.keys if values.get(k) is None]
        if len(blanks) != 1 or blanks[0].split(".")[0] not in ("t3", "t4") \
                or len({k.rsplit(".", 1)[0] for k in rel.keys}) != 1:
            continue  # a row's sum only: a column's is no one row's placement
        need = rel.solve(blanks[0], values)
        if need is None or need >= -schema.TOLERANCE or any(k in listed for k in rel.keys if k != blanks[0]):
            continue  # a sum that needs no negative count, or one whose suspect is already in review
        why = (f"{rel.name} needs a negative count ({need:g}) in its blank cell {blanks[0]}: "
               "the row's figures may stand in the wrong cells")
        for key in rel.keys:
            if key in listed or key not in cells:
                continue
            cells[key] = replace(cells[key], confidence=min(cells[key].confidence, 0.5))
            review.append(ReviewItem(key, why, UNPLACED))
            listed.add(key)


def _rival(other: Candidate, chosen: Candidate) -> bool:
    """Another engine's reading of the cell, printed there, that the chosen one contradicts; a
    reading the model took from another cell's place is none (unless it is the one chosen)."""
    return (other.source != chosen.source and not values_equal(other.value, chosen.value) and other.cost == 0
            and (not other.elsewhere or chosen.elsewhere))


def _shown(value: Value) -> str:
    return "a blank" if value is None else f"{value:g}" if isinstance(value, (int, float)) else repr(value)
