"""Trace every character of a rendered text back to its labelled item by rendering probe variants.

Real converters reorder, wrap, pad and interleave text, so spans cannot be computed while
writing. Instead the document is rendered ``1 + N_PROBES`` times through the same code path: the
real one, and variants in which each labelled item's digits (and null markers such as "/") are
replaced by digits that encode the item's id, and its hanzi by a code character (rare GBK hanzi
never used in content). Digits keep their width and hanzi keep theirs, so every converter lays
the variants out identically; comparing them position by position tells, for each character,
which item printed it. A variant that differs anywhere else raises ProbeError.
"""

from __future__ import annotations

from .doc import Layout, Segment

N_PROBES = 3
BASE = 9  # code digit c is printed as (real + 1 + c) % 10, so it never equals the real digit
NULL_CHARS = frozenset("/\\—–-－ー")
# Null markers a PDF font draws 1 em wide: probed by a code hanzi (also 1 em) rather than a digit.
WIDE_NULL_CHARS = frozenset("—－ー")


def _code_chars(n: int = 800) -> str:
    """Hanzi in GBK but not GB2312, never used by the content generator."""
    out = []
    for cp in range(0x4E00, 0x9FA6):
        ch = chr(cp)
        try:
            ch.encode("gb2312")
            continue
        except UnicodeEncodeError:
            pass
        try:
            ch.encode("gbk")
        except UnicodeEncodeError:
            continue
        out.append(ch)
        if len(out) == n:
            break
    return "".join(out)


CODE_CHARS = _code_chars()
CODE_INDEX = {ch: i for i, ch in enumerate(CODE_CHARS)}
_FW0 = ord("０")


class ProbeError(RuntimeError):
    """The probe variants did not line up with the real text."""


def _digit(ch: str) -> int | None:
    if "0" <= ch <= "9":
        return ord(ch) - 48
    if "０" <= ch <= "９":
        return ord(ch) - _FW0
    return None


def _is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _probe_segment(seg: Segment, p: int, wide: bool) -> Segment:
    if seg.item is None:
        return seg
    code = (seg.item // BASE ** p) % BASE
    null = bool(seg.text) and all(ch in NULL_CHARS for ch in seg.text)
    out = []
    for ch in seg.text:
        d = _digit(ch)
        if d is not None:
            nd = (d + 1 + code) % 10
            out.append(chr((_FW0 if ch >= "０" else 48) + nd))
        elif null and wide and ch in WIDE_NULL_CHARS:
            out.append(CODE_CHARS[seg.item])
        elif null:
            out.append(str(code))
        elif _is_hanzi(ch):
            out.append(CODE_CHARS[seg.item])
        else:
            out.append(ch)
    return Segment("".join(out), seg.item)


def variants(layout: Layout, wide: bool = False) -> list[Layout]:
    """The real layout followed by its probe variants; ``wide``: probe 1-em dashes by hanzi (PDF)."""
    if len(layout.items) >= min(BASE ** N_PROBES, len(CODE_CHARS)):
        raise ProbeError(f"too many labelled items: {len(layout.items)}")
    return [layout] + [layout.map_segments(lambda s, p=p: _probe_segment(s, p, wide)) for p in range(N_PROBES)]


def decode(real: str, probes: list[str]) -> list[int | None]:
    """For each character of ``real``, the id of the item that printed it, or None."""
    if any(len(p) != len(real) for p in probes):
        raise ProbeError(f"variant lengths differ: {len(real)} vs {[len(p) for p in probes]}")
    owner: list[int | None] = [None] * len(real)
    for i, r in enumerate(real):
        qs = [p[i] for p in probes]
        if all(q == r for q in qs):
            continue
        if qs[0] in CODE_INDEX:
            owner[i] = CODE_INDEX[qs[0]]
            continue
        rd = _digit(r)
        item = 0
        for p, q in enumerate(qs):
            qd = _digit(q)
            if qd is None:
                raise ProbeError(f"position {i}: {r!r} probed as {qs!r}")
            c = (qd - rd - 1) % 10 if rd is not None else qd
            if c >= BASE:
                raise ProbeError(f"position {i}: {r!r} probed as {qs!r}")
            item += c * BASE ** p
        owner[i] = item
    return owner
