"""Results (JSON Lines of `gaiml extract`) to tables: wide CSV/XLSX for analysis, long CSV for review.

Wide: one row per report, one column per cell key. Three header rows: the cell keys, then the
table and printed row label (表三 （七）总计), then the printed column label (自然人), so each
column reads as in the report. Reports of both templates share one file: the union of keys,
blank where a report's template has no such cell. Every cell whose status is not ``ok`` is named
with its status in the report's ``flagged`` column, so a repaired or doubtful figure never passes
for a printed, checked one. Long: one row per (report, cell), with its status and why.
"""

from __future__ import annotations

import csv
from pathlib import Path

from . import schema
from .errors import InputError
from .output import json_lines, review_items
from .verify.status import line_status

TABLE_NAMES = {"t2": "表二", "t3": "表三", "t4": "表四"}
# The per-report columns before the cells: (field, Chinese header).
DOCUMENT_COLUMNS = (("doc_id", "文件"), ("source", "来源"), ("template", "模板"), ("year", "年度"),
                    ("agency", "机关"), ("status", "状态"), ("broken_relations", "不成立的勾稽关系"),
                    ("review", "需复核的单元格"), ("flagged", "非正常单元格及其状态"), ("error", "错误"))
LONG_COLUMNS = ("doc_id", "source", "key", "row_label", "column_label", "value", "confidence", "status", "why", "note")
# A cell's status in the exports, what a reviewer checks first listed first; "ok" otherwise.
CELL_STATUSES = ("in-broken-relation", "source-inconsistent", "repaired", "review", "ok")
# Excel reads UTF-8 CSV as the local code page unless it starts with a BOM.
CSV_ENCODING = "utf-8-sig"


def load_results(path: str | Path) -> list[dict]:
    """The documents of a JSON Lines results file; InputError names a line that is not JSON."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot be read ({exc})") from exc
    docs = []
    for n, doc, not_json in json_lines(raw):
        if not_json:
            raise InputError(str(path), f"line {n} is not JSON ({not_json})")
        docs.append(doc)
    return docs


def wide_columns(docs: list[dict]) -> list[tuple[str, str, str]]:
    """(cell key, row label, column label) for the union of the cells of every template and form
    among ``docs``, table by table. A key printed under two labels (2019's 处理决定数量, 2021's
    本年处理决定数量) shows both."""
    combos = sorted({(d["template"], d["other_form"]) for d in docs if "error" not in d})
    labels: dict[str, tuple[list[str], list[str]]] = {}
    for table, name in TABLE_NAMES.items():
        for template, form in combos:
            for cell in schema.cells(template, form):
                if cell.table == table:
                    rows, columns = labels.setdefault(cell.key, ([], []))
                    _add_once(rows, f"{name} {cell.row_label}")
                    _add_once(columns, cell.column_label)
    return [(key, " / ".join(rows), " / ".join(columns)) for key, (rows, columns) in labels.items()]


def _add_once(labels: list[str], label: str) -> None:
    if label not in labels:
        labels.append(label)


def wide_rows(docs: list[dict]) -> list[list]:
    """Three header rows (keys, row labels, column labels), then one row per report."""
    columns = wide_columns(docs)
    rows = [
        [name for name, _ in DOCUMENT_COLUMNS] + [key for key, _, _ in columns],
        [label for _, label in DOCUMENT_COLUMNS] + [row for _, row, _ in columns],
        [""] * len(DOCUMENT_COLUMNS) + [column for _, _, column in columns],
    ]
    for doc in docs:
        failed = "error" in doc
        info = {**doc, "status": line_status(doc),
                "broken_relations": None if failed else len(doc["validation"]["broken"]),
                "review": None if failed else " ".join(item["cell"] for item in review_items(doc)),
                "flagged": None if failed else "; ".join(f"{k}: {v}" for k, v in cell_statuses(doc).items() if v != "ok")}
        values = {} if failed else {k: c["value"] for k, c in doc["cells"].items()}
        rows.append([info.get(name) for name, _ in DOCUMENT_COLUMNS] + [values.get(key) for key, _, _ in columns])
    return rows


def long_rows(docs: list[dict]):
    """One row per (report, cell), with the cell's review status; a failed report gets one row."""
    yield list(LONG_COLUMNS)
    for doc in docs:
        if "error" in doc:
            yield [doc.get("doc_id"), doc.get("source"), "", "", "", "", "", "failed", "", doc["error"]]
            continue
        labels = schema.cell_index(doc["template"], doc["other_form"])
        statuses = cell_statuses(doc)
        why = {item["cell"]: item["why"] for item in review_items(doc)}
        for key, cell in doc["cells"].items():
            label = labels[key]
            yield [doc["doc_id"], doc["source"], key, f"{TABLE_NAMES[label.table]} {label.row_label}",
                   label.column_label, cell["value"], cell["confidence"], statuses[key], why.get(key, ""),
                   cell.get("note", "")]


def cell_statuses(doc: dict) -> dict[str, str]:
    """Each cell's status (``CELL_STATUSES``): in a broken relation the report is not blamed for,
    in one the report itself breaks (its printed value kept), repaired (a misread digit read
    otherwise), in the review list, or ok."""
    blamed = set(doc["validation"].get("source_inconsistent") or [])
    broken = {key for b in doc["validation"]["broken"] if b["relation"] not in blamed for key in b["left"] + b["right"]}
    inconsistent = {key for b in doc["validation"]["broken"] if b["relation"] in blamed for key in b["left"] + b["right"]}
    repaired = {r["cell"] for r in doc.get("repairs") or [] if r.get("kind") == "misread digit"}
    review = {item["cell"] for item in review_items(doc)}
    out = {}
    for key in doc["cells"]:
        out[key] = ("in-broken-relation" if key in broken else "source-inconsistent" if key in inconsistent
                    else "repaired" if key in repaired else "review" if key in review else "ok")
    return out


def write_csv(rows, path: str | Path) -> None:
    with open(path, "w", encoding=CSV_ENCODING, newline="") as f:
        writer = csv.writer(f)
        for row in rows:
            writer.writerow("" if v is None else v for v in row)


def write_xlsx(rows: list[list], path: str | Path, header_rows: int = 3) -> None:
    """One sheet, header rows frozen; write-only mode keeps thousands of reports cheap."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("gaiml")
    sheet.freeze_panes = f"{_column_letter(len(DOCUMENT_COLUMNS) + 1)}{header_rows + 1}"
    for row in rows:
        sheet.append(row)
    book.save(path)


def _column_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


FORMATS = {
    "csv": lambda docs, path: write_csv(wide_rows(docs), path),
    "xlsx": lambda docs, path: write_xlsx(wide_rows(docs), path),
    "long": lambda docs, path: write_csv(long_rows(docs), path),
}


def export(results: str | Path, fmt: str, path: str | Path) -> int:
    """Write the results file ``results`` as ``fmt`` (csv, xlsx, long) to ``path``; returns the reports written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {sorted(FORMATS)}")
    docs = load_results(results)
    FORMATS[fmt](docs, path)
    return len(docs)
