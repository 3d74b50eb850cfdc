"""Printed cell text -> value: int for counts and changes, int or float for amounts, None for null.

Reports print a zero as "0", an empty cell as blank, "/", "—", "-" or "无" (null, never 0),
figures with thousands separators ("2,259"), spaces inside ("2 259") and OCR letters in place
of digits ("1O" for 10, "l2" for 12, "S" for 5, "B" for 8).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .schema import AMOUNT, CHANGE, COUNT, VALUE_KINDS
from .text import fold

Value = int | float | None

NULL_MARKERS = frozenset({"", "/", "\\", "—", "——", "–", "-", "--", "无", "ー", "一一", "－"})
OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1",
                            "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "q": "9"})
# Letters that stand for a digit when OCR'd in a number; the narrower set used to find figures.
OCR_LETTERS = "OolISB"

# A figure in folded text: digits (OCR letters allowed where a real digit is in the run),
# thousands groups, a decimal part, an optional sign. Not glued to Latin words or other digits.
# That is (?<![A-Za-z0-9.])[-+]?(?:[0-9L]*[0-9][0-9L]*)(?:,[0-9]{3})*(?:\.[0-9]+)?(?![A-Za-z0-9]),
# L the OCR letters, spelt to open with one character class (a sign, a digit, a letter), the
# lookbehind after it: a pattern that opens with a class lets the regex engine skip to where a
# figure can start instead of trying every position of a report (a pattern opening with a choice
# of classes tries every position). A figure that opens with a sign or a letter needs a digit
# later. The same matches (tests/test_values.py compares the two spellings).
_FIGURE_TAIL = r"(?:,[0-9]{3})*(?:\.[0-9]+)?(?![A-Za-z0-9])"
FIGURE_PATTERN = re.compile(
    rf"[-+0-9{OCR_LETTERS}](?<![A-Za-z0-9.][-+0-9{OCR_LETTERS}])"
    rf"(?:(?<=[0-9])[0-9{OCR_LETTERS}]*|(?<![0-9])[0-9{OCR_LETTERS}]*[0-9][0-9{OCR_LETTERS}]*){_FIGURE_TAIL}"
)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d)[ ,](?=\d{3}\b)")  # compiled once: parse_cell runs for every cell


def is_null_marker(text: str) -> bool:
    """True for what a report prints in an empty cell."""
    return fold(text).strip().replace(" ", "") in NULL_MARKERS


def parse_cell(text: str, kind: str = COUNT) -> Value:
    """The value a printed cell means. Raises ValueError when the text is no value of that kind.

    >>> parse_cell("2,259"), parse_cell("１２"), parse_cell("1O"), parse_cell("—"), parse_cell("-3", "change")
    (2259, 12, 10, None, -3)
    """
    if kind not in VALUE_KINDS:
        raise ValueError(f"unknown value kind {kind!r}")
    folded = fold(text).strip()
    if folded.isascii() and folded.isdigit():  # most cells: plain digits, what the steps below leave alone
        return int(folded)
    if folded.replace(" ", "") in NULL_MARKERS:
        return None
    compact = _THOUSANDS.sub("", folded) if " " in folded or "," in folded else folded  # 2 259, 2,259
    compact = compact.replace(" ", "").translate(OCR_DIGITS)
    if not _NUMBER.fullmatch(compact):
        raise ValueError(f"not a figure: {text!r}")
    if kind == COUNT and compact.startswith("-"):
        raise ValueError(f"a count cannot be negative: {text!r}")
    return number(compact, kind)


def number(digits: str, kind: str) -> int | float:
    """A clean digit string as the JSON value of a cell of that kind."""
    try:
        value = Decimal(digits)
    except InvalidOperation as exc:
        raise ValueError(f"not a figure: {digits!r}") from exc
    if value == value.to_integral_value():
        return int(value)
    if kind != AMOUNT:
        raise ValueError(f"a {kind} cannot be fractional: {digits!r}")
    return float(value)


def values_equal(a: Value, b: Value) -> bool:
    """Cell equality as evaluation counts it: null only equals null, numbers compare by value."""
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9


__all__ = ["AMOUNT", "CHANGE", "COUNT", "FIGURE_PATTERN", "NULL_MARKERS", "Value", "is_null_marker",
           "number", "parse_cell", "values_equal"]
