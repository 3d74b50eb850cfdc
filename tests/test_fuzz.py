"""Generated hostile inputs through the CLI's extraction and the service: no crash, no 5xx
(benchmarks/fuzz.py; the full run is 10,000 inputs, CI runs a few hundred)."""

import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))


@pytest.mark.slow
def test_fuzz_rules_no_crash_no_5xx():
    import fuzz

    report = fuzz.run(400, engine="rules", seed=17, quiet=True)
    assert report["failures"] == []
    assert report["cli"].get("cli extracted") and report["cli"].get("cli refused")


def test_fuzz_small_run():
    import fuzz

    assert fuzz.run(40, engine="rules", seed=3, quiet=True)["failures"] == []
