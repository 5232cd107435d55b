"""Linked folders with real files, a real library (the bundled model) and the real watcher."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from desktop_rag.core.indexing.watch import FolderWatcher, is_under
from desktop_rag.core.library import Library


def write(path: Path, text: str, age_s: float = 30.0) -> Path:
    """A note written `age_s` seconds ago (a younger one may still be being written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def titles(lib: Library) -> dict[str, str]:
    return {Path(d["path"]).name: d["status"] for d in lib.documents()}


def test_is_under_respects_folder_boundaries():
    assert is_under("/docs/a/x.pdf", "/docs/a")
    assert not is_under("/docs/ab/x.pdf", "/docs/a")
    assert not is_under("/docs/a", "/docs/a")


def test_a_sync_pass_adds_updates_follows_renames_and_removes_only_in_its_folder(
    tmp_path: Path,
):
    work = tmp_path / "work"
    sibling = tmp_path / "work-old"  # shares the prefix, is not inside
    a = write(work / "alpha.md", "# Alpha\n\nThe pump pressure limit is 7 bar.\n")
    b = write(work / "sub" / "beta.txt", "The boiler was serviced in May.\n")
    c = write(sibling / "gamma.txt", "The gamma note mentions the gate code 4417.\n")
    d = write(tmp_path / "delta.txt", "The delta note names the ferry to Osk.\n")
    with Library.create("Work") as lib:
        lib.ingest([c, d])  # added as files, not as a linked folder
        lib.link_folder(work)
        first = lib.sync_folder(work)
        assert sorted(Path(o.path).name for o in first.ingest.outcomes) == ["alpha.md", "beta.txt"]
        alpha_chunks = lib.store.chunk_ids_of(lib.store.document_by_path(str(a))["id"])

        renamed = work / "renamed-alpha.md"
        a.rename(renamed)
        write(b, "The boiler was serviced in June, not May.\n")
        c.unlink()  # gone, but not under the linked folder: kept
        d.unlink()
        second = lib.sync_folder(work)
        assert second.moved == [(str(a), str(renamed))]
        assert [o.status for o in second.ingest.outcomes] == ["updated"]
        assert not second.removed
        doc = lib.store.document_by_path(str(renamed))
        assert lib.store.chunk_ids_of(doc["id"]) == alpha_chunks  # not read again
        assert doc["title"] == "Alpha"  # the Markdown heading, not the file name
        assert {"gamma.txt", "delta.txt"} <= set(titles(lib))
        hit = lib.search("pump pressure limit", 1)[0]
        assert hit.path == str(renamed)

        b.unlink()
        third = lib.sync_folder(work)
        assert third.removed == [str(b)]
        assert "beta.txt" not in titles(lib)
        assert not lib.search("boiler serviced June", 3) or all(
            h.path != str(b) for h in lib.search("boiler serviced June", 3)
        )
        assert len(lib.vectors) == lib.store.chunk_count()


def test_files_being_written_wait_and_failed_ones_are_not_retried_until_changed(
    tmp_path: Path,
):
    work = tmp_path / "inbox"
    write(work / "fresh.txt", "Still being copied here.", age_s=0)
    broken = work / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not a pdf")
    os.utime(broken, (time.time() - 30, time.time() - 30))
    with Library.create("Inbox") as lib:
        lib.link_folder(work)
        report = lib.sync_folder(work)
        assert report.waiting == [str(work / "fresh.txt")]
        assert [(Path(o.path).name, o.status) for o in report.ingest.outcomes] == [
            ("broken.pdf", "failed")
        ]
        again = lib.sync_folder(work)
        assert not any(Path(o.path).name == "broken.pdf" for o in again.ingest.outcomes)


def test_a_missing_folder_removes_nothing_and_unlink_touches_only_its_documents(
    tmp_path: Path,
):
    usb = tmp_path / "usb"
    other = tmp_path / "other"
    write(usb / "manual.txt", "The winch is rated for 900 kilograms.")
    write(other / "notes.txt", "The greenhouse is heated to 21 degrees.")
    with Library.create("Drive") as lib:
        lib.link_folder(usb)
        lib.link_folder(other)
        lib.sync_linked_folders()
        usb.rename(tmp_path / "unplugged")
        report = lib.sync_folder(usb)
        assert report.missing and not report.removed
        assert "manual.txt" in titles(lib)
        assert [f["present"] for f in lib.linked_folders()] == [True, False]

        assert lib.unlink_folder(other) == []  # documents kept
        assert "notes.txt" in titles(lib)
        removed = lib.unlink_folder(usb, remove_documents=True)
        assert removed == [str(usb / "manual.txt")]
        assert set(titles(lib)) == {"notes.txt"}
        assert lib.linked_folders() == []


def test_the_watcher_reports_a_copied_and_a_deleted_file(tmp_path: Path, corpus: Path):
    work = tmp_path / "watched"
    work.mkdir()
    watcher = FolderWatcher(debounce_s=0.3)
    watcher.watch([work])
    try:
        assert watcher.due() == []
        (work / ".hidden.txt").write_text("ignored")
        (work / "song.mp3").write_bytes(b"ID3")
        time.sleep(1.0)
        assert watcher.due() == []  # hidden and unsupported files change nothing
        shutil.copy(corpus / "notes.md", work / "notes.md")
        deadline = time.monotonic() + 10
        while watcher.due() != [str(work.resolve())]:
            assert time.monotonic() < deadline, "the copy was not seen"
            time.sleep(0.05)
        (work / "notes.md").unlink()
        deadline = time.monotonic() + 10
        while watcher.due() != [str(work.resolve())]:
            assert time.monotonic() < deadline, "the deletion was not seen"
            time.sleep(0.05)
    finally:
        watcher.stop()


def test_a_library_from_before_linked_folders_is_migrated(tmp_path: Path):
    from desktop_rag.core.storage.store import _MIGRATIONS, SCHEMA_VERSION

    with Library.create("Old") as lib:
        db = lib.db_path
        meta = dict(lib.store.conn.execute("SELECT key, value FROM meta"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(db)  # the library as the first version wrote it
    conn.executescript(_MIGRATIONS[1] + "PRAGMA user_version = 1;")
    conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", meta.items())
    conn.commit()
    conn.close()
    with Library.open("Old", readonly=True) as old:
        assert old.linked_folders() == []  # read-only: not migrated, still readable
    with Library.open("Old") as lib:
        lib.link_folder(tmp_path)
        assert [f["path"] for f in lib.linked_folders()] == [str(tmp_path.resolve())]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_the_cli_syncs_once_and_watches_until_interrupted(
    tmp_path: Path, isolated_home: Path, corpus: Path
):
    work = tmp_path / "papers"
    write(work / "old.txt", "The old paper mentions the lighthouse at Marrow Island.")
    env = {**os.environ, "DESKTOP_RAG_HOME": str(isolated_home)}
    exe = [sys.executable, "-m", "desktop_rag"]
    once = subprocess.run(
        [*exe, "ingest", "--sync", str(work), "-l", "Papers", "-q"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert once.returncode == 0, once.stderr
    assert "1 added" in once.stdout
    (work / "old.txt").unlink()
    again = subprocess.run(
        [*exe, "ingest", "--sync", str(work), "-l", "Papers", "-q"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert "1 removed" in again.stdout and f"removed: {work / 'old.txt'}" in again.stderr

    log = tmp_path / "watch.err"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [*exe, "watch", "-l", "Papers"], stdout=subprocess.PIPE, stderr=err, env=env,
            text=True, preexec_fn=_as_in_a_terminal,
        )  # fmt: skip
        try:
            _wait_for(log, "watching 1 folder", proc)
            shutil.copy(corpus / "notes.md", work / "notes.md")
            _read_until(proc, "1 added", log)  # waits while the copy settles
            (work / "notes.md").unlink()
            _read_until(proc, "1 removed", log)
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=60) == 0
    assert "stopped watching" in log.read_text()


def _as_in_a_terminal() -> None:
    """Ctrl+C reaches the command even when the tests run in the background, where the shell
    started them with SIGINT ignored (and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _read_until(proc: subprocess.Popen, text: str, log: Path) -> None:
    seen = []
    while not seen or text not in seen[-1]:
        line = proc.stdout.readline()  # blocks until the watcher reports a pass
        assert line, (seen, log.read_text())
        seen.append(line)
        assert len(seen) < 20, (seen, log.read_text())


def _wait_for(log: Path, text: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while text not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
