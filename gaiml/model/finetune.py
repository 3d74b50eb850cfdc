"""Training the token classifier: one loop for a model trained from scratch (``train``, run by
``python -m training.train``) and for one fine-tuned on annotated reports (``fine_tune``, run by
``gaiml train``).

A config (``TrainConfig``: data windows, model shape, optimisation) comes from a TOML file with
dotted overrides; documents are cut into tagged windows around the tables; the best model by dev
entity F1 is saved with its tokenizer, label map and metadata (``gaiml.json``). Deterministic from
the config's seed; uses a GPU when one is present, never requires one. Paths in a config are
relative to ``root`` (the repository, for ``training/``).
"""

from __future__ import annotations

import json
import random
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
from tqdm import tqdm

from .. import schema
from . import META_FILE
from .dataset import IGNORE, training_windows
from .tags import tag_list, tags_version
from .tokenizer import build_tokenizer, character_inventory, load_tokenizer, save_tokenizer


@dataclass
class DataConfig:
    train_dir: str = "data/synth"
    dev_fraction: float = 0.03
    window: int = 256
    stride: int = 192
    margin: int = 200

    def __post_init__(self):
        if not 0 < self.stride <= self.window:
            raise ValueError("data.stride must be in (0, data.window]")


@dataclass
class ModelConfig:
    layers: int = 2
    hidden: int = 128
    heads: int = 2
    intermediate: int = 512
    max_position: int = 260


@dataclass
class TrainSettings:
    seed: int = 13
    batch_size: int = 16
    learning_rate: float = 1e-3
    warmup_steps: int = 300
    max_steps: int = 6000
    eval_every: int = 500
    patience: int = 4
    checkpoint_every: int = 250
    pretrain_steps: int = 0
    init_from: str = ""  # a saved model directory whose weights start a new run (a further stage)
    run_dir: str = "runs/default"
    out_dir: str = "models/default"
    threads: int = 2
    max_documents: int = 0  # 0: all
    dev_windows: int = 3000  # dev windows scored at each evaluation


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainSettings = field(default_factory=TrainSettings)

    def __post_init__(self):
        if self.model.max_position < self.data.window + 2:
            raise ValueError("model.max_position must hold data.window + [CLS] + [SEP]")


def load_config(path: str | Path, overrides: list[str] = ()) -> TrainConfig:
    """The config file, then dotted overrides such as ``train.max_steps=100``."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    for item in overrides:
        dotted, _, value = item.partition("=")
        section, _, key = dotted.partition(".")
        if not value or not key:
            raise ValueError(f"override {item!r} is not section.key=value")
        try:
            parsed = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            parsed = value  # a bare string: train.out_dir=models/tiny
        raw.setdefault(section, {})[key] = parsed
    sections = {"data": DataConfig, "model": ModelConfig, "train": TrainSettings}
    unknown = set(raw) - set(sections)
    if unknown:
        raise ValueError(f"unknown config sections {sorted(unknown)}")
    built = {}
    for name, cls in sections.items():
        known = {f.name for f in fields(cls)}
        bad = set(raw.get(name, {})) - known
        if bad:
            raise ValueError(f"unknown settings in [{name}]: {sorted(bad)}")
        built[name] = cls(**raw.get(name, {}))
    return TrainConfig(**built)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def load_documents(cfg: TrainConfig, root: Path):
    """Training and dev documents (text and spans) from the generated dataset."""
    from datasets import load_from_disk

    dataset = load_from_disk(str(root / cfg.data.train_dir))
    docs = [{"doc_id": r["doc_id"], "text": r["text"], "style": r["style"],
             "spans": json.loads(r["spans"]) if isinstance(r["spans"], str) else r["spans"]}
            for r in dataset]
    if cfg.train.max_documents:
        docs = docs[: cfg.train.max_documents]
    rng = random.Random(cfg.train.seed)
    rng.shuffle(docs)
    n_dev = max(1, int(len(docs) * cfg.data.dev_fraction))
    return docs[n_dev:], docs[:n_dev]


def build_windows(docs: list[dict], tokenizer, cfg: TrainConfig, limit: int = 0) -> list[dict]:
    """Tagged windows of every document (at most ``limit``, evenly spread, when given), as
    int32 tensors: a Python list of ints per window would cost ten times the memory."""
    out = []
    for doc in docs:
        for w in training_windows(doc["text"], doc["spans"], tokenizer, cfg.data.window, cfg.data.stride, cfg.data.margin):
            out.append({k: torch.tensor(v, dtype=torch.int32) for k, v in w.items()})
    if limit and len(out) > limit:
        out = out[:: len(out) // limit][:limit]
    return out


def build_model(cfg: TrainConfig, vocab_size: int):
    from transformers import BertConfig, BertForTokenClassification

    labels = tag_list()
    config = BertConfig(
        vocab_size=vocab_size, hidden_size=cfg.model.hidden, num_hidden_layers=cfg.model.layers,
        num_attention_heads=cfg.model.heads, intermediate_size=cfg.model.intermediate,
        max_position_embeddings=cfg.model.max_position, num_labels=len(labels),
        id2label=dict(enumerate(labels)), label2id={t: i for i, t in enumerate(labels)},
        pad_token_id=0,
    )
    return BertForTokenClassification(config)


def collate(batch: list[dict], pad_id: int = 0) -> dict[str, torch.Tensor]:
    width = max(len(w["input_ids"]) for w in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, w in enumerate(batch):
        n = len(w["input_ids"])
        ids[i, :n] = torch.as_tensor(w["input_ids"])
        labels[i, :n] = torch.as_tensor(w["labels"])
        mask[i, :n] = 1
    out = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    if any("replay" in w for w in batch):  # fine-tuning with distillation: which rows are replayed
        out["replay"] = torch.tensor([bool(w.get("replay", False)) for w in batch])
    return out


def batches(windows: list[dict], batch_size: int, rng: random.Random):
    """Endless shuffled batches (an epoch is one pass over the windows)."""
    order = list(range(len(windows)))
    while True:
        rng.shuffle(order)
        for b in range(0, len(order) - batch_size + 1, batch_size):
            yield collate([windows[i] for i in order[b:b + batch_size]])


def evaluate_dev(model, dev_windows: list[dict], device, batch_size: int = 32) -> dict:
    """Entity-level F1 (seqeval) and token accuracy on the dev windows."""
    from seqeval.metrics import f1_score

    labels = tag_list()
    model.eval()
    gold_seqs, pred_seqs, right, total = [], [], 0, 0
    with torch.inference_mode():
        for b in range(0, len(dev_windows), batch_size):
            batch = collate(dev_windows[b:b + batch_size])
            logits = model(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device)).logits
            pred = logits.argmax(-1).cpu()
            for p_row, g_row in zip(pred, batch["labels"]):
                keep = g_row != IGNORE
                g = [labels[i] for i in g_row[keep].tolist()]
                p = [labels[i] for i in p_row[keep].tolist()]
                gold_seqs.append(g)
                pred_seqs.append(p)
                right += sum(a == b for a, b in zip(g, p))
                total += len(g)
    model.train()
    return {"entity_f1": float(f1_score(gold_seqs, pred_seqs)), "token_accuracy": right / max(1, total)}


def pretrain_mlm(cfg: TrainConfig, model, windows: list[dict], tokenizer, device) -> None:
    """Masked-LM steps on the same windows, sharing the encoder with the token classifier."""
    from transformers import BertForMaskedLM

    mlm = BertForMaskedLM(model.config)
    mlm.bert = model.bert  # shared encoder: what MLM learns, the tagger keeps
    mlm.to(device).train()
    mask_id = tokenizer.token_to_id("[MASK]")
    optimizer = torch.optim.AdamW(mlm.parameters(), lr=cfg.train.learning_rate)
    rng = random.Random(cfg.train.seed + 1)
    stream = batches(windows, cfg.train.batch_size, rng)
    for _ in tqdm(range(cfg.train.pretrain_steps), desc="pretrain (MLM)", file=sys.stderr):
        batch = next(stream)
        ids = batch["input_ids"].clone()
        chosen = (torch.rand(ids.shape) < 0.15) & (batch["attention_mask"] == 1) & (ids > 4)
        labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
        ids[chosen] = mask_id
        loss = mlm(input_ids=ids.to(device), attention_mask=batch["attention_mask"].to(device), labels=labels.to(device)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def optimise(model, stream: Iterator[dict], optimizer, schedule, first: int, last: int, device,
             desc: str = "fine-tune", loss_of=None) -> Iterator[float]:
    """The one training loop: steps ``first`` to ``last`` on batches of ``stream``, yielding each
    step's loss (the caller evaluates, checkpoints or stops between steps). ``loss_of(model, batch)``
    replaces the tags' cross-entropy when given (``distillation_loss``)."""
    model.train()
    with tqdm(total=last, initial=first, desc=desc, file=sys.stderr) as bar:
        for _ in range(first, last):
            batch = {k: v.to(device) for k, v in next(stream).items()}
            loss = loss_of(model, batch) if loss_of else model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}")
            yield loss.item()


def train(cfg: TrainConfig, root: Path | None = None) -> dict:
    """Run (or resume) training; returns the best dev metrics. Paths in ``cfg`` are under ``root``
    (default: the current directory)."""
    root = root or Path.cwd()
    torch.set_num_threads(cfg.train.threads)
    seed_everything(cfg.train.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    run_dir = root / cfg.train.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(character_inventory())
    train_docs, dev_docs = load_documents(cfg, root)
    train_windows = build_windows(train_docs, tokenizer, cfg)
    dev_windows = build_windows(dev_docs, tokenizer, cfg, limit=cfg.train.dev_windows)
    _log(run_dir, {"event": "data", "train_docs": len(train_docs), "dev_docs": len(dev_docs),
                   "train_windows": len(train_windows), "dev_windows": len(dev_windows)})
    model = build_model(cfg, tokenizer.get_vocab_size()).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.train.learning_rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / cfg.train.warmup_steps)
                                                 * max(0.05, 1 - s / cfg.train.max_steps))
    state = {"step": 0, "best_f1": -1.0, "bad_evals": 0, "best": None}
    checkpoint = run_dir / "checkpoint.pt"
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        state = saved["state"]
        random.setstate(saved["python_rng"])
        torch.set_rng_state(saved["torch_rng"])
        _log(run_dir, {"event": "resumed", "step": state["step"]})
    elif cfg.train.init_from:
        load_weights(model, root / cfg.train.init_from)
        _log(run_dir, {"event": "initialised", "from": cfg.train.init_from})
    elif cfg.train.pretrain_steps:
        pretrain_mlm(cfg, model, train_windows, tokenizer, device)
    rng = random.Random(cfg.train.seed + state["step"])
    stream = batches(train_windows, cfg.train.batch_size, rng)
    started = time.time()
    last = cfg.train.max_steps if state["bad_evals"] < cfg.train.patience else state["step"]  # stopped early before
    for loss in optimise(model, stream, optimizer, schedule, state["step"], last, device):
        state["step"] += 1
        if state["step"] % cfg.train.eval_every == 0 or state["step"] == cfg.train.max_steps:
            metrics = evaluate_dev(model, dev_windows, device)
            improved = metrics["entity_f1"] > state["best_f1"]
            state["bad_evals"] = 0 if improved else state["bad_evals"] + 1
            if improved:
                state["best_f1"], state["best"] = metrics["entity_f1"], {**metrics, "step": state["step"]}
                save_model(model, tokenizer, cfg, state["best"], root / cfg.train.out_dir)
            _log(run_dir, {"event": "eval", "step": state["step"], "loss": loss, **metrics,
                           "seconds": round(time.time() - started, 1)})
        if state["step"] % cfg.train.checkpoint_every == 0:
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(), "state": state, "python_rng": random.getstate(),
                        "torch_rng": torch.get_rng_state()}, checkpoint)
        if state["bad_evals"] >= cfg.train.patience:
            break
    return state["best"] or {}


def load_weights(model, model_dir: Path) -> None:
    """A saved model's weights into a fresh one of the same shape and tag set."""
    from safetensors.torch import load_file

    meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    if meta["tags_version"] != tags_version():
        raise ValueError(f"{model_dir}: its tag set ({meta['tags_version']}) is not this code's ({tags_version()})")
    model.load_state_dict(load_file(model_dir / "model.safetensors"))


def config_of_model(model_dir: Path) -> TrainConfig:
    """The training config a saved model directory records in its gaiml.json."""
    raw = json.loads((Path(model_dir) / META_FILE).read_text(encoding="utf-8"))["config"]
    return TrainConfig(data=DataConfig(**raw["data"]), model=ModelConfig(**raw["model"]), train=TrainSettings(**raw["train"]))


def distillation_loss(teacher, temperature: float):
    """The loss of a fine-tuning that keeps the base model's behaviour ("learning without
    forgetting"): annotated windows learn their tags (cross-entropy); replayed windows learn the
    base model's own tag distributions at ``temperature`` (KL divergence, times temperature² so
    its gradients weigh as the tags' do), not the generator's tags. So the replay needs no tags
    the model agrees with: text it was never trained on but is read with (Tesseract's) can be
    replayed, where training on its generated tags moved the model most (issue #18,
    benchmarks/active_learning.py). Both terms are summed over tagged characters and divided by
    their number."""
    import torch.nn.functional as F

    teacher.eval().requires_grad_(False)

    def loss_of(model, batch: dict) -> torch.Tensor:
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        labels = batch["labels"]
        replay = batch.get("replay", torch.zeros(len(labels), dtype=torch.bool, device=labels.device))
        tagged = labels != IGNORE
        own = tagged & ~replay[:, None]
        loss = F.cross_entropy(logits[own], labels[own], reduction="sum")
        if replay.any():
            with torch.no_grad():
                target = teacher(input_ids=batch["input_ids"][replay], attention_mask=batch["attention_mask"][replay]).logits
            keep = tagged[replay]
            student = F.log_softmax(logits[replay][keep] / temperature, -1)
            target = F.log_softmax(target[keep] / temperature, -1)
            loss = loss + F.kl_div(student, target, log_target=True, reduction="sum") * temperature ** 2
        return loss / tagged.sum().clamp(min=1)

    return loss_of


def fine_tune(base_dir: str | Path, annotated: list[dict], generated: list[dict], out_dir: str | Path,
              steps: int = 300, oversample: int = 4, learning_rate: float = 3e-4, seed: int = 13,
              threads: int = 2, dev_fraction: float = 0.1, distill: float = 0.0) -> dict:
    """Continue training a saved model on annotated documents (repeated ``oversample`` times)
    mixed with generated ones; a share of the generated documents is held out to check, before
    and after, that the model still reads what it read. ``distill``: the temperature at which the
    generated windows learn the base model's own predictions (``distillation_loss``); 0 (the
    default): their generated tags. Saves the result; returns the metrics."""
    from transformers import BertForTokenClassification

    base_dir, out_dir = Path(base_dir), Path(out_dir)
    torch.set_num_threads(threads)
    seed_everything(seed)
    cfg = config_of_model(base_dir)
    cfg.train.out_dir, cfg.train.max_steps, cfg.train.learning_rate, cfg.train.seed = str(out_dir), steps, learning_rate, seed
    tokenizer = load_tokenizer(base_dir)
    model = BertForTokenClassification.from_pretrained(base_dir, local_files_only=True)
    generated = list(generated)
    random.Random(seed).shuffle(generated)
    n_dev = max(1, int(len(generated) * dev_fraction)) if len(generated) > 1 else 0
    dev_windows = build_windows(generated[:n_dev], tokenizer, cfg, limit=cfg.train.dev_windows)
    replayed = build_windows(generated[n_dev:], tokenizer, cfg)
    if distill:
        replayed = [{**w, "replay": True} for w in replayed]
    train_windows = build_windows(annotated, tokenizer, cfg) * oversample + replayed
    if not train_windows:
        raise ValueError("nothing to fine-tune on: no annotated or generated windows")
    device = torch.device("cpu")
    before = evaluate_dev(model, dev_windows, device) if dev_windows else {}
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / steps))
    stream = batches(train_windows, min(cfg.train.batch_size, len(train_windows)), random.Random(seed))
    teacher = BertForTokenClassification.from_pretrained(base_dir, local_files_only=True) if distill else None
    loss_of = distillation_loss(teacher, distill) if distill else None
    for _ in optimise(model, stream, optimizer, schedule, 0, steps, device, loss_of=loss_of):
        pass
    after = evaluate_dev(model, dev_windows, device) if dev_windows else {}
    metrics = {**after, "step": steps}
    save_model(model, tokenizer, cfg, metrics, out_dir)
    meta_path = out_dir / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["fine_tuned"] = {"from": str(base_dir), "from_dev_metrics": before, "annotated_documents": len(annotated),
                          "generated_documents": len(generated) - n_dev, "oversample": oversample, "steps": steps,
                          "distill": distill}
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return {"before": before, "after": after, "train_windows": len(train_windows), "dev_windows": len(dev_windows)}


def save_model(model, tokenizer, cfg: TrainConfig, metrics: dict, out_dir: Path) -> None:
    """Weights (safetensors), config with the label map, tokenizer and gaiml.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    save_tokenizer(tokenizer, out_dir)
    meta = {"tags": list(tag_list()), "tags_version": tags_version(), "schema_version": schema.schema_version(),
            "window": cfg.data.window, "stride": cfg.data.stride, "dev_metrics": metrics, "config": asdict(cfg)}
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def _log(run_dir: Path, record: dict) -> None:
    line = json.dumps(record, ensure_ascii=False)
    print(line, file=sys.stderr)
    with (run_dir / "log.jsonl").open("a", encoding="utf-8") as f:
        f.write(line + "\n")
