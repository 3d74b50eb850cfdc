"""Fixtures shared by every test: the real seed reports and their gold values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"


@dataclass(frozen=True)
class Seed:
    doc_id: str
    path: Path
    text: str
    gold: dict


def load_seeds() -> list[Seed]:
    seeds = []
    for gold_path in sorted((SEEDS / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        path = SEEDS / "raw" / f"{gold['doc_id']}.txt"
        seeds.append(Seed(gold["doc_id"], path, path.read_text(encoding="utf-8"), gold))
    assert len(seeds) == 5, f"expected the five seed reports in {SEEDS}"
    return seeds


ALL_SEEDS = load_seeds()


@pytest.fixture(params=ALL_SEEDS, ids=lambda s: s.doc_id[:3])
def seed(request) -> Seed:
    return request.param
