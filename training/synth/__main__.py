"""python -m training.synth: generate synthetic reports.

    python -m training.synth generate --n 10000 --seed 0 --out data/synth   # HF dataset + stats.json
    python -m training.synth generate --n 200 --stats                       # print stats only
    python -m training.synth benchmark --per-style 30                       # training/benchmark_split/
    python -m training.synth benchmark --dev --per-style 20                 # data/dev_split/ (for tuning)
    python -m training.synth benchmark --styles pdf_template,pdf_reportlab,scan_template,scan_template_rough
                                                                            # .pdf inputs (30/30/15/15; --dev 20/20/10/10)
    python -m training.synth ocr --n 300 [--style ocr_searchable]          # real OCR into training/ocr_cache/
    python -m training.synth show --seed 3 --style lynx                     # one document, spans marked
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import dataset
from .styles import FILE_STYLES, OCR_STYLES, TEXT_STYLES

REPO = Path(__file__).resolve().parents[2]


def _styles(arg: str | None, files: bool = False) -> list[str]:
    """Style names from --styles (default: the training mix for ``generate``, every text style for
    the splits). ``files``: the .pdf styles (FILE_STYLES) are allowed too (splits only)."""
    names = arg.split(",") if arg else list(TEXT_STYLES) if files else dataset.all_styles()
    known = list(TEXT_STYLES) + (list(FILE_STYLES) if files else [])
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"unknown style(s) {unknown}; known: {', '.join(known)}")
    return names


def cmd_generate(a) -> None:
    jobs = dataset.plan(a.n, a.seed, _styles(a.styles))
    rows, st = dataset.run(jobs, workers=a.workers, strict=a.strict)
    if a.ocr_cache:
        from . import ocr

        cached = ocr.load_cache(REPO / "training" / "ocr_cache")
        rows += [{k: v for k, v in r.items() if k != "gold"} for r in cached]
        st["ocr_cached_documents"] = len(cached)
    print(json.dumps(st, ensure_ascii=False, indent=1))
    if a.out and not a.stats:
        out = Path(a.out)
        dataset.save_dataset(rows, out)
        (out / "stats.json").write_text(json.dumps(st, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"wrote {len(rows)} documents to {out}", file=sys.stderr)


def cmd_benchmark(a) -> None:
    seed0 = dataset.DEV_SEED0 if a.dev else dataset.BENCHMARK_SEED0
    names = _styles(a.styles, files=True)
    text_styles = [n for n in names if n in TEXT_STYLES]
    file_styles = [n for n in names if n in FILE_STYLES]
    out = Path(a.out or (REPO / "data" / "dev_split" if a.dev else REPO / "training" / "benchmark_split"))
    if file_styles:  # raw/<doc_id>.pdf + gold without spans (officepdf.py)
        from . import officepdf

        counts = officepdf.counts(file_styles, "dev" if a.dev else "benchmark", a.per_style)
        print(json.dumps(officepdf.write_split(out, counts, seed0), indent=1))
        if not text_styles:
            return
    per_style = a.per_style or 30
    jobs = dataset.split_plan(per_style, text_styles, seed0)
    rows, st = dataset.run(jobs, workers=a.workers, gold=True)
    if not a.no_ocr:
        from . import ocr

        split = "dev" if a.dev else "benchmark"
        for style, docs in ocr.split_rows(REPO / "training" / "ocr_cache", per_style, split).items():
            rows += docs
    dataset.write_split(rows, out)
    print(json.dumps({k: st[k] for k in ("documents", "documents_per_style", "wall_seconds")}, indent=1))


def cmd_ocr(a) -> None:
    from . import ocr

    ocr.build_cache(REPO / "training" / "ocr_cache", a.n, a.start, style=a.style)


def cmd_show(a) -> None:
    from .generate import generate

    g = generate(a.seed, a.style)
    print(g.text)
    for s in g.spans:
        print(s["kind"], s["key"], repr(g.text[s["start"]:s["end"]]), "MISREAD" if s["ocr_misread"] else "")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m training.synth", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="generate a training dataset")
    g.add_argument("--n", type=int, default=1000)
    g.add_argument("--seed", type=int, default=0, help="run seed in [0, 100); benchmark seeds are disjoint")
    g.add_argument("--styles", help="comma-separated style names (default: all non-OCR styles)")
    g.add_argument("--workers", type=int, default=2)
    g.add_argument("--out", default=str(REPO / "data" / "synth"))
    g.add_argument("--stats", action="store_true", help="print statistics only, write nothing")
    g.add_argument("--ocr-cache", action="store_true", help="append the cached real-OCR documents")
    g.add_argument("--strict", action="store_true",
                   help="stop at the first document whose labels cannot be proven (default: skip it, "
                        "list it under 'errors' in the stats)")
    g.set_defaults(fn=cmd_generate)
    b = sub.add_parser("benchmark", help="write the fixed benchmark split (or, with --dev, the development split)")
    b.add_argument("--per-style", type=int, default=None,
                   help="documents per text style (default 30); for the .pdf styles default 30/30/15/15 "
                        "(--dev 20/20/10/10), or this many (half for the scan styles)")
    b.add_argument("--styles", help="comma-separated; text styles and/or " + ",".join(FILE_STYLES))
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--no-ocr", action="store_true")
    b.add_argument("--dev", action="store_true",
                   help="the development split instead (its own seeds; for tuning, default out data/dev_split)")
    b.add_argument("--out", help="default training/benchmark_split, or data/dev_split with --dev")
    b.set_defaults(fn=cmd_benchmark)
    o = sub.add_parser("ocr", help="render, degrade and OCR documents into the cache (slow; run with nice)")
    o.add_argument("--n", type=int, default=300)
    o.add_argument("--start", type=int, default=0)
    o.add_argument("--style", choices=OCR_STYLES, default="ocr_scan",
                   help="ocr_scan: OCR text as a pasted table; ocr_searchable: scan + OCR text layer via pdftotext -layout")
    o.set_defaults(fn=cmd_ocr)
    s = sub.add_parser("show", help="print one document and its spans")
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--style", required=True)
    s.set_defaults(fn=cmd_show)
    a = p.parse_args(argv)
    a.fn(a)


if __name__ == "__main__":
    main()
