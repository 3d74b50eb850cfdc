"""The model engine's parts: tags, tokenizer, windows, decoding, and a tiny model trained here."""

import json
import random

import pytest
import torch

from gaiml.errors import ModelError
from gaiml.model import META_FILE, ModelExtractor
import numpy as np

from gaiml.model.decode import spans_to_cells
from gaiml.model.figures import FigureReader
from gaiml.model.tags import TaggedSpan, spans_to_tags, tag_list, tags_to_spans
from gaiml.model.tokenizer import build_tokenizer, character_inventory, encode_chars
from gaiml.model.windows import owner_windows, window_starts
from training.synth.generate import generate
from gaiml.model.finetune import (DataConfig, ModelConfig, TrainConfig, TrainSettings, batches, build_model, build_windows,
                                   collate, distillation_loss, fine_tune, save_model)


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer(character_inventory())


@pytest.fixture(scope="module")
def docs():
    rows = [generate(seed, style).row() for seed, style in zip(range(8), ["tabs", "pipes", "cell_lines", "markdown"] * 2)]
    return [{**r, "spans": json.loads(r["spans"]) if isinstance(r["spans"], str) else r["spans"]} for r in rows]


def test_model_tokenizer_one_token_per_character(tokenizer):
    text = "规章\t0\t2259\r\n  （一）x龘"
    ids = encode_chars(tokenizer, text)
    assert len(ids) == len(text)
    two, five = encode_chars(tokenizer, "25")
    assert ids[5:9] == [two, two, five, encode_chars(tokenizer, "9")[0]]  # "2259" is four tokens
    assert ids[2] == ids[4] != ids[9]  # tabs and line breaks are tokens of their own
    assert ids[-1] == tokenizer.token_to_id("[UNK]")  # a rare character outside the inventory


def test_model_windows_give_each_character_its_most_central_window():
    starts = window_starts(1000, 256, 192)
    assert starts[0] == 0 and starts[-1] == 1000 - 256
    owners = owner_windows(1000, 256, starts)
    for i, w in enumerate(owners):
        assert starts[w] <= i < starts[w] + 256
        centre = abs(i - (starts[w] + 128))
        assert all(centre <= abs(i - (s + 128)) for s in starts if s <= i < s + 256)


def test_model_tags_round_trip(docs):
    doc = docs[0]
    tags = spans_to_tags(len(doc["text"]), doc["spans"])
    spans = tags_to_spans(tags)
    assert len(spans) == len(doc["spans"])
    assert [(s.start, s.end) for s in spans] == [(s["start"], s["end"]) for s in sorted(doc["spans"], key=lambda s: s["start"])]


def test_model_decode_takes_row_from_the_last_row_label():
    text = "（一）予以公开 3 0 1\n总计 9"
    spans = [TaggedSpan("ROW=t3.granted", 3, 7, 0.9), TaggedSpan("COL=t3.natural_person", 8, 9, 0.99),
             TaggedSpan("COL=t3.research", 12, 13, 0.8), TaggedSpan("COL=t4.review.total", 17, 18, 0.7)]
    cells = spans_to_cells(text, spans, "2021", "split", [])
    assert cells["t3.granted.natural_person"].value == 3
    assert cells["t3.granted.research"].value == 1 and cells["t3.granted.research"].confidence == 0.8
    assert cells["t4.review.total"].value == 9
    assert cells["t3.granted.total"].value is None and cells["t3.granted.total"].start is None


def figure_probs(labels, text, wanted):
    """Probabilities per character: ``wanted`` maps a position to {tag: probability}; the rest O."""
    probs = np.zeros((len(text), len(labels)), dtype=np.float32)
    probs[:, labels.index("O")] = 1.0
    for i, odds in wanted.items():
        probs[i] = 0.0
        for tag, p in odds.items():
            probs[i, labels.index(tag)] = p
    return probs


def read_figures(text, wanted):
    labels = list(tag_list())
    probs = figure_probs(labels, text, wanted)
    tags = [labels[i] for i in probs.argmax(axis=1)]
    return FigureReader(labels).read(tags_to_spans(tags, probs.max(axis=1).tolist()), tags, probs)


def test_model_figures_one_number_is_one_figure_when_the_tags_slip():
    x, y = "COL=t2.decisions", "COL=t3.total"
    # "706" tagged B B I (the middle digit barely): one figure, not "7" and "06".
    spans = read_figures("罚 706", {2: {f"B-{x}": 0.76, f"I-{x}": 0.24},
                                    3: {f"B-{x}": 0.54, f"I-{x}": 0.46},
                                    4: {f"I-{x}": 0.64, f"B-{x}": 0.36}})
    assert [(s.start, s.end, s.entity) for s in spans] == [(2, 5, x)]
    assert spans[0].columns[x] > 0.99
    # Two figures fused by OCR, each tag sure of itself: the cut stays.
    spans = read_figures("罚 1203", {2: {f"B-{x}": 0.95, f"I-{x}": 0.05}, 3: {f"I-{x}": 0.95, f"B-{x}": 0.05},
                                     4: {f"B-{y}": 0.97, f"I-{x}": 0.03}, 5: {f"I-{y}": 0.97, f"I-{x}": 0.03}})
    assert [(s.start, s.end, s.entity) for s in spans] == [(2, 4, x), (4, 6, y)]


def test_model_figures_between_pipes_are_never_cut():
    """Pipes delimit every cell, so a run of digits between two is one figure even when the model
    tags its digits as two ("14" as B B): the column its tags favour overall."""
    x, y = "COL=t4.suit_direct.total", "COL=t4.suit_direct.pending"
    labels = list(tag_list())
    text = "| 14 |"
    probs = figure_probs(labels, text, {2: {f"B-{x}": 0.43, f"B-{y}": 0.42, f"I-{x}": 0.15}, 3: {f"B-{x}": 0.85, f"B-{y}": 0.15}})
    tags = [labels[i] for i in probs.argmax(axis=1)]
    spans = tags_to_spans(tags, probs.max(axis=1).tolist())
    reader = FigureReader(labels)
    assert [(s.start, s.end) for s in reader.read(spans, tags, probs)] == [(2, 3), (3, 4)]
    assert [(s.start, s.end, s.entity) for s in reader.read(spans, tags, probs, delimited=True)] == [(2, 4, x)]


def figure(entity_odds, start, end):
    best = max(entity_odds, key=entity_odds.get)
    return TaggedSpan(best, start, end, entity_odds[best], columns=entity_odds)


def test_model_decode_places_a_rows_figures_in_column_order():
    text = "（一）予以公开 3 0 1 0 0 0 4"
    cols = ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org", "total"]
    starts = [8, 10, 12, 14, 16, 18, 20]
    odds = [{f"COL=t3.{c}": 0.98} for c in cols]
    odds[1] = {"COL=t3.commercial": 0.45, "COL=t3.research": 0.55}  # argmax would put two figures in research
    spans = [TaggedSpan("ROW=t3.granted", 3, 7, 1.0)] + [figure(o, s, s + 1) for o, s in zip(odds, starts)]
    warnings = []
    cells = spans_to_cells(text, spans, "2021", "split", warnings)
    assert [cells[f"t3.granted.{c}"].value for c in cols] == [3, 0, 1, 0, 0, 0, 4] and not warnings
    assert cells["t3.granted.commercial"].confidence == pytest.approx(0.45)


def test_model_decode_keeps_tables_in_order_and_leaves_stray_figures_out():
    t4 = [f"COL=t4.{g}.{c}" for g in ("review", "suit_direct", "suit_after_review")
          for c in ("upheld", "corrected", "other", "pending", "total")]
    text = "（一）予以公开 5\n" + " ".join("1" * 15) + "\n附件 8 8 8"
    spans = [TaggedSpan("ROW=t3.granted", 3, 7, 1.0), figure({"COL=t3.natural_person": 0.99}, 8, 9)]
    for k, entity in enumerate(t4):
        odds = {entity: 0.99} if k not in (11, 12) else {entity: 0.4, "COL=t3.other_org": 0.6}  # two waver
        spans.append(figure(odds, 10 + 2 * k, 11 + 2 * k))
    spans += [figure({"COL=t3.research": 0.99}, 43 + 2 * k, 44 + 2 * k) for k in range(3)]  # prose after 表四
    warnings = []
    cells = spans_to_cells(text, spans, "2021", "split", warnings)
    assert all(cells[e[4:]].value == 1 for e in t4)
    assert cells["t3.granted.natural_person"].value == 5 and cells["t3.granted.research"].value is None
    assert sum("left out" in w for w in warnings) == 3


def test_model_decode_gives_figures_past_table_three_to_table_four():
    # 表四's heading missed: its fifteen figures read as more of 表三's last row.
    cols = ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org", "total"]
    text = "四、结转下年度继续办理 " + " ".join("2" * 7) + "\n" + " ".join("3" * 15)
    spans = [TaggedSpan("ROW=t3.carried_forward", 2, 11, 1.0)]
    spans += [figure({f"COL=t3.{c}": 0.9}, 12 + 2 * k, 13 + 2 * k) for k, c in enumerate(cols)]
    spans += [figure({f"COL=t3.{cols[k % 7]}": 0.9, "COL=t4.review.upheld": 0.05}, 26 + 2 * k, 27 + 2 * k)
              for k in range(15)]
    cells = spans_to_cells(text, spans, "2021", "split", [])
    assert [cells[f"t3.carried_forward.{c}"].value for c in cols] == [2] * 7
    assert all(cells[k].value == 3 for k in cells if k.startswith("t4."))


def test_model_decode_ignores_a_one_character_slip_in_a_wrapped_row_label():
    text = "1、申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 1 0"
    spans = [TaggedSpan("ROW=t3.other_no_correction", 0, 16, 1.0), TaggedSpan("ROW=t3.other_no_fee", 16, 17, 0.55),
             TaggedSpan("ROW=t3.other_no_correction", 17, 32, 0.7),
             TaggedSpan("ROW=t3.other_no_fee", 32, 33, 0.57),  # "请" tagged as the next row, unsure
             figure({"COL=t3.natural_person": 0.99}, 34, 35), figure({"COL=t3.commercial": 0.99}, 36, 37)]
    cells = spans_to_cells(text, spans, "2021", "split", [])
    assert cells["t3.other_no_correction.natural_person"].value == 1
    assert cells["t3.other_no_fee.natural_person"].value is None


def test_model_decode_places_a_row_one_figure_short_by_its_sum():
    # Six zeros for seven columns (a converter dropped a cell) and no telling which: whichever it
    # was, the row's sum makes it 0.
    cols = ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org", "total"]
    text = "（一）予以公开 0 0 0 0 0 0"
    starts = [8, 10, 12, 14, 16, 18]
    odds = [{"COL=t3.natural_person": 0.9}, {"COL=t3.commercial": 0.5, "COL=t3.research": 0.5},
            {"COL=t3.research": 0.5, "COL=t3.social_org": 0.5}, {"COL=t3.social_org": 0.5, "COL=t3.legal_service": 0.5},
            {"COL=t3.legal_service": 0.5, "COL=t3.other_org": 0.5}, {"COL=t3.total": 0.9}]
    spans = [TaggedSpan("ROW=t3.granted", 3, 7, 1.0)] + [figure(o, s, s + 1) for o, s in zip(odds, starts)]
    warnings = []
    cells = spans_to_cells(text, spans, "2021", "split", warnings)
    row = [cells[f"t3.granted.{c}"] for c in cols]
    assert [c.value for c in row] == [0] * 7
    assert sum(c.start is None for c in row) == 1 and any("placed by arithmetic" in w for w in warnings)
    # Sure of the blank (a printed blank cell): it stays null.
    sure = [{f"COL=t3.{c}": 0.99} for c in cols if c != "social_org"]
    spans = [TaggedSpan("ROW=t3.granted", 3, 7, 1.0)] + [figure(o, s, s + 1) for o, s in zip(sure, starts)]
    cells = spans_to_cells(text, spans, "2021", "split", [])
    assert cells["t3.granted.social_org"].value is None and cells["t3.granted.total"].value == 0


def tiny_config(tmp_path) -> TrainConfig:
    return TrainConfig(data=DataConfig(window=64, stride=48),
                       model=ModelConfig(layers=1, hidden=32, heads=2, intermediate=64, max_position=66),
                       train=TrainSettings(batch_size=8, learning_rate=3e-3, out_dir=str(tmp_path / "model")))


def test_model_tiny_training_loss_falls_and_save_load_is_identical(tmp_path, tokenizer, docs):
    torch.manual_seed(0)
    cfg = tiny_config(tmp_path)
    windows = build_windows(docs, tokenizer, cfg)
    model = build_model(cfg, tokenizer.get_vocab_size())
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.train.learning_rate)
    stream = batches(windows, cfg.train.batch_size, random.Random(0))
    losses = []
    for _ in range(60):
        loss = model(**next(stream)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert sum(losses[-10:]) / 10 < 0.5 * sum(losses[:10]) / 10

    out = tmp_path / "model"
    save_model(model, tokenizer, cfg, {"entity_f1": 0.0}, out)
    model.eval()
    meta = json.loads((out / META_FILE).read_text())
    in_memory = ModelExtractor(model, tokenizer, meta, FigureReader(meta["tags"]))
    loaded = ModelExtractor.from_dir(out)
    text = docs[1]["text"]
    a, b = in_memory.predict(text), loaded.predict(text)
    assert a.tags == b.tags
    assert a.scores == pytest.approx(b.scores, abs=1e-6)
    assert len(a.tags) == len(text)
    assert set(a.tags) <= set(tag_list())
    reading = loaded.extract(text)
    assert all(c.start is None or text[c.start:c.end] == c.text for c in reading.cells.values())


def test_model_fine_tuning_with_distillation_keeps_the_base_models_readings_of_replayed_text(tmp_path, tokenizer, docs):
    """Replayed windows learn the base model's predictions, not their tags: the loss ignores their
    tags and is nil for the base model itself; replayed reports whose tags contradict the base
    model are still read as it read them after a distilled fine-tuning, and not after one on tags."""
    from transformers import BertForTokenClassification

    torch.manual_seed(0)
    cfg = tiny_config(tmp_path)
    base = build_model(cfg, tokenizer.get_vocab_size())
    optimizer = torch.optim.AdamW(base.parameters(), lr=cfg.train.learning_rate)
    stream = batches(build_windows(docs, tokenizer, cfg), cfg.train.batch_size, random.Random(0))
    for _ in range(300):  # a base model that reads figures
        base(**next(stream)).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    base.eval()
    save_model(base, tokenizer, cfg, {}, tmp_path / "base")

    windows = build_windows(docs[:2], tokenizer, cfg)[:4]
    replayed = collate([{**w, "replay": True} for w in windows])
    assert distillation_loss(base, 2.0)(base, replayed).item() == pytest.approx(0.0, abs=1e-6)
    loss_of = distillation_loss(build_model(cfg, tokenizer.get_vocab_size()), 2.0)  # another teacher
    other_tags = {**replayed, "labels": torch.where(replayed["labels"] >= 0, 0, replayed["labels"])}
    assert loss_of(base, replayed).item() == pytest.approx(loss_of(base, other_tags).item()) and loss_of(base, replayed) > 0
    annotated = collate(windows)  # no replayed window: the tags' cross-entropy
    assert loss_of(base, annotated).item() == pytest.approx(base(**annotated).loss.item(), rel=1e-5)

    # Replayed reports whose figures are tagged "O": the base model reads them as cells.
    generated = [{**d, "spans": [s for s in d["spans"] if s["kind"] != "cell"]} for d in docs[2:]]
    batch = collate(build_windows(generated, tokenizer, cfg))
    inputs, tagged = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}, batch["labels"] >= 0
    with torch.no_grad():
        before = base(**inputs).logits.argmax(-1)[tagged]
    agreement = {}
    for distill in (0.0, 2.0):
        out = tmp_path / f"distill-{distill}"
        fine_tune(tmp_path / "base", [], generated, out, steps=40, learning_rate=3e-3, threads=1, distill=distill)
        tuned = BertForTokenClassification.from_pretrained(out, local_files_only=True).eval()
        with torch.no_grad():
            agreement[distill] = (tuned(**inputs).logits.argmax(-1)[tagged] == before).float().mean().item()
    assert agreement[2.0] > 0.95 and agreement[0.0] < 0.9, agreement


def test_model_refuses_a_directory_of_another_tag_set(tmp_path, tokenizer):
    cfg = tiny_config(tmp_path)
    out = tmp_path / "model"
    save_model(build_model(cfg, tokenizer.get_vocab_size()), tokenizer, cfg, {}, out)
    meta = json.loads((out / META_FILE).read_text())
    meta["tags_version"] = "000000000000"
    (out / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="retrain"):
        ModelExtractor.from_dir(out)
    with pytest.raises(ModelError, match="not a gaiml model"):
        ModelExtractor.from_dir(tmp_path / "nowhere")


@pytest.fixture(scope="module")
def shipped():
    from gaiml.model import DEFAULT_MODEL_DIR

    return ModelExtractor.from_dir(DEFAULT_MODEL_DIR)


def test_model_reads_only_the_table_regions_and_tags_them_as_the_whole_text(shipped):
    """A real-length report: the network reads fewer characters, every character of a region gets
    exactly its whole-text probabilities, any other is either that too (its window was read) or
    "O" for sure, and the cells are the same."""
    from benchmarks.speed import lengthen
    from gaiml.frame import Frame
    from gaiml.regions import table_regions

    doc = generate(19_003, "tabs", doc_id="x")
    text = lengthen(doc.text, doc.report, 7_000, np.random.default_rng(3))
    whole, regional = shipped.predict(text, whole=True), shipped.predict(text)
    assert len(regional.tags) == len(regional.scores) == len(regional.probs) == len(text)
    assert whole.read >= len(text) and regional.read < 0.7 * whole.read
    inside = np.zeros(len(text), dtype=bool)
    for a, b in table_regions(text):
        inside[a:b] = True
    same = (regional.probs == whole.probs).all(axis=1)
    o = shipped.labels.index("O")
    unread = (regional.probs[:, o] == 1.0) & (regional.probs.sum(axis=1) == 1.0)
    assert same[inside].all() and (same | unread).all() and unread[~inside].any()
    assert all(t == "O" for t, u in zip(regional.tags, unread) if u)
    frame = Frame.of(text, None, None)
    cells = {k: (c.value, c.start) for k, c in shipped.read(frame, regional).cells.items()}
    assert cells == {k: (c.value, c.start) for k, c in shipped.read(frame, whole).cells.items()}
    assert sum(v is not None for v, _ in cells.values()) > 50
