"""Sample what a report says: agency, year, template, every cell value and how it prints.

Figures follow what real reports show: small bodies (towns, communities) mostly print zeros,
departments tens, cities hundreds to thousands; natural persons dominate 表三. Cells satisfy
every relation of ``gaiml.schema.relations`` unless the document is one of the ~5% that carry
an author's quirk (an arithmetic error, blank totals, a blank row, "/" or "—" for empty cells).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaiml import schema
from gaiml.values import parse_cell

from . import names

LEVELS = ("city", "county", "department", "town", "community")
LEVEL_WEIGHTS = (0.12, 0.18, 0.35, 0.2, 0.15)
# log-mean of 本年新收 applications per level, and the chance that a body received none.
_NEW_SCALE = {"city": (5.5, 0.02), "county": (3.6, 0.08), "department": (1.8, 0.3),
              "town": (0.3, 0.65), "community": (0.0, 0.85)}
_APPLICANT_P = (0.86, 0.08, 0.004, 0.008, 0.018, 0.03)
_RESULT_P = {
    "granted": 0.45, "partial": 0.06, "denied_secret": 0.002, "denied_law": 0.005, "denied_safety": 0.003,
    "denied_third_party": 0.01, "denied_internal": 0.01, "denied_process": 0.02,
    "denied_enforcement": 0.005, "denied_query": 0.01, "unable_not_held": 0.22, "unable_create": 0.03,
    "unable_unclear": 0.02, "rejected_petition": 0.04, "rejected_duplicate": 0.03,
    "rejected_publication": 0.005, "rejected_mass": 0.005, "rejected_confirm": 0.01,
    "other": 0.05, "other_no_correction": 0.03, "other_no_fee": 0.002, "other_misc": 0.02,
}
QUIRKS = ("arith_error", "blank_totals", "blank_row", "slash_zeros", "dash_zeros")
QUIRK_SHARE = 0.05


@dataclass
class Printed:
    """How one cell prints: full cell ``text`` and the figure part ``text[start:end]``.

    A blank cell has text "" and no figure part (start == end == 0).
    """

    text: str
    start: int = 0
    end: int = 0

    @property
    def figure(self) -> str:
        return self.text[self.start:self.end]


@dataclass
class Report:
    doc_id: str
    seed: int
    template: str
    other_form: str
    year: int
    level: str
    agency: str
    short_agency: str
    cells: dict[str, int | float | None]
    printed: dict[str, Printed]
    quirks: tuple[str, ...] = ()
    prose: dict = field(default_factory=dict)  # figures quoted in the prose sections


def template_of_year(year: int) -> str:
    return "2019" if year <= 2020 else "2021"


# Content profiles of styles that print only some reports (``Style.profile``); the default
# profile (None) is every report. Drawn with a separate generator, so the default path is unchanged.
PROFILES = ("template_2021_split", "large_2019")


def sample_report(seed: int, doc_id: str | None = None, profile: str | None = None) -> Report:
    """One report's content, entirely determined by ``seed`` (and ``profile``).

    ``profile``: "template_2021_split" -- a 2021-2025 report with （六）其他处理 in three rows (what
    the official Word template prints); "large_2019" -- a 2019/2020 report of a city or county
    body, most of its zero cells left blank (null) and notes inside some cells.
    """
    rng = np.random.default_rng(seed)
    year = int(rng.integers(2019, 2026))
    prof = np.random.default_rng([seed, 21]) if profile else None
    if profile == "template_2021_split":
        year = int(prof.integers(2021, 2026))
    elif profile == "large_2019":
        year = int(prof.integers(2019, 2021))
    elif profile is not None:
        raise ValueError(f"unknown content profile {profile!r}")
    template = template_of_year(year)
    other_form = "single" if template == "2019" or rng.random() < 0.12 else "split"
    if profile == "template_2021_split":
        other_form = "split"
    level = str(rng.choice(LEVELS, p=LEVEL_WEIGHTS))
    if profile == "large_2019":
        level = str(prof.choice(["city", "county", "city"]))
    agency, short = names.sample_agency(rng, level)
    values = _sample_t2(rng, template, level) | _sample_t3(rng, other_form, level) | _sample_t4(rng, level)
    keys = schema.cell_keys(template, other_form)
    assert set(values) == set(keys), set(keys) ^ set(values)
    values = {k: values[k] for k in keys}
    quirks = _sample_quirks(rng)
    printed = {k: _print_value(rng, v, schema.cell_index(template, other_form)[k].kind) for k, v in values.items()}
    for key, p in printed.items():  # gold is what is printed: 49.48 printed "49.5" is 49.5
        if isinstance(values[key], float):
            values[key] = parse_cell(p.figure, schema.AMOUNT)
    _apply_quirks(rng, quirks, values, printed, template, other_form)
    _decorate(rng, values, printed)
    if profile == "large_2019":
        _large_body(prof, values, printed)
    report = Report(doc_id or f"synth_{seed}", seed, template, other_form, year, level, agency, short,
                    values, printed, tuple(quirks))
    report.prose = _prose_figures(rng, report)
    return report


# ---------------------------------------------------------------- figures


def _lognormal_count(rng, mu: float, sigma: float = 1.0, p_zero: float = 0.0) -> int:
    if rng.random() < p_zero:
        return 0
    return int(rng.lognormal(mu, sigma))


def _sample_t2(rng, template: str, level: str) -> dict:
    big = {"city": 2.0, "county": 1.0, "department": 1.0, "town": -1.5, "community": -3.0}[level]
    lic = _lognormal_count(rng, 4 + big, 1.5, 0.25 if big > 0 else 0.7)
    pen = _lognormal_count(rng, 3 + big, 1.3, 0.3 if big > 0 else 0.8)
    coe = _lognormal_count(rng, 1 + big / 2, 1.0, 0.5 if big > 0 else 0.9)
    rules = level == "city" and rng.random() < 0.6
    norm_issued = _lognormal_count(rng, 1.5 + big / 2, 0.9, 0.3 if big > 0 else 0.85)
    fee = 0.0 if rng.random() < (0.4 if big > 0 else 0.9) else round(float(rng.lognormal(3 + big, 1.5)), 2)
    if template == "2021":
        in_force = norm_issued + _lognormal_count(rng, 2.5 + big / 2, 1.0, 0.2)
        r_issued = int(rng.poisson(2)) if rules else 0
        return {
            "t2.rules.issued": r_issued, "t2.rules.repealed": int(rng.poisson(0.6)) if rules else 0,
            "t2.rules.in_force": r_issued + _lognormal_count(rng, 3, 0.7) if rules else 0,
            "t2.normative.issued": norm_issued, "t2.normative.repealed": int(rng.binomial(in_force, 0.05)),
            "t2.normative.in_force": in_force,
            "t2.licensing.decisions": lic, "t2.penalty.decisions": pen, "t2.coercion.decisions": coe,
            "t2.fees.amount": fee,
        }
    out = {}
    made = {"rules": int(rng.poisson(2)) if rules else 0, "normative": norm_issued}
    for row in ("rules", "normative"):
        out[f"t2.{row}.made"] = made[row]
        out[f"t2.{row}.published"] = made[row] if rng.random() < 0.8 else int(rng.binomial(made[row], 0.8))
        out[f"t2.{row}.total_public"] = made[row] + (_lognormal_count(rng, 2.5 + big / 2, 1, 0.3) if made[row] else 0)
    for row, decisions in (("licensing", lic), ("other_services", _lognormal_count(rng, 2 + big, 1.5, 0.6)),
                           ("penalty", pen), ("coercion", coe)):
        items = _lognormal_count(rng, 2 + big / 2, 1.0, 0.4 if big > 0 else 0.85)
        out[f"t2.{row}.prev_items"] = items
        out[f"t2.{row}.change"] = int(rng.integers(-min(items, 5), 6)) if items and rng.random() < 0.5 else 0
        out[f"t2.{row}.decisions"] = decisions
    fee_items = _lognormal_count(rng, 1.5, 0.8, 0.5 if big > 0 else 0.9)
    out["t2.fees.prev_items"] = fee_items
    out["t2.fees.change"] = int(rng.integers(-min(fee_items, 3), 3)) if fee_items and rng.random() < 0.4 else 0
    proc = _lognormal_count(rng, 1.5 + big / 2, 1.0, 0.4 if big > 0 else 0.8)
    out["t2.procurement.items"] = proc
    out["t2.procurement.amount"] = round(float(rng.lognormal(4 + big, 1.3)), int(rng.choice([0, 1, 2]))) if proc else 0
    if isinstance(out["t2.procurement.amount"], float) and out["t2.procurement.amount"].is_integer():
        out["t2.procurement.amount"] = int(out["t2.procurement.amount"])
    return out


def _sample_t3(rng, other_form: str, level: str) -> dict:
    mu, p_zero = _NEW_SCALE[level]
    n_new = _lognormal_count(rng, mu, 1.0, p_zero)
    applicants = rng.dirichlet(np.array(_APPLICANT_P) * 40)
    new = rng.multinomial(n_new, applicants)
    carried = rng.multinomial(int(rng.binomial(n_new, 0.05)) if rng.random() < 0.5 else 0, applicants)
    rows = schema.result_rows(other_form)
    result_p = rng.dirichlet(np.array([_RESULT_P[r] for r in rows]) / sum(_RESULT_P[r] for r in rows) * 60)
    out: dict[str, int] = {}
    for i, col in enumerate(schema.T3_PARTS):
        handled = int(new[i] + carried[i])
        forward = int(rng.binomial(handled, 0.06)) if rng.random() < 0.6 else 0
        results = rng.multinomial(handled - forward, result_p)
        out[f"t3.new_received.{col}"] = int(new[i])
        out[f"t3.carried_over.{col}"] = int(carried[i])
        out[f"t3.carried_forward.{col}"] = forward
        out[f"t3.total.{col}"] = handled - forward
        for row, n in zip(rows, results):
            out[f"t3.{row}.{col}"] = int(n)
    for row in ("new_received", "carried_over") + rows + ("total", "carried_forward"):
        out[f"t3.{row}.total"] = sum(out[f"t3.{row}.{c}"] for c in schema.T3_PARTS)
    return out


def _sample_t4(rng, level: str) -> dict:
    lam = {"city": 6.0, "county": 2.0, "department": 0.8, "town": 0.1, "community": 0.02}[level]
    out = {}
    for group, share in (("review", 1.0), ("suit_direct", 0.6), ("suit_after_review", 0.3)):
        n = int(rng.poisson(lam * share * rng.random() * 2))
        parts = rng.multinomial(n, rng.dirichlet([6, 1, 1.5, 1.5]))
        for field_, v in zip(("upheld", "corrected", "other", "pending"), parts):
            out[f"t4.{group}.{field_}"] = int(v)
        out[f"t4.{group}.total"] = n
    return out


# ---------------------------------------------------------------- printing


def _fmt_number(rng, value, kind: str, style: dict) -> str:
    if kind == schema.AMOUNT and isinstance(value, float):
        text = f"{value:,.2f}" if style["commas"] and value >= 1000 else f"{value:.{style['decimals']}f}"
        if style["decimals"] == 0 and text.endswith(".00"):
            text = text[:-3]
        return text
    text = f"{value:,}" if style["commas"] and abs(value) >= 1000 else str(value)
    if kind == schema.CHANGE and value > 0 and style["plus"]:
        text = "+" + text
    return text


def _print_value(rng, value, kind: str) -> Printed:
    style = {"commas": rng.random() < 0.3, "decimals": int(rng.choice([1, 2, 2, 4])), "plus": rng.random() < 0.5}
    if kind == schema.AMOUNT and isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _fmt_number(rng, value, kind, style)
    return Printed(text, 0, len(text))


def _sample_quirks(rng) -> list[str]:
    if rng.random() >= QUIRK_SHARE * 2:  # ~10% of draws, half of which pick a harmless no-op below
        return []
    quirk = str(rng.choice(QUIRKS + ("none",) * len(QUIRKS)))
    return [] if quirk == "none" else [quirk]


def _null(marker: str) -> Printed:
    return Printed(marker, 0, len(marker)) if marker else Printed("")


def _apply_quirks(rng, quirks, values, printed, template, other_form) -> None:
    """Author's quirks: the printed text changes, and gold follows what is printed."""
    keys = list(values)
    for quirk in quirks:
        if quirk == "arith_error":  # a total off by a little: relations break, gold keeps the printed value
            key = str(rng.choice([k for k in keys if k.endswith(".total") and k.startswith("t3.")]))
            delta = int(rng.choice([-2, -1, 1, 1, 2, 10]))
            values[key] += delta if values[key] + delta >= 0 else -delta
            printed[key] = Printed(str(values[key]), 0, len(str(values[key])))
        elif quirk == "blank_totals":  # 总计 column left empty for most rows
            for key in keys:
                if key.startswith("t3.") and key.endswith(".total") and rng.random() < 0.85:
                    values[key], printed[key] = None, _null("")
        elif quirk == "blank_row":  # a whole row left empty
            rows = sorted({k.rsplit(".", 1)[0] for k in keys if k.startswith(("t4.", "t3.denied", "t3.rejected"))})
            row = str(rng.choice(rows))
            marker = str(rng.choice(["", "", "/", "—"]))
            for key in keys:
                if key.startswith(row + "."):
                    values[key], printed[key] = None, _null(marker)
        else:  # zero cells of 表二 (and sometimes 表四) printed "/" or "—": null, not 0
            marker = "/" if quirk == "slash_zeros" else str(rng.choice(["—", "-", "——"]))
            prefixes = ("t2.",) if rng.random() < 0.6 else ("t2.", "t4.")
            for key in keys:
                if key.startswith(prefixes) and values[key] == 0 and rng.random() < 0.8:
                    values[key], printed[key] = None, _null(marker)


def _decorate(rng, values, printed) -> None:
    """Rare decorations real reports show: full-width digits, notes inside a cell."""
    if rng.random() < 0.03:  # full-width digits throughout the document
        table = str.maketrans("0123456789+-.,", "０１２３４５６７８９＋－．，")
        for p in printed.values():
            if p.end > p.start and any(ch.isdigit() for ch in p.text):
                p.text = p.text.translate(table)
    if rng.random() < 0.08:  # "22（其中修订16件）": the figure is 22, the note is not a cell
        for key in ("t2.normative.issued", "t2.normative.made", "t2.licensing.decisions", "t2.penalty.decisions"):
            v = values.get(key)
            if isinstance(v, int) and v > 1 and rng.random() < 0.5:
                note = str(rng.choice(["（其中修订{k}件）", "（含{k}件修订）", "件", "（其中{k}件为转办）"]))
                p = printed[key]
                p.text = p.text + note.format(k=int(rng.integers(1, v)))


def _large_body(rng, values, printed) -> None:
    """Large bodies' 2019-form tables: most zero cells left blank (gold null, like blank_totals),
    and notes inside some figure cells ("12（含转办3件）", "5件")."""
    p_blank = float(rng.uniform(0.5, 0.95))
    for key, v in values.items():
        if v == 0 and printed[key].end > printed[key].start and rng.random() < p_blank:
            values[key], printed[key] = None, _null("")
    notes = ["（其中{k}件为转办）", "（含{k}件补正）", "件", "项", "（其中续办{k}件）", "（{k}件逾期）"]
    for key, v in values.items():
        p = printed[key]
        if isinstance(v, int) and v > 1 and p.end > p.start and p.text == p.figure and rng.random() < 0.06:
            p.text = p.text + str(rng.choice(notes)).format(k=int(rng.integers(1, v)))


def _prose_figures(rng, report: Report) -> dict:
    """Figures the prose quotes: 主动公开信息 N 条, 收到申请 N 件, 信息处理费 N 元."""
    level_mu = {"city": 8.5, "county": 7, "department": 5, "town": 4, "community": 3}[report.level]
    new_total = report.cells.get("t3.new_received.total")
    return {
        "active": int(rng.lognormal(level_mu, 0.8)),
        "policy_docs": int(rng.poisson(8)),
        "new_received": new_total,
        "fee_yuan": 0 if rng.random() < 0.9 else int(rng.integers(10, 3000)),
        "trainings": int(rng.integers(1, 12)),
        "review_total": report.cells.get("t4.review.total"),
    }
