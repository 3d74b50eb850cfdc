from gaiml import schema
from gaiml.verify import check_relations

from conftest import ALL_SEEDS


def test_schema_gold_key_sets_match(seed):
    form = schema.other_form_of_keys(seed.gold["cells"])
    assert list(seed.gold["cells"]) == list(schema.cell_keys(seed.gold["template"], form))


def test_schema_relations_hold_on_gold(seed):
    form = schema.other_form_of_keys(seed.gold["cells"])
    validation = check_relations(seed.gold["cells"], seed.gold["template"], form)
    assert validation.broken == ()
    assert len(validation.holds) == len(schema.relations(seed.gold["template"], form))


def test_schema_cell_counts():
    # 2021: 表二 10 + 表三 25 rows x 7 + 表四 15; 2019: 22 + 23 x 7 + 15
    assert len(schema.cell_keys("2021", "split")) == 200
    assert len(schema.cell_keys("2019", "single")) == 198
    assert sum(len(schema.cell_keys(s.gold["template"], schema.other_form_of_keys(s.gold["cells"]))) for s in ALL_SEEDS) == 996


def test_schema_relations_cover_every_t3_row_and_column():
    rels = schema.relations("2021", "split")
    names = [r.name for r in rels]
    assert sum(n.endswith("总计 = sum of applicants") for n in names) == 25
    assert sum("new + carried over" in n for n in names) == 7
    results = next(r for r in rels if r.name == "t3 total: total = sum of results")
    assert results.right[0] == "t3.granted.total" and results.right[-1] == "t3.other_misc.total"
    assert len(results.right) == 21


def test_schema_rejects_unknown_template():
    import pytest

    with pytest.raises(ValueError, match="unknown template"):
        schema.cells("2018")
