"""Read a report into text, fold look-alike forms one character for one, and index its lines.

Offsets everywhere in gaiml are code-point offsets into the text as read (decoded, nothing
else changed). Folding is strictly 1:1 so an index into the folded text is an index into the
original; the compact view used for label matching keeps an explicit map back.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_report(path: str | Path) -> tuple[str, str]:
    """Read a report text file: (text, encoding name). Raises InputError naming the file."""
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "no such file")
    if path.is_dir():
        raise InputError(str(path), "is a folder, not a report file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from exc
    return decode_report(data, str(path))


def decode_report(data: bytes, source: str = "<text>") -> tuple[str, str]:
    """Decode report bytes: UTF-8 (BOM or not), UTF-16/32 (BOM or not), GB18030/GBK, or what
    charset-normalizer finds; binary or undecodable input raises InputError."""
    if not data.strip():
        raise InputError(source, "empty file")
    text, encoding = _decode(data)
    if text is None or not _looks_like_text(text):
        raise InputError(source, "binary or undecodable content (not UTF-8, UTF-16, GB18030/GBK text)")
    if not text.strip():
        raise InputError(source, "empty file")
    return text, encoding


def _decode(data: bytes) -> tuple[str | None, str]:
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                return None, name
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        return None, "binary"
    for name in ("utf-8", "gb18030"):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes  # only for the rare encodings tried last

    best = from_bytes(data).best()
    return (str(best), best.encoding) if best is not None else (None, "unknown")


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


def fold(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII, odd spaces to a space; length kept."""
    folded = text.translate(_FOLD)
    assert len(folded) == len(text)
    return folded


# Characters OCR confuses inside row labels; both sides of a comparison are mapped, so only
# the matching sees them as equal.
_LOOKALIKE = str.maketrans({"中": "申", "子": "予", "千": "于", "干": "于", "己": "已", "末": "未"})


def is_label_char(ch: str) -> bool:
    """Characters kept in the compact view: CJK ideographs and letters (no digits, no punctuation)."""
    return ("\u4e00" <= ch <= "\u9fff") or ("\u3400" <= ch <= "\u4dbf") or ch.isalpha() and ch.isascii()


def canonical_label(label: str) -> str:
    """The compact, look-alike-folded form of a printed label, as matched against the text."""
    return "".join(ch for ch in fold(label) if is_label_char(ch)).translate(_LOOKALIKE)


@dataclass(frozen=True)
class CompactText:
    """Only the label characters of a text, look-alikes folded, with each one's original offset."""

    chars: str
    offsets: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> CompactText:
        offsets = tuple(i for i, ch in enumerate(text) if is_label_char(ch))
        chars = "".join(text[i] for i in offsets).translate(_LOOKALIKE)
        return cls(chars, offsets)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of compact characters [start, end)."""
        return self.offsets[start], self.offsets[end - 1] + 1
