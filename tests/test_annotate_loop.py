"""One whole active-learning round against a real Label Studio server (the session fixture
``label_studio`` in conftest.py): select, push, annotate through the API as a person would, pull,
fine-tune a tiny model, and compare old and new on held-out reports."""

import json
import time

import pytest
import torch
from typer.testing import CliRunner

from gaiml.annotate import client as ls
from gaiml.annotate.rounds import model_version
from gaiml.cli import app
from gaiml.model.tokenizer import build_tokenizer, character_inventory
from tests.annotator import annotate, pool_document, write_gold, write_pool
from gaiml.model.finetune import (DataConfig, ModelConfig, TrainConfig, TrainSettings, batches, build_model, build_windows,
                            evaluate_dev, save_model)

PROJECT = "gaiml test round"
POOL_STYLES = ["tabs", "pipes", "markdown", "cell_lines", "tabs", "pipes"]


def train_tiny_model(out_dir, docs, steps=60):
    """A one-layer model trained for a few steps: enough to load, predict and be fine-tuned."""
    import random

    torch.manual_seed(0)
    cfg = TrainConfig(data=DataConfig(train_dir="data/not-here", window=64, stride=48),
                      model=ModelConfig(layers=1, hidden=32, heads=2, intermediate=64, max_position=66),
                      train=TrainSettings(batch_size=8, learning_rate=3e-3, out_dir=str(out_dir)))
    tokenizer = build_tokenizer(character_inventory())
    model = build_model(cfg, tokenizer.get_vocab_size())
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.train.learning_rate)
    stream = batches(build_windows(docs, tokenizer, cfg), cfg.train.batch_size, random.Random(0))
    for _ in range(steps):
        model(**next(stream)).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    save_model(model, tokenizer, cfg, {}, out_dir)
    return cfg, tokenizer


def token_accuracy(model_dir, docs, cfg, tokenizer):
    from transformers import BertForTokenClassification

    model = BertForTokenClassification.from_pretrained(model_dir, local_files_only=True)
    return evaluate_dev(model, build_windows(docs, tokenizer, cfg), torch.device("cpu"))["token_accuracy"]


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result


@pytest.mark.slow
def test_annotate_loop_one_round_end_to_end(tmp_path, label_studio):
    t0 = time.monotonic()
    torch.set_num_threads(1)
    base_docs = [pool_document(100 + i, s) for i, s in enumerate(["tabs", "pipes", "markdown", "cell_lines"] * 3)]
    base = tmp_path / "models" / "base"
    cfg, tokenizer = train_tiny_model(base, base_docs)

    pool = [pool_document(300 + i, s, astral=(i == 0)) for i, s in enumerate(POOL_STYLES)]
    by_id = {d["doc_id"]: d for d in pool}
    write_pool(pool, tmp_path / "pool")
    held_out = [pool_document(900 + i, s) for i, s in enumerate(["tabs", "markdown", "cell_lines"])]
    write_pool(held_out, tmp_path / "heldout" / "raw")
    write_gold(held_out, tmp_path / "heldout" / "gold")

    # 1. select: the four reports a label would teach most, spread over layouts
    selection = tmp_path / "selection.jsonl"
    r = run("al", "select", "--pool", tmp_path / "pool", "-k", 4, "--model", base, "-o", selection)
    assert r.exit_code == 0, r.output
    chosen = [json.loads(line) for line in selection.read_text(encoding="utf-8").splitlines()]
    assert len(chosen) == 4 and all(c["reasons"] for c in chosen)
    assert len({c["bucket"] for c in chosen}) >= 3

    # 2. push with pre-annotations; a second push imports nothing twice
    auth = ["--url", label_studio.url, "--api-key", label_studio.api_key, "--project", PROJECT]
    r = run("al", "push", *auth, "--selection", selection, "--model", base)
    assert r.exit_code == 0 and "4 reports imported" in r.output, r.output
    r = run("al", "push", *auth, "--selection", selection, "--model", base)
    assert r.exit_code == 0 and "0 reports imported, 4 already there" in r.output, r.output
    client = ls.connect(label_studio.url, label_studio.api_key)
    project = ls.find_project(client, PROJECT)
    version = model_version(base)
    assert project.model_version == version
    tasks = ls.list_tasks(client, project.id)
    assert len(tasks) == 4 and all(t.predictions and t.predictions[0].model_version == version for t in tasks)

    # 3. the annotator corrects the predictions; one submits a span whose text is not the text
    bad = chosen[-1]["doc_id"]
    annotate(client, project.id, by_id, bad={bad})

    # 4. pull: checked, converted, stored as round-001; the bad task is left out and named
    out = tmp_path / "annotations"
    r = run("al", "pull", *auth, "--out-dir", out)
    assert r.exit_code == 1 and "3 annotated reports" in r.output and bad in r.output, r.output
    round_file = out / "round-001.jsonl"
    examples = [json.loads(line) for line in round_file.read_text(encoding="utf-8").splitlines()]
    assert len(examples) == 3
    for ex in examples:
        assert ex["cells"] == by_id[ex["doc_id"]]["gold"]["cells"], ex["doc_id"]
        assert ex["model_version"] == version
        c = ex["changes"]
        assert c["kept"] + c["relabelled"] + c["moved"] + c["added"] == len(ex["spans"])
        assert c["added"] + c["relabelled"] + c["moved"] + c["removed"] > 0  # a tiny model is far from right
    r = run("al", "pull", *auth, "--out-dir", out)
    assert "no new annotations" in r.output and not (out / "round-002.jsonl").exists()

    # 5. fine-tune on the round plus generated reports; the model learns what the people labelled
    new = tmp_path / "models" / "round-001"
    r = run("train", "--annotations", round_file, "--base", base, "--out", new, "--steps", 40,
            "--synth-docs", 6, "--learning-rate", 3e-3, "--threads", 1)
    assert r.exit_code == 0, r.output
    meta = json.loads((new / "gaiml.json").read_text(encoding="utf-8"))
    assert meta["fine_tuned"]["annotated_documents"] == 3
    annotated = [{"text": ex["text"], "spans": ex["spans"]} for ex in examples]
    before = token_accuracy(base, annotated, cfg, tokenizer)
    after = token_accuracy(new, annotated, cfg, tokenizer)
    assert after > before

    # 6. compare the old and the new model on held-out reports
    figures = {}
    for name, model_dir in (("old", base), ("new", new)):
        r = run("eval", "--gold", tmp_path / "heldout" / "gold", "--inputs", tmp_path / "heldout" / "raw",
                "--engine", "model", "--model", model_dir, "--json")
        assert r.exit_code == 0, r.output
        report = json.loads(r.stdout[r.stdout.index("{"):])
        figures[name] = report["overall"]["cell_accuracy"]
    print(f"\nLabel Studio up in {label_studio.start_seconds} s; round in {time.monotonic() - t0:.1f} s; "
          f"annotated-token accuracy {before:.3f} -> {after:.3f}; held-out cell accuracy "
          f"{figures['old']:.3f} -> {figures['new']:.3f}")
