"""gaiml extract PATH... [-o OUT.jsonl] [--json] [--engine auto] [--workers N] [--resume] [--with-text] [--ray [ADDRESS]]"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..batch import OutputError, collect_paths, extract_many
from ..errors import GaimlError
from ..pipeline import DEFAULT_ENGINE, ENGINES, ExtractSettings


# Exit codes: 1 some report failed, 2 a user's mistake (missing input, engine not loadable),
# 4 the output file cannot be opened, locked or written.
OUTPUT_ERROR = 4


def apply_limits(items: list[str] | None) -> None:
    """``--limit NAME=N`` options into the GAIML_* variables the readers and workers read."""
    from ..text import parse_limit

    for item in items or ():
        try:
            variable, value = parse_limit(item)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--limit") from exc
        os.environ[variable] = value


def extract_command(
    paths: Annotated[list[Path], typer.Argument(help="Report files (.txt, .html, .htm, .pdf, .docx), folders searched recursively, or quoted globs.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write JSON Lines here (one document per line) instead of standard output.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON document even for one report on a terminal (where a readable summary is shown by default).")] = False,
    engine: Annotated[str, typer.Option(help=f"Extraction engine: {', '.join(ENGINES)}.")] = DEFAULT_ENGINE,
    model: Annotated[Path | None, typer.Option(help="Model directory for --engine model or auto (default: models/default).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes, each loading the engine once (default: the CPU cores; with --ray, the cluster's CPUs). Each gets cores/workers torch threads, so workers × threads never exceed the cores (GAIML_THREADS=N to choose).")] = None,
    resume: Annotated[bool, typer.Option(help="Keep the documents already in --output and extract only the others.")] = False,
    with_text: Annotated[bool, typer.Option(help="Add each document's extracted text (what its spans index) as \"text\".")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar with rate and ETA on standard error.")] = True,
    ocr: Annotated[bool, typer.Option(help="The texts are OCR output: figures that no relation checks (all of table 2) go to review instead of counting as verified. Scanned PDFs that gaiml OCRs itself are known without it.")] = False,
    ray: Annotated[bool, typer.Option("--ray", help="Extract on a Ray cluster (--ray [ADDRESS]): alone it joins the cluster that RAY_ADDRESS or `ray start` on this machine names, else starts one here; followed by HOST:PORT, ray://HOST:PORT or auto it joins that one. Every node must read the inputs at the same path. --workers: actors (default: the cluster's CPUs).")] = False,
    limits: Annotated[list[str] | None, typer.Option("--limit", metavar="NAME=N", help="Raise (or lower) a limit for this run, e.g. --limit chars=2000000: chars, file_bytes, markup_bytes, pages, ocr_pages, page_objects, digits, seconds (README \"Limits\"). Repeatable.")] = None,
) -> None:
    """Extract every cell of each report as one JSON document per line, in parallel.

    Lines are written as documents complete, so an interrupted run keeps what it finished and
    --resume carries on. A report that cannot be read (missing, empty, binary, broken, encrypted,
    not such a report) gets an error line naming the file and the problem; the others go on.
    A summary ends the run. Exit code 1 when any report failed, 4 when the output file cannot be
    written (a missing folder, read-only, disk full, another run writing it). Every report is
    bounded by limits (characters, bytes, pages, seconds: README "Limits"; --limit to raise one).

    One report on a terminal without -o or --json: a readable summary (status, tables with the
    flagged cells marked, repairs, broken relations) instead of the JSON document.
    """
    try:
        settings = ExtractSettings(engine=engine, model_dir=str(model) if model else None, ocr=ocr)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--engine") from exc
    if resume and output is None:
        raise typer.BadParameter("--resume needs --output", param_hint="--resume")
    apply_limits(limits)
    runner = None
    if ray:
        from ..ray_batch import RayRunner, is_address

        # `--ray ADDRESS`: the flag takes no value, so the address arrives among the paths (as a
        # Path, which folds ray://HOST:PORT into ray:/HOST:PORT).
        def address(path: Path) -> str | None:
            text = re.sub(r"^ray:/(?!/)", "ray://", str(path))
            return text if is_address(text) and not os.path.lexists(path) else None

        addresses = [address(p) for p in paths if address(p)]
        if len(addresses) > 1:
            raise typer.BadParameter(f"more than one Ray address: {', '.join(addresses)}", param_hint="--ray")
        paths = [p for p in paths if not address(p)]
        if not paths:
            raise typer.BadParameter("no report files or folders given", param_hint="PATHS")
        runner = RayRunner(addresses[0] if addresses else None)
    readable = output is None and not as_json and sys.stdout.isatty() and len(collect_paths(paths)) == 1
    buffer = io.StringIO() if readable else None
    try:
        summary = extract_many(paths, settings, workers=workers, out=buffer if readable else output,
                               resume=resume, with_text=with_text, progress=progress, runner=runner)
    except OutputError as exc:  # the output cannot be written: not a report's fault (exit 1)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(OUTPUT_ERROR) from exc
    except GaimlError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not progress:  # the bar prints each failure as it happens
        for reason in summary.failures.values():
            typer.echo(f"error: {reason}", err=True)
    if readable:
        from ..summary import render

        for raw in buffer.getvalue().splitlines():
            typer.echo(render(json.loads(raw)))
        typer.echo("(the JSON document: add -o FILE.jsonl or --json)", err=True)
    typer.echo(summary.to_text(), err=True)
    if summary.failed:
        raise typer.Exit(1)
