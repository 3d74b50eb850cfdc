"""The token-classification extractor: a small BERT tags every character, tags become cells.

``ModelExtractor.from_dir`` loads a model directory (weights as safetensors, config with the
label map, tokenizer.json, gaiml.json with the schema and tag versions) from local files only.
``predict`` keeps the per-character probabilities, so active learning can rank by uncertainty;
it runs the network only on the windows that own the table regions (gaiml/regions.py): the prose
of a real report is most of its characters and holds no cell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..document import Reading
from ..errors import ModelError
from ..frame import Frame
from ..regions import table_regions
from ..text import fold, pipes_separate
from .decode import ENGINE, spans_to_cells
from .figures import FigureReader
from .tags import tag_list, tags_to_spans, tags_version
from .tokenizer import load_tokenizer, encode_chars
from .windows import windows_to_read

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "default"
META_FILE = "gaiml.json"


@dataclass
class Prediction:
    """Per-character tags with their probability, and the runner-up's, for one text; ``probs``
    holds every tag's probability (characters x tags). Characters outside the table regions were
    not read: "O" with probability 1. ``read``: how many characters the network read."""

    tags: list[str]
    scores: list[float]
    runner_up: list[float]
    probs: np.ndarray
    read: int = 0


class ModelExtractor:
    """Extract cells with a fine-tuned character-level token classifier."""

    name = ENGINE

    def __init__(self, model, tokenizer, meta: dict, figures: FigureReader, batch_size: int = 16):
        self.model = model
        self.tokenizer = tokenizer
        self.meta = meta
        self.figures = figures
        self.batch_size = batch_size

    @property
    def window(self) -> int:
        return int(self.meta["window"])

    @property
    def stride(self) -> int:
        return int(self.meta["stride"])

    @property
    def labels(self) -> list[str]:
        return list(self.meta["tags"])

    @classmethod
    def load(cls, settings) -> ModelExtractor:
        """The model of ``settings.model_dir`` (default models/default)."""
        return cls.from_dir(settings.model_dir or DEFAULT_MODEL_DIR)

    @classmethod
    def from_dir(cls, directory: str | Path = DEFAULT_MODEL_DIR) -> ModelExtractor:
        """Load a model directory; no network is ever used."""
        directory = Path(directory)
        meta_path = directory / META_FILE
        if not meta_path.exists():
            raise ModelError(f"{directory}: not a gaiml model directory (no {META_FILE}); "
                             "train one with `python -m training.train` (see training/README.md)")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("tags_version") != tags_version():
            raise ModelError(f"{directory}: trained on tag set {meta.get('tags_version')}, this gaiml uses "
                             f"{tags_version()}; retrain the model")
        from transformers import BertForTokenClassification
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        model = BertForTokenClassification.from_pretrained(directory, local_files_only=True)
        model.eval()
        return cls(model, load_tokenizer(directory), meta, FigureReader(list(meta["tags"])))

    def predict(self, text: str, whole: bool = False) -> Prediction:
        """Tag every character of ``text`` (folded first; offsets are unchanged). Only the windows
        that own a character of a table region are run (``whole``: every window), on the same
        window grid as the whole text, so a character there gets exactly its whole-text tags."""
        folded = fold(text)
        ids = encode_chars(self.tokenizer, folded)
        labels = self.labels
        if not ids:
            return Prediction([], [], [], np.zeros((0, len(labels)), dtype=np.float32))
        regions = [(0, len(ids))] if whole else table_regions(text)
        starts, owners, needed = windows_to_read(len(ids), self.window, self.stride, regions)
        window_probs = dict(zip(needed, self._run([ids[starts[w]:starts[w] + self.window] for w in needed])))
        # Every character from the window it owns, copied a stretch of one owner at a time.
        probs = np.zeros((len(ids), len(labels)), dtype=np.float32)
        probs[:, labels.index("O")] = 1.0
        a = 0
        while a < len(ids):
            w, b = owners[a], a
            while b < len(ids) and owners[b] == w:
                b += 1
            if w in window_probs:
                probs[a:b] = window_probs[w][a - starts[w]:b - starts[w]]
            a = b
        top2 = np.sort(np.partition(probs, -2, axis=1)[:, -2:], axis=1)
        tags = [labels[i] for i in probs.argmax(axis=1).tolist()]
        read = sum(min(self.window, len(ids) - starts[w]) for w in needed)
        return Prediction(tags, top2[:, 1].tolist(), top2[:, 0].tolist(), probs, read)

    def _run(self, windows: list[list[int]]) -> list[np.ndarray]:
        """Tag probabilities of each window's characters, ``batch_size`` windows at a time."""
        import torch

        cls_id, sep_id = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        pad_id = self.tokenizer.token_to_id("[PAD]")
        out = []
        for b in range(0, len(windows), self.batch_size):
            batch = [[cls_id] + w + [sep_id] for w in windows[b:b + self.batch_size]]
            width = max(map(len, batch))
            input_ids = torch.tensor([row + [pad_id] * (width - len(row)) for row in batch])
            mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in batch])
            with torch.inference_mode():
                probs = torch.softmax(self.model(input_ids=input_ids, attention_mask=mask).logits, dim=-1).numpy()
            out.extend(p[1:len(row) - 1] for p, row in zip(probs, batch))
        return out

    def extract(self, text: str, template: str | None = None, other_form: str | None = None) -> Reading:
        """Cells of a bare ``text``; ``template``/``other_form`` override detection."""
        return self.read(Frame.of(text, template, other_form))

    def read(self, frame: Frame, prediction: Prediction | None = None) -> Reading:
        """Cells of a report whose template, form and year the pipeline detected; ``prediction``:
        the text's tags when already predicted (active learning scores them too)."""
        prediction = prediction or self.predict(frame.text)
        spans = self.figures.read(tags_to_spans(prediction.tags, prediction.scores), prediction.tags, prediction.probs,
                                  delimited=pipes_separate(frame.folded))
        warnings: list[str] = []
        cells = spans_to_cells(frame.text, spans, frame.template.value, frame.other_form.value, warnings)
        rows_found = len({s.entity for s in spans if s.entity.startswith("ROW=")})
        return Reading(frame.template, frame.other_form, frame.year, cells, rows_found, warnings)


__all__ = ["DEFAULT_MODEL_DIR", "ModelExtractor", "Prediction", "tag_list"]
