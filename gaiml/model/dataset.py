"""(text, labelled spans) -> tagged windows for training, around the tables rather than the
whole document: the prose between 一、总体情况 and the tables teaches little and costs most."""

from __future__ import annotations

from ..text import fold
from .tags import spans_to_tags, tag_list
from .tokenizer import encode_chars
from .windows import window_starts

IGNORE = -100  # the loss skips [CLS], [SEP] and padding


def training_windows(text: str, spans: list[dict], tokenizer, window: int, stride: int,
                     margin: int = 200) -> list[dict]:
    """Windows covering the labelled tables (plus ``margin`` of context) and the title."""
    ids = encode_chars(tokenizer, fold(text))
    label_index = {t: i for i, t in enumerate(tag_list())}
    labels = [label_index[t] for t in spans_to_tags(len(text), spans)]
    table = [s for s in spans if s["kind"] in ("cell", "row")]
    regions = []
    if table:
        regions.append((max(0, min(s["start"] for s in table) - margin),
                        min(len(ids), max(s["end"] for s in table) + margin)))
    head = [s for s in spans if s["kind"] in ("agency", "year")]
    if head:
        regions.append((max(0, min(s["start"] for s in head) - 50), min(len(ids), max(s["end"] for s in head) + 150)))
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    out = []
    for lo, hi in regions:
        for s in window_starts(hi - lo, window, stride):
            a, b = lo + s, min(hi, lo + s + window)
            out.append({"input_ids": [cls_id] + ids[a:b] + [sep_id],
                        "labels": [IGNORE] + labels[a:b] + [IGNORE]})
    return out
