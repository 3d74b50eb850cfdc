"""Layout -> an HTML page with the official table structure -> text through real converters.

Converters: BeautifulSoup ``get_text("\\n")``, ``html2text``, ``lynx -dump``, ``w3m -dump``,
``pandoc -t plain``. Several documents (the real one and its probe variants) are converted in
one call, separated by a marker paragraph, so a subprocess starts once per document.
"""

from __future__ import annotations

import html as htmlesc
import subprocess

from .doc import Layout, Para, Table

SPLIT = "QQXSPLITXQQ"


def _cell_html(cell, rng) -> str:
    tag = "th" if cell.role == "header" and rng.random() < 0.5 else "td"
    attrs = ""
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    return f"<{tag}{attrs}>{htmlesc.escape(cell.text)}</{tag}>"


def _table_html(table: Table, rng) -> str:
    rows = "\n".join("<tr>" + "".join(_cell_html(c, rng) for c in row) + "</tr>" for row in table.rows)
    return f'<table border="1" cellspacing="0">\n{rows}\n</table>'


def _para_html(para: Para, rng) -> str:
    text = htmlesc.escape(para.text)
    if para.heading:
        return f"<h3>{text}</h3>" if rng.random() < 0.5 else f"<p><strong>{text}</strong></p>"
    return f"<p>{text}</p>"


def layout_to_html(layout: Layout, rng) -> str:
    """The body HTML of one document (no <html> wrapper)."""
    parts = [f"<h2>{htmlesc.escape(layout.title.text)}</h2>"]
    for block in layout.blocks:
        parts.append(_table_html(block, rng) if isinstance(block, Table) else _para_html(block, rng))
    return "\n".join(parts)


def join_pages(bodies: list[str]) -> str:
    sep = f"\n<p>{SPLIT}</p>\n"
    return ('<html><head><meta charset="utf-8"></head><body>\n'
            + sep.join(bodies) + "\n</body></html>")


def split_text(text: str, n: int) -> list[str]:
    """Cut a converter's output at the marker lines; blank lines around each part dropped."""
    parts: list[list[str]] = [[]]
    for line in text.split("\n"):
        if SPLIT in line:
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) != n:
        raise RuntimeError(f"converter output has {len(parts)} parts, expected {n}")
    out = []
    for lines in parts:
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        out.append("\n".join(lines) + "\n")
    return out


def _run(cmd: list[str], data: str) -> str:
    return subprocess.run(cmd, input=data.encode("utf-8"), capture_output=True, check=True,
                          timeout=120).stdout.decode("utf-8", errors="replace")


def bs4_text(page: str, rng) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(page, "html.parser").get_text("\n")


def html2text_text(page: str, rng) -> str:
    import html2text

    h = html2text.HTML2Text()
    h.body_width = int(rng.choice([0, 78, 120]))
    h.unicode_snob = True
    return h.handle(page)


def lynx_text(page: str, rng) -> str:
    width = int(rng.choice([80, 120, 160, 200]))
    return _run(["lynx", "-dump", "-nolist", "-stdin", f"-width={width}", "-assume_charset=utf-8",
                 "-display_charset=utf-8"], page)


def w3m_text(page: str, rng) -> str:
    cols = int(rng.choice([80, 120, 160, 200]))
    return _run(["w3m", "-dump", "-T", "text/html", "-cols", str(cols), "-I", "UTF-8", "-O", "UTF-8"], page)


def pandoc_text(page: str, rng) -> str:
    cols = int(rng.choice([72, 100, 140]))
    return _run(["pandoc", "-f", "html", "-t", "plain", f"--columns={cols}"], page)


HTML_CONVERTERS = {
    "html_bs4": bs4_text,
    "html2text": html2text_text,
    "lynx": lynx_text,
    "w3m": w3m_text,
    "pandoc": pandoc_text,
}
