"""gaiml validate RESULT.json"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..output import OutputError, check_output
from ..verify import check_relations


def validate_command(
    result: Annotated[Path, typer.Argument(help="An output of `gaiml extract`: one JSON document, or JSON Lines of them.")],
) -> None:
    """Check extraction results: their shape and the tables' arithmetic.

    The document shape is checked against the JSON Schema, then every arithmetic relation of
    SPEC.md is recomputed from the cell values. Prints each broken relation with its cells, both sides and the difference. Exit code 1 when
    a relation is broken or a document is malformed, 2 when the file cannot be read.
    """
    documents = _load(result)
    bad = 0
    for doc in documents:
        name = doc.get("doc_id", "?") if isinstance(doc, dict) else "?"
        if isinstance(doc, dict) and "error" in doc:
            typer.echo(f"{name}: extraction failed: {doc['error']}")
            bad += 1
            continue
        try:
            check_output(doc)
        except OutputError as exc:
            typer.echo(f"{name}: malformed result: {exc}")
            bad += 1
            continue
        values = {k: c["value"] for k, c in doc["cells"].items()}
        validation = check_relations(values, doc["template"], doc["other_form"])
        typer.echo(f"{name}: {len(validation.holds)} relations hold, {len(validation.broken)} broken, "
                   f"{len(validation.unassessable)} unassessable (null cells)")
        for b in validation.broken:
            typer.echo(f"  broken: {b.relation}: {' + '.join(b.left)} = {b.left_sum:g} but "
                       f"{' + '.join(b.right)} = {b.right_sum:g} (difference {b.difference:g})")
        bad += not validation.ok
    if bad:
        raise typer.Exit(1)


def _load(path: Path) -> list:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: {path}: cannot be read ({exc})", err=True)
        raise typer.Exit(2) from exc
    try:
        return [json.loads(raw)]
    except json.JSONDecodeError:
        pass
    docs = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            docs.append(json.loads(line))
        except json.JSONDecodeError as exc:
            typer.echo(f"error: {path}: line {n} is not JSON ({exc.msg})", err=True)
            raise typer.Exit(2) from exc
    if not docs:
        typer.echo(f"error: {path}: empty file", err=True)
        raise typer.Exit(2)
    return docs
