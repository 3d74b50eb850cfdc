"""gaiml show RESULT.jsonl [--doc ID] [-o FILE.png|FILE.html] [--dpi N] [--source PDF]"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..show import ShowError, counts, draw_document, load_document, marks


def show_command(
    result: Annotated[Path, typer.Argument(help="An output of `gaiml extract`: JSON Lines, or one JSON document.")],
    doc: Annotated[str | None, typer.Option("--doc", help="The doc_id to draw (not needed when the file holds one document).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="The picture: FILE.png, or FILE.html (the picture and a table of the review cells). Default: DOC_ID.png.")] = None,
    dpi: Annotated[int, typer.Option(help="Resolution of the page images (dots per inch).")] = 100,
    source: Annotated[Path | None, typer.Option(help="The PDF the document was read from, when its \"source\" path no longer leads to it.")] = None,
) -> None:
    """Draw one document's cells over the pages of its source PDF, for a reviewer.

    Each page holding a cell is rasterised, turned upright as extraction turned it, and every cell's box outlined: green confirmed, orange to review, blue repaired (printed→chosen), each tagged with the value read (null as ∅). A header gives the doc id, status and the count of each colour.

    Needs the page/box provenance that PDF and scan inputs carry. Exit code 2 when the document, its provenance or its source cannot be found.
    """
    try:
        document = load_document(result, doc)
        out = output or Path(f"{document['doc_id']}.png")
        written = draw_document(document, out, dpi=dpi, result=result, source=source)
    except ShowError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    n = counts(marks(document))
    typer.echo(f"wrote {', '.join(map(str, written))}: {document['doc_id']} ({document.get('status')}): "
               f"{n['confirmed']} confirmed, {n['review']} to review, {n['repaired']} repaired", err=True)
