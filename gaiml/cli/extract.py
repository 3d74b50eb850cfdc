"""gaiml extract PATH... [-o OUT.jsonl] [--engine rules]"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import GaimlError
from ..pipeline import ENGINES, ExtractSettings, Pipeline

REPORT_SUFFIXES = (".txt",)


def extract_command(
    paths: Annotated[list[Path], typer.Argument(help="Report files, or folders searched recursively for *.txt reports.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write JSON Lines here (one document per line) instead of standard output.")] = None,
    engine: Annotated[str, typer.Option(help=f"Extraction engine: {', '.join(ENGINES)}.")] = "rules",
) -> None:
    """Extract every cell of each report as one JSON document per line.

    A report that cannot be read (missing, empty, binary, not such a report) gets an error line
    naming the file and the problem; the others go on. Exit code 1 when any report failed.
    """
    try:
        settings = ExtractSettings(engine=engine)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--engine") from exc
    pipeline = Pipeline(settings)
    files = list(collect_reports(paths))
    failed = 0
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for path in files:
            line = _extract_one(path, pipeline)
            failed += "error" in line
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if output:
            out.close()
    typer.echo(f"{len(files) - failed} extracted, {failed} failed", err=True)
    if failed:
        raise typer.Exit(1)


def collect_reports(paths: list[Path]):
    """Files as given, folders expanded to their reports (sorted, recursive)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES)
        else:
            yield path


def _extract_one(path: Path, pipeline: Pipeline) -> dict:
    try:
        return pipeline.extract(path).to_json()
    except GaimlError as exc:
        typer.echo(f"error: {exc}", err=True)
        return {"doc_id": path.stem, "source": str(path), "error": str(exc)}
