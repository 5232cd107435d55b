"""`desktop-rag ask --export` and `chats export` as a user runs them, with the real models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docgen
import pymupdf


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKTOP_RAG_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "desktop_rag", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_ask_prints_the_answer_once_and_exports_it_with_the_cited_page(
    tmp_path: Path, isolated_home: Path
):
    pdf = docgen.fifty_page_pdf(tmp_path / "manual.pdf")
    run("ingest", str(pdf), "-l", "Docs", "-q", home=isolated_home)
    evidence = tmp_path / "evidence.pdf"
    proc = run(
        "ask", "How long is the Harwick Bridge?", "-l", "Docs", "--export", str(evidence),
        home=isolated_home,
    )  # fmt: skip
    answer, _, sources = proc.stdout.partition("\nSources:\n")
    assert answer.strip() and "page 12" not in answer
    opening = answer.strip()[:40]
    assert proc.stdout.count(opening) == 1, proc.stdout  # not streamed, then repeated
    assert "With citations" not in proc.stdout
    assert "p. 12" in sources
    assert f"exported to {evidence}" in proc.stderr
    with pymupdf.open(evidence) as doc:
        text = " ".join(page.get_text() for page in doc)
        assert "How long is the Harwick Bridge?" in text and "page 12" in text
        assert sum(len(page.get_images()) for page in doc) >= 1

    chat = tmp_path / "chat.md"
    out = run("chats", "export", "1", str(chat), "-l", "Docs", home=isolated_home)
    assert "exported 1 question to" in out.stdout
    markdown = chat.read_text(encoding="utf-8")
    assert "How long is the Harwick Bridge?" in markdown and "page 12" in markdown
    listed = run("chats", "list", "-l", "Docs", home=isolated_home)
    assert "How long is the Harwick Bridge?" in listed.stdout
