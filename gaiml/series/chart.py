"""One PNG per body: its key figures over the years, with what the comparison flags marked.

Four panels a reader scans in order: applications (received, carried over, carried forward),
outcomes (stacked per year), 表四 reviews and lawsuits, 表二 decisions. A broken cross-year
relation is a red ×, a jump an orange ring; a missing year leaves a gap in the lines.
"""

from __future__ import annotations

from pathlib import Path

from .compare import FIGURE_INDEX, BodyTable

# The CJK font gaiml/show.py draws with (fonts-noto-cjk, installed by scripts/setup.sh), then a fallback.
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

PANELS = (
    ("申请 applications", ("new_received", "carried_over", "carried_forward"), "line"),
    ("办理结果 outcomes", ("granted", "partial", "denied", "unable", "rejected", "other"), "stack"),
    ("复议诉讼 reviews and lawsuits (表四)", ("review", "suit_direct", "suit_after_review"), "line"),
    ("表二 decisions and documents", ("licensing", "penalty", "coercion", "normative"), "line"),
)


def _font() -> str | None:
    """Register the first CJK font found with matplotlib; its family name, or None (labels
    then fall back to matplotlib's default and Chinese shows as boxes, said on stderr)."""
    from matplotlib import font_manager

    for path in CJK_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    import sys

    print("warning: no CJK font found (install fonts-noto-cjk); Chinese labels will not show", file=sys.stderr)
    return None


def draw(table: BodyTable, path: str | Path, dpi: int = 110) -> None:
    """Write ``table``'s chart to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = _font()
    rc = {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.unicode_minus": False}
    with plt.rc_context(rc):
        fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), dpi=dpi)
        present = [r.year for r in table.rows]
        years = list(range(present[0], present[-1] + 1))
        by_year = {r.year: r for r in table.rows}
        for ax, (title, keys, kind) in zip(axes.flat, PANELS):
            _panel(ax, title, keys, kind, years, by_year, table)
        others = [n for n in table.names if n != table.body]
        fig.suptitle(table.body + (f"   (also printed as {', '.join(others)})" if others else ""), fontsize=14)
        missing = [y for y in years if y not in by_year]
        broken = sorted({f.year for f in table.flags if f.kind == "cross-year"})
        foot = []
        if broken:
            foot.append("× cross-year relation broken in " + ", ".join(map(str, broken)))
        if any(f.kind == "jump" for f in table.flags):
            foot.append("○ or ! a jump beyond the threshold (--jump)")
        if missing:
            foot.append("no report for " + ", ".join(map(str, missing)))
        if foot:
            fig.text(0.01, 0.01, "   ".join(foot), fontsize=10, color="#444444")
        fig.tight_layout(rect=(0, 0.03, 1, 0.96))
        fig.savefig(path)
        plt.close(fig)


def _panel(ax, title, keys, kind, years, by_year, table) -> None:
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xticks(years)
    ax.grid(axis="y", alpha=0.3)
    if kind == "stack":
        bottom = [0.0] * len(years)
        for key in keys:
            vals = [(by_year[y].values.get(key) or 0) if y in by_year else 0 for y in years]
            ax.bar(years, vals, bottom=bottom, label=FIGURE_INDEX[key].label, width=0.6)
            bottom = [b + v for b, v in zip(bottom, vals)]
        for y in years:
            if y not in by_year:
                ax.text(y, 0, "no report", ha="center", va="bottom", fontsize=8, color="#888888")
        for flag in table.flags:  # a jump in one outcome: named above its year's bar
            if flag.kind == "jump" and flag.figure in keys and flag.year in by_year:
                top = bottom[years.index(flag.year)]
                ax.annotate("! " + FIGURE_INDEX[flag.figure].label, (flag.year, top), xytext=(0, 3 + 11 * sum(
                    1 for f in table.flags if f.kind == "jump" and f.figure in keys and f.year == flag.year
                    and keys.index(f.figure) < keys.index(flag.figure))), textcoords="offset points",
                    ha="center", fontsize=8, color="#c06000")
    else:
        for key in keys:
            vals = [by_year[y].values.get(key) if y in by_year else None for y in years]
            vals = [float("nan") if v is None else v for v in vals]
            (line,) = ax.plot(years, vals, marker="o", label=FIGURE_INDEX[key].label)
            for flag in table.flags:
                if flag.figure != key or flag.year not in by_year:
                    continue
                v = by_year[flag.year].values.get(key)
                if v is None:
                    continue
                if flag.kind == "cross-year":
                    ax.plot([flag.year], [v], marker="x", color="red", markersize=14, markeredgewidth=3, zorder=5)
                elif flag.kind == "jump":
                    ax.plot([flag.year], [v], marker="o", markersize=16, markerfacecolor="none",
                            markeredgecolor="orange", markeredgewidth=2, zorder=5)
    low, high = ax.get_ylim()
    ax.set_ylim(0, max(high, 1) * 1.35)  # headroom: the legend sits above the data, not on it
    ax.legend(fontsize=8, loc="upper left", ncol=len(keys) if len(keys) <= 4 else 3, frameon=False)
