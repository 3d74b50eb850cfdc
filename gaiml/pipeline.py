"""extract(): read -> detect -> extract cells -> validate, for one report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .detect import detect_agency
from .document import Extraction
from .errors import InputError
from .rules import RuleExtractor
from .readers import ReadDocument, read_document
from .reconcile import NEEDS_REVIEW, REVIEW_BELOW, SOURCE_INCONSISTENT, VERIFIED
from .unchecked import hold_for_review, read_by_ocr
from .validate import check_relations


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


def _model_engine(settings: ExtractSettings):
    from .model import DEFAULT_MODEL_DIR, ModelExtractor  # torch is loaded only when asked for

    return ModelExtractor.from_dir(settings.model_dir or DEFAULT_MODEL_DIR)


def _auto_engine(settings: ExtractSettings):
    from .auto import AutoExtractor

    return AutoExtractor.from_dir(settings.model_dir)


# Engine name -> factory taking the settings; each returns an object with extract(text) -> Reading.
ENGINES = {
    "rules": lambda settings: RuleExtractor(),
    "model": _model_engine,
    "auto": _auto_engine,
}
# Fewer row labels than this found with figures: the text is not one of these reports.
MIN_ROWS_FOUND = 4


class Pipeline:
    """Extraction with one engine, loaded once: reuse it for many reports (batch, service).

    >>> pipeline = Pipeline(ExtractSettings(engine="rules"))  # doctest: +SKIP
    >>> [pipeline.extract(p).values() for p in paths]  # doctest: +SKIP
    """

    def __init__(self, settings: ExtractSettings = ExtractSettings()):
        self.settings = settings
        self.engine = ENGINES[settings.engine](settings)

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
        if not text.strip():
            raise InputError(source or doc_id, "empty text")
        reading = self.engine.extract(text)
        if reading.found_rows < MIN_ROWS_FOUND:
            raise InputError(source or doc_id, "not a government information-disclosure annual report: "
                                               f"found {reading.found_rows} table rows (表二/表三/表四 missing)")
        cells = reading.cells
        values = {k: c.value for k, c in cells.items()}
        validation = check_relations(values, reading.template.value, reading.other_form.value)
        status, review = reading.status, list(reading.review)
        declared = (self.settings.ocr if ocr is None else ocr) or document.read_by_ocr
        if read_by_ocr(declared, reading.ocr_traces):
            cells, held = hold_for_review(cells, reading.template.value, reading.other_form.value)
            review += [k for k in held if k not in review]
            if held and status in (VERIFIED, SOURCE_INCONSISTENT):
                status = NEEDS_REVIEW
        if status is None:  # one engine alone cannot tell the author's arithmetic from a misreading
            review = [k for k, c in cells.items() if c.confidence < REVIEW_BELOW]
            status = VERIFIED if validation.ok and not review else NEEDS_REVIEW
        report = validation.to_json()
        report["source_inconsistent"] = list(reading.inconsistent)
        agency = detect_agency(text)
        if document.layout is not None:
            _place_cells(cells, document.layout)
        return Extraction(
            doc_id=doc_id,
            source=source,
            encoding=encoding,
            template=reading.template,
            other_form=reading.other_form,
            year=reading.year,
            agency=agency,
            cells=cells,
            engine=self.settings.engine,
            text=text,
            validation=report,
            warnings=document.notes + reading.warnings,
            status=status,
            review=review,
            repairs=reading.repairs,
            pages=document.layout.pages if document.layout is not None else None,
        )


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
    return Pipeline(settings).extract(path)


def extract_text(text: str, doc_id: str = "text", source: str | None = None, encoding: str | None = None,
                 settings: ExtractSettings = ExtractSettings()) -> Extraction:
    """Extract a report already read into a string; offsets point into ``text``."""
    return Pipeline(settings).extract_text(text, doc_id, source, encoding)
