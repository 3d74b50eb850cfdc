"""Reports as real PDF files, made the way offices make them (styles whose raw input is a ``.pdf``).

* ``pdf_template``: the official 2021 Word template (``../shared/templates/template-2021.docx``,
  read in place, never copied into the repository) filled with python-docx — title, the prose of
  ``prose.py``, every table cell with its printed text — and converted by LibreOffice
  (``soffice --headless --convert-to pdf``, one soffice process per batch of documents).
* ``pdf_reportlab``: the reportlab PDF that ``pdf.py`` reads with pdftotext, saved as it is
  (the real document only, no probe variants).
* ``scan_template`` / ``scan_template_rough``: clean and rough scans of ``pdf_template`` PDFs,
  image-only PDFs (``scan.py``).

These styles have no fixed text, so their gold has no spans. They are written by
``python -m training.synth benchmark --styles pdf_template,...`` and are not part of the
training mix (``dataset.all_styles()``).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from gaiml import schema

from .content import Report, sample_report
from .doc import Para, Table
from .layout import report_to_layout
from .styles import FILE_STYLES  # noqa: F401  (re-exported)

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_2021 = REPO.parent / "shared" / "templates" / "template-2021.docx"

# a block of seeds of its own for each file style (split_plan gives text style k the block k)
_SEED_BLOCK = {"pdf_template": 40, "pdf_reportlab": 41, "scan_template": 42, "scan_template_rough": 43}
# documents per style: benchmark split, development split
DEFAULT_COUNTS = {
    "benchmark": {"pdf_template": 30, "pdf_reportlab": 30, "scan_template": 15, "scan_template_rough": 15},
    "dev": {"pdf_template": 20, "pdf_reportlab": 20, "scan_template": 10, "scan_template_rough": 10},
}


def counts(styles: list[str], split: str, per_style: int | None = None) -> dict[str, int]:
    """Documents per file style: the split's defaults, or ``per_style`` (half that for scans)."""
    if per_style is None:
        return {s: DEFAULT_COUNTS[split][s] for s in styles}
    return {s: per_style if s.startswith("pdf_") else (per_style + 1) // 2 for s in styles}

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# column widths in twips (1/1440 in) per table; the template's own grid, jittered per document
_GRID = {
    0: [2435, 2435, 2435, 2435],
    1: [754, 921, 3271] + [685] * 7,
    2: [649] * 7 + [650] * 8,
}


def uses_template(style: str) -> bool:
    return style != "pdf_reportlab"


def fits_template(report: Report) -> bool:
    """The template is the 2021 form with （六）其他处理 in three sub-rows."""
    return report.template == "2021" and report.other_form == "split"


def style_seeds(style: str, n: int, seed0: int) -> list[int]:
    """The first ``n`` seeds of the style's block whose report the style can print."""
    base = seed0 + _SEED_BLOCK[style] * 100_000
    out, j = [], 0
    while len(out) < n:
        seed = base + j
        j += 1
        if not uses_template(style) or fits_template(sample_report(seed)):
            out.append(seed)
    return out


def gold(report: Report, doc_id: str, style: str) -> dict:
    """The gold file: the same fields as the text styles' gold, without spans."""
    return {"doc_id": doc_id, "template": report.template, "year": report.year, "agency": report.agency,
            "cells": dict(report.cells), "style": style, "other_form": report.other_form}


# ---------------------------------------------------------------- filling the Word template


def _set_text(paragraph, text: str, rpr=None) -> None:
    """Replace a paragraph's runs by one run of ``text`` (keeping the first run's formatting)."""
    p = paragraph._p if hasattr(paragraph, "_p") else paragraph
    runs = p.findall(_W + "r")
    keep = copy.deepcopy(runs[0].find(_W + "rPr")) if runs and runs[0].find(_W + "rPr") is not None else None
    if keep is None and rpr is not None:
        keep = copy.deepcopy(rpr)
    for r in runs:
        p.remove(r)
    for h in p.findall(_W + "hyperlink"):
        p.remove(h)
    if not text:
        return
    from docx.oxml import OxmlElement

    run = OxmlElement("w:r")
    if keep is not None:
        run.append(keep)
    t = OxmlElement("w:t")
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(t)
    p.append(run)


def _clone_after(anchor, text: str):
    """A copy of paragraph element ``anchor`` holding ``text``, inserted after it; returns it."""
    new = copy.deepcopy(anchor)
    anchor.addnext(new)
    _set_text(new, text)
    return new


def _tcs(tr) -> list:
    return tr.findall(_W + "tc")


def _set_widths(table, grid: list[int]) -> None:
    """Explicit widths: tblGrid, every cell's tcW (sum over its gridSpan) and the table width.
    LibreOffice lays the table out from these (python-docx leaves them stale otherwise)."""
    from docx.shared import Twips

    tbl = table._tbl
    for col, w in zip(tbl.tblGrid.findall(_W + "gridCol"), grid):
        col.set(_W + "w", str(w))
    for i, col in enumerate(table.columns):
        col.width = Twips(grid[i])
    for tr in tbl.findall(_W + "tr"):
        c = 0
        for tc in _tcs(tr):
            pr = tc.find(_W + "tcPr")
            span_el = pr.find(_W + "gridSpan") if pr is not None else None
            span = int(span_el.get(_W + "val")) if span_el is not None else 1
            tcw = pr.find(_W + "tcW") if pr is not None else None
            if tcw is not None:
                tcw.set(_W + "w", str(sum(grid[c:c + span])))
                tcw.set(_W + "type", "dxa")
            c += span
    tblw = tbl.tblPr.find(_W + "tblW")
    if tblw is not None:
        tblw.set(_W + "w", str(sum(grid)))
        tblw.set(_W + "type", "dxa")


def _value_cells(report: Report) -> list[list[tuple[int, list[str]]]]:
    """For tables 0-2 of the template: (row index, cell keys of that row's last value cells)."""
    t2 = [(2, ["t2.rules.issued", "t2.rules.repealed", "t2.rules.in_force"]),
          (3, ["t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force"]),
          (6, ["t2.licensing.decisions"]), (9, ["t2.penalty.decisions"]), (10, ["t2.coercion.decisions"]),
          (13, ["t2.fees.amount"])]
    t3_rows = schema.tables(report.template, report.other_form)[1].rows
    t3 = [(3 + i, [f"t3.{row.key}.{c.key}" for c in schema.T3_COLUMNS]) for i, row in enumerate(t3_rows)]
    t4 = [(3, [f"t4.{g.key}.{f.key}" for g in schema.T4_GROUPS for f in schema.T4_FIELDS])]
    return [t2, t3, t4]


def _cell_rpr():
    from docx.oxml import parse_xml

    return parse_xml(
        f'<w:rPr xmlns:w="{_W[1:-1]}"><w:rFonts w:hint="eastAsia" w:ascii="宋体" w:hAnsi="宋体" '
        'w:eastAsia="宋体" w:cs="宋体"/><w:kern w:val="0"/><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr>')


def layout_cell_texts(layout) -> dict[str, str]:
    """The printed text of every figure cell of ``layout`` that has a figure, by cell key (a probe
    variant's layout gives its code digits)."""
    out = {}
    for table in layout.tables():
        for row in table.rows:
            for cell in row:
                for seg in cell.segments:
                    if seg.item is not None and layout.items[seg.item].kind == "cell":
                        out[layout.items[seg.item].key] = cell.text
    return out


def _page_footer(document, fmt: str) -> None:
    """A centred page-number footer ("— {n} —") on every section: a PAGE field."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml

    before, after = fmt.split("{n}")
    for section in document.sections:
        footer = section.footer
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        for r in list(p._p.findall(_W + "r")):
            p._p.remove(r)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if before:
            p.add_run(before)
        p._p.append(parse_xml(f'<w:fldSimple xmlns:w="{_W[1:-1]}" w:instr=" PAGE "><w:r><w:t>1</w:t></w:r>'
                              '</w:fldSimple>'))
        if after:
            p.add_run(after)


def fill_template(report: Report, rng: np.random.Generator, out: Path, layout=None,
                  footer: str | None = None, title_break: bool = False) -> None:
    """Write ``report`` into a copy of the 2021 Word template at ``out`` (.docx).

    ``layout``: print this layout of the report instead (a probe variant: same text with code
    digits and hanzi, see probe.py); ``footer``: page numbers like "— {n} —" in the footer;
    ``title_break``: the title on two lines, the agency on the first."""
    import docx

    assert fits_template(report), (report.template, report.other_form)
    if layout is None:
        layout = report_to_layout(report, np.random.default_rng([report.seed, 1]))
    cell_texts = layout_cell_texts(layout)
    document = docx.Document(str(TEMPLATE_2021))
    paras = document.paragraphs
    # the prose of the layout, by where it stands: before 表二 (intro, 一、总体情况 and its
    # sections, the heading 二), after 表四 (heading 五, its text, heading 六, its text, signature)
    blocks = layout.blocks
    first = next(i for i, b in enumerate(blocks) if isinstance(b, Table))
    last = max(i for i, b in enumerate(blocks) if isinstance(b, Table))
    pre = [b.text for b in blocks[:first] if isinstance(b, Para)]
    post = [b.text for b in blocks[last + 1:] if isinstance(b, Para)]
    intro, sections = pre[0], pre[2:-1]
    five, six, sig = post[1], post[3], post[4:]

    _set_text(paras[1], layout.title.text)
    if title_break:  # the agency on a line of its own: "某某局\n2024年度政府信息公开工作年度报告"
        segs = layout.title.segments
        cut = next((i + 1 for i, sg in enumerate(segs)
                    if sg.item is not None and layout.items[sg.item].kind == "agency"), 0)
        head, tail = "".join(sg.text for sg in segs[:cut]), "".join(sg.text for sg in segs[cut:]).strip()
        if head and tail:
            from docx.oxml import OxmlElement

            _set_text(paras[1], head)
            run = paras[1]._p.findall(_W + "r")[-1]
            run.append(OxmlElement("w:br"))
            t = OxmlElement("w:t")
            t.text = tail
            run.append(t)
    body_rpr = paras[4].runs[0]._r.find(_W + "rPr") if paras[4].runs else None
    _set_text(paras[2], intro, body_rpr)  # the empty paragraph above 一、总体情况
    anchor = paras[4]._p  # （文字描述） of 一、总体情况
    _set_text(anchor, sections[0] if sections else "")
    for t in sections[1:]:
        anchor = _clone_after(anchor, t)
    _set_text(paras[29], five)
    _set_text(paras[31], six)
    anchor = paras[31]._p
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.text.paragraph import Paragraph as DocxParagraph

    for t in sig:  # the agency and the date, right-aligned
        anchor = _clone_after(anchor, t)
        pr = anchor.find(_W + "pPr")
        if pr is not None:
            for ind in pr.findall(_W + "ind"):
                pr.remove(ind)
        DocxParagraph(anchor, paras[31]._parent).alignment = WD_ALIGN_PARAGRAPH.RIGHT

    # tables: every figure cell gets its printed text
    rpr = _cell_rpr()
    scale = float(rng.uniform(0.96, 1.0))
    centre = rng.random() < 0.7  # figures centred, or as the template leaves them (mostly left)
    for ti, (table, cells) in enumerate(zip(document.tables, _value_cells(report))):
        trs = table._tbl.findall(_W + "tr")
        for r, keys in cells:
            tcs = _tcs(trs[r])[-len(keys):]
            for tc, key in zip(tcs, keys):
                ps = tc.findall(_W + "p")
                for extra in ps[1:]:
                    tc.remove(extra)
                _set_text(ps[0], cell_texts.get(key, report.printed[key].text), rpr)
                if centre:
                    DocxParagraph(ps[0], None).alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_widths(table, [int(w * scale) for w in _GRID[ti]])
    if footer:
        _page_footer(document, footer)
    document.save(str(out))


# ---------------------------------------------------------------- LibreOffice


# The template asks for 宋体 / 楷体 (SimSun, KaiTi), which Linux lacks; without help LibreOffice
# falls back to a sans face. Map them to the serif Noto CJK SC face, as a Windows office's
# SimSun would print (fonts-noto-cjk).
_SERIF = "Noto Serif CJK SC"
_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
""" + "".join(f"""  <alias binding="same"><family>{name}</family><prefer><family>{_SERIF}</family></prefer></alias>
""" for name in ("宋体", "SimSun", "新宋体", "NSimSun", "楷体", "KaiTi", "仿宋", "FangSong", "仿宋_GB2312")) + """</fontconfig>
"""


def soffice_convert(docx_files: list[Path], outdir: Path, timeout: int = 1800) -> list[Path]:
    """Convert Word files to PDF with one headless LibreOffice process (a private profile, so
    parallel runs do not clash); returns the PDF paths in order."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise RuntimeError("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gaiml_lo_") as profile:
        conf = Path(profile) / "fonts.conf"
        conf.write_text(_FONTS_CONF, encoding="utf-8")
        env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}/lo", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(outdir), *map(str, docx_files)],
                       check=True, capture_output=True, timeout=timeout, env=env)
    pdfs = [outdir / (f.stem + ".pdf") for f in docx_files]
    missing = [p.name for p in pdfs if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice wrote no PDF for {missing}")
    return pdfs


def reportlab_pdf(report: Report) -> bytes:
    from .pdf import layouts_to_pdf

    layout = report_to_layout(report, np.random.default_rng([report.seed, 1]))
    return layouts_to_pdf([layout], report.seed)


# ---------------------------------------------------------------- documents of one style


def make_documents(style: str, seeds: list[int], outdir: Path) -> tuple[list[tuple[str, Path, dict]], float]:
    """Render the documents of ``seeds`` in ``style`` into ``outdir`` as ``<doc_id>.pdf``.

    Returns [(doc_id, pdf path, gold)] and the wall seconds spent."""
    from . import scan

    t0 = time.perf_counter()
    outdir.mkdir(parents=True, exist_ok=True)
    reports = [sample_report(s, f"{style}_{s}") for s in seeds]
    out = []
    if style == "pdf_reportlab":
        for r in reports:
            path = outdir / f"{r.doc_id}.pdf"
            path.write_bytes(reportlab_pdf(r))
            out.append((r.doc_id, path, gold(r, r.doc_id, style)))
        return out, time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="gaiml_docx_") as tmp:
        tmp = Path(tmp)
        docs = []
        for r in reports:
            d = tmp / f"{r.doc_id}.docx"
            fill_template(r, np.random.default_rng([r.seed, 11]), d)
            docs.append(d)
        pdf_dir = outdir if style == "pdf_template" else tmp / "pdf"
        pdfs = soffice_convert(docs, pdf_dir)
        for r, p in zip(reports, pdfs):
            if style == "pdf_template":
                path = p
            else:
                path = outdir / f"{r.doc_id}.pdf"
                rng = np.random.default_rng([r.seed, 12])
                data = scan.clean_scan(p, rng) if style == "scan_template" else scan.rough_scan(p, rng)
                path.write_bytes(data)
            out.append((r.doc_id, path, gold(r, r.doc_id, style)))
    return out, time.perf_counter() - t0


def write_split(root: Path, counts: dict[str, int], seed0: int) -> dict:
    """raw/<doc_id>.pdf and gold/<doc_id>.json for each file style; returns timing stats."""
    (root / "raw").mkdir(parents=True, exist_ok=True)
    (root / "gold").mkdir(parents=True, exist_ok=True)
    stats = {}
    for style, n in counts.items():
        if not n:
            continue
        seeds = style_seeds(style, n, seed0)
        docs, wall = make_documents(style, seeds, root / "raw")
        for doc_id, path, g in docs:
            (root / "gold" / f"{doc_id}.json").write_text(json.dumps(g, ensure_ascii=False, indent=1) + "\n",
                                                         encoding="utf-8")
        size = sum(p.stat().st_size for _, p, _ in docs)
        stats[style] = {"documents": len(docs), "wall_seconds": round(wall, 1),
                        "seconds_per_doc": round(wall / max(len(docs), 1), 2), "bytes": size}
    return stats
