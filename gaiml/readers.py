"""Read a report file of any archived format into plain text: .txt, .html/.htm, .pdf, .docx.

Every span gaiml outputs is an offset into the text returned here, so for anything but .txt
the text is gaiml's own rendering of the file (``gaiml extract --with-text`` writes it out).
Tables are rendered one row per line with a tab between cells, blank cells kept, which the
rule engine reads like any tab-separated report. A PDF's tables are read by the grid drawn on
the page (``gaiml/pages/``), and the rendered text remembers where each cell stands.

A PDF is read in three steps: ``plan_pdf`` (open it, read the text-layer pages, list the pages to
OCR), ``read_ocr_page`` for each of those (seconds a page), ``finish_pdf`` (render them all). Here
the pages are read one after another; ``gaiml extract --ray`` reads them as Ray tasks of their own
with the same three functions, so a scan reads the same either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .pages import PageContent, Rendered, render_pages
from .text import (LimitError, check_deadline, check_text_size, decode_report_notes, limit, read_file_bytes,
                   read_report_notes)

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + (".pdf", ".docx")


@dataclass
class ReadDocument:
    """A report file as read: its text, how it was read, and for PDFs its pages and where each
    rendered table cell stands on them.

    ``read_as`` is the text encoding for .txt (``gb18030``), and the format plus how for the
    others: ``html:<charset>``, ``docx``, ``pdf:grid`` (tables read by their ruling lines),
    ``pdf:text`` (no ruled table found: the PDF's text stream), ``pdf:ocr`` (every page a scan)
    or ``pdf:grid+ocr`` (some pages read by OCR).
    """

    text: str
    read_as: str | None
    layout: Rendered | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def read_by_ocr(self) -> bool:
        return self.layout is not None and any(p.read == "ocr" for p in self.layout.pages)


def read_document(path: str | Path) -> ReadDocument:
    """Read one report file.

    Raises
    ------
    InputError naming the file: missing, unsupported type, broken, encrypted or empty.
    """
    return _read_ocr_here(open_document(path))


def open_document(path: str | Path) -> ReadDocument | ScanPlan:
    """Read one report file as far as it goes without OCR: the document, or for a PDF with pages
    to OCR the ``ScanPlan`` of those pages (``read_document`` reads them one after another,
    ``gaiml extract --ray`` as a Ray task each). Raises as ``read_document``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(str(path), f"unsupported file type {suffix or '(none)'!r}; gaiml reads {', '.join(SUFFIXES)}")
    if suffix in TEXT_SUFFIXES:
        text, encoding, notes = read_report_notes(path)
        return ReadDocument(text, encoding, notes=notes)
    if suffix in HTML_SUFFIXES:
        data = read_file_bytes(path, min(limit("file_bytes"), limit("markup_bytes")),
                               "markup_bytes" if limit("markup_bytes") < limit("file_bytes") else "file_bytes")
    else:
        data = read_file_bytes(path)  # refuses FIFOs, devices, dangling links and files over the limit
    if not data.strip():
        raise InputError(str(path), "empty file")
    if suffix in HTML_SUFFIXES:
        document = ReadDocument(*read_html(data, str(path)))
    elif suffix == ".pdf":
        return plan_pdf(path)  # finish_pdf checks the text's size, once the pages are read
    else:
        document = ReadDocument(*read_docx(path))
    check_text_size(document.text, str(path))
    return document


# ------------------------------------------------------------------ HTML

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
# Pages declare gb2312 or gbk but use characters beyond them; gb18030 is a superset of both.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}
_BLOCKS_DROPPED = ("script", "style", "noscript", "template", "head")


def read_html(data: bytes, source: str) -> tuple[str, str]:
    """A saved web page: charset from its meta tag, else sniffed; tables one row per line."""
    from bs4 import BeautifulSoup

    markup, encoding = _decode_html(data, source)
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(_BLOCKS_DROPPED):
        tag.decompose()
    # Innermost tables first, so a layout table around the report table sees plain text.
    for table in reversed(soup.find_all("table")):
        rows = ["\t".join(_cell_text(cell) for cell in tr.find_all(["td", "th"], recursive=False))
                for tr in table.find_all("tr")]
        table.replace_with("\n" + "\n".join(rows) + "\n")
    text = _tidy(soup.get_text("\n"))
    if not text.strip():
        raise InputError(source, "HTML page without text")
    return text, f"html:{encoding}"


def _decode_html(data: bytes, source: str) -> tuple[str, str]:
    declared = _META_CHARSET.search(data[:8192])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        name = _CHARSET_ALIASES.get(name, name)
        try:
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common: sniff instead
    text, encoding, _ = decode_report_notes(data, source)
    return text, encoding


def _cell_text(cell) -> str:
    return " ".join(cell.get_text(" ").split())


def _tidy(text: str) -> str:
    """Strip each line's trailing spaces and collapse runs of blank lines that markup leaves.
    Tabs stay: a row ending in a tab ends in a blank cell."""
    lines = [line.rstrip(" \u3000\xa0\r") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


# ------------------------------------------------------------------ PDF

@dataclass
class ScanPlan:
    """A PDF read as far as it goes without OCR: ``pages`` read from their text layer, the page
    numbers ``to_ocr`` still to read by OCR (``read_ocr_page`` each: the costly part, seconds a
    page), and what ``finish_pdf`` needs to put them together."""

    path: Path
    n_pages: int
    pages: dict[int, PageContent]
    to_ocr: list[int]
    notes: list[str]


def read_pdf(path: Path) -> ReadDocument:
    """A PDF, page by page: a page with a usable text layer by its ruling lines and characters, a
    scanned page (or one whose text layer is broken) by OCR of its image. Without a ruled table
    on any text page the tables come from the text stream, as a PDF copy-paste gives them."""
    return _read_ocr_here(plan_pdf(path))


def plan_pdf(path: Path) -> ReadDocument | ScanPlan:
    """The first step of ``read_pdf``: the PDF opened and its text-layer pages read; the document
    itself when no page needs OCR, else the ``ScanPlan`` of the pages that do."""
    from .pages.pdf_text import read_text_page, text_layer_problem

    notes: list[str] = []
    pages: dict[int, PageContent] = {}
    to_ocr: list[int] = []
    with _open_pdf(path) as pdf:
        n_pages = len(pdf.pages)
        if n_pages > limit("pages"):
            raise LimitError(str(path), f"PDF of {n_pages:,} pages", "pages")
        for page in pdf.pages:
            check_deadline(str(path))
            _check_page_size(page, str(path))
            try:
                problem = text_layer_problem(page)
                if problem is None:
                    pages[page.page_number] = read_text_page(page)
                    continue
            except Exception as exc:  # pdfminer raises many unrelated types on damaged pages
                problem = f"{type(exc).__name__}: {exc}"
            to_ocr.append(page.page_number)
            if problem != "no text layer":
                notes.append(f"page {page.page_number}: text layer unusable ({problem}); read by OCR")
        if not to_ocr and not any(p.info.tables for p in pages.values()):
            notes.append("no ruled table found: tables read from the PDF's text stream")
            stream = "\n\n".join(page.extract_text(layout=False) or "" for page in pdf.pages)
            return ReadDocument(_tidy(stream), "pdf:text", notes=notes)
    if len(to_ocr) > limit("ocr_pages"):
        raise LimitError(str(path), f"{len(to_ocr)} pages to read by OCR", "ocr_pages")
    plan = ScanPlan(path, n_pages, pages, to_ocr, notes)
    return plan if to_ocr else finish_pdf(plan, [])


def _read_ocr_here(opened: ReadDocument | ScanPlan) -> ReadDocument:
    """The document, a ``ScanPlan``'s pages read by OCR in this process one after another (so a
    time limit stops between pages)."""
    if not isinstance(opened, ScanPlan):
        return opened
    pages = []
    for number in opened.to_ocr:
        check_deadline(str(opened.path))
        pages.append(read_ocr_page(opened.path, number))
    return finish_pdf(opened, pages)


def read_ocr_page(path: str | Path, number: int) -> PageContent:
    """Page ``number`` (1-based) of the PDF at ``path``, rasterised and read by OCR."""
    from .pages.scan import read_scanned_pdf

    content, = read_scanned_pdf(path, [number])
    return content


def finish_pdf(plan: ScanPlan, ocr_pages: list[PageContent]) -> ReadDocument:
    """The last step of ``read_pdf``: the text-layer pages of ``plan`` and its pages read by OCR
    (``read_ocr_page``, in ``plan.to_ocr``'s order) rendered into the document's text."""
    pages = dict(plan.pages)
    for content in ocr_pages:
        pages[content.info.page] = content
    ordered = [pages[n] for n in sorted(pages)]
    notes = list(plan.notes)
    if not any(p.info.tables for p in ordered):
        notes.append("no ruled table found on the scanned pages: their text read line by line")
    layout = render_pages(ordered)
    scanned = len(plan.to_ocr)
    if not layout.text.strip():
        raise InputError(str(plan.path), "scanned PDF: OCR found no text" if scanned == plan.n_pages
                         else "PDF without text")
    read_as = "pdf:ocr" if scanned == plan.n_pages else "pdf:grid+ocr" if scanned else "pdf:grid"
    document = ReadDocument(layout.text, read_as, layout, notes)
    check_text_size(document.text, str(plan.path))
    return document


def _check_page_size(page, source: str) -> None:
    """LimitError for a page drawn with more objects than the page_objects limit (the table finder's
    work grows with them)."""
    try:
        objects = page.objects
    except Exception:  # a damaged page: reading it fails later, and it goes to OCR
        return
    n = sum(len(objects.get(kind, ())) for kind in ("char", "line", "rect", "curve"))
    if n > limit("page_objects"):
        raise LimitError(source, f"page {page.page_number} draws {n:,} objects", "page_objects")


def _open_pdf(path: Path):
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(path)
        pdf.pages  # parses the page tree: a broken file fails here, not halfway through
        return pdf
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect):
            raise InputError(str(path), "encrypted PDF (needs a password)") from exc
        raise InputError(str(path), f"broken PDF ({type(cause).__name__}: {cause})") from exc
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        raise InputError(str(path), f"broken PDF ({type(exc).__name__}: {exc})") from exc


# ------------------------------------------------------------------ DOCX

def _check_unpacked_size(path: Path) -> None:
    """Refuse a DOCX whose parts unpack to more than the markup_bytes limit (a zip bomb) before
    python-docx unpacks it. zipfile stops reading a part at its declared size, so the sum of the
    declared sizes bounds what is unpacked."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(str(path), f"broken DOCX ({type(exc).__name__}: {exc})") from exc
    total = sum(info.file_size for info in infos)
    if total > limit("markup_bytes"):
        raise LimitError(str(path), f"DOCX unpacking to {total:,} bytes ({len(infos)} parts)", "markup_bytes")
    if len(infos) > 10_000:
        raise InputError(str(path), f"broken DOCX ({len(infos):,} parts in one package)")


def read_docx(path: Path) -> tuple[str, str]:
    """A Word file's paragraphs and tables in document order; a table row per line, cells by tab."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

    _check_unpacked_size(path)
    try:
        document = docx.Document(str(path))
    except PackageNotFoundError as exc:
        raise InputError(str(path), "broken DOCX (not a Word package)") from exc
    except Exception as exc:  # zipfile and lxml errors on damaged files
        raise InputError(str(path), f"broken DOCX ({type(exc).__name__}: {exc})") from exc
    lines = []
    for block in document.element.body.iterchildren():
        if block.tag.endswith("}p"):
            lines.append(Paragraph(block, document).text)
        elif block.tag.endswith("}tbl"):
            table = Table(block, document)
            # The physical cells of each row: a merged cell once, a vertically merged one blank below.
            for tr in table._tbl.tr_lst:
                lines.append("\t".join(" ".join(_Cell(tc, table).text.split()) for tc in tr.tc_lst))
    text = _tidy("\n".join(lines))
    if not text.strip():
        raise InputError(str(path), "DOCX without text")
    return text, "docx"
