"""Privacy at rest and two processes on one library: owner-only files, deleting means gone,
logs without document text or questions, and a second instance that is told, not corrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import clirun
import docgen
import probes

from desktop_rag.core.config import Settings
from desktop_rag.core.library import Library

SECRET_TEXT = "The launch code for the PELICAN vault is 7731-QX."
SECRET_QUESTION = "which vault does the launch code ZEPHYR-OKAPI open"


def _docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(docs / "secret.pdf", [SECRET_TEXT, "The vault is painted blue."])
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7 " + SECRET_TEXT.encode())
    return docs


def test_every_file_and_folder_is_owner_only_even_with_umask_0(tmp_path: Path, isolated_home: Path):
    docs = _docs(tmp_path)
    out = tmp_path / "modes.json"
    r = clirun.start_function(
        probes.modes_while_open,
        "Private",
        str(docs),
        str(out),
        env={"DESKTOP_RAG_HOME": str(isolated_home)},
        logs=tmp_path,
        umask=0,  # whatever the user's umask, nobody else may read the library
    )
    assert r.wait() == 0, r.stderr
    seen = json.loads(out.read_text())
    assert seen["umask"] == 0
    modes = seen["modes"]
    lib = "libraries/Private/"
    for name in ("library.db", "library.db-wal", "library.db-shm", "vectors.usearch"):
        assert lib + name in modes
    for name in ("logs/desktop-rag.log", "logs/desktop-rag.log.1", "settings.json"):
        assert name in modes
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (isolated_home / name).is_dir() else 0o600)
    }
    assert not wrong, wrong

    # the same through the command line, and the files a finished run leaves
    r = clirun.run(
        ["ingest", str(docs), "-l", "Cli", "-q"], home=isolated_home, logs=tmp_path, umask=0
    )
    assert r.process.exitcode == 3, r.stderr
    for path in [isolated_home, *isolated_home.rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def test_deleting_a_library_removes_every_file_of_it(tmp_path: Path, isolated_home: Path):
    docs = _docs(tmp_path)
    r = clirun.run(["ingest", str(docs), "-l", "Gone", "-q"], home=isolated_home, logs=tmp_path)
    assert r.process.exitcode == 3, r.stderr
    folder = isolated_home / "libraries" / "Gone"
    (folder / ".vectors.crash.tmp").write_bytes(b"left by a crash")  # and a crash's leftovers
    Settings(current_library="Gone").save()
    r = clirun.run(["libraries", "delete", "Gone", "--yes"], home=isolated_home, logs=tmp_path)
    assert r.process.exitcode == 0, r.stderr
    assert not folder.exists()
    assert Settings.load().current_library == ""
    leftovers = [p for p in isolated_home.rglob("*") if p.is_file() and "logs" not in p.parts]
    assert leftovers == [isolated_home / "settings.json"]
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert b"PELICAN" not in path.read_bytes(), path


def test_logs_hold_no_document_text_or_questions_unless_debug(tmp_path: Path, isolated_home: Path):
    docs = _docs(tmp_path)
    log_file = isolated_home / "logs" / "desktop-rag.log"

    def run(*argv: str) -> None:
        r = clirun.run(list(argv), home=isolated_home, logs=tmp_path, name=argv[0])
        assert r.process.exitcode in (0, 3), r.stderr

    run("ingest", str(docs), "-l", "Logs", "-q")
    run("search", SECRET_QUESTION, "-l", "Logs")
    text = log_file.read_text(encoding="utf-8")
    assert "ingest failed: broken.pdf (corrupt)" in text  # the log is being written
    for secret in ("PELICAN", "7731", "launch code", "ZEPHYR", "painted blue"):
        assert secret not in text, secret

    Settings(debug_logging=True).save()  # the user asks for a debug log
    run("search", SECRET_QUESTION, "-l", "Logs")
    assert SECRET_QUESTION in log_file.read_text(encoding="utf-8")


def test_a_second_process_is_told_the_library_is_in_use_and_a_crashed_one_does_not_block(
    tmp_path: Path, isolated_home: Path
):
    docs = _docs(tmp_path)
    r = clirun.run(["ingest", str(docs), "-l", "Shared", "-q"], home=isolated_home, logs=tmp_path)
    assert r.process.exitcode == 3, r.stderr
    first = subprocess.Popen(  # an app instance holding the library open for writing
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from desktop_rag.core.library import Library\n"
            "lib = Library.open('Shared')\n"
            "print('open', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DESKTOP_RAG_HOME": str(isolated_home)},
    )
    try:
        assert first.stdout is not None and first.stdout.readline() == "open\n"
        second = clirun.run(
            ["ingest", str(docs), "-l", "Shared", "-q"], home=isolated_home, logs=tmp_path
        )
        assert second.process.exitcode == 1
        assert second.stderr.splitlines() == [
            f"error: The library 'Shared' is in use by another desktop-rag (process {first.pid}).",
            "  Close the other window or command first.",
        ]
        reader = clirun.run(  # reading needs no lock: search works meanwhile
            ["search", "vault colour", "-l", "Shared"], home=isolated_home, logs=tmp_path
        )
        assert reader.process.exitcode == 0 and "painted blue" in reader.stdout
    finally:
        first.send_signal(signal.SIGKILL)  # the first instance crashes
        first.wait()
    lock = isolated_home / "libraries" / "Shared" / "library.lock"
    assert lock.read_text() == str(first.pid)  # left behind, stale
    again = clirun.run(
        ["ingest", str(docs), "-l", "Shared", "-q"], home=isolated_home, logs=tmp_path
    )
    assert again.process.exitcode == 3, again.stderr  # only broken.pdf, as before
    with Library.open("Shared") as lib:
        assert lib.store.integrity_ok()
