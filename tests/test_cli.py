"""The `desktop-rag` command as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docgen

EXE = [sys.executable, "-m", "desktop_rag"]


def run(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKTOP_RAG_HOME": str(home)}
    proc = subprocess.run([*EXE, *args], capture_output=True, text=True, env=env, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_ingest_then_paraphrase_search_returns_page_37_first(tmp_path: Path, isolated_home: Path):
    pdf = docgen.fifty_page_pdf(tmp_path / "manual.pdf")
    out = run("ingest", str(pdf), "--library", "Docs", home=isolated_home)
    assert "1 added" in out.stdout
    out = run("search", docgen.PAGE37_PARAPHRASE, "--library", "Docs", "--json", home=isolated_home)
    hits = json.loads(out.stdout)
    assert hits[0]["page"] == 37
    assert "Marrow Island" in hits[0]["text"]


def test_library_commands_and_errors(tmp_path: Path, isolated_home: Path):
    run("libraries", "create", "Work", home=isolated_home)
    out = run("libraries", "list", "--json", home=isolated_home)
    assert [r["name"] for r in json.loads(out.stdout)] == ["Work"]
    bad = run("search", "anything", "--library", "Nope", home=isolated_home, check=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: There is no library named 'Nope'.")
    assert "Traceback" not in bad.stderr
    run("libraries", "rename", "Work", "Play", home=isolated_home)
    run("libraries", "delete", "Play", "--yes", home=isolated_home)
    assert "No libraries yet" in run("libraries", home=isolated_home).stdout


def test_ingest_reports_failed_files_and_exits_non_zero(tmp_path: Path, isolated_home: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    (docs / "notes.txt").write_text("The boiler was serviced on 3 May.", encoding="utf-8")
    proc = run("ingest", str(docs), "--library", "Docs", home=isolated_home, check=False)
    assert proc.returncode == 3
    assert "failed:" in proc.stderr and "broken.pdf" in proc.stderr
    assert "1 added, 1 failed" in proc.stdout


def test_a_korean_file_in_an_english_library_is_noted_and_reembedding_fixes_it(
    tmp_path: Path, isolated_home: Path
):
    english = docgen.fifty_page_pdf(tmp_path / "manual.pdf")
    korean = docgen.korean_pdf(tmp_path / "rules.pdf")
    run("ingest", str(english), "--library", "Docs", home=isolated_home)
    out = run("ingest", str(korean), "--library", "Docs", home=isolated_home)
    assert "rules.pdf is not in English, but 'Docs' reads English only" in out.stderr
    assert "desktop-rag libraries reembed 'Docs' --embedding-model e5" in out.stderr
    run("libraries", "reembed", "Docs", "--embedding-model", "e5", "-q", home=isolated_home)
    out = run("libraries", "list", "--json", home=isolated_home)
    assert json.loads(out.stdout)[0]["embedding_model"] == "intfloat/multilingual-e5-small"
    out = run("search", "비밀번호", "--library", "Docs", "--json", home=isolated_home)
    assert json.loads(out.stdout)[0]["path"].endswith("rules.pdf")
