"""What `auto` reads from a fixed sample stays what it read: a restructuring must change no cell.

The snapshot (tests/data/outputs_snapshot.jsonl) holds `auto`'s results for the five seeds and one
benchmark document of each text and PDF style. A change meant to alter what is read (a better
rule, a retrained model) rewrites it on purpose, and its diff shows every cell that moved:

    python tests/outputs.py --write tests/data/outputs_snapshot.jsonl $(python tests/outputs.py --sample)
"""

from __future__ import annotations

import pytest

from gaiml.batch import extract_many
from outputs import SNAPSHOT, differences, load

from conftest import REPO


@pytest.mark.slow
def test_auto_reads_the_snapshot_sample_as_before(tmp_path, monkeypatch):
    before = load(SNAPSHOT)
    monkeypatch.chdir(REPO)  # the snapshot names its sources relative to the repository
    out = tmp_path / "now.jsonl"
    extract_many([d["source"] for d in before], workers=1, out=out)
    assert differences(before, load(out)) == []
