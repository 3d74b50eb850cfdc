"""Draw an extraction result over its source pages, for a person reviewing it.

Each page of the source PDF that holds a cell is rasterised (``pdftoppm``), turned upright as the
document's ``pages`` entry says (``turned`` degrees clockwise, then the ``skew`` deskew), and
every cell with a ``page`` and ``box`` is outlined in its colour, the value read written small at
the box's left (inside when it fits beside the centred figure, else on its top edge):

- green: confirmed (not in ``review``, not in ``repairs``);
- orange: in ``review`` (a person should check it; repaired or not);
- blue: repaired (in ``repairs``, not in review), labelled ``printed→chosen``.

A null value is written "∅". Pages are stacked vertically under a header (doc id, status, the count
of each colour, a legend); review and repaired cells that have no box are listed under the pages.
``-o FILE.html`` writes one self-contained HTML page instead: the picture and a table of the review
cells and repairs.

Boxes are ``[x0, top, x1, bottom]`` in PDF points from the top-left corner of the upright,
deskewed page of ``width``×``height`` points, as the scan reader (``gaiml/pages/scan.py``) made it:
the rasterised image turned ``turned`` degrees clockwise, then rotated ``skew`` degrees
counterclockwise (OpenCV's sense) about its centre, size kept.
"""

from __future__ import annotations

import base64
import html
import io
import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .errors import GaimlError
from .output import json_lines, review_cells, review_items

GREEN = (0, 150, 60)
ORANGE = (255, 130, 0)
BLUE = (20, 90, 230)
COLOURS = {"confirmed": GREEN, "review": ORANGE, "repaired": BLUE}
LABEL_TEXT = {"confirmed": "white", "review": "black", "repaired": "white"}  # the most contrast on each
STATUS_COLOURS = {"verified": GREEN, "needs review": ORANGE, "source-inconsistent": (200, 30, 30)}

# Layout in pixels, the same at every dpi so tests and readers can find the pages.
HEADER_FONT_PX = 16
HEADER_H = 64     # two lines: doc id · status · counts, then the legend
BAND_H = 22       # the strip above each page naming it
PAD = 8
FADE = 0.3        # how much the page is faded towards white, so the colours stand out

CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # has ∅ → ° too
             "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
LABEL_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
               "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", *CJK_FONTS)


class ShowError(GaimlError):
    """A result that cannot be drawn: the message is the one line the user sees."""


@dataclass
class Mark:
    """One cell as drawn: its key, colour name, label and where it stands (page, box in points)."""

    key: str
    kind: str
    label: str
    page: int | None
    box: tuple[float, float, float, float] | None


# ---------------------------------------------------------------- loading

def load_document(result: Path, doc_id: str | None) -> dict:
    """The document ``doc_id`` of a JSON Lines result (or of one JSON document).

    Without ``doc_id`` the file must hold exactly one document. Raises ShowError naming what is
    wrong: the file unreadable, the id absent (with a few ids it holds), the document an error line.
    """
    try:
        raw = result.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ShowError(f"{result}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ShowError(f"{result}: cannot be read ({exc.__class__.__name__}: {exc})") from exc
    docs = _parse(raw, result)
    if not docs:
        raise ShowError(f"{result}: holds no documents")
    if doc_id is None:
        if len(docs) == 1:
            doc = docs[0]
        else:
            raise ShowError(f"{result} holds {len(docs)} documents; choose one with --doc ({_some_ids(docs)})")
    else:
        found = [d for d in docs if str(d.get("doc_id")) == doc_id]
        if not found:
            raise ShowError(f"no document {doc_id!r} in {result}; it holds {_some_ids(docs)}")
        doc = found[-1]  # a resumed run may repeat one: the last line wins
    if "error" in doc and "cells" not in doc:
        raise ShowError(f"{doc.get('doc_id')}: extraction failed, nothing to draw: {doc['error']}")
    if not isinstance(doc.get("cells"), dict):
        raise ShowError(f"{doc.get('doc_id')}: not an extraction result (no \"cells\")")
    return doc


def _parse(raw: str, result: Path) -> list[dict]:
    try:
        whole = json.loads(raw)
    except json.JSONDecodeError:
        pass
    else:
        if isinstance(whole, dict):
            return [whole]
        return [d for d in whole if isinstance(d, dict)] if isinstance(whole, list) else []
    docs = []
    for number, doc, not_json in json_lines(raw):
        if not_json:
            raise ShowError(f"{result}:{number}: not JSON ({not_json})")
        if isinstance(doc, dict):
            docs.append(doc)
    return docs


def _some_ids(docs: list[dict], n: int = 5) -> str:
    ids = [str(d.get("doc_id", "?")) for d in docs]
    shown = ", ".join(ids[:n])
    return f"{shown}, … {len(ids)} in all" if len(ids) > n else shown


# ---------------------------------------------------------------- what to draw

def marks(doc: dict) -> list[Mark]:
    """Every cell with its colour name and label, in the document's order."""
    review = set(review_cells(doc))
    repairs = {r.get("cell"): r for r in doc.get("repairs") or [] if isinstance(r, dict)}
    out = []
    for key, cell in doc["cells"].items():
        kind = "review" if key in review else "repaired" if key in repairs else "confirmed"
        label = format_value(cell.get("value"))
        if key in repairs:
            label = f"{format_value(repairs[key].get('printed'), raw=True)}→{label}"
        box = cell.get("box")
        page = cell.get("page")
        placed = isinstance(page, int) and isinstance(box, (list, tuple)) and len(box) == 4
        out.append(Mark(key, kind, label, page if placed else None, tuple(map(float, box)) if placed else None))
    return out


def format_value(value, raw: bool = False) -> str:
    """A value as a reviewer reads it: null as ∅, 12.0 as 12, a printed string as printed."""
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}" if abs(value) >= 1e6 else str(round(value, 4))
    if isinstance(value, str) and raw:
        return value.strip() or "∅"
    return str(value)


def counts(ms: list[Mark]) -> dict[str, int]:
    return {kind: sum(m.kind == kind for m in ms) for kind in COLOURS}


# ---------------------------------------------------------------- the source pages

def find_source(doc: dict, result: Path | None = None, source: Path | None = None) -> Path:
    """The PDF the document was read from: ``source`` if given, else its ``source`` field as a
    path from the current folder or from the result file's folder."""
    if source is not None:
        if not source.is_file():
            raise ShowError(f"source file not found: {source}")
        return source
    named = doc.get("source")
    if not named:
        raise ShowError(f"{doc.get('doc_id')}: the document names no source file; give it with --source")
    candidates = [Path(named)]
    if result is not None and not Path(named).is_absolute():
        candidates.append(result.parent / named)
    for path in candidates:
        if path.is_file():
            return path
    raise ShowError(f"source file not found: {named} (give its path with --source)")


def check_provenance(doc: dict, ms: list[Mark]) -> None:
    """Raise unless at least one cell has a page and a box."""
    if any(m.box for m in ms):
        return
    name = doc.get("doc_id")
    source = str(doc.get("source") or "")
    read = str(doc.get("encoding") or "")
    if source.lower().endswith(".pdf") or read.startswith("pdf"):
        raise ShowError(f"{name}: no cell has page/box provenance (extracted by a gaiml without it?); "
                        "extract it again, then show it")
    how = f" ({read})" if read else ""
    raise ShowError(f"{name}: no cell has page/box provenance: it was read from a text input{how}, "
                    "which has no pages to draw on")


def page_entry(doc: dict, page: int) -> dict:
    for entry in doc.get("pages") or []:
        if isinstance(entry, dict) and entry.get("page") == page:
            return entry
    return {"page": page}


def rasterise(pdf: Path, page: int, dpi: int) -> Image.Image:
    """Page ``page`` (1-based) of ``pdf`` at ``dpi``, as pdftoppm draws it (RGB)."""
    with tempfile.TemporaryDirectory(prefix="gaiml-show-") as tmp:
        prefix = Path(tmp) / "page"
        try:
            done = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page),
                                   "-png", "-singlefile", str(pdf), str(prefix)],
                                  capture_output=True, text=True, timeout=120)
        except FileNotFoundError as exc:
            raise ShowError("pdftoppm not found: install poppler-utils") from exc
        except subprocess.TimeoutExpired as exc:
            raise ShowError(f"{pdf}: page {page} took over 120 s to rasterise") from exc
        png = prefix.with_suffix(".png")
        if done.returncode != 0 or not png.is_file():
            why = (done.stderr.strip().splitlines() or ["no image written"])[-1]
            raise ShowError(f"{pdf}: page {page} cannot be rasterised ({why})")
        with Image.open(png) as img:
            return img.convert("RGB")


def upright(img: Image.Image, turned: float = 0, skew: float = 0,
            size: tuple[int, int] | None = None) -> Image.Image:
    """The page image turned ``turned`` degrees clockwise, then rotated ``skew`` degrees
    counterclockwise about its centre (size kept), then brought to ``size`` (padded or trimmed by a rounding pixel or two, else scaled)."""
    turned = int(round(turned or 0)) % 360
    if turned:
        img = img.rotate(-turned, expand=True)  # PIL turns counterclockwise
    if skew:
        img = img.rotate(float(skew), resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    if size and img.size != tuple(size):
        if abs(img.width - size[0]) <= 2 and abs(img.height - size[1]) <= 2:  # rounding: pad or trim
            exact = Image.new(img.mode, size, "white")
            exact.paste(img, (0, 0))
            img = exact
        else:
            img = img.resize(size, Image.Resampling.LANCZOS)
    return img


def page_image(pdf: Path, doc: dict, page: int, dpi: int) -> Image.Image:
    """Page ``page`` upright at ``dpi``, so that boxes × dpi/72 fall on the cells."""
    entry = page_entry(doc, page)
    size = None
    if entry.get("width") and entry.get("height"):
        size = (round(float(entry["width"]) * dpi / 72), round(float(entry["height"]) * dpi / 72))
    return upright(rasterise(pdf, page, dpi), entry.get("turned") or 0, entry.get("skew") or 0, size)


# ---------------------------------------------------------------- drawing

def _font(paths: tuple[str, ...], px: int) -> ImageFont.ImageFont:
    for path in paths:
        try:
            return ImageFont.truetype(path, px)
        except OSError:
            continue
    return ImageFont.load_default(px)


def label_px(dpi: int) -> int:
    """The label font size: 8.5 pt on the page, at least 11 px."""
    return max(11, round(8.5 * dpi / 72))


def draw_marks(img: Image.Image, ms: list[Mark], dpi: int) -> Image.Image:
    """``img`` faded, with each mark's box outlined in its colour and its label in the corner."""
    scale = dpi / 72
    base = Image.blend(img.convert("RGB"), Image.new("RGB", img.size, "white"), FADE)
    tint = Image.new("RGBA", img.size, (0, 0, 0, 0))
    td = ImageDraw.Draw(tint)
    width = max(2, round(dpi / 50))
    rects = []
    for m in ms:
        x0, y0, x1, y1 = (v * scale for v in m.box)
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        # inset by a pixel so the outlines of neighbouring cells sit side by side, not on each other
        rect = (round(x0) + 1, round(y0) + 1, max(round(x0) + 2, round(x1) - 1), max(round(y0) + 2, round(y1) - 1))
        rects.append((m, rect))
        if m.kind != "confirmed":
            td.rectangle(rect, fill=(*COLOURS[m.kind], 56))
    out = Image.alpha_composite(base.convert("RGBA"), tint).convert("RGB")
    draw = ImageDraw.Draw(out)
    # confirmed first, so a flagged cell's outline is never hidden under a green one
    order = sorted(rects, key=lambda mr: mr[0].kind != "confirmed")
    for m, rect in order:
        draw.rectangle(rect, outline=COLOURS[m.kind], width=width)
    font = _font(LABEL_FONTS, label_px(dpi))
    for m, rect in order:
        left, top, right, bottom = draw.textbbox((0, 0), m.label, font=font)
        tag_w, tag_h = right - left + 3, bottom - top + 3
        x = rect[0] + width
        if tag_w <= 0.3 * (rect[2] - rect[0]) and tag_h <= rect[3] - rect[1] - 2 * width:
            # short tag: inside the box at its left, level with the printed figure (centred: clear of it)
            y = (rect[1] + rect[3] - tag_h) // 2
        else:
            # long tag: on the box's top edge, half above it, again clear of the figure
            y = max(0, rect[1] - tag_h // 2)
        draw.rectangle((x, y, x + tag_w, y + tag_h), fill=COLOURS[m.kind])
        draw.text((x + 2 - left, y + 2 - top), m.label, font=font, fill=LABEL_TEXT[m.kind])
    return out


def compose(doc: dict, pages: list[tuple[int, dict, Image.Image]], ms: list[Mark]) -> Image.Image:
    """Header, then each page under a strip naming it, then the flagged cells that have no box."""
    head_font = _font(CJK_FONTS, HEADER_FONT_PX)
    small = _font(CJK_FONTS, 13)
    n = counts(ms)
    status = str(doc.get("status") or "?")
    title = "  ·  ".join(str(p) for p in (doc.get("doc_id"), doc.get("agency"), doc.get("year")) if p)
    legend = [("confirmed", f"confirmed {n['confirmed']}"), ("review", f"to review {n['review']}"),
              ("repaired", f"repaired {n['repaired']} (printed→chosen)")]
    key_text = "tag on each box: the value read, ∅ = null"
    unplaced = [m for m in ms if m.box is None and m.kind != "confirmed"]
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    head_w = PAD + scratch.textlength(f"{title}   status: {status}", font=head_font) + PAD
    legend_w = PAD + sum(scratch.textlength(t, font=small) + 40 for _, t in legend) + scratch.textlength(key_text, font=small) + 2 * PAD
    width = max([img.width for _, _, img in pages] + [round(head_w), round(legend_w)])
    foot = _wrap("flagged cells with no box: " + ", ".join(f"{m.key} ({m.kind}: {m.label})" for m in unplaced),
                 small, width - 2 * PAD, scratch) if unplaced else []
    height = HEADER_H + sum(BAND_H + img.height for _, _, img in pages) + (PAD * 2 + 18 * len(foot) if foot else 0)
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)

    draw.text((PAD, 6), title, font=head_font, fill="black")
    x = PAD + draw.textlength(title + "   ", font=head_font)
    draw.text((x, 6), "status: ", font=head_font, fill="black")
    x += draw.textlength("status: ", font=head_font)
    draw.text((x, 6), status, font=head_font, fill=STATUS_COLOURS.get(status, "black"))
    x = PAD
    for kind, text in legend:
        draw.rectangle((x, 36, x + 22, 52), fill=(*_light(COLOURS[kind]),), outline=COLOURS[kind], width=3)
        draw.text((x + 28, 36), text, font=small, fill="black")
        x += 28 + draw.textlength(text, font=small) + 12
    # "∅" in the tags' own font: not every CJK font has it
    before, after = key_text.split("∅")
    x += PAD
    for part, font in ((before, small), ("∅", _font(LABEL_FONTS, 13)), (after, small)):
        draw.text((x, 50), part, font=font, fill=(90, 90, 90), anchor="ls")  # on one baseline
        x += draw.textlength(part, font=font)
    draw.line((0, HEADER_H - 1, width, HEADER_H - 1), fill=(120, 120, 120))

    y = HEADER_H
    for page, entry, img in pages:
        draw.rectangle((0, y, width, y + BAND_H - 1), fill=(235, 235, 235))
        draw.text((PAD, y + 3), _page_caption(page, entry, ms), font=small, fill=(40, 40, 40))
        sheet.paste(img, (0, y + BAND_H))
        y += BAND_H + img.height
    if foot:
        y += PAD
        for line in foot:
            draw.text((PAD, y), line, font=small, fill=ORANGE if "review" in line else BLUE)
            y += 18
    return sheet


def _light(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    return tuple(round(c + (255 - c) * 0.75) for c in colour)


def _page_caption(page: int, entry: dict, ms: list[Mark]) -> str:
    on = [m for m in ms if m.page == page]
    n = {kind: sum(m.kind == kind for m in on) for kind in COLOURS}
    parts = [f"page {page}"]
    if entry.get("read"):
        parts.append(f"read by {entry['read']}")
    if entry.get("turned"):
        parts.append(f"turned {entry['turned']}°")
    if entry.get("skew"):
        parts.append(f"deskewed {float(entry['skew']):g}°")
    parts.append(f"{len(on)} cells: {n['confirmed']} confirmed, {n['review']} to review, {n['repaired']} repaired")
    return "  ·  ".join(parts)


def _wrap(text: str, font, width: float, draw: ImageDraw.ImageDraw) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if line and draw.textlength(trial, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines


# ---------------------------------------------------------------- the whole picture

def render(doc: dict, pdf: Path, dpi: int = 100) -> Image.Image:
    """The picture of ``doc`` over the pages of ``pdf`` that hold its cells."""
    ms = marks(doc)
    check_provenance(doc, ms)
    pages = []
    for page in sorted({m.page for m in ms if m.box}):
        img = page_image(pdf, doc, page, dpi)
        pages.append((page, page_entry(doc, page), draw_marks(img, [m for m in ms if m.page == page and m.box], dpi)))
    return compose(doc, pages, ms)


def draw_document(doc: dict, out: Path, dpi: int = 100, result: Path | None = None,
                  source: Path | None = None) -> list[Path]:
    """Draw ``doc`` over its source pages into ``out`` (.png, or .html with the review table).

    result : the result file the document came from (its folder is searched for a relative source).
    source : the PDF to draw on, instead of the document's own ``source``.
    Returns the files written. Raises ShowError when there is nothing to draw on.
    """
    if not 18 <= dpi <= 600:
        raise ShowError(f"--dpi {dpi}: choose between 18 and 600")
    ms = marks(doc)
    check_provenance(doc, ms)
    pdf = find_source(doc, result, source)
    sheet = render(doc, pdf, dpi)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".html", ".htm"):
        out.write_text(_html(doc, ms, sheet), encoding="utf-8")
    else:
        try:
            sheet.save(out, format=None if out.suffix else "PNG")
        except (ValueError, OSError) as exc:
            raise ShowError(f"{out}: cannot be written ({exc})") from exc
    return [out]


def _html(doc: dict, ms: list[Mark], sheet: Image.Image) -> str:
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    e = html.escape
    cells = doc["cells"]
    n = counts(ms)
    rows = []
    for item in review_items(doc):
        key = item["cell"]
        c = cells.get(key, {})
        where = f"p. {c['page']}" if c.get("page") else "no box"
        rows.append(f"<tr><td>{e(key)}</td><td>{e(format_value(c.get('value')))}</td><td>{e(str(c.get('text') or ''))}</td>"
                    f"<td>{c.get('confidence', '')}</td><td>{e(where)}</td><td>{e(item['why'])}</td></tr>")
    reps = [f"<tr><td>{e(str(r.get('cell')))}</td><td>{e(str(r.get('printed')))}</td><td>{e(str(r.get('was')))}</td>"
            f"<td>{e(str(r.get('chosen')))}</td><td>{e(str(r.get('kind') or ''))}</td><td>{e(str(r.get('why') or ''))}</td></tr>"
            for r in doc.get("repairs") or [] if isinstance(r, dict)]
    title = e(f"{doc.get('doc_id')} — {doc.get('status')}")
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:1em}} table{{border-collapse:collapse;margin:.5em 0 1.5em}}
td,th{{border:1px solid #bbb;padding:2px 8px;text-align:left}} th{{background:#eee}} img{{max-width:100%;border:1px solid #999}}</style>
</head><body>
<h1>{title}</h1>
<p>source: {e(str(doc.get('source')))} · {n['confirmed']} confirmed, {n['review']} to review, {n['repaired']} repaired</p>
<h2>Cells to review ({len(rows)})</h2>
<table><tr><th>cell</th><th>value</th><th>text</th><th>confidence</th><th>where</th><th>note</th></tr>
{''.join(rows) or '<tr><td colspan="6">none</td></tr>'}</table>
<h2>Repairs ({len(reps)})</h2>
<table><tr><th>cell</th><th>printed</th><th>was</th><th>chosen</th><th>kind</th><th>why</th></tr>
{''.join(reps) or '<tr><td colspan="6">none</td></tr>'}</table>
<img src="data:image/png;base64,{png}" alt="the cells over the source pages">
</body></html>
"""
