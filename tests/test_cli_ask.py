"""`desktop-rag ask` as a user runs it, with every network connection refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docgen

NO_NETWORK = """
import socket

def _refuse(*args, **kwargs):
    raise OSError("network disabled by the test")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.getaddrinfo = _refuse
socket.create_connection = _refuse
"""


def run(args: list[str], home: Path, offline_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKTOP_RAG_HOME": str(home)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(offline_dir), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "desktop_rag", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def test_ask_cites_page_12_and_says_not_found_offline(tmp_path: Path, isolated_home: Path):
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "sitecustomize.py").write_text(NO_NETWORK)
    pdf = docgen.fifty_page_pdf(tmp_path / "manual.pdf")
    proc = run(["ingest", str(pdf), "-l", "Docs", "-q"], isolated_home, offline)
    assert proc.returncode == 0, proc.stderr

    proc = run(
        ["ask", "How long is the Harwick Bridge?", "-l", "Docs", "--json"], isolated_home, offline
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status"] == "answered"
    assert answer["citations"] and {c["page"] for c in answer["citations"]} == {12}

    proc = run(["ask", "What is the capital of Peru?", "-l", "Docs"], isolated_home, offline)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("I could not find this in your documents.")

    proc = run(
        ["ask", "and when did it open?", "-l", "Docs", "--chat", "1", "--json"],
        isolated_home,
        offline,
    )
    assert proc.returncode == 0, proc.stderr
    follow = json.loads(proc.stdout)
    assert follow["chat_id"] == 1
    assert follow["retrieval_query"].startswith("How long is the Harwick Bridge?")


def _model_process_of(pid: int) -> int | None:
    """The spawned model process among `pid`'s children (not multiprocessing's tracker)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                return int(child)
    return None


def test_killing_the_model_mid_answer_prints_a_clear_message_and_the_next_ask_works(
    tmp_path: Path, isolated_home: Path
):
    import signal
    import time

    from desktop_rag.core.faults import PAUSE_ENV

    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "sitecustomize.py").write_text(NO_NETWORK)
    pdf = docgen.fifty_page_pdf(tmp_path / "manual.pdf")
    assert run(["ingest", str(pdf), "-l", "Docs", "-q"], isolated_home, offline).returncode == 0

    env = {**os.environ, "DESKTOP_RAG_HOME": str(isolated_home), PAUSE_ENV: "answer-token:3"}
    out, err = tmp_path / "ask.out", tmp_path / "ask.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktop_rag", "ask", "How long is the Harwick Bridge?",
             "-l", "Docs"],
            stdout=o, stderr=e, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 600
        # the model process stops after its third token: the answer is under way
        while not out.read_bytes().strip() and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        model = _model_process_of(proc.pid)
        assert model is not None, err.read_text()
        os.kill(model, signal.SIGKILL)
        assert proc.wait(timeout=60) == 1
    message = err.read_text()
    assert "error: The answering model stopped unexpectedly (it was killed" in message, message
    assert "Ask again to restart it" in message
    assert out.read_text().strip()  # what was streamed before stays on the screen

    proc = run(
        ["ask", "How long is the Harwick Bridge?", "-l", "Docs", "--json"], isolated_home, offline
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status"] == "answered" and {c["page"] for c in answer["citations"]} == {12}
