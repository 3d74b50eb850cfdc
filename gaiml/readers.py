"""Read a report file of any archived format into plain text: .txt, .html/.htm, .pdf, .docx.

Every span gaiml outputs is an offset into the text returned here, so for anything but .txt
the text is gaiml's own rendering of the file (``gaiml extract --with-text`` writes it out).
Tables are rendered one row per line with a tab between cells, blank cells kept, which the
rule engine reads like any tab-separated report.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from .errors import InputError
from .text import decode_report, read_report

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + (".pdf", ".docx")
# A PDF page with fewer printable characters than this has no usable text layer: a scan.
MIN_TEXT_PER_PAGE = 20
OCR_DPI = 200


def read_document(path: str | Path) -> tuple[str, str]:
    """Read one report file: (text, what it was read as).

    The second item is the text encoding for .txt (``gb18030``), and the format plus how for the
    others (``html:gb18030``, ``pdf:text``, ``pdf:ocr``, ``docx``).

    Raises
    ------
    InputError naming the file: missing, unsupported type, broken, encrypted or empty.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(str(path), f"unsupported file type {suffix or '(none)'!r}; gaiml reads {', '.join(SUFFIXES)}")
    if suffix in TEXT_SUFFIXES:
        return read_report(path)
    data = _read_bytes(path)
    if not data.strip():
        raise InputError(str(path), "empty file")
    if suffix in HTML_SUFFIXES:
        return read_html(data, str(path))
    if suffix == ".pdf":
        return read_pdf(path)
    return read_docx(path)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError(str(path), "no such file")
    if path.is_dir():
        raise InputError(str(path), "is a folder, not a report file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from exc


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
    return decode_report(data, source)


def _cell_text(cell) -> str:
    return " ".join(cell.get_text(" ").split())


def _tidy(text: str) -> str:
    """Strip each line's trailing spaces and collapse runs of blank lines that markup leaves.
    Tabs stay: a row ending in a tab ends in a blank cell."""
    lines = [line.rstrip(" \u3000\xa0\r") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


# ------------------------------------------------------------------ PDF

def read_pdf(path: Path) -> tuple[str, str]:
    """A PDF's text layer (pdfplumber); a scan without one goes through OCR."""
    pages = _pdf_text_pages(path)
    if sum(len(p.strip()) for p in pages) >= MIN_TEXT_PER_PAGE * len(pages):
        return _tidy("\n\n".join(pages)), "pdf:text"
    text = ocr_pdf(path)
    if not text.strip():
        raise InputError(str(path), "scanned PDF: OCR found no text")
    return text, "pdf:ocr"


def _pdf_text_pages(path: Path) -> list[str]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(path) as pdf:
            return [page.extract_text(layout=False) or "" for page in pdf.pages]
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect):
            raise InputError(str(path), "encrypted PDF (needs a password)") from exc
        raise InputError(str(path), f"broken PDF ({type(cause).__name__}: {cause})") from exc
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        raise InputError(str(path), f"broken PDF ({type(exc).__name__}: {exc})") from exc


def ocr_pdf(path: Path) -> str:
    """Rasterise each page (pdftoppm -r 200 -gray) and read it with RapidOCR, page by page."""
    if shutil.which("pdftoppm") is None:
        raise InputError(str(path), "scanned PDF needs OCR, but pdftoppm (Debian poppler-utils) is not installed")
    with tempfile.TemporaryDirectory(prefix="gaiml-ocr-") as tmp:
        done = subprocess.run(["pdftoppm", "-r", str(OCR_DPI), "-gray", "-png", str(path), f"{tmp}/page"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise InputError(str(path), f"scanned PDF cannot be rasterised ({done.stderr.strip()[:200]})")
        images = sorted(Path(tmp).glob("page*.png"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1]))
        return "\n\n".join(ocr_image(image) for image in images)


@cache
def _ocr_engine():
    """One RapidOCR per process (its models load in seconds); one thread: workers parallelise."""
    from rapidocr import RapidOCR

    return RapidOCR(params={"EngineConfig.onnxruntime.intra_op_num_threads": 1,
                            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                            "Global.log_level": "error"})


def ocr_image(image: Path) -> str:
    """The text of one page image, boxes grouped into lines and placed by their x position."""
    result = _ocr_engine()(str(image))
    if result.boxes is None or not len(result.boxes):
        return ""
    boxes = [(min(p[0] for p in box), (min(p[1] for p in box) + max(p[1] for p in box)) / 2,
              max(p[1] for p in box) - min(p[1] for p in box), text)
             for box, text in zip(result.boxes.tolist(), result.txts)]
    return "\n".join(_layout_line(line) for line in _group_lines(boxes))


def _group_lines(boxes):
    """Boxes whose vertical centres lie within half a box height of each other form a line."""
    lines: list[list] = []
    for box in sorted(boxes, key=lambda b: b[1]):
        if lines and abs(box[1] - lines[-1][-1][1]) < max(box[2], lines[-1][-1][2]) / 2:
            lines[-1].append(box)
        else:
            lines.append([box])
    return [sorted(line) for line in lines]


def _layout_line(line) -> str:
    """Cells apart by a tab, as a table row is rendered everywhere else in this module."""
    return "\t".join(text for _, _, _, text in line)


# ------------------------------------------------------------------ DOCX

def read_docx(path: Path) -> tuple[str, str]:
    """A Word file's paragraphs and tables in document order; a table row per line, cells by tab."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

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
