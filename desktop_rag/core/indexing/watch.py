"""Linked folders: a library follows them. One sync pass adds new files, re-reads changed ones,
follows renames without reading them again and removes the documents whose file is gone; the
watcher says which folder changed (debounced), so the index lane can run that pass.

Removal only ever touches documents under the folder being synced, and never when the folder
itself is missing (an unplugged drive is not an empty folder)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_rag.core.documents.loaders import kind_of
from desktop_rag.core.errors import UserError
from desktop_rag.core.indexing.ingest import (
    FileOutcome,
    IngestReport,
    collect_files,
    sha256_of,
    skip_reason,
)
from desktop_rag.core.tasks import CancelToken, Progress

if TYPE_CHECKING:
    from desktop_rag.core.indexing.target import IndexTarget

log = logging.getLogger(__name__)

SETTLE_S = 2.0  # a file modified this recently may still be being written: wait for it
DEBOUNCE_S = 1.5  # events come in bursts (a copy writes many times): wait for quiet
POLL_S = 60.0  # folders the system cannot watch (too many, or gone) are looked at this often
SYNC_WAIT_S = 30.0  # a pass the user asked for waits this long, in all, for files to settle


def folder_key(path: str | Path) -> str:
    """How a linked folder is stored: absolute, symbolic links resolved."""
    return str(Path(path).expanduser().resolve())


def is_under(path: str, folder: str) -> bool:
    """Whether `path` lies inside `folder` (a sibling like /docs/ab is not inside /docs/a)."""
    try:
        return Path(path).is_relative_to(folder) and path != folder
    except ValueError:
        return False


def _state(size: int, mtime: float) -> str:
    return f"{size}:{mtime!r}"


@dataclass
class SyncReport:
    """What one pass over a linked folder did."""

    folder: str
    ingest: IngestReport = field(default_factory=IngestReport)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)  # (old path, new path)
    waiting: list[str] = field(default_factory=list)  # still being written: next pass
    missing: bool = False  # the folder is gone or unplugged: nothing was removed

    @property
    def changed(self) -> bool:
        counts = self.ingest.with_status("added", "updated", "failed")
        return bool(self.removed or self.moved or counts)

    def outcomes(self) -> list[FileOutcome]:
        """Every file's outcome, removals and moves included, for printing."""
        out = list(self.ingest.outcomes)
        out += [FileOutcome(old, "moved", f"now {new}", "moved") for old, new in self.moved]
        out += [FileOutcome(p, "removed", "the file is gone", "removed") for p in self.removed]
        return out

    def summary(self) -> str:
        if self.missing:
            return f"{self.folder}: the folder is missing (moved, or on a drive not connected)"
        parts = [self.ingest.summary()] if self.ingest.outcomes else []
        if self.moved:
            parts.append(f"{len(self.moved)} moved or renamed")
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.waiting:
            parts.append(f"{len(self.waiting)} still being written")
        return f"{self.folder}: " + ("; ".join(parts) if parts else "up to date")


def sync_folder(
    library: IndexTarget,
    folder: str,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    settle_s: float = SETTLE_S,
    wait_s: float = 0.0,
    on_wait: Callable[[list[str]], None] | None = None,
    embed: bool = True,
) -> SyncReport:
    """One pass over a linked folder: add and update what changed, follow renames, remove what
    is gone (only under this folder). Runs on the library's writer (the index lane). With
    `embed` False the files it adds are searchable by keywords only, until `embed_pending`.

    A file modified in the last `settle_s` seconds may still be being written. The watcher's
    passes (`wait_s` 0) leave it to the next pass; a pass the user asked for (`ingest --sync`)
    waits up to `wait_s` seconds in all for such files to settle, telling `on_wait` which files
    it waits for, and leaves in `report.waiting` only the ones still changing then."""
    folder = folder_key(folder)
    report = SyncReport(folder)
    if not os.path.isdir(folder):
        report.missing = True
        log.info("linked folder missing, nothing removed: %s", folder)
        return report
    cancel = cancel or CancelToken()
    store = library.store
    every = store.documents()
    docs = {d["path"]: d for d in every if is_under(d["path"], folder)}
    deadline = time.monotonic() + wait_s
    told: list[str] = []
    while True:
        on_disk = _on_disk(folder)
        now = time.time()
        todo, waiting = _triage(on_disk, docs, now, settle_s)
        left = deadline - time.monotonic()
        if not waiting or left <= 0:
            break
        if on_wait is not None and waiting != told:
            on_wait(waiting)
            told = waiting
        youngest = max(on_disk[p].st_mtime for p in waiting)
        cancel.wait(min(left, max(0.1, youngest + settle_s - now)))
        cancel.raise_if_cancelled()
    report.waiting = waiting
    gone = [d for p, d in docs.items() if p not in on_disk and not os.path.lexists(p)]

    _follow_moves(library, every, gone, todo, on_disk, report, cancel)
    for doc in gone:
        cancel.raise_if_cancelled()
        library.vectors.remove(store.remove_document(doc["id"]))
        report.removed.append(doc["path"])
    if report.removed or report.moved:
        library.vectors.save()
    if todo:
        report.ingest = library.ingest(todo, progress=progress, cancel=cancel, embed=embed)
        for outcome in report.ingest.failed:
            failed = on_disk.get(outcome.path)
            if failed is not None:
                store.set_failed_state(outcome.path, _state(failed.st_size, failed.st_mtime))
    if not report.ingest.cancelled:
        store.folder_synced(folder, now)
    log.info("synced %s", report.summary())
    return report


def _on_disk(folder: str) -> dict[str, os.stat_result]:
    """The folder's files that a library can read, with their stat."""
    files, _skipped = collect_files([folder])
    on_disk: dict[str, os.stat_result] = {}
    for f in files:
        try:
            on_disk[str(f)] = f.stat()
        except OSError:
            continue  # vanished while looking: the next pass sees it gone
    return on_disk


def _triage(
    on_disk: dict[str, os.stat_result],
    docs: dict[str, dict[str, Any]],
    now: float,
    settle_s: float,
) -> tuple[list[str], list[str]]:
    """The files to read now, and the ones modified too recently (still being written?)."""
    todo: list[str] = []
    waiting: list[str] = []
    for path, st in on_disk.items():
        row = docs.get(path)
        unchanged = row is not None and (row["size"], row["mtime"]) == (st.st_size, st.st_mtime)
        if unchanged and row is not None and row["status"] == "ready":
            continue
        if row is not None and row["failed_state"] == _state(st.st_size, st.st_mtime):
            continue  # this very version failed before: wait until the file changes
        if now - st.st_mtime < settle_s:
            waiting.append(path)  # still being written, perhaps: not read half-way
            continue
        todo.append(path)
    return todo, waiting


def _follow_moves(
    library: IndexTarget,
    every: list[dict[str, Any]],
    gone: list[dict[str, Any]],
    todo: list[str],
    on_disk: dict[str, os.stat_result],
    report: SyncReport,
    cancel: CancelToken,
) -> None:
    """A new file holding the content of a document whose file no longer exists (here, or
    wherever it was) was renamed or moved: the document takes the new path instead of being
    removed and read again. Only files of the same size as such a document are hashed."""
    store = library.store
    by_path = {d["path"] for d in every}
    lost = [d for d in every if d["status"] == "ready" and not os.path.lexists(d["path"])]
    for path in [p for p in todo if p not in by_path]:
        size = on_disk[path].st_size
        candidates = [d for d in lost if d["size"] == size]
        if not candidates:
            continue
        cancel.raise_if_cancelled()
        try:
            sha = sha256_of(Path(path), cancel)
        except OSError:
            continue
        doc = next((d for d in candidates if d["sha256"] == sha), None)
        if doc is None:
            continue
        title = doc["title"]
        if title == Path(doc["path"]).stem:  # a title taken from the file name follows it
            title = Path(path).stem
        store.move_document(doc["id"], path, mtime=on_disk[path].st_mtime, title=title)
        report.moved.append((doc["path"], path))
        lost.remove(doc)
        if doc in gone:
            gone.remove(doc)
        todo.remove(path)


def sync_linked_folders(
    library: IndexTarget,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> list[SyncReport]:
    """A pass over every linked folder: what changed while the app was closed."""
    reports = []
    for row in library.store.folders():
        reports.append(sync_folder(library, row["path"], progress, cancel))
    return reports


# --- watching ------------------------------------------------------------------------------


class FolderWatcher:
    """Watches linked folders for changes (watchdog: inotify, FSEvents, ReadDirectoryChangesW)
    and tells, debounced, which folder needs a sync pass. Thread-safe: events arrive on the
    observer's thread, `due()` is asked from the writer's side."""

    def __init__(self, debounce_s: float = DEBOUNCE_S, poll_s: float = POLL_S) -> None:
        self.debounce_s = debounce_s
        self.poll_s = poll_s
        self._lock = threading.Lock()
        self._dirty: dict[str, float] = {}  # folder -> monotonic time it may be synced
        self._polled: dict[str, float] = {}  # folder -> next look, for unwatchable folders
        self._folders: list[str] = []
        self._observer: Any = None

    @property
    def folders(self) -> list[str]:
        return list(self._folders)

    @property
    def polled(self) -> list[str]:
        """Folders looked at every `poll_s` seconds: the system could not watch them."""
        with self._lock:
            return sorted(self._polled)

    def watch(self, folders: Iterable[str]) -> None:
        """Watch exactly these folders (recursively), replacing what was watched."""
        from watchdog.observers import Observer

        wanted = sorted({folder_key(f) for f in folders})
        if wanted == self._folders and self._observer is not None:
            return  # unchanged: keep watching, lose no event
        self.stop()
        self._folders = wanted
        observer = Observer()
        handler = _handler(self)
        for folder in self._folders:
            try:
                observer.schedule(handler, folder, recursive=True)
            except (OSError, RuntimeError) as exc:  # missing, or the system's watch limit
                log.info("cannot watch %s (%s): looking every %.0f s", folder, exc, self.poll_s)
                with self._lock:
                    self._polled[folder] = time.monotonic() + self.poll_s
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(5)
        with self._lock:
            self._dirty.clear()
            self._polled.clear()

    def touched(self, path: str, is_directory: bool = False) -> None:
        """A change at `path`: the linked folder holding it will be due once events go quiet,
        unless the change cannot matter (a hidden or temporary file, an unsupported type)."""
        at = time.monotonic() + self.debounce_s
        with self._lock:
            for folder in self._folders:
                if (path == folder or is_under(path, folder)) and _relevant(
                    Path(path).relative_to(folder).parts, is_directory
                ):
                    self._dirty[folder] = at

    def again(self, folder: str, after_s: float) -> None:
        """Look at `folder` again in `after_s` seconds (files still being written)."""
        at = time.monotonic() + after_s
        with self._lock:
            self._dirty[folder] = max(self._dirty.get(folder, 0.0), at)

    def due(self) -> list[str]:
        """Folders to sync now; each is forgotten until its next change."""
        now = time.monotonic()
        with self._lock:
            ready = [f for f, at in self._dirty.items() if at <= now]
            for f in ready:
                del self._dirty[f]
            for f, at in self._polled.items():
                if at <= now:
                    ready.append(f)
                    self._polled[f] = now + self.poll_s
        return sorted(set(ready))

    def pending(self) -> bool:
        """Whether some folder has changes waiting for quiet."""
        with self._lock:
            return bool(self._dirty)


def _relevant(parts: tuple[str, ...], is_directory: bool) -> bool:
    """Whether a change at this path (relative to its linked folder) can change the library:
    a supported, visible, non-temporary file, or a visible folder."""
    if any(skip_reason(p) is not None for p in parts):
        return False
    return is_directory or not parts or kind_of(Path(parts[-1])) is not None


def _handler(watcher: FolderWatcher) -> Any:
    """watchdog's callback: which paths an event touched."""
    from watchdog.events import FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def dispatch(self, event: Any) -> None:
            _dispatch(watcher, event)

    return Handler()


def _dispatch(watcher: FolderWatcher, event: Any) -> None:
    kind = getattr(event, "event_type", "")
    if kind in ("opened", "closed_no_write"):
        return  # reading a file (our own ingestion does) changes nothing
    if event.is_directory and kind == "modified":
        return  # a folder's times change whenever a file in it does
    for path in (getattr(event, "src_path", ""), getattr(event, "dest_path", "")):
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if path:
            watcher.touched(path, bool(event.is_directory))


def check_folder(path: str | Path) -> str:
    """A folder a user wants linked, checked: its stored form, or a UserError."""
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(f"The folder {p} does not exist.", "Check the path, or plug in the drive.")
    if not p.is_dir():
        raise UserError(f"{p} is a file, not a folder.", "Link the folder that holds it.")
    return folder_key(p)
