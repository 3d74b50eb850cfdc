"""Every relation of SPEC.md is checked; a broken one is reported with its cells and sides."""

import pytest

from gaiml import schema
from gaiml.pipeline import extract_text
from gaiml.verify import check_relations
from relayout import relayout

from conftest import ALL_SEEDS

SEED = ALL_SEEDS[0]  # 2021, split form


def broken_names(cells: dict, template="2021", form="split") -> list[str]:
    return [b.relation for b in check_relations(cells, template, form).broken]


@pytest.mark.parametrize("key, relation", [
    ("t3.granted.total", "t3.granted: 总计 = sum of applicants"),
    ("t3.carried_forward.commercial", "t3 commercial: new + carried over = total + carried forward"),
    ("t3.other_misc.research", "t3 research: total = sum of results"),
    ("t4.suit_direct.pending", "t4.suit_direct: 总计 = upheld + corrected + other + pending"),
])
def test_validate_each_relation_breaks(key, relation):
    cells = dict(SEED.gold["cells"])
    cells[key] += 2
    names = broken_names(cells)
    assert relation in names
    broken = next(b for b in check_relations(cells, "2021", "split").broken if b.relation == relation)
    assert key in broken.left + broken.right
    assert abs(broken.difference) == 2


def test_validate_null_cell_makes_relation_unassessable_not_broken():
    cells = dict(SEED.gold["cells"])
    cells["t3.granted.total"] = None
    validation = check_relations(cells, "2021", "split")
    assert validation.broken == ()
    missing = {u.relation for u in validation.unassessable}
    assert "t3.granted: 总计 = sum of applicants" in missing
    assert "t3 total: total = sum of results" in missing


def test_validate_single_form_sums_the_single_other_row():
    seed = next(s for s in ALL_SEEDS if s.gold["template"] == "2019")
    cells = dict(seed.gold["cells"])
    cells["t3.other.natural_person"] = 1
    assert "t3 natural_person: total = sum of results" in broken_names(cells, "2019", "single")


def test_validate_deliberately_broken_report_is_reported_as_printed():
    """A report whose author mis-added: the printed values stay and the relation is reported."""
    gold = {**SEED.gold, "cells": dict(SEED.gold["cells"])}
    gold["cells"]["t3.new_received.natural_person"] = 3
    gold["cells"]["t3.new_received.total"] = 4  # the author's error: 3 + 0... = 3
    gold["cells"]["t3.total.natural_person"] = 3
    gold["cells"]["t3.granted.natural_person"] = 3
    gold["cells"]["t3.granted.total"] = 3
    gold["cells"]["t3.total.total"] = 3
    result = extract_text(relayout(SEED.text, gold, "pipe"))
    assert result.values()["t3.new_received.total"] == 4
    broken = {b["relation"]: b for b in result.validation["broken"]}
    assert set(broken) == {"t3.new_received: 总计 = sum of applicants", "t3 total: new + carried over = total + carried forward"}
    assert broken["t3.new_received: 总计 = sum of applicants"]["difference"] == 1
    assert len(schema.relations("2021", "split")) == result.validation["checked"] + len(result.validation["unassessable"])
