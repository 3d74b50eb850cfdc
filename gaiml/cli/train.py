"""gaiml train --annotations annotations/round-001.jsonl [--base models/default] [--out models/round-001] [--steps N]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import GaimlError

ON_THE_FLY_SEED0 = 90 * 10_000_000  # a run seed of its own, far from the datasets' and the benchmark's


def generated_documents(synth: Path | None, base_config, count: int) -> tuple[list[dict], str]:
    """Generated documents to mix in: a dataset folder (``--synth``, else the base model's
    training set, relative to the current directory, when present), else ``count`` documents
    generated now by the repository's generator (the ``training`` package, installed with gaiml)."""
    folder = synth or Path(base_config.data.train_dir)
    if (folder / "dataset_info.json").exists() or (folder / "state.json").exists():
        from datasets import load_from_disk

        rows = load_from_disk(str(folder))
        rows = rows.shuffle(seed=13).select(range(min(count, len(rows))))
        return [{"doc_id": r["doc_id"], "text": r["text"], "style": r["style"],
                 "spans": json.loads(r["spans"]) if isinstance(r["spans"], str) else r["spans"]} for r in rows], str(folder)
    if synth is not None:
        raise GaimlError(f"{synth}: not a generated dataset (write one with `python -m training.synth generate`)")
    from training.synth.generate import generate
    from training.synth.styles import TRAINING_MIX

    # Every layout the shipped model was trained on, in turn: replaying only a few of them let a
    # fine-tuned model forget the others (benchmarks/active_learning.py measures what it loses).
    docs = []
    for i in range(count):
        g = generate(ON_THE_FLY_SEED0 + i, TRAINING_MIX[i % len(TRAINING_MIX)])
        docs.append({"doc_id": g.doc_id, "text": g.text, "spans": g.spans, "style": g.style})
    return docs, f"{count} generated now"


def train_command(
    annotations: Annotated[list[Path], typer.Option(help="Round files written by `gaiml al pull` (repeat for several).")],
    base: Annotated[Path, typer.Option(help="The model to start from.")] = Path("models/default"),
    out: Annotated[Path | None, typer.Option(help="Where the new model goes (default: models/<first round's name>).")] = None,
    steps: Annotated[int, typer.Option(min=1, help="Optimisation steps.")] = 300,
    oversample: Annotated[int, typer.Option(min=1, help="How many times each annotated report counts against one generated report.")] = 4,
    synth: Annotated[Path | None, typer.Option(help="A generated dataset to mix in (default: the base model's training set when present).")] = None,
    synth_docs: Annotated[int, typer.Option(min=0, help="How many generated reports to mix in.")] = 200,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate (lower than from scratch: the model is trained).")] = 3e-4,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads.")] = 2,
    distill: Annotated[float, typer.Option(min=0, help="Temperature at which the generated reports learn the base model's own predictions instead of their generated tags, so that it keeps what it read (0, the default: their tags).")] = 0.0,
) -> None:
    """Fine-tune a trained model on annotated reports mixed with generated ones.

    Prints the held-out generated documents' entity F1 before and after, and saves the model with
    where it came from in its gaiml.json. Compare models on held-out reports with
    `gaiml eval --engine model --model DIR`."""
    from ..annotate.rounds import load_round

    from ..model.finetune import config_of_model, fine_tune

    out = out or Path("models") / annotations[0].stem
    if out.resolve() == base.resolve():
        raise typer.BadParameter("--out must differ from --base: the old model is what the new one is compared with")
    try:
        annotated = [doc for path in annotations for doc in load_round(path)]
        if not (base / "gaiml.json").exists():
            raise GaimlError(f"{base}: not a gaiml model directory (no gaiml.json)")
        generated, where = generated_documents(synth, config_of_model(base), synth_docs)
    except GaimlError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"fine-tuning {base} on {len(annotated)} annotated reports (x{oversample}) and "
               f"{len(generated)} generated ({where}) for {steps} steps", err=True)
    result = fine_tune(base, annotated, generated, out, steps=steps, oversample=oversample,
                       learning_rate=learning_rate, threads=threads, distill=distill)
    before, after = result["before"], result["after"]
    if before:
        typer.echo(f"held-out generated windows: entity F1 {before['entity_f1']:.4f} -> {after['entity_f1']:.4f}, "
                   f"token accuracy {before['token_accuracy']:.4f} -> {after['token_accuracy']:.4f}")
    typer.echo(f"saved {out}")
