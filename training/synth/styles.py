"""Named input styles: how a layout becomes the text a user pastes.

Each style renders a list of layouts (the real one and its probe variants) to a list of texts
with the same random choices for every variant, then applies named text manglings
(``mangle.py``) and optionally the cheap synthetic OCR-noise layer (``noise.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import html, textlayouts


@dataclass(frozen=True)
class Style:
    render: Callable[[list, int], list[str]]
    mangles: tuple[str, ...] = ()
    ocr_noise: bool = False
    wide_null: bool = False  # PDF fonts draw "—" 1 em wide, like a hanzi (see probe.py)
    profile: str | None = None  # content.sample_report profile: which reports the style can print
    with_report: bool = False  # render(layouts, seed, report): the renderer needs the report too
    # labelled(layout, report, seed) -> (text, spans): a style that labels its own output (real
    # OCR with per-character cell boxes) instead of probing its text; render is then unused
    labelled: Callable | None = None


def _rng(seed: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, salt])


def _text_layout(name: str):
    def render(layouts, seed):
        return [textlayouts.layout_to_text(l, _rng(seed, 2), textlayouts.TEXT_LAYOUTS[name]) for l in layouts]
    return render


def _html(name: str):
    def render(layouts, seed):
        page = html.join_pages([html.layout_to_html(l, _rng(seed, 3)) for l in layouts])
        return html.split_text(html.HTML_CONVERTERS[name](page, _rng(seed, 4)), len(layouts))
    return render


def _pdf(name: str):
    def render(layouts, seed):
        from . import pdf

        return pdf.render(layouts, seed, name)
    return render


STYLES: dict[str, Style] = {
    # the seeds' own layouts
    "tabs": Style(_text_layout("tabs")),
    "cell_lines": Style(_text_layout("cell_lines")),
    "pipes": Style(_text_layout("pipes")),
    "markdown": Style(_text_layout("markdown")),
    # HTML page -> converters
    "html_bs4": Style(_html("html_bs4")),
    "html2text": Style(_html("html2text")),
    "lynx": Style(_html("lynx")),
    "w3m": Style(_html("w3m")),
    "pandoc": Style(_html("pandoc")),
    # PDF -> text tools
    "pdftotext": Style(_pdf("pdftotext"), wide_null=True),
    "pdftotext_layout": Style(_pdf("pdftotext_layout"), wide_null=True),
    "pdftotext_raw": Style(_pdf("pdftotext_raw"), wide_null=True),
    "pdfplumber": Style(_pdf("pdfplumber"), wide_null=True),
    # manglings on top of a converter
    "tabs_mangled": Style(_text_layout("tabs"), ("page_breaks", "wrap_labels", "spaced_chars", "drop_blank")),
    "cell_lines_vertical": Style(_text_layout("cell_lines"), ("vertical_headers", "page_breaks")),
    "w3m_paged": Style(_html("w3m"), ("page_breaks", "spaced_chars")),
    "pdftotext_layout_wrapped": Style(_pdf("pdftotext_layout"), ("wrap_labels", "drop_blank"), wide_null=True),
    # cheap synthetic OCR noise for volume
    "pdftotext_ocrnoise": Style(_pdf("pdftotext"), ("page_breaks",), ocr_noise=True, wide_null=True),
    "tabs_ocrnoise": Style(_text_layout("tabs"), ("spaced_chars",), ocr_noise=True),
}


def _forms():
    """The text forms of real reports (forms.py): official template through LibreOffice and plain
    pdftotext, Tesseract OCR of its pages, glued scraped HTML text, large 2019-form tables,
    broken markdown from PDF converters."""
    from . import forms

    return {
        "pdftotext_template": Style(forms.pdftotext_template, wide_null=True, profile="template_2021_split",
                                    with_report=True),
        "tesseract": Style(None, profile="template_2021_split", labelled=forms.tesseract_labelled),
        "glued": Style(forms.glued, with_report=True),
        "template2019_large": Style(forms.template2019_large, profile="large_2019"),
        "markdown_broken": Style(forms.markdown_broken),
    }


_FORMS = _forms()
# The shipped model's training mix (dataset.all_styles): kept as it was so its data reproduces.
TRAINING_MIX = tuple(STYLES)
_OLDER = list(STYLES)
STYLES.update({k: _FORMS[k] for k in ("glued", "template2019_large", "markdown_broken")})
# Text styles that need LibreOffice (and Tesseract) and label only figure cells, the agency and the
# year (the template prints its own row labels; Tesseract's output is labelled by boxes): in the
# training mix and the splits (TEXT_STYLES), kept out of STYLES, whose every style labels rows too.
TEMPLATE_TEXT_STYLES = {k: _FORMS[k] for k in ("pdftotext_template", "tesseract")}
# Every text style that ``generate`` knows, in the order that gives each its block of split seeds.
TEXT_STYLES = {**{k: STYLES[k] for k in _OLDER}, **TEMPLATE_TEXT_STYLES,
               **{k: STYLES[k] for k in STYLES if k not in _OLDER}}

# Styles read from real OCR (ocr.py); generated in the background and cached, not by ``generate``.
OCR_STYLES = ("ocr_scan", "ocr_searchable")

# Styles whose raw input is a real .pdf file (officepdf.py, scan.py): the official Word template
# through LibreOffice, the reportlab PDF, and scans of the template PDFs. Benchmark and dev splits
# only (``benchmark --styles ...``); never in the training mix, their gold has no spans.
FILE_STYLES = ("pdf_template", "pdf_reportlab", "scan_template", "scan_template_rough")
