"""The `desktop-rag` command as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import clirun
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


MINUTES = "The harbour board agreed on 9 June that the breakwater lamp will be painted green."


def _keep_writing(pdf: Path, r: clirun.Run, until: str = "", timeout: float = 300) -> None:
    """Write `pdf` again and again, as a slow copy does, while `r` runs (and, with `until`,
    until its stderr says so)."""
    end = time.monotonic() + timeout
    while r.process.is_alive() and time.monotonic() < end:
        if until and r.stderr_path.exists() and until in r.stderr:
            return
        docgen.make_pdf(pdf, [MINUTES])
        time.sleep(0.3)


def test_ingest_sync_waits_for_a_file_still_being_written_then_reads_it(
    tmp_path: Path, isolated_home: Path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pdf = docgen.make_pdf(inbox / "minutes.pdf", [MINUTES])  # written just before the call
    argv = ["ingest", "--sync", str(inbox), "-l", "Inbox", "-q"]
    r = clirun.start(argv, home=isolated_home, logs=tmp_path, name="sync")
    _keep_writing(pdf, r, until="waiting for")
    assert r.wait() == 0, r.stderr
    assert "waiting for 1 file still being written: minutes.pdf" in r.stderr
    assert "1 added" in r.stdout and "still being written" not in r.stdout
    out = run("search", "breakwater lamp colour", "-l", "Inbox", "--json", home=isolated_home)
    assert json.loads(out.stdout)[0]["path"] == str(pdf.resolve())


def test_ingest_sync_reports_a_file_that_keeps_changing_and_exits_non_zero(
    tmp_path: Path, isolated_home: Path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    notes = inbox / "notes.txt"
    notes.write_text("The ferry to Osk leaves at 7:40 every weekday.", encoding="utf-8")
    os.utime(notes, (time.time() - 60, time.time() - 60))
    pdf = docgen.make_pdf(inbox / "growing.pdf", [MINUTES])
    argv = ["ingest", "--sync", str(inbox), "-l", "Inbox", "-q"]
    r = clirun.start_function(
        clirun.cli_with,
        {"desktop_rag.core.indexing.watch.SYNC_WAIT_S": 4.0},  # a user waits 30 s
        argv,
        env={"DESKTOP_RAG_HOME": str(isolated_home)},
        logs=tmp_path,
        name="sync",
    )
    _keep_writing(pdf, r)
    assert r.wait() == 3, r.stderr
    assert "waiting for 1 file still being written: growing.pdf" in r.stderr
    assert f"left out: {pdf.resolve()} (still being written after 4 s" in r.stderr
    assert "1 added" in r.stdout and "1 still being written" in r.stdout
    out = run("search", "ferry to Osk", "-l", "Inbox", "--json", home=isolated_home)
    hits = json.loads(out.stdout)
    assert hits[0]["path"] == str(notes.resolve())
    assert all(h["path"] != str(pdf.resolve()) for h in hits)
