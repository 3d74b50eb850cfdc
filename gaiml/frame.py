"""What the pipeline detects once per text and hands to every engine.

The template version, the 其他处理 form, the year and the agency are read from the text once, with
the folded text and its label characters that every reader works on, so the engines read the same
document the same way and no engine folds the text again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .detect import detect_agency, detect_other_form, detect_template, detect_year
from .document import Field
from .text import CompactText, fold


@dataclass(frozen=True)
class Frame:
    """One report's text with what is detected of it (``template``/``other_form`` may be given)."""

    text: str  # as read: every span points into it
    folded: str  # full-width ASCII folded 1:1 (gaiml.text.fold): same length, same offsets
    compact: CompactText  # only the label characters, each with its offset
    template: Field
    other_form: Field
    year: Field
    ocr_declared: bool = False  # the caller says (or gaiml's own OCR knows) the text was read by OCR

    @classmethod
    def of(cls, text: str, template: str | None = None, other_form: str | None = None,
           ocr_declared: bool = False) -> Frame:
        """Detect everything of ``text``; a given ``template``/``other_form`` overrides detection."""
        folded = fold(text)
        compact = CompactText.of(folded)
        year = detect_year(text, folded)
        tpl = Field(template, confidence=1.0) if template else detect_template(compact, year.value)
        form = Field(other_form, confidence=1.0) if other_form else detect_other_form(compact)
        return cls(text, folded, compact, tpl, form, year, ocr_declared)

    @cached_property
    def agency(self) -> Field:
        """The body that published the report (its title, else its signature)."""
        return detect_agency(self.text, self.folded)
