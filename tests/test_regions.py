"""The table-region detector: the model reads only these stretches, so they must hold every table
cell and row label, and leave most of a real-length report's prose out."""

import numpy as np
import pytest

from benchmarks.speed import lengthen
from gaiml.regions import table_regions
from training.synth.generate import generate

STYLES = ["tabs", "cell_lines", "pipes", "markdown", "html2text", "lynx", "w3m_paged", "pdftotext_layout",
          "pdftotext_layout_wrapped", "template2019_large", "glued", "tabs_ocrnoise", "tesseract"]


def _inside(regions, start, end):
    return any(a <= start and end <= b for a, b in regions)


@pytest.mark.parametrize("style", STYLES)
def test_regions_cover_every_labelled_span(style):
    for seed in (31000, 31004):
        doc = generate(seed, style, doc_id="x")
        regions = table_regions(doc.text)
        assert regions == sorted(regions) and all(a < b <= c for (a, b), (c, _) in zip(regions, regions[1:]))
        missed = [(s["kind"], doc.text[s["start"]:s["end"]]) for s in doc.spans
                  if not _inside(regions, s["start"], s["end"])]
        assert not missed, f"{style} {seed}: {missed[:5]}"


@pytest.mark.parametrize("style", ["tabs", "cell_lines", "html_bs4", "tabs_mangled"])
def test_regions_leave_the_prose_of_a_long_report_out(style):
    doc = generate(19_000, style, doc_id="x")
    text = lengthen(doc.text, doc.report, 9_000, np.random.default_rng(1))
    table = [s for s in doc.spans if s["kind"] in ("cell", "row")]
    lo, hi = min(s["start"] for s in table), max(s["end"] for s in table)
    shift = text.index(doc.text[lo:hi]) - lo  # the tables stay one block; prose goes around them
    regions = table_regions(text)
    assert all(_inside(regions, s["start"] + shift, s["end"] + shift) for s in table)
    assert sum(b - a for a, b in regions) < 0.6 * len(text)


def test_regions_are_the_whole_text_when_no_table_is_found():
    prose = "本机关认真贯彻落实政府信息公开条例，规范性文件均按时公开。" * 40
    assert table_regions(prose) == [(0, len(prose))]
    assert table_regions("") == []


def test_regions_do_not_take_a_label_named_in_prose_for_a_table():
    prose = "本机关认真贯彻落实政府信息公开条例，对现行有效的规范性文件进行动态清理，做好公开工作。" * 30
    doc = generate(31000, "tabs", doc_id="x")
    text = prose + doc.text + prose
    regions = table_regions(text)
    assert regions[0] == (0, 150) and regions[-1][1] == len(text)  # the title and the signature

    def read(lo, hi):
        return sum(max(0, min(b, hi) - max(a, lo)) for a, b in regions)

    assert read(0, len(prose)) < 0.5 * len(prose)
    assert read(len(text) - len(prose), len(text)) < 0.5 * len(prose)
    assert all(_inside(regions, s["start"] + len(prose), s["end"] + len(prose))
               for s in doc.spans if s["kind"] in ("cell", "row"))
