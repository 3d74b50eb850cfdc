"""Reading collections of `gaiml extract` results for series work, line by line.

A collection may be several files written at different times; one bad line (not JSON, no year,
a failed extraction) must not lose the others, so every problem is collected with the file and
line it came from instead of stopping the read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from ..output import json_lines, review_cells  # noqa: F401  (records speak the output document)


@dataclass
class Record:
    """One result document and where it was read from (kept for error messages and write-back)."""

    doc: dict
    path: str
    line: int

    @property
    def doc_id(self) -> str:
        return str(self.doc.get("doc_id") or f"{Path(self.path).name}:{self.line}")

    @property
    def year(self) -> int:
        return self.doc["year"]

    @property
    def where(self) -> str:
        return f"{self.path} line {self.line}"


@dataclass
class Collection:
    """Documents usable in a series, plus the lines that are not (each named by file and line)."""

    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # failed extractions: `extract` reported them already
    skipped: list[Record] = field(default_factory=list)  # failed extractions, written back unchanged
    in_order: list[Record] = field(default_factory=list)  # every document, as the files hold them


def load(paths: list[str | Path]) -> Collection:
    """Every readable result line of ``paths``; a file that cannot be read, a line that is not a
    JSON object, a document without year or cells goes to ``problems``, a failed extraction's
    line to ``notes``."""
    out = Collection()
    for path in paths:
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            out.problems.append(f"{path}: cannot be read ({exc})")
            continue
        for n, doc, not_json in json_lines(raw):
            if not_json:
                out.problems.append(f"{path} line {n}: not JSON ({not_json}); line skipped")
                continue
            rec = Record(doc, str(path), n)
            if not isinstance(doc, dict):
                out.problems.append(f"{path} line {n}: not a result document (a JSON {type(doc).__name__}); line skipped")
                continue
            out.in_order.append(rec)
            if "error" in doc:
                out.notes.append(f"{path} line {n}: {rec.doc_id}: extraction failed ({doc['error']}); not in any series")
                out.skipped.append(rec)
            elif not isinstance(doc.get("cells"), dict):
                out.problems.append(f"{path} line {n}: {rec.doc_id}: no cells; not in any series")
                out.skipped.append(rec)
            elif not isinstance(doc.get("year"), int) or isinstance(doc.get("year"), bool):
                out.problems.append(f"{path} line {n}: {rec.doc_id}: no year (the report's year was not read); "
                                    "not in any series")
                out.skipped.append(rec)
            else:
                out.records.append(rec)
    return out


def value(doc: dict, key: str):
    """A cell's value, None when the template has no such cell or the report left it blank."""
    cell = doc.get("cells", {}).get(key)
    return cell.get("value") if isinstance(cell, dict) else None


def confidence(doc: dict, key: str) -> float:
    cell = doc.get("cells", {}).get(key)
    return float(cell.get("confidence", 0.0)) if isinstance(cell, dict) else 0.0


def add_review(doc: dict, key: str, why: str) -> None:
    """Put ``key`` in the document's review list in the shape the list already uses (objects
    when any entry is an object, else bare keys), unless it is there already."""
    review = doc.setdefault("review", [])
    if key in review_cells(doc):
        return
    if any(isinstance(e, dict) for e in review):
        review.append({"cell": key, "why": why})
    else:
        review.append(key)


def remove_review(doc: dict, key: str) -> bool:
    """Take ``key`` off the review list (either shape); True when it was there."""
    review = doc.get("review") or []
    kept = [e for e in review if (e.get("cell") if isinstance(e, dict) else e) != key]
    doc["review"] = kept
    return len(kept) != len(review)
