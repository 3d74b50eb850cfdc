"""gaiml al select | push | pull: the active-learning loop with a Label Studio server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import GaimlError

app = typer.Typer(help="Active learning with Label Studio: select reports to label, push them with the "
                       "model's pre-annotations, pull the annotations back as training examples.",
                  no_args_is_help=True)

Url = Annotated[str, typer.Option(help="Label Studio's address, e.g. http://127.0.0.1:8080.", envvar="LABEL_STUDIO_URL")]
ApiKey = Annotated[str, typer.Option(help="An API token of the Label Studio user.", envvar="LABEL_STUDIO_API_KEY")]
Project = Annotated[str, typer.Option(help="Project title (created when missing, reused when present).")]
ModelDir = Annotated[Path | None, typer.Option(help="Model directory (default: models/default).")]


def _load_model(model: Path | None, required: bool):
    from ..model import DEFAULT_MODEL_DIR, ModelExtractor

    directory = model or DEFAULT_MODEL_DIR
    try:
        return ModelExtractor.from_dir(directory), directory
    except GaimlError as exc:
        if required or model is not None:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"warning: {exc}; ranking without a model", err=True)
        return None, None


def _fail(exc: Exception):
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2) from exc


@app.command("select")
def select_command(
    pool: Annotated[Path, typer.Option(help="Folder of unlabelled reports (.txt, searched recursively).")],
    k: Annotated[int, typer.Option("-k", min=1, help="How many reports to select.")] = 20,
    model: ModelDir = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Selection file (JSON Lines).")] = Path("selection.jsonl"),
    exclude: Annotated[list[Path], typer.Option(help="Round files (annotations/round-*.jsonl) whose reports are labelled already.")] = [],
) -> None:
    """Pick the K reports a label would teach most.

    Ranked by model uncertainty, broken relations and rules-vs-model disagreement, spread over
    templates and layouts; written with their reasons."""
    from ..annotate.select import select

    extractor, _ = _load_model(model, required=False)
    done = set()
    for path in exclude:
        done |= {json.loads(ln)["doc_id"] for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()}
    try:
        records, buckets = select(pool, k, extractor, done,
                                  on_skip=lambda p, why: typer.echo(f"skipped {p}: {why}", err=True))
    except GaimlError as exc:
        _fail(exc)
    output.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    for r in records:
        typer.echo(f"{r['rank']:>3}. {r['doc_id']}  score {r['score']:.3f}  [{r['bucket']}]  " + "; ".join(r["reasons"]))
    typer.echo(f"{len(records)} selected from {sum(buckets.values())} reports in {len(buckets)} "
               f"(template/layout) buckets -> {output}", err=True)


@app.command("push")
def push_command(
    url: Url,
    api_key: ApiKey,
    project: Project,
    selection: Annotated[Path, typer.Option(help="The selection written by `gaiml al select`.")] = Path("selection.jsonl"),
    model: ModelDir = None,
    no_predictions: Annotated[bool, typer.Option(help="Import the reports without pre-annotations.")] = False,
) -> None:
    """Import the selected reports into the project with the model's spans as pre-annotations."""
    from ..annotate import client as ls
    from ..annotate.rounds import load_selection, model_version, push

    extractor, version = None, None
    if not no_predictions:
        extractor, directory = _load_model(model, required=True)
        version = model_version(directory)
    try:
        records = load_selection(selection)
        answer = push(ls.connect(url, api_key), project, records, extractor, version)
    except GaimlError as exc:
        _fail(exc)
    typer.echo(f"project {project!r} (id {answer['project_id']}, {'created' if answer['created'] else 'reused'}): "
               f"{answer['imported']} reports imported, {answer['skipped']} already there; "
               f"model version {answer['model_version']}")


@app.command("pull")
def pull_command(
    url: Url,
    api_key: ApiKey,
    project: Project,
    out_dir: Annotated[Path, typer.Option(help="Where round files go (round-NNN.jsonl, never overwritten).")] = Path("annotations"),
    save_export: Annotated[Path | None, typer.Option(help="Also save Label Studio's raw JSON export here.")] = None,
) -> None:
    """Store the new annotations as the next round of training examples.

    Every span is checked against its task's text; what the annotators changed against the
    predictions is reported. Exit 1 when a task had to be left out."""
    from ..annotate import client as ls
    from ..annotate.rounds import pull

    try:
        answer = pull(ls.connect(url, api_key), project, out_dir, save_export)
    except GaimlError as exc:
        _fail(exc)
    c = answer["changes"]
    if answer["path"]:
        typer.echo(f"{answer['examples']} annotated reports -> {answer['path']}")
        typer.echo(f"against the predictions: {c.get('kept', 0)} spans kept, {c.get('added', 0)} added, "
                   f"{c.get('removed', 0)} removed, {c.get('relabelled', 0)} relabelled, {c.get('moved', 0)} moved")
        for what, n in c["most_common"]:
            typer.echo(f"  {n:>4}  {what}")
    else:
        typer.echo(f"no new annotations in {answer['tasks']} tasks")
    for problem in answer["problems"]:
        typer.echo(f"left out: {problem}", err=True)
    if answer["problems"]:
        raise typer.Exit(1)
