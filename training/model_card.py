"""Write the model card (models/<name>/README.md) from the model's metadata and measured figures.

    python -m training.model_card models/default --eval-model runs/eval_model.json \
        --eval-rules runs/eval_rules.json --eval-seeds runs/eval_seeds.json [--speed "..."]

The eval files are `gaiml eval --json` outputs on the benchmark split (model and rules) and on
the seed reports (model); the card quotes them, so its figures are measured, never typed in.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gaiml.model import META_FILE
from gaiml.model.tags import entity_types


def pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def style_table(model: dict, rules: dict, auto: dict | None) -> str:
    """Cell accuracy per style of the model, the rules and (when given) the auto engine, with the
    model's span F1 when the gold files carry spans."""
    spans = "span_f1" in model["overall"]
    head = "| style | documents | model | rules |" + (" auto |" if auto else "") + (" model span F1 |" if spans else "")
    lines = [head, "|---|---:|" + "---:|" * (head.count("|") - 3)]
    rows = [(style, m, rules["by_style"].get(style, {}), (auto or {}).get("by_style", {}).get(style, {}))
            for style, m in model["by_style"].items()]
    rows.append(("**all**", model["overall"], rules["overall"], (auto or {}).get("overall", {})))
    for style, m, r, a in rows:
        line = f"| {style} | {m['documents']} | {pct(m['cell_accuracy'])} | {pct(r.get('cell_accuracy'))} |"
        line += f" {pct(a.get('cell_accuracy'))} |" if auto else ""
        line += f" {pct(m.get('span_f1'))} |" if spans else ""
        lines.append(line)
    return "\n".join(lines)


# Measured by training/mlm_experiment.sh (runs/mlm_off, runs/mlm_on) and by the longer pair of runs
# runs/mlm_full and runs/nomlm_twin (commands in training/README.md).
MLM_NOTE = """measured: it helps at equal steps, but not at equal time, so it is not kept. Two runs from random weights
alike but for 1,000 masked-LM steps before the second's fine-tuning (2,000 documents) reach dev entity
F1 0.162 / 0.261 / 0.298 without against 0.352 / 0.506 / 0.603 with, after 500 / 1,000 / 1,500
fine-tuning steps. A longer pair on all of `data/synth_stage3` (14,000-step schedule, same seed and
dev windows): after 1,000 / 2,000 / 3,000 / 4,000 / 5,000 / 6,000 steps, 0.268 / 0.503 / 0.707 /
0.786 / 0.797 / 0.881 without against 0.483 / 0.738 / 0.791 / 0.840 / 0.860 / 0.905 with (the run
without was stopped there for time). But the 1,000 MLM steps cost 17 minutes on one core, the time
of about 2,500 fine-tuning steps, and at equal time the run without is ahead at every point measured:
with MLM 0.483 / 0.738 / 0.791 / 0.840 after 1,000 / 2,000 / 3,000 / 4,000 fine-tuning steps, without
about 0.75 / 0.79 / 0.84 / 0.88 after 2,500 more. The run with MLM, carried to 14,000 steps (2.3
hours, one stage), reaches dev entity F1 0.967 and 99.67% of the cells of the development split,
against 99.72% for the shipped weights (three stages, 34,000 steps, no MLM). `train.pretrain_steps`
stays available (default 0)."""


def card(model_dir: Path, model_eval: dict, rules_eval: dict, seeds_eval: dict, speed: str,
         auto_eval: dict | None = None) -> str:
    meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    cfg = meta["config"]
    size_mb = (model_dir / "model.safetensors").stat().st_size / 1e6
    seeds = seeds_eval["overall"]
    return f"""# gaiml default model

A character-level token classifier (`BertForTokenClassification`, {config['num_hidden_layers']} layers,
hidden {config['hidden_size']}, {config['num_attention_heads']} heads, {size_mb:.1f} MB of fp32 safetensors) that tags
the figures and row labels of 政府信息公开工作年度报告 text, one token per character. Used by
`gaiml extract --engine model`. Loads from this directory only (no network).

## Labels

BIO tags over {len(entity_types())} entities ({len(meta['tags'])} tags): `ROW=<table>.<row>` on row labels, `COL=<table>.<column>`
on figures (表四: `COL=t4.<group>.<field>`), `AGENCY`, `YEAR`. Why columns and not whole cell keys: the
column is local (a figure's place in its row), the row is printed beside it; tagging full keys would
make the model carry the row over hundreds of characters of one-cell-per-line text. Tag set version
`{meta['tags_version']}`, schema version `{meta['schema_version']}`.

Tags become cells a row at a time (`gaiml/model/decode.py`), using the probabilities of every tag,
not only the best one: a digit run whose tags slip ("706" as B B I) is re-cut as one figure unless the
model is sure of two; each figure's table is chosen for the whole sequence (Viterbi, tables in
printed order); its row is the last row label before it; a row's figures are assigned to its columns
in order by the highest joint odds (so no two fill one cell, and a figure is dropped only when a row
has more figures than columns); a row one figure short whose blank the odds cannot place is placed
by the row's sum (`gaiml/verify/complete.py`), unless ten or more rows of its table are short that
way with a blank 总计 column, which then stays null. Between pipes (markdown, pipe-mangled tables) a
run of digits is one figure whatever its tags: nothing fuses cells there. The decoding's few
constants were set on the development split (`data/dev_split`), never the benchmark.

## Data and training

Trained on documents generated by `training/synth`, windows of {cfg['data']['window']} characters (stride {cfg['data']['stride']})
around the tables and the title, in three stages (`training/reproduce.sh`):

1. 6,000 steps from random weights on 10,000 documents of the 19 generated styles (`data/synth`, run
   seed 0), learning rate 1e-3 decaying linearly;
2. that run resumed with its schedule stretched to step 22,000 (a warm restart; the shipped stage-2
   weights are from step 14,500, where the run was stopped for time);
3. from stage 2's weights (`train.init_from`), {cfg['train']['max_steps']:,} more steps at {cfg['train']['learning_rate']:g} on `{cfg['data']['train_dir']}`:
   6,000 new documents (run seed 1) with the styles the model read worst given twice the share,
   plus the real-OCR cache (`training/ocr_cache`, its held-out documents excluded).

{cfg['data']['dev_fraction']:.0%} of each stage's documents are held out as its dev split for early stopping; the benchmark
split (`training/benchmark_split`) has its own seeds and is never trained on. Batch size
{cfg['train']['batch_size']}. Best stage-3 dev entity F1 {meta['dev_metrics'].get('entity_f1', 0):.4f} at step {meta['dev_metrics'].get('step')} (its dev documents lean to the
hard styles, so the figure is not comparable with stage 2's). Masked-LM pretraining: {MLM_NOTE}

Reproduce (data, training, evaluation and this card): `bash training/reproduce.sh`.

## Accuracy (`gaiml eval`, benchmark split, data the model did not train on)

{style_table(model_eval, rules_eval, auto_eval)}

Seed reports (five real reports): model {seeds['correct']}/{seeds['cells']} cells ({pct(seeds['cell_accuracy'])}).

## Speed

{speed}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--eval-model", type=Path, required=True)
    parser.add_argument("--eval-rules", type=Path, required=True)
    parser.add_argument("--eval-seeds", type=Path, required=True)
    parser.add_argument("--eval-auto", type=Path, help="gaiml eval --json of the auto engine, for comparison")
    parser.add_argument("--speed", default="not measured")
    args = parser.parse_args()
    load = lambda p: json.loads(p.read_text(encoding="utf-8"))  # noqa: E731
    auto = load(args.eval_auto) if args.eval_auto else None
    text = card(args.model_dir, load(args.eval_model), load(args.eval_rules), load(args.eval_seeds), args.speed, auto)
    (args.model_dir / "README.md").write_text(text, encoding="utf-8")
    print(f"wrote {args.model_dir / 'README.md'}")


if __name__ == "__main__":
    main()
