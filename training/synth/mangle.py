"""Text manglings seen in pasted reports, applied identically to a text and its probe variants.

Each mangling looks at the real text and returns positional edits ``(pos, n_deleted, inserted)``;
the same edits are applied to every variant, so the probes still line up and labels follow the
mangled text. Manglings never split a run of digits.
"""

from __future__ import annotations

import re

import numpy as np

Edit = tuple[int, int, str]


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def _is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def page_breaks(text: str, rng) -> list[Edit]:
    """Page numbers ("— 5 —", "-4-") between lines, sometimes with the table header repeated."""
    lines = list(_lines(text))
    header = next((line for _, line in lines if "自然人" in line or "申请人情况" in line), None)
    n_pages = max(2, len(text) // 1800)
    picks = sorted(rng.choice(len(lines), size=min(n_pages, len(lines)), replace=False))
    edits = []
    for page, i in enumerate(picks, start=1):
        fmt = str(rng.choice(["— {n} —", "-{n}-", "- {n} -", "第 {n} 页 共 {t} 页", "{n}"]))
        block = "\n" + fmt.format(n=page + int(rng.integers(0, 3)), t=n_pages + 2) + "\n"
        if rng.random() < 0.5:
            block += "\f"
        if header and rng.random() < 0.4:
            block += header + "\n"
        edits.append((lines[i][0], 0, block))
    return edits


def wrap_labels(text: str, rng) -> list[Edit]:
    """Long label lines wrapped: a line break inside a run of hanzi."""
    edits = []
    for start, line in _lines(text):
        runs = [m for m in re.finditer(r"[\u4e00-\u9fff]{6,}", line)]
        for m in runs:
            if rng.random() < 0.3:
                cut = m.start() + int(rng.integers(3, m.end() - m.start() - 2))
                edits.append((start + cut, 0, "\n"))
    return edits


def spaced_chars(text: str, rng) -> list[Edit]:
    """Spaces between the hanzi of some lines (a common PDF text-layer artefact)."""
    edits = []
    for start, line in _lines(text):
        if rng.random() < 0.15:
            for i in range(1, len(line)):
                if _is_hanzi(line[i - 1]) and _is_hanzi(line[i]):
                    edits.append((start + i, 0, " "))
    return edits


def drop_blank(text: str, rng) -> list[Edit]:
    """Blank cells dropped: runs of tabs collapsed, long runs of spaces shortened."""
    edits = []
    for m in re.finditer(r"\t{2,}| {4,}", text):
        if rng.random() < 0.5:
            keep = 1 if m.group()[0] == "\t" else 2
            edits.append((m.start() + keep, len(m.group()) - keep, ""))
    return edits


def vertical_headers(text: str, rng) -> list[Edit]:
    """Short header cells printed one character per line (narrow columns in a Word table)."""
    edits = []
    for start, line in _lines(text):
        body = line.strip()
        if 2 <= len(body) <= 8 and all(_is_hanzi(ch) for ch in body) and rng.random() < 0.5:
            offset = start + line.index(body)
            edits += [(offset + i, 0, "\n") for i in range(1, len(body))]
    return edits


MANGLES = {f.__name__: f for f in (page_breaks, wrap_labels, spaced_chars, drop_blank, vertical_headers)}


def apply_edits(text: str, edits: list[Edit]) -> str:
    out, last = [], 0
    for pos, n, ins in sorted(edits, key=lambda e: (e[0], -e[1])):
        if pos < last:
            continue  # overlapping edits: keep the first
        out += [text[last:pos], ins]
        last = pos + n
    out.append(text[last:])
    return "".join(out)


def apply(names: tuple[str, ...], texts: list[str], seed: int) -> list[str]:
    """Apply the named manglings in order; edits are computed on the real text (texts[0])."""
    for k, name in enumerate(names):
        edits = MANGLES[name](texts[0], np.random.default_rng([seed, 100 + k]))
        texts = [apply_edits(t, edits) for t in texts]
    return texts
