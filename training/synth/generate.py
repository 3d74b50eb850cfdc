"""One generated document: sample content, lay it out, render it in a style, label it, check it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import mangle, noise, probe
from .content import Report, sample_report
from .labels import LabelError, check_round_trip, owners_to_spans
from .layout import report_to_layout
from .styles import TEXT_STYLES

RENDER_ATTEMPTS = 3


@dataclass
class Generated:
    doc_id: str
    text: str
    spans: list[dict]
    report: Report
    style: str

    def gold(self) -> dict:
        """The gold file: the seeds' format plus style and 其他处理 form."""
        r = self.report
        return {"doc_id": self.doc_id, "template": r.template, "year": r.year, "agency": r.agency,
                "cells": dict(r.cells), "style": self.style, "other_form": r.other_form}

    def row(self) -> dict:
        """A dataset row."""
        import json

        r = self.report
        return {"doc_id": self.doc_id, "text": self.text, "spans": self.spans,
                "cells": json.dumps(r.cells, ensure_ascii=False), "template": r.template,
                "other_form": r.other_form, "year": r.year, "agency": r.agency, "style": self.style,
                "seed": r.seed}


def generate(seed: int, style: str, doc_id: str | None = None) -> Generated:
    """The document of ``seed`` rendered in ``style``; raises if its labels do not round-trip."""
    spec = TEXT_STYLES[style]
    report = sample_report(seed, doc_id or f"{style}_{seed}", profile=spec.profile)
    layout = report_to_layout(report, np.random.default_rng([seed, 1]))
    if spec.labelled is not None:  # real OCR: labelled by character boxes, misread cells marked
        for attempt in range(RENDER_ATTEMPTS):
            try:
                text, spans = spec.labelled(layout, report, seed if attempt == 0 else seed * 7919 + attempt)
                check_round_trip(text, spans, report, skip_misread=True)
                break
            except (probe.ProbeError, LabelError):
                if attempt == RENDER_ATTEMPTS - 1:
                    raise
        return Generated(report.doc_id, text, spans, report, style)
    for attempt in range(RENDER_ATTEMPTS):
        # A probe variant can lay out differently from the real text (a "/" is narrower than
        # the digit probing it, so a PDF line may break elsewhere): render again with other
        # choices. Labels are only ever taken from a render whose probes line up exactly.
        render_seed = seed if attempt == 0 else seed * 7919 + attempt
        try:
            text, spans = _render_and_label(spec, layout, report, render_seed)
            break
        except (probe.ProbeError, LabelError):
            if attempt == RENDER_ATTEMPTS - 1:
                raise
    if spec.ocr_noise:
        text, spans = noise.apply(text, spans, report, np.random.default_rng([seed, 7]))
        check_round_trip(text, spans, report, skip_misread=True)
    return Generated(report.doc_id, text, spans, report, style)


def _render_and_label(spec, layout, report, seed: int) -> tuple[str, list[dict]]:
    variants = probe.variants(layout, spec.wide_null)
    texts = spec.render(variants, seed, report) if spec.with_report else spec.render(variants, seed)
    texts = mangle.apply(spec.mangles, texts, seed)
    owner = probe.decode(texts[0], texts[1:])
    spans = owners_to_spans(texts[0], owner, layout.items, item_texts(layout))
    check_round_trip(texts[0], spans, report)
    return texts[0], spans


def item_texts(layout) -> dict[int, str]:
    """The printed text of every labelled item of ``layout``, by item id."""
    out: dict[int, str] = {}

    def visit(segments):
        for s in segments:
            if s.item is not None:
                out.setdefault(s.item, s.text)

    visit(layout.title.segments)
    for block in layout.blocks:
        if hasattr(block, "rows"):
            for row in block.rows:
                for cell in row:
                    visit(cell.segments)
        else:
            visit(block.segments)
    return out
