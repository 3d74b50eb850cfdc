"""extract(): read -> detect -> extract cells -> validate, for one report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .document import Extraction
from .errors import InputError
from .frame import Frame
from .readers import ReadDocument, read_document
from .rules import RuleExtractor
from .text import LimitError, canonical_label, check_deadline, check_text_size, limit
from .verify.status import judge
from .verify.unchecked import read_by_ocr


# The engine of the CLI, the service and the library when none is named: rules + model + arithmetic
# (without a model installed, the rules + arithmetic).
DEFAULT_ENGINE = "auto"


@dataclass(frozen=True)
class ExtractSettings:
    """How to extract; the CLI maps its options onto these fields."""

    engine: str = DEFAULT_ENGINE
    model_dir: str | None = None  # the model engine's directory; None: models/default
    ocr: bool = False  # the inputs are OCR output: figures no relation checks go to review

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; choose one of {sorted(ENGINES)}")


def _model_engine():
    from .model import ModelExtractor  # torch is loaded only when asked for

    return ModelExtractor


def _auto_engine():
    from .auto import AutoExtractor

    return AutoExtractor


# Engine name -> its class (imported when asked for); each loads with ``load(settings)`` and reads
# with ``read(frame) -> Reading``.
ENGINES = {
    "rules": lambda: RuleExtractor,
    "model": _model_engine,
    "auto": _auto_engine,
}
# Fewer row labels than this found with figures: the text is not one of these reports.
MIN_ROWS_FOUND = 4
# A text is such a report when the rows of 表三 (依申请公开: the table only these reports print) are
# found, or its title or a table heading of the template says so; otherwise a report on something
# else (法治政府建设, a statistics table) whose rows share labels with 表二 and 表四 would give cells.
MIN_T3_ROWS = 3
REPORT_MARKERS = tuple(canonical_label(m) for m in (
    "政府信息公开工作年度报告", "政务公开工作年度报告", "信息公开年度报告", "信息公开工作报告",
    "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "政府信息公开行政复议、行政诉讼情况",
    "本年新收政府信息公开申请数量"))


@lru_cache(maxsize=4)
def _long_digit_run(most: int) -> re.Pattern:
    """A run of more than ``most`` digits (thousands separators allowed): no count or amount. Made
    once per limit; the regex engine passes over the many shorter runs, not a Python loop."""
    return re.compile(rf"\d(?:[,，]?\d){{{most},}}")


class Pipeline:
    """Extraction with one engine, loaded once: reuse it for many reports (batch, service).

    >>> pipeline = Pipeline.load(ExtractSettings(engine="rules"))  # doctest: +SKIP
    >>> [pipeline.extract(p).values() for p in paths]  # doctest: +SKIP
    """

    def __init__(self, settings: ExtractSettings, engine):
        self.settings = settings
        self.engine = engine  # reads a Frame: engine.read(frame) -> Reading

    @classmethod
    def load(cls, settings: ExtractSettings = ExtractSettings()) -> Pipeline:
        """The engine of ``settings``, loaded (the model's weights read from disk) once."""
        return cls(settings, ENGINES[settings.engine]().load(settings))

    def extract(self, path: str | Path, ocr: bool | None = None) -> Extraction:
        """Extract one report file; InputError names the file when it cannot be read. ``ocr``:
        the file is OCR output (default: the settings' ``ocr``; a scan gaiml OCRs is known)."""
        path = Path(path)
        return self.extract_document(read_document(path), doc_id=path.stem, source=str(path), ocr=ocr)

    def extract_text(self, text: str, doc_id: str = "text", source: str | None = None,
                     encoding: str | None = None, ocr: bool | None = None) -> Extraction:
        """Extract a report already read into a string; offsets point into ``text``."""
        return self.extract_document(ReadDocument(text, encoding), doc_id, source, ocr)

    def extract_document(self, document: ReadDocument, doc_id: str = "text", source: str | None = None,
                         ocr: bool | None = None) -> Extraction:
        """Extract a report as ``read_document`` gives it; a PDF's cells also get their page and box."""
        text, encoding = document.text, document.read_as
        name = source or doc_id
        if not text.strip():
            raise InputError(name, "empty text")
        check_text_size(text, name)
        declared = (self.settings.ocr if ocr is None else ocr) or document.read_by_ocr
        frame = Frame.of(text, ocr_declared=declared)
        _check_figures(frame.folded, name)
        check_deadline(name)
        try:
            reading = self.engine.read(frame)
        except OverflowError as exc:  # a figure beyond any float: the digits guard missed its form
            raise LimitError(name, "a figure too large to be a count or an amount", "digits") from exc
        check_deadline(name)
        if reading.found_rows < MIN_ROWS_FOUND:
            raise InputError(name, "not a government information-disclosure annual report: "
                                   f"found {reading.found_rows} table rows (表二/表三/表四 missing)")
        _check_is_disclosure_report(frame, reading, name)
        _check_values(reading.cells, name)
        verdict = judge(reading.cells, reading.template.value, reading.other_form.value, flagged=reading.review,
                        inconsistent=reading.inconsistent, ocr=read_by_ocr(declared, reading.ocr_traces))
        cells = verdict.cells
        report = verdict.validation.to_json()
        report["source_inconsistent"] = verdict.inconsistent
        if document.layout is not None:
            _place_cells(cells, document.layout)
        return Extraction(
            doc_id=doc_id,
            source=source,
            encoding=encoding,
            template=reading.template,
            other_form=reading.other_form,
            year=reading.year,
            agency=frame.agency,
            cells=cells,
            engine=self.settings.engine,
            text=text,
            validation=report,
            warnings=document.notes + reading.warnings,
            status=verdict.status,
            review=verdict.review,
            repairs=reading.repairs,
            pages=document.layout.pages if document.layout is not None else None,
        )


def _check_figures(folded: str, source: str) -> None:
    """LimitError for a run of digits longer than the digits limit: no count or amount is that long,
    and such a number overflows every float the arithmetic takes."""
    m = _long_digit_run(limit("digits")).search(folded)
    if m is not None:
        digits = sum(ch.isdigit() for ch in m.group())
        raise LimitError(source, f"a figure of {digits:,} digits at offset {m.start()}", "digits")


def _check_values(cells: dict, source: str) -> None:
    """LimitError for a value read with more digits than the limit (digits joined across spaces)."""
    bound = 10 ** limit("digits")
    for key, cell in cells.items():
        if isinstance(cell.value, (int, float)) and abs(cell.value) >= bound:
            raise LimitError(source, f"{key}: a figure of {len(str(int(abs(cell.value)))):,} digits", "digits")


def _check_is_disclosure_report(frame: Frame, reading, source: str) -> None:
    """InputError when the text is not a 政府信息公开工作年度报告: too few rows of 表三 and no title or
    table heading of one."""
    t3_rows = set()
    for key, cell in reading.cells.items():
        if key.startswith("t3.") and cell.start is not None and cell.value is not None:
            t3_rows.add(key.rsplit(".", 1)[0])
            if len(t3_rows) >= MIN_T3_ROWS:
                return  # enough: the other cells need not be looked at
    compact = frame.compact.chars
    if any(marker in compact for marker in REPORT_MARKERS):
        return
    raise InputError(source, "not a government information-disclosure annual report (政府信息公开工作年度报告): "
                             f"{len(t3_rows)} rows of 表三 and no title or table heading of one")


def _place_cells(cells: dict, layout) -> None:
    """Each cell read from a drawn table cell gets that cell's page and box."""
    for cell in cells.values():
        place = layout.place_of(cell.start, cell.end)
        if place is not None:
            cell.page, cell.box = place.page, place.box


def extract(path: str | Path, settings: ExtractSettings = ExtractSettings()) -> Extraction:
    """Extract one report file.

    Parameters
    ----------
    path : the report, a text file in UTF-8, UTF-16 or GB18030/GBK.
    settings : the engine to use.

    Returns
    -------
    Extraction, whose ``to_json()`` is the documented output document.

    Raises
    ------
    InputError naming the file when it is missing, empty, binary or not such a report.

    Examples
    --------
    >>> result = extract("../shared/seeds/raw/002_94824f8011a9565a.txt")  # doctest: +SKIP
    >>> result.values()["t2.procurement.amount"]  # doctest: +SKIP
    96558
    """
    return loaded_pipeline(settings).extract(path)


def extract_text(text: str, doc_id: str = "text", source: str | None = None, encoding: str | None = None,
                 settings: ExtractSettings = ExtractSettings()) -> Extraction:
    """Extract a report already read into a string; offsets point into ``text``."""
    return loaded_pipeline(settings).extract_text(text, doc_id, source, encoding)


@lru_cache(maxsize=4)
def loaded_pipeline(settings: ExtractSettings) -> Pipeline:
    """One Pipeline per settings for the library's ``extract``/``extract_text``: the model loads
    once per process, not once per call."""
    return Pipeline.load(settings)
