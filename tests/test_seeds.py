"""The five real reports extract exactly, with spans that point at what they read."""

from gaiml.output import check_output
from gaiml.pipeline import extract
from gaiml.values import parse_cell, values_equal
from gaiml import schema


def test_seeds_every_cell_right(seed):
    result = extract(seed.path)
    got = result.values()
    wrong = {k: (v, got.get(k)) for k, v in seed.gold["cells"].items() if not values_equal(v, got.get(k))}
    assert wrong == {}
    assert list(got) == list(seed.gold["cells"])


def test_seeds_template_year_agency(seed):
    result = extract(seed.path)
    assert result.template.value == seed.gold["template"]
    assert result.year.value == seed.gold["year"]
    assert seed.gold["agency"] in result.agency.value or result.agency.value in seed.gold["agency"]


def test_seeds_spans_point_at_the_printed_value(seed):
    result = extract(seed.path)
    kinds = schema.cell_index(result.template.value, result.other_form.value)
    for key, cell in result.cells.items():
        if cell.start is None:
            assert cell.note, f"{key} has no span and no explanation"
            continue
        assert seed.text[cell.start:cell.end] == cell.text
        assert values_equal(parse_cell(cell.text, kinds[key].kind), cell.value)
    year = result.year
    assert seed.text[year.start:year.end] == str(seed.gold["year"])


def test_seeds_output_matches_json_schema(seed):
    doc = extract(seed.path).to_json()
    check_output(doc)
    assert doc["validation"]["broken"] == []


def test_seeds_confidence_in_range(seed):
    for cell in extract(seed.path).cells.values():
        assert 0.0 <= cell.confidence <= 1.0
