"""gaiml eval --gold DIR --inputs DIR [--engine auto] [--json]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import GaimlError
from ..evaluate import evaluate
from ..pipeline import DEFAULT_ENGINE, ENGINES, ExtractSettings


def eval_command(
    gold: Annotated[Path, typer.Option(help="Folder of gold files <doc_id>.json (SPEC.md format, optional \"style\").")],
    inputs: Annotated[Path, typer.Option(help="Folder of the reports, named <doc_id>.txt.")],
    engine: Annotated[str, typer.Option(help=f"Extraction engine: {', '.join(ENGINES)}.")] = DEFAULT_ENGINE,
    model: Annotated[Path | None, typer.Option(help="Model directory for --engine model or auto (default: models/default).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON instead of tables.")] = False,
    show_wrong: Annotated[int, typer.Option(help="List at most this many wrong cells per document.")] = 20,
    ocr_inputs: Annotated[str | None, typer.Option(help="Glob of the input file names that are OCR output (as `gaiml extract --ocr`), e.g. 'ocr_*'.")] = None,
    progress: Annotated[bool, typer.Option(help="Show what loads and a progress bar with rate and ETA on standard error.")] = True,
) -> None:
    """Score an engine against gold files.

    Reports per-document and overall cell accuracy, accuracy on non-zero gold cells,
    exact-document rate, per-table and per-style accuracy, template, year and agency accuracy,
    and the wrong cells (gold vs got). Null and 0 count as different."""
    try:
        settings = ExtractSettings(engine=engine, model_dir=str(model) if model else None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--engine") from exc
    try:
        report = evaluate(gold, inputs, settings, ocr_inputs=ocr_inputs, progress=progress)
    except GaimlError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    _print_report(report, show_wrong)


def _pct(x) -> str:
    return "   n/a" if x is None else f"{100 * x:6.2f}%"


def _print_report(report: dict, show_wrong: int) -> None:
    typer.echo(f"engine: {report['engine']}\n")
    typer.echo(f"{'document':34} {'style':26} {'cells':>9} {'acc':>7} {'nonzero':>7}  tpl year agency")
    for d in report["documents"]:
        flags = " ".join("ok " if d[k] else "NO " for k in ("template_ok", "year_ok", "agency_ok"))
        typer.echo(f"{d['doc_id']:34} {d['style']:26} {d['correct']:>4}/{d['cells']:<4} {_pct(d['cell_accuracy'])} "
                   f"{_pct(d['nonzero_accuracy'])}  {flags}")
        if d["error"]:
            typer.echo(f"    error: {d['error']}")
        for w in d["wrong"][:show_wrong]:
            typer.echo(f"    {w['key']}: gold {w['gold']!r}, got {w['got']!r}")
    typer.echo("")
    typer.echo(f"{'style':26} {'docs':>5} {'cells':>13} {'acc':>7} {'nonzero':>7} {'exact':>7} "
               f"{'t2':>7} {'t3':>7} {'t4':>7} {'tpl':>7} {'year':>7} {'agency':>7} {'review':>7} {'silent':>6}")
    rows = list(report["by_style"].items())
    if len(rows) > 1:
        rows.append(("ALL", report["overall"]))
    for style, s in rows:
        t = s["table_accuracy"]
        typer.echo(f"{style:26} {s['documents']:>5} {s['correct']:>6}/{s['cells']:<6} {_pct(s['cell_accuracy'])} "
                   f"{_pct(s['nonzero_accuracy'])} {_pct(s['exact_document_rate'])} {_pct(t.get('t2'))} "
                   f"{_pct(t.get('t3'))} {_pct(t.get('t4'))} {_pct(s['template_accuracy'])} "
                   f"{_pct(s['year_accuracy'])} {_pct(s['agency_accuracy'])} {_pct(s['review_burden'])} "
                   f"{s['silent_wrong_cells']:>6}")
    overall = report["overall"]
    levels = ", ".join(f"≥{lvl}: {v['cells']} cells, {_pct(v['right']).strip()} right"
                       for lvl, v in overall["right_at_confidence"].items())
    typer.echo(f"\nconfidence (all documents): {levels or 'no cells'}")
    typer.echo(f"repairs: {overall['repairs']['cells']} cells, {_pct(overall['repairs']['right']).strip()} right; "
               f"verified documents: {overall['verified_documents']}, "
               f"of which with a wrong cell: {overall['verified_with_wrong_cells']}")
    typer.echo(f"review: {_pct(overall['review_burden']).strip()} of the cells sent to review; "
               f"{_pct(overall['wrong_caught_by_review']).strip()} of the wrong cells among them; "
               f"{overall['silent_wrong_cells']} wrong cells outside review")
    spans = [(style, s) for style, s in rows if "span_f1" in s]
    if spans:
        typer.echo(f"\ncell spans (seqeval, strict)\n{'style':26} {'precision':>9} {'recall':>9} {'F1':>9}")
        for style, s in spans:
            typer.echo(f"{style:26} {_pct(s['span_precision']):>9} {_pct(s['span_recall']):>9} {_pct(s['span_f1']):>9}")
