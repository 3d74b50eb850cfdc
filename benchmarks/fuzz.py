"""Fuzz the CLI's extraction and the HTTP service with generated hostile inputs (issue #17).

Inputs: the seed reports mutated (bytes flipped, inserted, deleted, runs duplicated, pieces of
other seeds spliced in, cut short), random bytes, huge digit runs in the tables, other encodings.
Each goes through what `gaiml extract` runs per file (``gaiml.batch.extract_line`` on a file
written to disk) and through the service (``POST /extract`` as text/plain, every tenth also as a
JSON batch). A crash is an ``internal error`` line or an exception escaping; a 5xx is a failure.

    nice .venv/bin/python benchmarks/fuzz.py [--count 10000] [--engine rules] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds" / "raw"
sys.path.insert(0, str(REPO))


def seeds() -> list[bytes]:
    return [p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))]


def _at(rng: random.Random, data: bytearray) -> int:
    """A position in ``data``, which gets a byte first when a mutation left it empty."""
    if not data:
        data.append(0x20)
    return rng.randrange(len(data))


def mutate(rng: random.Random, base: list[bytes]) -> tuple[str, bytes]:
    """One generated input: (kind, bytes)."""
    data = bytearray(rng.choice(base)) or bytearray(b" ")
    kind = rng.choice(["flip", "insert", "delete", "duplicate", "splice", "cut", "random", "digits",
                       "digits_spaced", "gbk", "utf16", "nul", "mixed"])
    if kind == "flip":
        for _ in range(rng.randint(1, 20)):
            data[_at(rng, data)] = rng.randrange(256)
    elif kind == "insert":
        for _ in range(rng.randint(1, 10)):
            pos = _at(rng, data)
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    elif kind == "delete":
        for _ in range(rng.randint(1, 10)):
            pos = _at(rng, data)
            del data[pos:pos + rng.randint(1, 200)]
    elif kind == "duplicate":
        pos = _at(rng, data)
        piece = data[pos:pos + rng.randint(10, 2000)]
        data[pos:pos] = piece * rng.randint(1, 30)
    elif kind == "splice":
        other = rng.choice(base)
        a, b = sorted(rng.randrange(len(other)) for _ in range(2))
        pos = _at(rng, data)
        data[pos:pos] = other[a:b]
    elif kind == "cut":
        data = data[:rng.randrange(1, len(data))]
    elif kind == "random":
        data = bytearray(rng.randbytes(rng.randint(0, 20_000)))
    elif kind in ("digits", "digits_spaced"):
        text = data.decode("utf-8", "replace")
        positions = [i for i, ch in enumerate(text) if ch.isdigit()]
        for _ in range(rng.randint(1, 5)):
            if not positions:
                break
            pos = rng.choice(positions)
            n = rng.choice([16, 31, 100, 400, 5000, 50_000])
            run = "".join(rng.choice("0123456789") for _ in range(n))
            if kind == "digits_spaced":
                run = " ".join(run[: min(n, 2000)])
            text = text[:pos] + run + text[pos + 1:]
            positions = [p for p in positions if p < pos]
        data = bytearray(text.encode("utf-8"))
    elif kind == "gbk":
        data = bytearray(data.decode("utf-8", "replace").encode("gb18030"))
        data[_at(rng, data)] = rng.randrange(128, 256)
    elif kind == "utf16":
        data = bytearray(data.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"])))
        if rng.random() < 0.5:
            data = data[:-1]
    elif kind == "nul":
        pos = _at(rng, data)
        data[pos:pos] = b"\x00" * rng.randint(1, 50)
    else:  # mixed: several of the above
        for _ in range(3):
            _, data = mutate(rng, [bytes(data) or b" "])
            data = bytearray(data)
    return kind, bytes(data)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--engine", default="rules")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-service", action="store_true")
    args = parser.parse_args(argv)
    return 1 if run(args.count, args.engine, args.seed, not args.no_service)["failures"] else 0


def run(count: int, engine: str = "rules", seed: int = 0, service: bool = True, quiet: bool = False) -> dict:
    from fastapi.testclient import TestClient

    from gaiml.batch import extract_line
    from gaiml.pipeline import ExtractSettings, Pipeline
    from gaiml.service import create_app

    rng = random.Random(seed)
    base = seeds()
    settings = ExtractSettings(engine=engine)
    pipeline = Pipeline.load(settings)
    client = TestClient(create_app(settings, pipeline=pipeline)).__enter__() if service else None
    kinds: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gaiml-fuzz-") as folder:
        for n in range(count):
            kind, data = mutate(rng, base)
            kinds[kind] += 1
            path = Path(folder) / f"fuzz{n}.txt"
            path.write_bytes(data)
            try:
                line = extract_line(str(path), pipeline=pipeline)
                json.dumps(line, ensure_ascii=False).encode("utf-8")
            except Exception as exc:  # escaped the CLI's per-file handling
                failures.append(f"{n} {kind}: CLI raised {type(exc).__name__}: {exc}"[:300])
                continue
            if "error" in line:
                outcomes["cli refused" if "internal error" not in line["error"] else "cli CRASH"] += 1
                if "internal error" in line["error"]:
                    failures.append(f"{n} {kind}: {line['error']}"[:300])
            else:
                outcomes["cli extracted"] += 1
            path.unlink()
            if client is None:
                continue
            answer = client.post("/extract", content=data, headers={"Content-Type": "text/plain"},
                                 params={"doc_id": f"fuzz{n}"})
            statuses[answer.status_code] += 1
            if answer.status_code >= 500:
                failures.append(f"{n} {kind}: service {answer.status_code} {answer.text[:200]}")
            if n % 10 == 0:
                text = data.decode("utf-8", "surrogateescape")  # lone surrogates too
                body = json.dumps([{"doc_id": f"f{n}", "text": text}, {"doc_id": "\ud800" if n % 20 == 0 else "x",
                                                                      "text": text[: len(text) // 2]}])
                answer = client.post("/extract/batch", content=body.encode("utf-8", "surrogatepass"),
                                     headers={"Content-Type": "application/json"})
                statuses[answer.status_code] += 1
                entries = answer.json() if answer.status_code == 200 else []
                if answer.status_code >= 500 or any(e.get("http_status", 200) >= 500 for e in entries):
                    failures.append(f"{n} {kind}: batch {answer.status_code} {answer.text[:200]}")
            if not quiet and (n + 1) % 500 == 0:
                print(f"{n + 1} inputs, {len(failures)} failures, {time.perf_counter() - started:.0f} s",
                      file=sys.stderr, flush=True)
    if client is not None:
        client.__exit__(None, None, None)
    report = {"engine": engine, "inputs": count, "seconds": round(time.perf_counter() - started, 1),
              "kinds": dict(kinds), "cli": dict(outcomes), "service_statuses": dict(sorted(statuses.items())),
              "failures": failures}
    if not quiet:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    return report


if __name__ == "__main__":
    sys.exit(main())
