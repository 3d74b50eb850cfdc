"""Link a collection into series: one per reporting body, its documents by year.

The same body prints its name differently from year to year (淮安市洪泽区人民政府 one year,
洪泽区人民政府 the next; 某开发区管理委员会 / 管委会 / 管委会办公室). Names are compared in a
normal form, and a name that is the tail of exactly one longer name (洪泽区政府 of 淮安市洪泽区政府)
joins that body. A tail that fits two bodies, or that names no place (教育局), stays apart and
is reported, so a wrong merge never happens silently; a user's mapping file settles the rest.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GaimlError
from .records import Record

# Spellings of one kind of body folded together (order matters: longest first).
_FOLDS = (("管理委员会办公室", "管委会"), ("管委会办公室", "管委会"), ("管委办", "管委会"), ("管理委员会", "管委会"),
          ("人民政府", "政府"))
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_NOT_NAME = re.compile(r"[\W_]+")
# A year a title glued to the name: "2021年…", "…人民政府年度" (the title's 年度 read as part of it)
_YEAR_EDGES = re.compile(r"^\d*年度?|\d{4}年度?$|年度$")
# A name is specific enough to merge by its tail when it starts with a place: 洪泽区…, 梅林镇…
_PLACE = re.compile(r"^.{1,8}?(省|市|区|县|旗|州|盟|镇|乡|街道|社区|村|开发区|园区|新区)")
MIN_TAIL = 4  # characters of normal form; "区政府" alone names no body
# An OCR'd title drops or doubles a character or two (芜湖市业园区管委会, 襄阳阳市宜阳县政府): a name that
# differs from one other body's only so, in years that body has no report of, joins it.
NEAR_MIN = 5
NEAR_MAX_DROPPED = 2


def normalise(name: str) -> str:
    """The form names are compared in: NFKC, no spaces, punctuation, bracketed notes or a year
    glued on by the title, and one spelling for 管理委员会/管委会(办公室) and 人民政府/政府."""
    text = unicodedata.normalize("NFKC", name or "")
    text = _BRACKETS.sub("", text)
    text = _YEAR_EDGES.sub("", _NOT_NAME.sub("", text))
    for old, new in _FOLDS:
        text = text.replace(old, new)
    return text


def specific(key: str) -> bool:
    """Whether a normal form names a body on its own (starts with a place), so that it may be
    taken for the tail of a longer name."""
    return len(key) >= MIN_TAIL and bool(_PLACE.match(key))


@dataclass
class Series:
    """One body's documents, by year; ``names`` are the names its documents print."""

    body: str
    key: str
    records: dict[int, list[Record]] = field(default_factory=lambda: defaultdict(list))
    names: Counter = field(default_factory=Counter)
    mapped: bool = False

    @property
    def years(self) -> list[int]:
        return sorted(self.records)

    def document(self, year: int) -> Record | None:
        """The one document of ``year``; None when there is none or two that differ (a conflict)."""
        recs = self.records.get(year) or []
        if not recs or year in self.conflicts():
            return None
        return recs[0]

    def conflicts(self) -> list[int]:
        """Years with two documents whose figures differ (same figures: the same report twice)."""
        out = []
        for year, recs in self.records.items():
            cells = [{k: c.get("value") for k, c in r.doc["cells"].items()} for r in recs]
            if any(c != cells[0] for c in cells[1:]):
                out.append(year)
        return sorted(out)

    def missing_years(self) -> list[int]:
        years = self.years
        return [y for y in range(years[0], years[-1] + 1) if y not in self.records] if years else []


@dataclass
class Linking:
    series: list[Series]
    notes: list[str]  # ambiguous names, unused mapping entries, documents without a name


def read_mapping(path: str | Path) -> dict[str, str]:
    """A mapping file: CSV rows ``name,body`` (a printed agency name or a doc_id, then the body it
    belongs to); a header row ``name,body``, blank lines and lines starting with # are skipped,
    further columns ignored (the file `gaiml compare --groups` writes reads back as is)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GaimlError(f"{path}: mapping file cannot be read ({exc})") from exc
    out: dict[str, str] = {}
    for n, row in enumerate(csv.reader(text.splitlines()), 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if n == 1 and [c.strip().lower() for c in row[:2]] == ["name", "body"]:
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise GaimlError(f"{path} line {n}: expected two columns 'name,body' (a printed name or doc_id, "
                             f"then the body it belongs to), got {','.join(row)!r}")
        out[_compact(row[0])] = row[1].strip()
    return out


def _compact(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def link(records: list[Record], mapping: dict[str, str] | None = None) -> Linking:
    """Group ``records`` by body: the user's mapping first (by doc_id, then printed name), then
    by normal form, then a specific name by the one longer name it is the tail of."""
    mapping = mapping or {}
    used: set[str] = set()
    notes: list[str] = []
    keyed: list[tuple[Record, str, str | None]] = []  # (record, normal form, mapped body)
    for rec in records:
        name = rec.doc.get("agency") or ""
        probe = next((p for p in (_compact(rec.doc_id), _compact(name)) if p and p in mapping), None)
        target = mapping[probe] if probe else None
        if probe:
            used.add(probe)
        if target is None and not normalise(name):
            notes.append(f"{rec.where}: {rec.doc_id} names no reporting body; map its doc_id to one "
                         "with --mapping to link it")
            continue
        keyed.append((rec, normalise(target or name), target))

    free = {key for _, key, target in keyed if target is None}
    pinned = {key for _, key, target in keyed if target is not None}
    root = {key: key for key in free}
    ambiguous: dict[str, set[str]] = {}  # a tail of several names, settled if they prove one body
    for key in sorted(free, key=len):
        if not specific(key):
            continue
        longer = {k for k in free | pinned if k != key and k.endswith(key)}
        tops = {k for k in longer if not any(o != k and o.endswith(k) for o in longer)}
        if len(tops) == 1:
            root[key] = tops.pop()
        elif len(tops) > 1:
            ambiguous[key] = tops

    def top(key: str) -> str:
        seen = set()
        while root.get(key, key) != key and key not in seen:
            seen.add(key)
            key = root[key]
        return key

    groups: dict[str, Series] = {}
    for rec, key, target in keyed:
        gkey = key if target is not None else top(key)
        series = groups.setdefault(gkey, Series(body="", key=gkey))
        series.records[rec.year].append(rec)
        series.names[rec.doc.get("agency") or rec.doc_id] += 1
        if target is not None:
            series.mapped = True
            series.body = target
    for series in groups.values():
        if not series.body:  # the fullest name printed, the most frequent among equals
            series.body = max(series.names, key=lambda n: (len(normalise(n)), series.names[n], n))
        series.records = dict(sorted(series.records.items()))
    merged = _join_near_spellings(groups, notes)
    _settle_tails(groups, ambiguous, merged, notes)
    for probe in sorted(set(mapping) - used):
        notes.append(f"mapping entry {probe!r} matches no document")
    return Linking(sorted(groups.values(), key=lambda s: s.body), notes)


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def near(a: str, b: str) -> bool:
    """Whether two normal forms differ only by a few characters dropped from one of them (what
    OCR does to a title), never by one character read as another (民政局 / 财政局 stay apart)."""
    short, long = sorted((a, b), key=len)
    return (len(short) >= NEAR_MIN and 0 < len(long) - len(short) <= NEAR_MAX_DROPPED
            and _subsequence(short, long))


def _settle_tails(groups: dict[str, Series], ambiguous: dict[str, set[str]], merged: dict[str, str],
                  notes: list[str]) -> None:
    """A tail of several names joins them when they turned out to be one body (near spellings)."""
    for key, tops in sorted(ambiguous.items()):
        owners = {merged.get(t, t) for t in tops}
        target = groups.get(next(iter(owners))) if len(owners) == 1 else None
        g = groups.get(key)
        if g is None:
            continue
        if target is None or target is g or set(target.records) & set(g.records):
            notes.append(f"name {key!r} is the tail of several bodies ({', '.join(sorted(tops))}): "
                         "kept apart; say which with --mapping")
            continue
        for year, recs in g.records.items():
            target.records.setdefault(year, []).extend(recs)
        target.records = dict(sorted(target.records.items()))
        target.names.update(g.names)
        del groups[key]


def _join_near_spellings(groups: dict[str, Series], notes: list[str]) -> dict[str, str]:
    """Merge groups whose names nearly spell each other, chained (an OCR slip of a slip), when
    no year then has two reports (a body reports once a year); the merged body keeps the name of
    its largest group. A member that would put two reports in one year stays apart, and is said.
    Returns which group key each merged key went into."""
    keys = sorted(groups, key=lambda k: (-sum(len(r) for r in groups[k].records.values()), k))
    forms = {k: {normalise(n) for n in groups[k].names} for k in keys}
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            k = parent[k]
        return k

    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if groups[a].mapped or groups[b].mapped or set(groups[a].records) & set(groups[b].records):
                continue
            if any(near(x, y) for x in forms[a] for y in forms[b]):
                parent[find(b)] = find(a)
    merged: dict[str, str] = {}
    components: dict[str, list[str]] = {}
    for k in keys:  # largest first, so each component's first key is its largest group
        components.setdefault(find(k), []).append(k)
    for members in components.values():
        head = groups[members[0]]
        taken = []
        for k in members[1:]:
            g = groups[k]
            if set(g.records) & set(head.records):
                notes.append(f"{g.body} nearly spells {head.body} but both report "
                             f"{', '.join(map(str, sorted(set(g.records) & set(head.records))))} (the same year): "
                             "kept apart; say which with --mapping")
                continue
            for year, recs in g.records.items():
                head.records.setdefault(year, []).extend(recs)
            head.names.update(g.names)
            merged[k] = members[0]
            taken += _names_of(k, head)
            del groups[k]
        head.records = dict(sorted(head.records.items()))
        if taken and not head.mapped:  # the name printed most often, the fullest among equals
            head.body = max(head.names, key=lambda n: (head.names[n], len(normalise(n)), n))
        if taken:
            notes.append(f"{', '.join(sorted(taken))} taken for {head.body} (a character or two dropped or "
                         "doubled, as OCR does); --mapping to say otherwise")
    return merged


def _names_of(key: str, series: Series) -> list[str]:
    return [n for n in series.names if normalise(n) == key or key.endswith(normalise(n))]


def grouping_rows(linking: Linking) -> list[list[str]]:
    """The grouping as a mapping file: name, body, years, doc_ids (edit the body column and pass
    the file back with --mapping)."""
    rows = [["name", "body", "years", "doc_ids"]]
    for s in linking.series:
        for name in sorted(s.names):
            recs = [r for rs in s.records.values() for r in rs if (r.doc.get("agency") or r.doc_id) == name]
            rows.append([name, s.body, " ".join(str(y) for y in sorted({r.year for r in recs})),
                         " ".join(r.doc_id for r in recs)])
    return rows


def select(linking: Linking, body: str) -> list[Series]:
    """Series whose body or a printed name contains ``body`` (in normal form)."""
    want = normalise(body)
    return [s for s in linking.series
            if want and (want in normalise(s.body) or any(want in normalise(n) for n in s.names))]
