"""Re-lay a seed report's tables in other layouts, keeping its prose: perturbations for tests.

The tables are rebuilt from the gold values and the schema's printed labels, then written the
way converters write them: pipe-mangled lines, one cell per line, space-aligned columns,
markdown, box-drawn, single-spaced, with spaced-out or wrapped labels, page breaks and
full-width digits.
"""

from __future__ import annotations

import re
import unicodedata

from gaiml import schema

T2_ARTICLE = {"rules": "（一）", "normative": "（一）", "licensing": "（五）", "other_services": "（五）",
              "penalty": "（六）", "coercion": "（六）", "fees": "（八）", "procurement": "（九）"}
HEADINGS = {"t2": "二、主动公开政府信息情况", "t3": "三、收到和处理政府信息公开申请情况",
            "t4": "四、政府信息公开行政复议、行政诉讼情况"}
T3_HEADER = [
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
    ["", "自然人", "法人或其他组织", "总计"],
    ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"],
]
T4_HEADER = [
    ["行政复议", "行政诉讼"],
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
    ["", "", "", "", ""] + ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
]


def table_rows(gold: dict, null_text: str = "") -> dict[str, list[tuple[str, list[str]]]]:
    """Per table, its printed rows as ("header"|"row", cells) in order; null cells print ``null_text``."""
    form = schema.other_form_of_keys(gold["cells"])
    cells = gold["cells"]

    def fmt(value) -> str:
        return null_text if value is None else str(value)

    t2, t3, t4 = schema.tables(gold["template"], form)
    out: dict[str, list] = {"t2": [], "t3": [], "t4": []}
    article = None
    for row in t2.rows:
        if T2_ARTICLE[row.key] != article:
            article = T2_ARTICLE[row.key]
            out["t2"].append(("header", [f"第二十条第{article}项"]))
            out["t2"].append(("header", ["信息内容"] + [c.label for c in row.columns]))
        out["t2"].append(("row", [row.label] + [fmt(cells[f"t2.{row.key}.{c.key}"]) for c in row.columns]))
    out["t3"] = [("header", h) for h in T3_HEADER]
    for row in t3.rows:
        out["t3"].append(("row", [row.label] + [fmt(cells[f"t3.{row.key}.{c.key}"]) for c in row.columns]))
    out["t4"] = [("header", h) for h in T4_HEADER]
    out["t4"].append(("row", [fmt(cells[f"t4.{g.key}.{f.key}"]) for g in t4.rows for f in g.columns]))
    return out


def split_raw(raw: str) -> tuple[str, str]:
    """The seed's prose before 表二 and after 表四."""
    start = re.search(r"^\s*二[、,，.].*主动公开政府信息情况.*$", raw, re.M).start()
    end = re.compile(r"^.*存在的主要问题.*$", re.M).search(raw, start).start()
    return raw[:start], raw[end:]


def _is_figure(cell: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?|", cell) is not None


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


# ---------------------------------------------------------------- one writer per layout

def _tab(rows):
    return "\n".join("\t".join(cells) for _, cells in rows)


def _pipe(rows):
    lines = []
    for _, cells in rows:
        lines += [f"{c} |" for c in cells[:-1]] + [f"{cells[-1]} | ||"]
    return "\n".join(lines)


def _cell_per_line(rows):
    return "\n\n".join("\n".join(f"\t{c}" for c in cells) for _, cells in rows)


def _markdown(rows):
    lines = []
    for i, (_, cells) in enumerate(rows):
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "---|" * len(cells))
    return "\n".join(lines)


def _boxed(rows):
    lines = ["┌" + "─" * 30 + "┐"]
    for _, cells in rows:
        lines.append("│" + "│".join(f" {c} " for c in cells) + "│")
        lines.append("├" + "─" * 30 + "┤")
    return "\n".join(lines)


def _single_spaced(rows):
    return "\n".join(" ".join(c for c in cells if c) for _, cells in rows)


def _aligned(rows, label_width=44, col=9):
    """pdftotext -layout: labels padded, figures right-aligned; long labels wrap onto a second line."""
    lines = []
    for kind, cells in rows:
        if kind == "header":
            lines.append("   ".join(cells))
            continue
        label, figures = (cells[0], cells[1:]) if not _is_figure(cells[0]) else ("", cells)
        head, rest = (label[:18], label[18:]) if width(label) > label_width - 4 else (label, "")
        lines.append(head + " " * (label_width - width(head)) + "".join(f.rjust(col) for f in figures))
        if rest:
            lines.append("    " + rest)
    return "\n".join(lines)


def _spaced_labels(rows):
    """Spaces between the characters of every label, as in some OCR'd text layers."""
    return _tab([(k, [c if _is_figure(c) else " ".join(c) for c in cells]) for k, cells in rows])


def _wrapped_labels(rows):
    """Labels broken mid-word across lines, as PDF copy-paste does with narrow cells."""
    out = []
    for kind, cells in rows:
        cells = [c[: len(c) // 2] + "\n" + c[len(c) // 2 :] if len(c) > 6 and not _is_figure(c) else c for c in cells]
        out.append((kind, cells))
    return _tab(out)


def _paged(rows):
    """A page break inside the table: a page number and the header rows printed again."""
    headers = [r for r in rows if r[0] == "header"]
    body = [r for r in rows if r[0] == "row"]
    half = len(body) // 2
    return "\n".join([_tab(headers + body[:half]), "", "— 5 —", "", _tab(headers + body[half:])])


WRITERS = {
    "pipe": _pipe,
    "cell_per_line": _cell_per_line,
    "markdown": _markdown,
    "boxed": _boxed,
    "single_spaced": _single_spaced,
    "aligned": _aligned,
    "spaced_labels": _spaced_labels,
    "wrapped_labels": _wrapped_labels,
    "paged": _paged,
}
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def relayout(raw: str, gold: dict, style: str, null_text: str = "") -> str:
    """The seed re-laid in ``style`` (a WRITERS key, or "fullwidth": the raw text, digits full-width)."""
    if style == "fullwidth":
        return raw.translate(FULLWIDTH_DIGITS)
    before, after = split_raw(raw)
    tables = table_rows(gold, null_text)
    parts = [before.rstrip("\n")]
    for key in ("t2", "t3", "t4"):
        parts += ["", HEADINGS[key], "", WRITERS[style](tables[key])]
    parts += ["", after]
    return "\n".join(parts)


STYLES = tuple(WRITERS) + ("fullwidth",)


def vary_values(gold: dict, rng) -> dict:
    """The same report with other figures: random, but every SPEC relation holds.

    Natural persons dominate, most result rows stay 0, 本年增/减 may be negative and amounts
    carry decimals, so a shifted or misplaced figure shows up as a wrong cell.
    """
    form = schema.other_form_of_keys(gold["cells"])
    cells = dict.fromkeys(gold["cells"], 0)
    for key, cell in schema.cell_index(gold["template"], form).items():
        if key.startswith("t2."):
            if cell.kind == schema.AMOUNT:
                cells[key] = rng.choice([0, 12.5, 96558, 3.75])
            elif cell.kind == schema.CHANGE:
                cells[key] = rng.randint(-5, 5)
            else:
                cells[key] = rng.choice([0, 0, 1, 7, 23, 2259])
    results = schema.result_rows(form)
    for part in schema.T3_PARTS:
        scale = 60 if part == "natural_person" else 6
        new, carried = rng.randint(0, scale), rng.randint(0, 3)
        done = rng.randint(0, new + carried)
        cells[f"t3.new_received.{part}"], cells[f"t3.carried_over.{part}"] = new, carried
        cells[f"t3.total.{part}"], cells[f"t3.carried_forward.{part}"] = done, new + carried - done
        for _ in range(done):
            row = rng.choice(results[:4] + (rng.choice(results),))
            cells[f"t3.{row}.{part}"] += 1
    for row in {k.split(".")[1] for k in cells if k.startswith("t3.")}:
        cells[f"t3.{row}.total"] = sum(cells[f"t3.{row}.{p}"] for p in schema.T3_PARTS)
    for group in schema.T4_GROUPS:
        parts = [rng.choice([0, 0, 1, 2, 5]) for _ in range(4)]
        for field, value in zip(("upheld", "corrected", "other", "pending"), parts):
            cells[f"t4.{group.key}.{field}"] = value
        cells[f"t4.{group.key}.total"] = sum(parts)
    return {**gold, "cells": cells}


def blank_some(gold: dict, rng, count: int = 6, tables: tuple[str, ...] = ("t3", "t4")) -> dict:
    """The report with a few cells of ``tables`` left empty (null)."""
    cells = dict(gold["cells"])
    for key in rng.sample(sorted(k for k in cells if k.split(".")[0] in tables), count):
        cells[key] = None
    return {**gold, "cells": cells}
