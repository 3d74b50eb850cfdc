"""Template version, 其他处理 form, report year and agency, read from the text itself."""

from __future__ import annotations

import itertools
import operator
import re
from dataclasses import dataclass
from collections import Counter
from functools import lru_cache

from rapidfuzz import fuzz

from . import schema
from .document import Field
from .text import CompactText, canonical_label, fold, occurrences

# Administrative-area characters: a name carrying one is a full name ("赣县区…"), one without
# is a short form ("社区党工委") for which a fuller name printed elsewhere is preferred.
_AREA = re.compile(r"[省市县州旗盟镇乡]|(?<!社)区(?!分)|街道|自治")
_ORG_SUFFIX = (r"(?:人民政府|办事处|委员会|管委会|管理委员会|管理局|服务中心|中心|办公室|工作部|"
               r"局|委|办|厅|院|所|站|队|会|部|处|社区|政府|公司|集团|镇|乡|街道)")
_ORG = re.compile(rf"[\u4e00-\u9fff]{{2,40}}?{_ORG_SUFFIX}")
# The title: a short name, maybe a year, then 政府信息公开工作年度报告 (possibly wrapped).
# Titles, matched on the head of the report with whitespace and markup removed.
_TITLE = re.compile(r"(?P<agency>[^,，。;；:：《》<>\d]{2,40}?)(?P<year>20\d\d)?年?年?度?(?:政府|政务)?信息公开[^,，。]{0,12}?报告")
_TITLE_YEAR_FIRST = re.compile(r"(?P<year>20\d\d)年?度?(?P<agency>[^,，。;；:：《》<>\d]{2,40}?)(?:年度|年)?(?:政府|政务)信息公开[^,，。]{0,12}?报告")
# How nearly a long 其他处理 sub-row marker must be printed (one hanzi in five misread or let in);
# a short one ("逾期不补正") must be exact: "（1件逾期）\n3.补正后…" is one substitution from it.
_MARKER_SCORE, _FUZZY_MARKER = 80, 10
# The two long sub-rows' own words (SPEC), matched like a long marker but only inside 表三 (from
# its heading or first row to 表四's heading), where prose seldom speaks of fees or corrections:
# the longer the words, the more of them survive OCR ("申请人逾期未按收费通知要求缴" of the second
# one printed whole, its line cut by a cell rule). Single-form reports score at most 41 on them
# (development split); prose about late corrections or fee notices up to 79: only 表三 is read.
_SPLIT_ROW_WORDS = ("申请人无正当理由逾期不补正", "申请人逾期未按收费通知要求缴纳费用")
_T3_STARTS = ("收到和处理政府信息公开申请", "本年新收政府信息公开申请")
_T3_END = "行政复议"
# Below the marker score, at least this near: some of a sub-row's words are printed, garbled, so
# the form is the split one, but unsurely (``FORM_SURE``): its rows go to review (auto.py).
_WEAK_SCORE = 55
# A form detected less surely than this is a guess a person should check.
FORM_SURE = 0.6
_DATE = re.compile(r"(20\d\d)\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
# (?<!\d)(20[12]\d)\s*年(度?), the lookbehind after the "2" so that the regex engine skips to a "2".
_YEAR = re.compile(r"(2(?<!\d2)0[12]\d)\s*年(度?)")


def detect_template(compact: CompactText, year: int | None) -> Field:
    """"2019" or "2021" by the column headers of 表二; the year decides when they say nothing."""
    score = {t: sum(canonical_label(m) in compact.chars for m in schema.TEMPLATE_MARKERS[t]) for t in schema.TEMPLATES}
    if score["2021"] != score["2019"]:
        template = max(score, key=score.get)
        margin = abs(score["2021"] - score["2019"])
        return Field(template, confidence=min(0.99, 0.7 + 0.1 * margin))
    if year is not None:
        return Field("2019" if year <= 2020 else "2021", confidence=0.6)
    return Field("2021", confidence=0.3)


def detect_other_form(compact: CompactText) -> Field:
    """"split" when the three 其他处理 sub-rows are printed, else "single".

    A marker counts when printed nearly whole: OCR misreads a hanzi ("户期不补正") and a wrapped
    label takes the merged caption beside it in ("要求缴理纳费用"). A sub-row's own words printed
    nearly whole inside 表三 count as a marker; printed garbled past that ("人时请类无让当理由治期
    趟补正"), the form is "split", below ``FORM_SURE``: reading such a report as the single form
    would drop its three rows without a word, and the single form prints none of those words.
    """
    chars = compact.chars
    table = _table_three(chars)
    hits = sum(canonical_label(m) in chars
               or len(m) >= _FUZZY_MARKER
               and fuzz.partial_ratio(canonical_label(m), chars, score_cutoff=_MARKER_SCORE) >= _MARKER_SCORE
               for m in schema.SPLIT_FORM_MARKERS)
    # A cutoff lets the search stop early; a score under it reads 0, which both tests below treat alike.
    near = [fuzz.partial_ratio(words, table, score_cutoff=_WEAK_SCORE) if table else 0 for words in _SPLIT_ROW_WORDS]
    hits += sum(score >= _MARKER_SCORE for score in near)
    if hits:
        return Field("split", confidence=0.95 if hits >= 2 else 0.7)
    if max(near) >= _WEAK_SCORE:
        return Field("split", confidence=0.5)
    return Field("single", confidence=0.95)


def _table_three(chars: str) -> str:
    """The label characters of every stretch from a 表三 heading or first row to the next 表四
    heading (a heading of 表三 in the prose ends at the next 行政复议 too), joined; "" when no
    stretch is printed whole."""
    starts = sorted(i for m in _T3_STARTS for i in occurrences(chars, m))
    parts, reached = [], 0
    for start in starts:
        if start < reached:
            continue  # inside the stretch already taken
        end = chars.find(_T3_END, start)
        reached = end if end >= 0 else len(chars)
        parts.append(chars[start:reached])
    return "\n".join(parts)


def detect_year(text: str, folded: str | None = None) -> Field:
    """The year the report covers: the title's year, else the best-supported "YYYY年(度)".

    A signature date ("2021年1月10日") is the publication date, usually a year later, so full
    dates are left out of the vote. ``folded``: ``fold(text)`` when the caller has it already.
    """
    folded = fold(text) if folded is None else folded
    title = _title_match(folded)
    if title and title.year:
        return Field(title.year, *title.year_span, 0.98)
    dated = {m.start(1) for m in _DATE.finditer(folded)}
    votes: Counter[int] = Counter()
    first: dict[int, tuple[int, int]] = {}
    for m in _YEAR.finditer(folded):
        if m.start(1) in dated:
            continue
        year = int(m.group(1))
        votes[year] += 3 if m.group(2) else 1  # "2020年度" says more than "2020年"
        first.setdefault(year, (m.start(1), m.end(1)))
    if not votes:
        return Field(None)
    year, _ = max(votes.items(), key=lambda kv: (kv[1], -first[kv[0]][0]))
    return Field(year, *first[year], confidence=0.8)


def detect_agency(text: str, folded: str | None = None) -> Field:
    """The reporting body: the title's name; a short title name (no place in it) gives way to the
    signature or the contact line, a title without a name to those or to the prose. ``folded``:
    ``fold(text)`` when the caller has it already."""
    folded = fold(text) if folded is None else folded
    title = _title_match(folded)
    title_name = Field(_clean_name(title.agency), *title.agency_span, 0.95) if title and title.agency else None
    if title_name and _AREA.search(title_name.value):
        return _best_spelling(folded, title_name)
    fuller = _signature_name(folded) or _contact_name(folded)
    if fuller:
        return fuller
    prose = _prose_name(folded)
    if prose and (title_name is None or title_name.value in prose.value):
        return prose  # no name in the title, or the prose prints the title's short form in full
    return title_name or Field(None)


def _best_spelling(folded: str, name: Field) -> Field:
    """The name as the report prints it most often: OCR may misread a hanzi of the title
    ("石城市昌石镇…") that the signature and the contact line print right. Another spelling
    (at most two characters apart) wins only when it is printed more often than the title's."""
    n = len(name.value)
    if n < 5:
        return name
    compact = "".join(folded.split())  # the text without whitespace (``str.isspace``), split in C
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    # A misread at both ends is too far off: only places that open with the name's first
    # character or close with its last are compared, found by C searches, not a Python loop
    # over every character of the report.
    last = len(compact) - n
    opens = (m.start() for m in re.finditer(re.escape(name.value[0]), compact))
    closes = (m.start() - n + 1 for m in re.finditer(re.escape(name.value[-1]), compact))
    for i in sorted({i for i in opens if i <= last} | {i for i in closes if i >= 0}):
        word = compact[i:i + n]
        if sum(map(operator.ne, word, name.value)) <= 2:  # characters that differ
            counts[word] += 1
            first.setdefault(word, i)
    best, times = max(counts.items(), key=lambda kv: (kv[1], kv[0] == name.value), default=(name.value, 0))
    if best == name.value or times <= counts[name.value]:
        return name
    offsets = [i for i, ch in enumerate(folded) if not ch.isspace()]  # only here: a rare case
    start = offsets[first[best]]
    return Field(best, start, offsets[first[best] + n - 1] + 1, name.confidence)


@dataclass(frozen=True)
class _Title:
    agency: str
    agency_span: tuple[int, int]
    year: int | None
    year_span: tuple[int, int] | None


# How far down a title may stand (web pages and OCR put captions, breadcrumbs, notices above it).
_HEAD_LINES = 15
_LINE = re.compile(r"[^\n\f]+")
_TITLE_CHAR = re.compile(r"[^\s#*=|]")  # what a title's characters are read from: no space, no markup
# A title wraps over at most this many lines.
_TITLE_LINES = 3
# Words of a sentence, never of a body's name: a name holding one is a fragment of prose.
_PROSE_WORD = re.compile(r"^[年度月日]|的|了|我|根据|按照|依据|要求|编制|现将|如下|本报告|本机关|本年|各|发布|来源|印发|转发")
# A body's name ends in an organisation word or a place ("西秀区", "城关镇").
_NAME_END = re.compile(rf"(?:{_ORG_SUFFIX}|[省市县区州旗盟镇乡]|党工委|工委)[)）]?$")


@lru_cache(maxsize=2)  # asked by detect_year and again by detect_agency for the same text
def _title_match(folded: str) -> _Title | None:
    """The report title near the top, however converters broke it: wrapped over lines, spaced
    out ("清 溪 南 门 社 区"), marked up ("## 2022年…"), year first or after the name, below a
    caption or a notice. The title starts a line; its name is a body's name, not a sentence."""
    # The head's lines only, not every line of the report.
    lines = list(itertools.islice((m for m in _LINE.finditer(folded) if m.group().strip(" \t#*=|")), _HEAD_LINES))
    kept: dict[int, list[int]] = {}  # a line's title characters, found once it is looked at

    def chars_of(line: int) -> list[int]:
        if line not in kept:
            kept[line] = [c.start() for c in _TITLE_CHAR.finditer(folded, lines[line].start(), lines[line].end())]
        return kept[line]

    nameless = None
    for k in range(len(lines)):
        offsets = [i for line in range(k, min(k + _TITLE_LINES, len(lines))) for i in chars_of(line)]
        compact = "".join(folded[i] for i in offsets)
        found = _title_in(compact, offsets)
        if found is None:
            continue
        if found.agency:
            return found
        nameless = nameless or _with_name_above(found, folded, lines[k - 1] if k else None)
    return nameless


def _title_in(compact: str, offsets: list[int]) -> _Title | None:
    """The title at the start of ``compact``, its name empty when it names no body
    ("2023年度政府信息公开工作年度报告")."""
    m = _TITLE_YEAR_FIRST.match(compact) or _TITLE.match(compact)

    def span(group: str) -> tuple[int, int]:
        return offsets[m.start(group)], offsets[m.end(group) - 1] + 1

    if m and _is_name(_clean_name(m.group("agency"))):
        year = m.group("year")
        return _Title(m.group("agency"), span("agency"), int(year) if year else None, span("year") if year else None)
    bare = _BARE_TITLE.match(compact)
    if bare is None:
        return None
    year = bare.group("year")
    return _Title("", (0, 0), int(year) if year else None, (offsets[bare.start("year")], offsets[bare.end("year") - 1] + 1) if year else None)


# A title naming no body: "2023年度政府信息公开工作年度报告", "政府信息公开工作年度报告（2023年）".
_BARE_TITLE = re.compile(r"[(（]?(?P<year>20\d\d)?年?度?[)）]?(?:政府|政务)信息公开[^,，。]{0,12}?报告")


def _with_name_above(found: _Title, folded: str, above) -> _Title:
    """A nameless title whose line above is only a body's name (the name set on a line of its own)."""
    if above is not None:
        name = above.group().strip(" \t#*=|")
        if _is_name(_clean_name(name)) and re.fullmatch(r"[\u4e00-\u9fff（）()\s]+", name):
            start = above.start() + above.group().index(name)
            return _Title(name, (start, start + len(name)), found.year, found.year_span)
    return found


def _is_name(name: str) -> bool:
    """A body's name: 2-40 characters ending in an organisation word or a place, no prose words."""
    return 2 <= len(name) <= 40 and bool(_NAME_END.search(name)) and not _PROSE_WORD.search(name)


def _clean_name(raw: str) -> str:
    return re.sub(r"\s+", "", raw).removeprefix("关于").strip("：:，,。 ")


def _signature_name(folded: str) -> Field | None:
    """A line near the end that is only an organisation's name, as signatures are."""
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", folded)]
    for start, line in reversed(lines[-8:]):
        name = line.strip()
        if 4 <= len(name) <= 40 and re.fullmatch(rf"[\u4e00-\u9fff（）()]+{_ORG_SUFFIX}", name):
            offset = start + line.index(name)
            return Field(name, offset, offset + len(name), 0.85)
    return None


def _contact_name(folded: str) -> Field | None:
    """The body named in the standard closing line "如对本报告有疑问，请与……联系"."""
    m = re.search(r"请与\s*(?P<name>[\u4e00-\u9fff]{4,40}?)\s*联系", folded)
    if not m or not re.search(_ORG_SUFFIX, m.group("name")):
        return None
    return Field(m.group("name"), m.start("name"), m.end("name"), 0.75)


def _prose_name(folded: str) -> Field | None:
    """The most often printed organisation name that carries an area: the body itself, usually."""
    counts: Counter[str] = Counter()
    where: dict[str, int] = {}
    for m in _ORG.finditer(folded):
        name = m.group()
        area = _AREA.search(name)
        if not area:
            continue
        name = name[max(0, area.start() - 4):]  # drop verbs before the place name: "请与西秀区…"
        name = re.sub(r"^.*?(?:请与|关于|根据|按照|通过|在|由|与|向)", "", name)
        if len(name) < 4 or re.match(r"\s*(门户|网|官网|政务网)", folded[m.end():m.end() + 4]):
            continue  # "西秀区人民政府门户网": a website, not the reporting body
        counts[name] += 1
        where.setdefault(name, m.start() + m.group().index(name))
    if not counts:
        return None
    name, _ = max(counts.items(), key=lambda kv: (kv[1], len(kv[0])))
    return Field(name, where[name], where[name] + len(name), 0.6)
