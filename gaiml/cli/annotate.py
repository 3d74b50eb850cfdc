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
ExistingProject = Annotated[str, typer.Option(help="Title of the project `gaiml al push` made (it must exist).")]
ModelDir = Annotated[Path | None, typer.Option(help="Model directory (default: models/default).")]


def _load_model(model: Path | None, required: bool):
    import time

    from ..model import DEFAULT_MODEL_DIR, ModelExtractor

    directory = model or DEFAULT_MODEL_DIR
    typer.echo(f"loading the model {directory} ...", err=True)
    started = time.perf_counter()
    try:
        extractor = ModelExtractor.from_dir(directory)
        typer.echo(f"model loaded in {time.perf_counter() - started:.1f} s", err=True)
        return extractor, directory
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
    progress: Annotated[bool, typer.Option(help="Show a progress bar with rate and ETA on standard error.")] = True,
) -> None:
    """Pick the K reports a label would teach most.

    Ranked by model uncertainty, broken relations and rules-vs-model disagreement, spread over
    templates and layouts; written with their reasons."""
    from ..annotate.select import select

    done = set()
    for path in exclude:
        if not path.is_file():
            _fail(GaimlError(f"{path}: no such round file (--exclude)"))
        done |= {json.loads(ln)["doc_id"] for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()}
    extractor, _ = _load_model(model, required=False)
    try:
        records, buckets = select(pool, k, extractor, done,
                                  on_skip=lambda p, why: typer.echo(f"skipped {p}: {why}", err=True), progress=progress)
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
    predictions: Annotated[bool, typer.Option("--predictions/--no-predictions", help="Import the reports with the model's spans as pre-annotations (--no-predictions: without, and no model is loaded).")] = True,
    results: Annotated[Path | None, typer.Option(help="Review queue: an output of `gaiml extract --with-text -o` whose flagged documents are sent instead of a selection, the extraction's readings as pre-annotations and the cells to check named in each task (no model is loaded).")] = None,
    status: Annotated[str, typer.Option(help="With --results: send the lines with this status.")] = "needs review",
) -> None:
    """Import the selected reports into the project with the model's spans as pre-annotations.

    With --results, a review queue instead: the documents an extraction flagged, so a person corrects only the cells in their review lists; `gaiml al pull` then gives back the corrected documents too."""
    from ..annotate import client as ls
    from ..annotate.rounds import load_selection, model_version, push, push_review

    if results is not None:
        from ..annotate.review import load_flagged

        try:
            load_flagged(results, status)  # a bad file is named before any server is asked
            answer = push_review(ls.connect(url, api_key), project, results, status)
        except GaimlError as exc:
            _fail(exc)
        typer.echo(f"review project {project!r} (id {answer['project_id']}, {'created' if answer['created'] else 'reused'}): "
                   f"{answer['imported']} documents with status {status!r} imported ({answer['review_cells']} cells to "
                   f"check), {answer['skipped']} already there; model version {answer['model_version']}")
        return
    extractor, version = None, None
    if predictions:
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
    project: ExistingProject,
    out_dir: Annotated[Path, typer.Option(help="Where round files go (round-NNN.jsonl, never overwritten).")] = Path("annotations"),
    save_export: Annotated[Path | None, typer.Option(help="Also save Label Studio's raw JSON export here.")] = None,
    results: Annotated[Path | None, typer.Option(help="Review queue: write the corrected documents here (JSON Lines like `gaiml extract`'s; default: reviewed-NNN.jsonl beside the round file; never overwritten).")] = None,
) -> None:
    """Store the new annotations as the next round of training examples.

    Every span is checked against its task's text; what the annotators changed against the predictions is reported. A review queue's tasks also come back as corrected documents with each cell's value and span from the annotation. A task two or more people annotated: their agreement per cell is reported, and it is trained on only when they agree on every label (or one annotation is marked ground truth). Exit 1 when a task had to be left out."""
    from ..annotate import client as ls
    from ..annotate.rounds import pull

    try:
        answer = pull(ls.connect(url, api_key), project, out_dir, save_export, results)
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
    if answer["results_path"]:
        typer.echo(f"{answer['corrected']} corrected documents -> {answer['results_path']}")
    for a in answer["agreements"]:
        typer.echo(f"{a['doc_id']} (task {a['task_id']}): annotators {', '.join(map(str, a['annotators']))} agree on "
                   f"{a['agreed']} of {a['cells']} cells ({a['share']:.0%}); {a['settled']}")
        for d in a["differ"][:10]:
            readings = "; ".join(f"{r['annotator']}: {r['value']!r} at {r['span']}" for r in d["readings"])
            typer.echo(f"  differ on {d['cell']}: {readings}")
        if len(a["differ"]) > 10:
            typer.echo(f"  ... and {len(a['differ']) - 10} more cells")
    for problem in answer["problems"]:
        typer.echo(f"left out: {problem}", err=True)
    if answer["problems"]:
        raise typer.Exit(1)


server_app = typer.Typer(help="Run a local Label Studio server in the background: start, stop, status.",
                         no_args_is_help=True)
app.add_typer(server_app, name="server")
DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", help="The server's folder: its database, the API token (token), the admin password (password), "
    "server.json and server.log. Default: $GAIML_LABEL_STUDIO_DIR, else ~/gaiml-label-studio.")]


def _say_where(record: dict) -> None:
    typer.echo(f"Label Studio is up at {record['url']} (pid {record['pid']}; data in {record['data_dir']})")
    typer.echo(f"  log in as {record['username']} with the password in {record['password_file']}")
    typer.echo(f"  API token in {record['token_file']}; for gaiml al push and pull:")
    typer.echo(f"  export LABEL_STUDIO_URL={record['url']} LABEL_STUDIO_API_KEY=$(cat {record['token_file']})")


@server_app.command("start")
def server_start_command(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="Loopback port; a busy one is an error (Label Studio would silently take the next).")] = 8080,
    label_studio: Annotated[Path | None, typer.Option(help="The label-studio program (default: .venv-ls/bin/label-studio, made by scripts/setup.sh).")] = None,
    wait: Annotated[int, typer.Option(help="Seconds to wait for it to answer before giving up.")] = 300,
) -> None:
    """Start Label Studio in the background and return once it answers.

    Loopback only, SQLite in the data folder, an admin and an API token made without a prompt (kept in the folder, mode 0600, reused on the next start). Prints the URL, where the token and password are, and the export line for `gaiml al push` and `pull`. Nothing happens when it runs already."""
    from ..annotate import server

    folder = server.data_dir(data_dir)
    try:
        record = server.start(folder, port, label_studio, limit=wait)
    except GaimlError as exc:
        _fail(exc)
    if record["already"]:
        typer.echo("(it was running already)", err=True)
    else:
        typer.echo(f"(ready after {record['seconds']:.0f} s)", err=True)
    _say_where(record)


@server_app.command("stop")
def server_stop_command(data_dir: DataDir = None) -> None:
    """Stop the Label Studio server that `gaiml al server start` started (SIGTERM); its data stay."""
    from ..annotate import server

    folder = server.data_dir(data_dir)
    record = server.stop(folder)
    typer.echo(f"stopped Label Studio (pid {record['pid']})" if record else f"no Label Studio server runs from {folder}")


@server_app.command("status")
def server_status_command(data_dir: DataDir = None) -> None:
    """Say whether the server of the data folder runs and answers; exit code 1 when it does not run."""
    from ..annotate import server

    folder = server.data_dir(data_dir)
    record = server.state(folder)
    if not record:
        typer.echo(f"no Label Studio server runs from {folder} (start one with `gaiml al server start`)")
        raise typer.Exit(1)
    if not server.healthy(record["url"]):
        typer.echo(f"Label Studio (pid {record['pid']}) runs at {record['url']} but does not answer yet; "
                   f"see {record['log']}")
        return
    _say_where(record)
