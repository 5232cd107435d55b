"""Encrypted libraries: no plaintext in any file of the library folder or the log, the
passphrase asked the way a person meets it (terminal, environment, wrong, missing), and
encrypting or decrypting in place, also when the process is killed half-way."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import clirun
import docgen
import pytest

from desktop_rag.core.config import Settings
from desktop_rag.core.errors import UserError
from desktop_rag.core.faults import CRASH_ENV
from desktop_rag.core.library import Library, decrypt_library, encrypt_library, is_encrypted
from desktop_rag.core.storage import crypto

PASSPHRASE = "tidewater lantern 1907"
SECRET = "The QUILLWORT MARSHAL ledger lists 4417 brass keys in the north tower."
QUESTION = "How many brass keys does the Quillwort Marshal ledger list?"
MARKER = "quillwort"  # in every form it takes: text, keyword index (lower case), question


def _docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    docgen.make_pdf(
        docs / "ledger.pdf", ["The harbour office keeps its records in the tower.", SECRET]
    )
    (docs / "notes.txt").write_text(f"Archive notes.\n\n{SECRET}\n", encoding="utf-8")
    return docs


def files_holding(folder: Path, marker: str = MARKER) -> list[str]:
    """Every file under `folder` that holds `marker`, in any case, as UTF-8 or UTF-16."""
    forms = [marker.lower().encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be")]
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes().lower()
            if any(form in data for form in forms):
                found.append(str(path.relative_to(folder)))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "plain (control)"])
def test_no_text_or_question_is_readable_in_the_library_folder_or_the_log(
    tmp_path: Path, isolated_home: Path, encrypted: bool
):
    """Ingest a document holding a unique phrase, ask about it (the chat keeps the question
    and the answer), and look for the phrase in every file of the data folder, while the
    library is open (its -wal and -shm files exist then) and after. The plain library is the
    control: there the same search finds the phrase, in the database, its WAL and the log."""
    docs = _docs(tmp_path)
    Settings(debug_logging=True).save()  # even a debug log keeps an encrypted library's secrets

    def run(*argv: str) -> clirun.Run:
        r = clirun.run(
            list(argv), home=isolated_home, logs=tmp_path, name=argv[0],
            DESKTOP_RAG_PASSPHRASE=PASSPHRASE,
        )  # fmt: skip
        assert r.process.exitcode == 0, r.stderr
        return r

    run("libraries", "create", "Vault", *(["--encrypted"] if encrypted else []))
    run("ingest", str(docs), "-l", "Vault", "-q")
    run("search", QUESTION, "-l", "Vault")
    answer = json.loads(run("ask", QUESTION, "-l", "Vault", "--json").stdout)
    assert answer["status"] == "answered", answer
    assert "4417" in answer["text"], answer["text"]

    folder = isolated_home / "libraries" / "Vault"
    with Library.open("Vault", passphrase=PASSPHRASE) as lib:
        assert lib.encrypted == encrypted
        chats = lib.store.chats()
        assert lib.store.messages(chats[0]["id"])[0]["content"] == QUESTION
        assert lib.search("Quillwort Marshal ledger", k=1)[0].text.strip().endswith("tower.")
        lib.store.add_message(chats[0]["id"], "user", f"And {SECRET}", [], {})
        assert (folder / "library.db-wal").stat().st_size > 0  # the message is in the WAL
        assert (folder / "library.db-shm").exists()
        while_open = files_holding(isolated_home)
    after = files_holding(isolated_home)
    if encrypted:
        assert while_open == [] and after == [], (while_open, after)
        assert sorted(p.name for p in folder.iterdir()) == [
            "encryption.json", "library.db", "library.lock", "vectors.usearch",
        ]  # fmt: skip
    else:  # the same search finds the phrase where it is stored in the clear
        lib_files = {"libraries/Vault/library.db", "libraries/Vault/library.db-wal"}
        assert lib_files <= set(while_open), while_open
        assert "libraries/Vault/library.db" in after
        assert "logs/desktop-rag.log" in after  # the question, at debug level


def test_the_passphrase_is_asked_once_per_run_and_a_wrong_one_is_told(isolated_home: Path):
    with Library.create("Vault", "e5", passphrase=PASSPHRASE) as lib:
        assert lib.encrypted and is_encrypted("Vault")
    with Library.open("Vault") as lib:  # unlocked for this process: not asked again
        assert lib.encrypted
    crypto.forget_keys()  # as a new run of the app
    with pytest.raises(crypto.PassphraseRequired, match="'Vault' is encrypted"):
        Library.open("Vault")
    with pytest.raises(crypto.WrongPassphrase, match="Wrong passphrase for the library 'Vault'"):
        Library.open("Vault", passphrase="tidewater lantern 1908")
    asked = []
    with Library.open("Vault", readonly=True, passphrase=lambda: asked.append(1) or PASSPHRASE):
        pass
    with Library.open("Vault", passphrase=lambda: asked.append(1) or PASSPHRASE):
        pass
    assert asked == [1]  # a function is asked only when needed, once
    with pytest.raises(UserError, match="at least 8 characters"):
        Library.create("Short", passphrase="abc")
    assert not (isolated_home / "libraries" / "Short").exists()


@pytest.mark.slow
def test_re_embedding_and_the_ask_lane_keep_an_encrypted_library_encrypted(
    tmp_path: Path, isolated_home: Path
):
    from desktop_rag.core.library import rebuild_with_model

    with Library.create("Vault", "e5", passphrase=PASSPHRASE) as lib:
        lib.ingest([_docs(tmp_path)])
        reader = lib.reader()  # the ask lane's own connection
        try:
            assert "QUILLWORT" in reader.search(QUESTION, k=1)[0].text
            chat = reader.store.create_chat(QUESTION)
            reader.store.add_message(chat, "user", QUESTION, [], {})
        finally:
            reader.close()
    crypto.forget_keys()
    rebuild_with_model("Vault", "minilm", passphrase=PASSPHRASE)
    crypto.forget_keys()
    with Library.open("Vault", readonly=True, passphrase=PASSPHRASE) as lib:
        assert lib.encrypted and lib.embedding_model.id.endswith("all-MiniLM-L6-v2")
        assert "QUILLWORT" in lib.search(QUESTION, k=1)[0].text
        assert len(lib.documents()) == 2
    assert files_holding(isolated_home) == []


def test_a_damaged_key_file_or_vector_file_is_told_or_rebuilt(tmp_path: Path, isolated_home):
    docs = _docs(tmp_path)
    with Library.create("Vault", "e5", passphrase=PASSPHRASE) as lib:
        lib.ingest([docs])
        chunks = lib.store.chunk_count()
    folder = isolated_home / "libraries" / "Vault"
    vectors = folder / "vectors.usearch"
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0x40  # one bit: AES-GCM's tag no longer matches
    vectors.write_bytes(bytes(data))
    crypto.forget_keys()
    with Library.open("Vault", passphrase=PASSPHRASE) as lib:
        assert len(lib.vectors) == chunks  # rebuilt from the store
    assert lib.vectors.load()  # and saved sealed again
    keyfile = folder / crypto.KEYFILE
    header = json.loads(keyfile.read_text())
    keyfile.write_text(json.dumps({**header, "n": 2**14}))  # a weaker setting slipped in
    crypto.forget_keys()
    with pytest.raises(crypto.WrongPassphrase):
        Library.open("Vault", passphrase=PASSPHRASE)
    keyfile.unlink()
    with pytest.raises(UserError, match=r"encrypted or damaged, and there is no key file"):
        Library.open("Vault", passphrase=PASSPHRASE)


def test_the_command_line_asks_at_the_terminal_and_reads_the_environment(
    tmp_path: Path, isolated_home: Path
):
    env = {k: v for k, v in os.environ.items() if k != "DESKTOP_RAG_PASSPHRASE"}
    env["DESKTOP_RAG_HOME"] = str(isolated_home)
    # at a terminal: typed twice when the library is created (a mismatch is asked again)
    code, out = in_terminal(
        ["libraries", "create", "Vault", "--encrypted", "--embedding-model", "e5"],
        [PASSPHRASE, "tidewater lantern", PASSPHRASE, PASSPHRASE],
        env,
    )
    assert code == 0, out
    assert "Type it again:" in out and "do not match" in out and PASSPHRASE not in out
    assert "created library 'Vault' (encrypted)" in out
    code, out = in_terminal(["search", "brass keys", "-l", "Vault"], [PASSPHRASE], env)
    assert code == 0 and "Passphrase for the library 'Vault':" in out, out
    code, out = in_terminal(["search", "brass keys", "-l", "Vault"], ["wrong wrong"], env)
    assert code == 1 and "error: Wrong passphrase for the library 'Vault'." in out, out

    # without a terminal: the environment, or a message saying how
    r = clirun.run(["chats", "list", "-l", "Vault"], home=isolated_home, logs=tmp_path)
    assert r.process.exitcode == 1
    assert r.stderr.splitlines() == [
        "error: The library 'Vault' is encrypted, and no passphrase was given.",
        "  Run the command in a terminal to type it, or set DESKTOP_RAG_PASSPHRASE.",
    ]
    r = clirun.run(
        ["chats", "list", "-l", "Vault"], home=isolated_home, logs=tmp_path,
        DESKTOP_RAG_PASSPHRASE=PASSPHRASE,
    )  # fmt: skip
    assert r.process.exitcode == 0, r.stderr
    r = clirun.run(["libraries", "list", "--json"], home=isolated_home, logs=tmp_path)
    assert json.loads(r.stdout) == [{"name": "Vault", "encrypted": True, "locked": True}]


def in_terminal(argv: list[str], typed: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `desktop-rag ARGV` on a pseudo-terminal, typing each of `typed` at a prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a real terminal as its stdin, stdout and stderr
        os.execve(sys.executable, [sys.executable, "-m", "desktop_rag", *argv], env)
    out, pending = b"", list(typed)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            out += data
        # click writes the prompt, then getpass turns echo off and writes a space: type then
        if pending and out.endswith(b": "):
            os.write(fd, pending.pop(0).encode() + b"\n")
            out += b"\n"  # what was typed is not echoed: mark the line end
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def library_state(home: Path, passphrase: str | None) -> dict[str, object]:
    """What a person would check: documents, chunks with their embeddings, chats, a search."""
    crypto.forget_keys()
    folder = home / "libraries" / "Vault"
    with Library(folder, readonly=True, passphrase=passphrase) as lib:
        conn = lib.store.conn
        return {
            "encrypted": lib.encrypted,
            "documents": conn.execute("SELECT path, status, sha256 FROM documents").fetchall(),
            "chunks": conn.execute("SELECT id, text, embedding FROM chunks ORDER BY id").fetchall(),
            "messages": conn.execute("SELECT content FROM messages ORDER BY id").fetchall(),
            "search": [(h.chunk_id, round(h.score, 5)) for h in lib.search(QUESTION, k=3)],
            "vectors": len(lib.vectors),
        }


@pytest.mark.slow
def test_encrypting_and_decrypting_in_place_survive_a_kill_at_every_step(
    tmp_path: Path, isolated_home: Path
):
    """`libraries encrypt` and `libraries decrypt` killed (SIGKILL) at each step: the library
    is then the old one or the new one, whole, and the next run finishes the change."""
    docs = _docs(tmp_path)
    with Library.create("Vault", "e5") as lib:
        lib.ingest([docs])
        chat = lib.store.create_chat(QUESTION)
        lib.store.add_message(chat, "user", QUESTION, [], {})
    plain = library_state(isolated_home, None)
    assert plain["vectors"] == len(plain["chunks"]) > 0  # type: ignore[arg-type]
    folder = isolated_home / "libraries" / "Vault"

    def same_library(encrypted: bool) -> None:
        got = library_state(isolated_home, PASSPHRASE)
        assert got == {**plain, "encrypted": encrypted}
        assert not (folder / ".library.db.converting").exists()  # even a reader removes it
        if encrypted:
            assert files_holding(folder) == []

    def killed(command: str, point: str) -> None:
        r = clirun.run(
            ["libraries", command, "Vault"], home=isolated_home, logs=tmp_path,
            name=f"{command}-{point}", DESKTOP_RAG_PASSPHRASE=PASSPHRASE, **{CRASH_ENV: point},
        )  # fmt: skip
        assert r.process.exitcode == -signal.SIGKILL, (point, r.process.exitcode, r.stderr)

    steps = ["encrypt-exported", "encrypt-keyfile", "vector-save", "encrypt-committed"]
    for point in steps:
        killed("encrypt", point)
        same_library(encrypted=point == "encrypt-committed")
        if point == "encrypt-committed":
            decrypt_library("Vault", PASSPHRASE)  # to be killed at the next step
    r = clirun.run(
        ["libraries", "encrypt", "Vault"], home=isolated_home, logs=tmp_path,
        DESKTOP_RAG_PASSPHRASE=PASSPHRASE,
    )  # fmt: skip
    assert r.process.exitcode == 0, r.stderr
    same_library(encrypted=True)

    for point in ["decrypt-exported", "decrypt-committed", "vector-save", "decrypt-vectors"]:
        killed("decrypt", point)
        same_library(encrypted=point == "decrypt-exported")
        if point != "decrypt-exported":
            encrypt_library("Vault", PASSPHRASE)
    r = clirun.run(
        ["libraries", "decrypt", "Vault"], home=isolated_home, logs=tmp_path,
        DESKTOP_RAG_PASSPHRASE=PASSPHRASE,
    )  # fmt: skip
    assert r.process.exitcode == 0, r.stderr
    same_library(encrypted=False)
    assert sorted(p.name for p in folder.iterdir()) == [
        "library.db", "library.lock", "vectors.usearch",
    ]  # fmt: skip
    db = sqlite3.connect(folder / "library.db")  # a plain SQLite file again
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_a_library_open_elsewhere_is_not_converted_under_it(tmp_path: Path, isolated_home: Path):
    with Library.create("Vault", "e5") as lib:
        lib.ingest([_docs(tmp_path)])
    reader = subprocess.Popen(  # a search in another process, holding the library open
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from desktop_rag.core.library import Library\n"
            "lib = Library.open('Vault', readonly=True)\n"
            "lib.store.chunk_count()\n"
            "print('open', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DESKTOP_RAG_HOME": str(isolated_home)},
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "open\n"
        with pytest.raises(UserError, match="open in another desktop-rag"):
            encrypt_library("Vault", PASSPHRASE)
        assert not is_encrypted("Vault")
    finally:
        reader.communicate("", timeout=30)
    encrypt_library("Vault", PASSPHRASE)
    assert is_encrypted("Vault")
    with Library.open("Vault") as lib:
        assert lib.store.chunk_count() > 0
