"""Read a report into text, fold look-alike forms one character for one, and index its lines.

Offsets everywhere in gaiml are code-point offsets into the text as read (decoded, nothing
else changed). Folding is strictly 1:1 so an index into the folded text is an index into the
original; the compact view used for label matching keeps an explicit map back.
"""

from __future__ import annotations

import codecs
import os
import stat
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# ------------------------------------------------------------------ limits
#
# Every cost of reading and extracting a report is bounded by these limits (README "Limits").
# Each can be raised: by the environment variable named, or `gaiml extract|serve --limit NAME=N`.
# Defaults are far above any real report (the longest seen: ~60,000 characters, 40 pages).

LIMITS = {
    # name: (environment variable, default, what it bounds)
    "chars": ("GAIML_MAX_CHARS", 500_000, "characters of text in one report"),
    "file_bytes": ("GAIML_MAX_FILE_BYTES", 64 * 1024 * 1024, "bytes of one input file"),
    "markup_bytes": ("GAIML_MAX_MARKUP_BYTES", 32 * 1024 * 1024,
                     "bytes of an HTML page, and of a DOCX unpacked (all its parts together)"),
    "pages": ("GAIML_MAX_PAGES", 300, "pages of one PDF"),
    "ocr_pages": ("GAIML_MAX_OCR_PAGES", 40, "pages of one PDF read by OCR (scanned pages)"),
    "page_objects": ("GAIML_MAX_PAGE_OBJECTS", 200_000, "characters, lines and boxes drawn on one PDF page"),
    "digits": ("GAIML_MAX_DIGITS", 30, "digits of one figure (a count or an amount)"),
    "seconds": ("GAIML_TIMEOUT", 600, "seconds of extraction for one report (gaiml extract; serve: --timeout)"),
}


class LimitError(InputError):
    """A report over one of the limits above: the message names the limit and how to raise it."""

    def __init__(self, source: str, problem: str, name: str):
        self.limit = name
        super().__init__(source, f"{problem}; over the limit of {limit(name):,} {LIMITS[name][2]} "
                                 f"(raise it with {LIMITS[name][0]}=N or --limit {name}=N)")


def limit(name: str) -> int:
    """The limit in force: its environment variable when set to a positive integer, else the default."""
    variable, default, _ = LIMITS[name]
    raw = os.environ.get(variable, "").strip().replace("_", "").replace(",", "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def parse_limit(item: str) -> tuple[str, str]:
    """``chars=1000000`` -> (environment variable, value); ValueError naming the known limits."""
    name, sep, value = item.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in LIMITS:
        raise ValueError(f"expected NAME=N with NAME one of {', '.join(LIMITS)}; got {item!r}")
    number = value.strip().replace("_", "").replace(",", "")
    if not number.isdigit() or int(number) < 1:
        raise ValueError(f"{name}: expected a positive whole number, got {value!r}")
    return LIMITS[name][0], number


def read_file_bytes(path: str | Path, max_bytes: int | None = None, limit_name: str = "file_bytes") -> bytes:
    """A regular file's bytes, at most ``max_bytes`` (default: the file_bytes limit). A FIFO, a device
    (a link to /dev/zero), a socket, a dangling or looping link is refused without reading it, and a
    file over the limit without reading more than the limit allows."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise InputError(str(path), "dangling symbolic link (its target does not exist)") from None
        raise InputError(str(path), "no such file") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise InputError(str(path), "symbolic link loop") from None
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from exc
    if stat.S_ISDIR(info.st_mode):
        raise InputError(str(path), "is a folder, not a report file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(path), f"not a regular file ({_file_kind(info.st_mode)}): not read")
    cap = limit("file_bytes") if max_bytes is None else max_bytes
    if info.st_size > cap:
        raise LimitError(str(path), f"file of {info.st_size:,} bytes", limit_name)
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from exc
    if len(data) > cap:  # grew while read
        raise LimitError(str(path), "file larger than its size said", limit_name)
    return data


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a special file"


def check_text_size(text: str, source: str) -> None:
    """LimitError when ``text`` is over the chars limit."""
    if len(text) > limit("chars"):
        raise LimitError(source, f"text of {len(text):,} characters", "chars")


_budget = threading.local()


class TimeLimit(LimitError):
    """Extraction stopped: it ran past its time limit, or the client that asked for it went away."""


def set_deadline(seconds: float | None, cancelled: threading.Event | None = None) -> None:
    """Bound the work of this thread: ``check_deadline`` raises once ``seconds`` have passed or
    ``cancelled`` is set. None: no bound (the default)."""
    _budget.deadline = None if seconds is None else time.monotonic() + seconds
    _budget.seconds = seconds
    _budget.cancelled = cancelled


def charge_deadline(seconds: float) -> None:
    """Count ``seconds`` of work done elsewhere for this thread's report (a scan's pages read by OCR
    in other processes) against its time limit, as if this thread had done it."""
    deadline = getattr(_budget, "deadline", None)
    if deadline is not None:
        _budget.deadline = deadline - seconds


def check_deadline(source: str) -> None:
    """Raise TimeLimit when this thread's work ran out of time or was cancelled (``set_deadline``);
    called between pages and between the stages of an extraction."""
    cancelled = getattr(_budget, "cancelled", None)
    if cancelled is not None and cancelled.is_set():
        exc = InputError(source, "cancelled: the client went away")
        exc.__class__ = TimeLimit
        exc.limit = "seconds"
        raise exc
    deadline = getattr(_budget, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        exc = InputError(source, f"extraction took more than {_budget.seconds:g} s; stopped "
                                 f"(raise the limit with {LIMITS['seconds'][0]}=N, --limit seconds=N or serve --timeout)")
        exc.__class__ = TimeLimit
        exc.limit = "seconds"
        raise exc


def read_report(path: str | Path) -> tuple[str, str]:
    """Read a report text file: (text, encoding name). Raises InputError naming the file."""
    text, encoding, _ = read_report_notes(path)
    return text, encoding


def read_report_notes(path: str | Path) -> tuple[str, str, list[str]]:
    """``read_report`` plus the warnings of reading it (bytes replaced by tolerant decoding)."""
    path = Path(path)
    # A text of N characters takes at most 4 N bytes: more cannot be under the chars limit.
    by_chars = 4 * limit("chars") + 4
    if by_chars < limit("file_bytes"):
        data = read_file_bytes(path, by_chars, "chars")
    else:
        data = read_file_bytes(path)
    return decode_report_notes(data, str(path))


def decode_report(data: bytes, source: str = "<text>") -> tuple[str, str]:
    """Decode report bytes: UTF-8 (BOM or not), UTF-16/32 (BOM or not), GB18030/GBK, or what
    charset-normalizer finds; binary or undecodable input raises InputError. A text that is
    overwhelmingly valid in one encoding (a stray byte, a last character cut short) is decoded
    with U+FFFD for the bad bytes (``decode_report_notes`` says how many)."""
    text, encoding, _ = decode_report_notes(data, source)
    return text, encoding


# At most this share of the bytes (and never more than MAX_REPLACED) may be replaced by U+FFFD.
REPLACED_SHARE = 0.001
MAX_REPLACED = 64


def decode_report_notes(data: bytes, source: str = "<text>") -> tuple[str, str, list[str]]:
    """``decode_report`` plus its warnings: [] or one line saying how many bytes were replaced."""
    if not data.strip():
        raise InputError(source, "empty file")
    notes: list[str] = []
    text, encoding, bad = _decode(data)
    if text is not None and bad:
        notes.append(f"{bad} undecodable byte sequence{'s' if bad > 1 else ''} in {encoding} text "
                     "replaced by U+FFFD (a stray byte or a character cut short)")
    if text is None or not _looks_like_text(text):
        raise InputError(source, "binary or undecodable content (not UTF-8, UTF-16, GB18030/GBK text)")
    if not text.strip():
        raise InputError(source, "empty file")
    check_text_size(text, source)
    return text, encoding, notes


def _replaced(data: bytes, name: str) -> tuple[str, int]:
    """``data`` decoded with U+FFFD for bad bytes, and how many replacements were made."""
    text = data.decode(name, errors="replace")
    return text, text.count("\ufffd") - data.decode(name, errors="ignore").count("\ufffd")


def _few(bad: int, data: bytes) -> bool:
    return 0 < bad <= min(MAX_REPLACED, max(1, int(len(data) * REPLACED_SHARE)))


def _decode(data: bytes) -> tuple[str | None, str, int]:
    """(text, encoding, bytes replaced); text None when no encoding fits."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name, 0
            except UnicodeDecodeError:
                text, bad = _replaced(data, name)
                return (text, name, bad) if _few(bad, data) else (None, name, 0)
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return data.decode(utf16), utf16, 0
        except UnicodeDecodeError:
            text, bad = _replaced(data, utf16)
            if _few(bad, data):
                return text, utf16, bad
    if b"\x00" in data:
        return None, "binary", 0
    for name in ("utf-8", "gb18030"):
        try:
            return data.decode(name), name, 0
        except UnicodeDecodeError:
            pass
        # a stray byte or a last character cut short: tried before the next encoding, which
        # would decode UTF-8 as mojibake
        text, bad = _replaced(data, name)
        if _few(bad, data):
            return text, name, bad
    from charset_normalizer import from_bytes  # only for the rare encodings tried last

    best = from_bytes(data).best()
    return (str(best), best.encoding, 0) if best is not None else (None, "unknown", 0)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 of mostly ASCII/CJK text has NULs in one byte position of each pair."""
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / (len(sample) / 2)
    odd = sample[1::2].count(0) / (len(sample) / 2)
    if odd > 0.2 and even < 0.05:
        return "utf-16-le"
    if even > 0.2 and odd < 0.05:
        return "utf-16-be"
    return None


def _looks_like_text(text: str) -> bool:
    """Reject decodes of binary data: control characters or unassigned/private code points."""
    sample = text[:20000]
    bad = sum(1 for ch in sample if (unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs") and ch not in "\t\n\r\f\v"))
    return bad <= max(2, len(sample) // 200)


# ------------------------------------------------------------------ folding

_FOLD = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}  # full-width ASCII -> ASCII
_FOLD.update({0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20, 0x202F: 0x20,
              0x2212: 0x2D, 0x2010: 0x2D, 0x2011: 0x2D, 0xFE63: 0x2D,  # minus signs and hyphens
              0xFF5F: 0x28, 0xFF60: 0x29, 0x3014: 0x28, 0x3015: 0x29})


# A whole report is folded as an array of code points (``str.translate`` with a dict looks each
# character up one by one); a short string, such as a cell, by ``translate``.
_ARRAY_FROM = 256


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _from_code_points(code: np.ndarray) -> str:
    return code.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


_BMP = 0x10000


def _table_arrays(table: dict) -> np.ndarray:
    """A ``str.translate`` table of one character for one as a lookup array over the BMP (where
    all its keys are): one gather per text instead of a binary search per character."""
    lookup = np.arange(_BMP, dtype=np.uint32)
    for key, value in table.items():
        assert key < _BMP
        lookup[key] = ord(value) if isinstance(value, str) else value
    return lookup


def _remap(code: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """``code`` with every code point that is a key of the table replaced by its value."""
    if code.max(initial=0) < _BMP:
        return lookup[code]
    return np.where(code < _BMP, lookup[np.minimum(code, _BMP - 1)], code)  # beyond the BMP: kept


def fold(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII, odd spaces to a space; length kept."""
    if text.isascii():  # nothing to fold (every folded character is beyond ASCII): most cells
        return text
    if len(text) >= _ARRAY_FROM:
        folded = _from_code_points(_remap(_code_points(text), _FOLD_ARRAYS))
    else:
        folded = text.translate(_FOLD)
    assert len(folded) == len(text)
    return folded


_FOLD_ARRAYS = _table_arrays(_FOLD)


def folding_to(chars: str) -> str:
    """``chars`` and every character that ``fold`` turns into one of them."""
    return chars + "".join(chr(k) for k, v in _FOLD.items() if chr(v) in chars and chr(k) not in chars)

# Characters OCR confuses inside row labels; both sides of a comparison are mapped, so only
# the matching sees them as equal.
_LOOKALIKE = str.maketrans({"中": "申", "子": "予", "千": "于", "干": "于", "己": "已", "末": "未"})
_LOOKALIKE_ARRAYS = _table_arrays(_LOOKALIKE)


def is_label_char(ch: str) -> bool:
    """Characters kept in the compact view: CJK ideographs and letters (no digits, no punctuation)."""
    return ("\u4e00" <= ch <= "\u9fff") or ("\u3400" <= ch <= "\u4dbf") or ch.isalpha() and ch.isascii()


@lru_cache(maxsize=4096)
def occurrences(chars: str, word: str) -> list[int]:
    """Where ``word`` starts in ``chars``, every place, overlapping ones too (found in C)."""
    out, at = [], chars.find(word)
    while at >= 0:
        out.append(at)
        at = chars.find(word, at + 1)
    return out


def canonical_label(label: str) -> str:
    """The compact, look-alike-folded form of a printed label, as matched against the text
    (cached: the templates' few hundred labels are canonicalised for every report)."""
    return "".join(ch for ch in fold(label) if is_label_char(ch)).translate(_LOOKALIKE)


def _label_mask(code: np.ndarray) -> np.ndarray:
    """Which code points are ``is_label_char``'s: CJK ideographs (both blocks), ASCII letters."""
    cjk = ((code >= 0x4E00) & (code <= 0x9FFF)) | ((code >= 0x3400) & (code <= 0x4DBF))
    letter = ((code | 0x20) - 0x61) < 26  # A-Z, a-z (unsigned: anything below "a" wraps high)
    return cjk | letter


@dataclass(frozen=True)
class CompactText:
    """Only the label characters of a text, look-alikes folded, with each one's original offset."""

    chars: str
    # Left an array: a report asks ``span`` a few dozen times, while making thousands of Python
    # ints cost more than the rest of ``of``. Not compared: ``chars`` is what the view says.
    offsets: np.ndarray = field(compare=False, repr=False)

    @classmethod
    def of(cls, text: str) -> CompactText:
        """Array passes over the code points instead of a Python test per character
        (``is_label_char``'s set, as ``_label_mask`` spells it out)."""
        code = _code_points(text)
        keep = _label_mask(code)
        chars = _from_code_points(_remap(code[keep], _LOOKALIKE_ARRAYS))
        return cls(chars, np.flatnonzero(keep))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of compact characters [start, end)."""
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1


def pipes_separate(folded: str) -> bool:
    """Pipes are cell separators when several lines carry them (pipe-mangled or markdown); in other
    text a "|" is OCR's reading of a 1 or of a table rule."""
    if folded.count("|") < 3:  # most texts: fewer pipes than lines needed, counted in C
        return False
    return sum(1 for line in folded.splitlines() if "|" in line) >= 3
