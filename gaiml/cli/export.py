"""gaiml export RESULTS.jsonl --format csv|xlsx|long -o FILE"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import GaimlError
from ..export import FORMATS, export


def export_command(
    results: Annotated[Path, typer.Argument(help="JSON Lines written by `gaiml extract`.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv: wide, one row per report and one column per cell "
                                     "key; xlsx: the same as a spreadsheet; long: one row per report and cell.")] = "csv",
) -> None:
    """Export extraction results as a wide CSV/XLSX table or a long CSV for review.

    Wide tables carry three header rows: cell key, table and printed row label, printed column
    label, and a status column per report (verified, source-inconsistent, needs review, failed).
    Reports of both templates share the union of cell keys. The long CSV has one row per report
    and cell: labels, value, confidence and the cell's status (ok, review, in-broken-relation, failed).
    """
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    try:
        count = export(results, fmt, output)
    except GaimlError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except (OverflowError, ValueError) as exc:  # a figure no spreadsheet holds (a result of an older gaiml)
        typer.echo(f"error: {results}: a value cannot be written as {fmt} ({type(exc).__name__}: {exc}); "
                   "re-extract the report (figures over the digits limit are refused now)", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{count} reports written to {output}", err=True)
