"""gaiml compare RESULTS.jsonl... [--body NAME] [-o FILE.csv|.xlsx|.png] [--annotate LINKED.jsonl]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import GaimlError
from ..series import chart, compare, link, records
from ..series.check import annotate, check_series


def compare_command(
    results: Annotated[list[Path], typer.Argument(help="JSON Lines written by `gaiml extract` (one file or several).")],
    body: Annotated[Optional[str], typer.Option("--body", help="Only the bodies whose name (any spelling printed) "
                                                "contains this text, e.g. 洪泽区.")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write the table as FILE.csv or FILE.xlsx, "
                                                   "or one chart per body as FILE.png (FILE-<body>.png when there "
                                                   "are several bodies). Without it the table is printed.")] = None,
    mapping: Annotated[Optional[Path], typer.Option("--mapping", help="CSV of 'name,body' rows: a printed agency name "
                                                    "or a doc_id, then the body it belongs to; overrides the "
                                                    "automatic grouping (start from the file --groups writes).")] = None,
    groups: Annotated[Optional[Path], typer.Option("--groups", help="Write the grouping found (name, body, years, "
                                                   "doc_ids) to this CSV; edit its body column and pass it back "
                                                   "with --mapping.")] = None,
    annotate_to: Annotated[Optional[Path], typer.Option("--annotate", help="Write every document back to this JSON "
                                                        "Lines file with the cross-year check in "
                                                        "validation.cross_year and review/status updated.")] = None,
    jump: Annotated[float, typer.Option("--jump", min=1, help="Flag a figure that grows to more than this many "
                                        "times the year before, or falls below 1/this of it (2: doubles or halves).")] = 2.0,
    min_change: Annotated[float, typer.Option("--min-change", min=0, help="...and by at least this much (so 1 → 3 "
                                              "is no jump).")] = 10,
) -> None:
    """Link reports of the same body across years, check them against each other, and compare.

    Documents are grouped by reporting body (names normalised: 淮安市洪泽区人民政府 and 洪泽区人民政府 are
    one body; a --mapping file overrides) and by year. Year N's 上年结转 must equal year N−1's
    结转下年度 in every 表三 column, and in 2019-template reports 表二's 上一年项目数量 must equal the
    year before's 上一年项目数量 + 本年增/减. Prints, per body, the key figures year by year with their
    changes and flags (× broken cross-year relation, ! a jump beyond --jump). Exit code 1 when a
    line of the input could not be used (each named by file and line; the rest is compared), 2 when
    nothing could be read.
    """
    if output is not None and output.suffix.lower() not in (".csv", ".xlsx", ".png"):
        raise typer.BadParameter("give a file ending in .csv, .xlsx or .png", param_hint="-o")
    coll = records.load(results)
    for problem in coll.problems:
        typer.echo(f"error: {problem}", err=True)
    for note in coll.notes:
        typer.echo(f"note: {note}", err=True)
    if not coll.records and not coll.skipped:
        typer.echo("error: no result document could be read", err=True)
        raise typer.Exit(2)
    try:
        linking = link.link(coll.records, link.read_mapping(mapping) if mapping else None)
    except GaimlError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for note in linking.notes:
        typer.echo(f"note: {note}", err=True)
    checks = [check_series(s) for s in linking.series]
    if groups:
        _write_csv(link.grouping_rows(linking), groups)
        typer.echo(f"grouping of {len(coll.records)} documents into {len(linking.series)} bodies written to {groups}",
                   err=True)
    annotated = annotate(linking, checks)
    if annotate_to:
        _write_annotated(coll, annotated, annotate_to)
    chosen = checks
    if body:
        wanted = {id(s) for s in link.select(linking, body)}
        chosen = [c for c in checks if id(c.series) in wanted]
        if not chosen:
            some = ", ".join(s.body for s in linking.series[:5])
            typer.echo(f"error: no body matches {body!r} (bodies: {some}{' …' if len(linking.series) > 5 else ''})",
                       err=True)
            raise typer.Exit(2)
    tables = [compare.body_table(c, jump, min_change, annotated) for c in chosen]
    if output is None:
        typer.echo("\n\n".join(compare.render_text(t) for t in tables))
    else:
        _write_output(tables, output)
    if coll.problems:
        raise typer.Exit(1)


def _write_output(tables, output: Path) -> None:
    suffix = output.suffix.lower()
    if suffix == ".csv":
        compare.write_csv(tables, output)
    elif suffix == ".xlsx":
        compare.write_xlsx(tables, output)
    else:  # .png
        paths = [output] if len(tables) == 1 else [output.with_name(f"{output.stem}-{_safe(t.body)}.png") for t in tables]
        for t, path in zip(tables, paths):
            chart.draw(t, path)
        typer.echo("\n".join(f"chart of {t.body} written to {p}" for t, p in zip(tables, paths)), err=True)
        return
    bodies = f"{len(tables)} bod{'y' if len(tables) == 1 else 'ies'}"
    typer.echo(f"{sum(len(t.rows) for t in tables)} rows ({bodies}) written to {output}", err=True)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:80]


def _write_csv(rows, path: Path) -> None:
    from ..export import write_csv

    write_csv(rows, path)


def _write_annotated(coll, annotated: dict[int, dict], path: Path) -> None:
    """Every document in its input order: linked ones annotated, the others as they were."""
    docs = coll.in_order
    with open(path, "w", encoding="utf-8") as f:
        for rec in docs:
            f.write(json.dumps(annotated.get(id(rec), rec.doc), ensure_ascii=False) + "\n")
    typer.echo(f"{len(docs)} documents written to {path} ({len(annotated)} linked)", err=True)
