"""The `auto` engine: the rules and the model read the text, `verify.reconcile` decides."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .document import Reading
from .errors import ModelError
from .frame import Frame
from .rules import RuleExtractor
from .detect import FORM_SURE
from .verify.reconcile import Decision, reconcile
from .verify.status import doubt_form
from .verify.unchecked import read_by_ocr


@dataclass
class AutoReading:
    """Both engines' readings of one text and the decision between them; ``prediction`` is the
    model's per-character tags (None without a model), for active learning to score."""

    by_rules: Reading
    by_model: Reading | None
    prediction: object | None
    decision: Decision


class AutoExtractor:
    """Rules plus the model when one is installed; the arithmetic settles disagreements."""

    name = "auto"

    def __init__(self, rules: RuleExtractor, model=None):
        self.rules = rules
        self.model = model

    @classmethod
    def load(cls, settings) -> AutoExtractor:
        """With the model of ``settings.model_dir`` (default models/default) when it loads, else rules only."""
        return cls.from_dir(settings.model_dir)

    @classmethod
    def from_dir(cls, model_dir: str | Path | None) -> AutoExtractor:
        """With the model in ``model_dir`` (default models/default) when it loads, else rules only."""
        from .model import DEFAULT_MODEL_DIR, ModelExtractor

        try:
            model = ModelExtractor.from_dir(model_dir or DEFAULT_MODEL_DIR)
        except ModelError:
            if model_dir:  # asked for a model that is not there: say so
                raise
            model = None
        return cls(RuleExtractor(), model)

    def extract(self, text: str, template: str | None = None, other_form: str | None = None) -> Reading:
        """Read a bare ``text``; ``template``/``other_form`` override detection."""
        return self.read(Frame.of(text, template, other_form))

    def read(self, frame: Frame) -> Reading:
        """The decided cells of a report whose template, form and year the pipeline detected."""
        both = self.read_both(frame)
        by_rules, by_model, decision = both.by_rules, both.by_model, both.decision
        warnings = list(by_rules.warnings)
        if self.model is None:
            warnings.append("auto: no model installed; rules and arithmetic only")
        return Reading(by_rules.template, by_rules.other_form, by_rules.year, decision.cells,
                       max(by_rules.found_rows, by_model.found_rows if by_model else 0), warnings,
                       repairs=decision.repairs, review=decision.review,
                       inconsistent=decision.inconsistent, ocr_traces=by_rules.ocr_traces)

    def read_both(self, frame: Frame) -> AutoReading:
        """Each engine's reading (the model runs once) and the reconciliation of the two."""
        by_rules = self.rules.read(frame)
        by_model = prediction = None
        if self.model is not None:
            prediction = self.model.predict(frame.text)
            by_model = self.model.read(frame, prediction)
        misreads = read_by_ocr(frame.ocr_declared, by_rules.ocr_traces)  # else a figure is what it prints
        decision = reconcile(by_rules, by_model, frame.template.value, frame.other_form.value, misreads, frame.folded)
        if frame.other_form.confidence < FORM_SURE:  # the form is a guess: its rows to review
            doubt_form(decision.cells, decision.review, frame.template.value, frame.other_form.value)
        return AutoReading(by_rules, by_model, prediction, decision)
