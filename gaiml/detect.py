"""Template version, 其他处理 form, report year and agency, read from the text itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections import Counter

from . import schema
from .document import Field
from .text import CompactText, canonical_label, fold

# Administrative-area characters: a name carrying one is a full name ("赣县区…"), one without
# is a short form ("社区党工委") for which a fuller name printed elsewhere is preferred.
_AREA = re.compile(r"[省市县州旗盟镇乡]|(?<!社)区(?!分)|街道|自治")
_ORG_SUFFIX = (r"(?:人民政府|办事处|委员会|管委会|管理委员会|管理局|服务中心|中心|办公室|工作部|"
               r"局|委|办|厅|院|所|站|队|会|部|处|社区|政府|公司|集团|镇|乡|街道)")
_ORG = re.compile(rf"[\u4e00-\u9fff]{{2,40}}?{_ORG_SUFFIX}")
# The title: a short name, maybe a year, then 政府信息公开工作年度报告 (possibly wrapped).
# Titles, matched on the head of the report with whitespace and markup removed.
_TITLE = re.compile(r"(?P<agency>[^,，。;；:：《》<>\d]{2,40}?)(?P<year>20\d\d)?年?年?度?(?:政府|政务)?信息公开[^,，。]{0,12}?报告")
_TITLE_YEAR_FIRST = re.compile(r"(?P<year>20\d\d)年?度?(?P<agency>[^,，。;；:：《》<>\d]{2,40}?)(?:政府|政务)信息公开[^,，。]{0,12}?报告")
_DATE = re.compile(r"(20\d\d)\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_YEAR = re.compile(r"(?<!\d)(20[12]\d)\s*年(度?)")


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
    """"split" when the three 其他处理 sub-rows are printed, else "single"."""
    hits = sum(canonical_label(m) in compact.chars for m in schema.SPLIT_FORM_MARKERS)
    return Field("split" if hits else "single", confidence=0.95 if hits >= 2 or not hits else 0.7)


def detect_year(text: str) -> Field:
    """The year the report covers: the title's year, else the best-supported "YYYY年(度)".

    A signature date ("2021年1月10日") is the publication date, usually a year later, so full
    dates are left out of the vote.
    """
    folded = fold(text)
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


def detect_agency(text: str) -> Field:
    """The reporting body: the title's name, or a fuller name from the signature or the prose."""
    folded = fold(text)
    title = _title_match(folded)
    title_name = Field(_clean_name(title.agency), *title.agency_span, 0.95) if title else None
    if title_name and _AREA.search(title_name.value):
        return title_name
    fuller = _signature_name(folded) or _contact_name(folded) or _prose_name(folded)
    if fuller:
        return fuller
    return title_name or Field(None)


@dataclass(frozen=True)
class _Title:
    agency: str
    agency_span: tuple[int, int]
    year: int | None
    year_span: tuple[int, int] | None


def _title_match(folded: str) -> _Title | None:
    """The report title at the top, however converters broke it: wrapped over lines, spaced
    out ("清 溪 南 门 社 区"), marked up ("## 2022年…"), year first or after the name."""
    head_end = 0
    for _ in range(6):
        nxt = folded.find("\n", head_end + 1)
        head_end = len(folded) if nxt < 0 else nxt
    offsets = [i for i in range(head_end) if not folded[i].isspace() and folded[i] not in "#*=|"]
    compact = "".join(folded[i] for i in offsets)
    m = _TITLE_YEAR_FIRST.match(compact) or _TITLE.match(compact)
    if not m or len(_clean_name(m.group("agency"))) < 2:
        return None

    def span(group: str) -> tuple[int, int]:
        return offsets[m.start(group)], offsets[m.end(group) - 1] + 1

    year = m.group("year")
    return _Title(m.group("agency"), span("agency"), int(year) if year else None, span("year") if year else None)


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
