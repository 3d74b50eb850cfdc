"""A cheap synthetic OCR-noise layer for volume, with spans carried through every edit.

Confusions copy what RapidOCR and scanned text layers do (notes/ocr.md): 0/O/o/D, 1/l/I/丨,
5/S, 8/B, 申/中, 予/子, 于/干, full-width brackets read as ASCII, a dropped or doubled
character, and neighbouring cells fused when the space between two figures is lost. Gold keeps
the true value; a cell whose span no longer reads as its gold value is marked ``ocr_misread``.
"""

from __future__ import annotations

from gaiml import schema

from .labels import reads_as

CONFUSIONS = {
    "0": "OoD", "1": "lI丨|", "5": "S", "8": "B", "6": "b", "2": "Z", "9": "g",
    "申": "中", "予": "子", "于": "干千", "已": "己", "未": "末", "（": "(", "）": ")", "：": ":", "，": ",",
    "、": "，", "理": "埋", "开": "幵", "总": "怠", "计": "汁",
}


def _edit(text: str, rng, rate: float) -> tuple[str, list[int]]:
    """Noisy text and ``where[i]``: the new offset of old offset i (len(text) included)."""
    out: list[str] = []
    where: list[int] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        where.append(len(out))
        roll = rng.random()
        if ch in " \t" and 0 < i and text[i - 1].isdigit():  # fuse two figures: "0 0" -> "00"
            j = i
            while j < n and text[j] in " \t":
                j += 1
            if j < n and text[j].isdigit() and roll < rate * 3:
                where += [len(out)] * (j - i - 1)
                i = j
                continue
        if ch == "\n" or ch.isspace():
            out.append(ch)
        elif roll < rate and ch in CONFUSIONS:
            opts = CONFUSIONS[ch]
            out.append(opts[int(rng.integers(len(opts)))])
        elif roll < rate * 1.25:
            pass  # dropped
        elif roll < rate * 1.4:
            out += [ch, ch]  # doubled
        else:
            out.append(ch)
        i += 1
    where.append(len(out))
    return "".join(out), where


def apply(text: str, spans: list[dict], report, rng) -> tuple[str, list[dict]]:
    """Noisy text and its re-mapped spans; cells that no longer read as gold are ``ocr_misread``."""
    rate = float(rng.uniform(0.005, 0.04))
    noisy, where = _edit(text, rng, rate)
    index = schema.cell_index(report.template, report.other_form)
    out = []
    for span in spans:
        new = dict(span, start=where[span["start"]], end=where[span["end"]])
        if new["kind"] == "cell":
            new["ocr_misread"] = not reads_as(noisy[new["start"]:new["end"]], index[new["key"]].kind,
                                               report.cells[new["key"]])
        if new["end"] > new["start"] or new["kind"] == "cell":
            out.append(new)
    return noisy, out

