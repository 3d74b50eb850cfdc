"""The `auto` engine: the rules and the model read the text, `reconcile` decides."""

from __future__ import annotations

from pathlib import Path

from .document import Reading
from .errors import ModelError
from .reconcile import reconcile
from .rules import RuleExtractor


class AutoExtractor:
    """Rules plus the model when one is installed; the arithmetic settles disagreements."""

    name = "auto"

    def __init__(self, rules: RuleExtractor, model=None):
        self.rules = rules
        self.model = model

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

    def extract(self, text: str) -> Reading:
        by_rules = self.rules.extract(text)
        by_model = None
        if self.model is not None:
            by_model = self.model.extract(text, by_rules.template.value, by_rules.other_form.value)
        decision = reconcile(by_rules, by_model, by_rules.template.value, by_rules.other_form.value)
        warnings = list(by_rules.warnings)
        if self.model is None:
            warnings.append("auto: no model installed; rules and arithmetic only")
        return Reading(by_rules.template, by_rules.other_form, by_rules.year, decision.cells,
                       max(by_rules.found_rows, by_model.found_rows if by_model else 0), warnings,
                       status=decision.status, repairs=decision.repairs, review=decision.review,
                       inconsistent=decision.inconsistent, ocr_traces=by_rules.ocr_traces)
