"""extract_many and `gaiml extract` over collections: mixed formats, failures, kill and resume."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from gaiml.batch import collect_paths, extract_many, load_done, source_key
from gaiml.output import check_output
from gaiml.pipeline import ExtractSettings
from formats import to_docx, to_html, to_text_pdf

from conftest import ALL_SEEDS, REPO


def read_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A folder as archives hold them: reports in five formats and encodings, nested, plus bad files."""
    root = tmp_path_factory.mktemp("mixed")
    (root / "txt").mkdir()
    (root / "web" / "deep").mkdir(parents=True)
    for seed in ALL_SEEDS:
        (root / "txt" / f"{seed.doc_id}.txt").write_text(seed.text, encoding="utf-8")
    s0, s1, s2, s3 = ALL_SEEDS[:4]
    (root / "txt" / "gbk.txt").write_bytes(s1.text.encode("gbk"))
    (root / "web" / "deep" / "page.htm").write_bytes(to_html(s2.text, s2.gold, charset="gb2312"))
    to_docx(s3.text, s3.gold, root / "word.docx")
    to_text_pdf(s0.text, s0.gold, root / "text.pdf")
    (root / "empty.txt").write_bytes(b"")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n\x00\x01 not really a pdf\n" * 20)
    (root / "notes.md").write_text("not a report type: never collected from a folder", encoding="utf-8")
    return root


GOOD = {"txt/" + s.doc_id + ".txt" for s in ALL_SEEDS} | {"txt/gbk.txt", "web/deep/page.htm", "word.docx", "text.pdf"}
BAD = {"empty.txt": "empty file", "broken.pdf": "broken PDF"}


def test_batch_collect_paths_folders_globs_and_files_once(mixed):
    found = collect_paths([mixed, str(mixed / "txt" / "*.txt"), mixed / "word.docx"])
    assert {str(p.relative_to(mixed)) for p in found} == GOOD | set(BAD)
    assert len(found) == len(GOOD) + len(BAD)  # a file named twice is extracted once
    assert collect_paths([str(mixed / "*.nothing")]) == [mixed / "*.nothing"]  # then reported missing


def test_batch_mixed_folder_extracts_all_it_can_and_names_failures(mixed, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = extract_many([mixed], ExtractSettings(engine="rules"), workers=2, out=out)
    lines = {os.path.relpath(d["source"], mixed): d for d in read_lines(out)}
    assert set(lines) == GOOD | set(BAD)
    for name, reason in BAD.items():
        assert reason in lines[name]["error"] and name in lines[name]["error"]
    for name in GOOD:
        check_output(lines[name])
        assert not lines[name]["validation"]["broken"], name
    assert lines["txt/gbk.txt"]["encoding"] == "gb18030"
    assert lines["web/deep/page.htm"]["encoding"] == "html:gb18030"
    assert lines["word.docx"]["cells"]["t3.new_received.total"]["value"] == ALL_SEEDS[3].gold["cells"]["t3.new_received.total"]
    statuses = [lines[name]["status"] for name in GOOD]  # seed 001 (and its GBK copy) needs review
    assert (summary.documents, summary.failed, summary.source_inconsistent) == (len(lines), 2, 0)
    assert (summary.verified, summary.needs_review) == (statuses.count("verified"), statuses.count("needs review"))


def test_batch_with_text_spans_index_the_extracted_text(mixed, tmp_path):
    out = tmp_path / "out.jsonl"
    extract_many([mixed / "word.docx", mixed / "text.pdf"], workers=1, out=out, with_text=True)
    for doc in read_lines(out):
        check_output(doc)  # the optional "text" field is part of the schema
        for cell in doc["cells"].values():
            if cell["span"]:
                assert doc["text"][slice(*cell["span"])] == cell["text"]


def test_batch_resume_keeps_lines_and_drops_a_cut_last_line(mixed, tmp_path):
    out = tmp_path / "out.jsonl"
    first = [mixed / "txt" / f"{s.doc_id}.txt" for s in ALL_SEEDS[:2]]
    extract_many(first, workers=1, out=out)
    with out.open("a", encoding="utf-8") as f:
        f.write('{"doc_id": "cut", "source": "')  # a write cut short by a kill
    assert set(load_done(out)) == {source_key(p) for p in first}
    summary = extract_many([mixed / "txt"], workers=2, out=out, resume=True)
    sources = [d["source"] for d in read_lines(out)]
    assert sorted(map(source_key, sources)) == sorted(source_key(p) for p in collect_paths([mixed / "txt"]))
    assert (summary.documents, summary.resumed) == (len(ALL_SEEDS) + 1, 2)


def _cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "gaiml", "extract", *map(str, args)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_batch_killed_run_resumes_to_every_document_exactly_once(tmp_path):
    """SIGKILL the whole run (main process and workers) part way, then --resume (the rules
    engine: 300 documents in seconds; what is tested is the bookkeeping, not the reading)."""
    inputs = tmp_path / "reports"
    inputs.mkdir()
    for n in range(300):
        seed = ALL_SEEDS[n % len(ALL_SEEDS)]
        (inputs / f"{n:03d}_{seed.doc_id[:3]}.txt").write_text(seed.text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run = _cli(inputs, "-o", out, "--engine", "rules", "--workers", "2", "--no-progress", start_new_session=True)
    deadline = time.monotonic() + 60
    while (not out.exists() or out.read_bytes().count(b"\n") < 60) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    done_before = out.read_bytes().count(b"\n")
    assert 60 <= done_before < 300, "the run was not killed part way"
    run = _cli(inputs, "-o", out, "--engine", "rules", "--workers", "2", "--resume", "--no-progress")
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr
    sources = [d["source"] for d in read_lines(out)]
    assert len(sources) == len(set(sources)) == 300
    assert f"{done_before} already done" in stderr or "already done" in stderr
    assert "300 documents" in stderr and "0 failed" in stderr


def test_batch_cli_summary_and_exit_code(mixed, tmp_path):
    out = tmp_path / "out.jsonl"
    run = _cli(mixed, "-o", out, "--workers", "2")
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 1  # some file failed
    assert f"{len(GOOD) + len(BAD)} documents" in stderr and "verified" in stderr and "need review" in stderr
    assert "2 failed" in stderr and "doc/s" in stderr  # the progress bar's rate
    for name in BAD:
        assert name in stderr
    run = _cli(mixed / "txt", mixed / "word.docx", "-o", out, "--workers", "1", "--no-progress")
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr  # nothing failed
    assert "0 failed" in stderr and len(read_lines(out)) == len(ALL_SEEDS) + 2  # rewritten, not appended


def test_batch_engine_that_cannot_load_stops_the_run_with_the_reason(mixed, tmp_path):
    """Not an error line per file (or a dead pool retried): one GaimlError naming the engine."""
    from gaiml.errors import GaimlError

    settings = ExtractSettings(engine="model", model_dir=str(tmp_path / "no-model"))
    with pytest.raises(GaimlError, match="engine 'model' cannot be loaded"):
        extract_many([mixed / "txt"], settings, workers=1, out=tmp_path / "out.jsonl")
