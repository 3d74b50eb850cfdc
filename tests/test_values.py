import pytest

from gaiml.values import is_null_marker, parse_cell, values_equal


@pytest.mark.parametrize("printed, kind, value", [
    ("0", "count", 0),
    ("2259", "count", 2259),
    ("2,259", "count", 2259),
    ("2 259", "count", 2259),
    ("２２５９", "count", 2259),
    ("1O", "count", 10),
    ("l2", "count", 12),
    ("I", "count", 1),
    ("S", "count", 5),
    ("B", "count", 8),
    ("-3", "change", -3),
    ("+2", "change", 2),
    ("－３", "change", -3),
    ("96558", "amount", 96558),
    ("12.5", "amount", 12.5),
    ("0.00", "amount", 0),
])
def test_values_parse(printed, kind, value):
    got = parse_cell(printed, kind)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("printed", ["", "  ", "/", "／", "—", "——", "-", "无", "－"])
def test_values_null_markers_are_null_not_zero(printed):
    assert is_null_marker(printed)
    assert parse_cell(printed) is None


@pytest.mark.parametrize("printed, kind", [("abc", "count"), ("-3", "count"), ("1.5", "count"), ("3件", "count")])
def test_values_reject_what_is_not_a_value(printed, kind):
    with pytest.raises(ValueError):
        parse_cell(printed, kind)


def test_values_equal_null_is_not_zero():
    assert values_equal(None, None)
    assert not values_equal(None, 0)
    assert not values_equal(0, None)
    assert values_equal(12.5, 12.50)
    assert values_equal(3, 3.0)


def test_figure_pattern_matches_its_plain_spelling():
    """FIGURE_PATTERN is spelt by first character for speed; it finds what the plain spelling finds."""
    import random
    import re

    from gaiml.values import FIGURE_PATTERN, OCR_LETTERS

    plain = re.compile(rf"(?<![A-Za-z0-9.])[-+]?(?:[0-9{OCR_LETTERS}]*[0-9][0-9{OCR_LETTERS}]*)"
                       r"(?:,[0-9]{3})*(?:\.[0-9]+)?(?![A-Za-z0-9])")
    alphabet = list("0123456789OolISBAx-+., 汉\n") + ["1,234", "12.5"]
    rng = random.Random(5)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert [m.span() for m in FIGURE_PATTERN.finditer(text)] == [m.span() for m in plain.finditer(text)], text
        assert bool(FIGURE_PATTERN.fullmatch(text)) == bool(plain.fullmatch(text)), text
        start = rng.randint(0, len(text))
        assert [m.span() for m in FIGURE_PATTERN.finditer(text, start)] == [m.span() for m in plain.finditer(text, start)], text
