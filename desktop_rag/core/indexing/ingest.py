"""Files and folders into a library: find, parse (in a child), chunk, store; then embed.

A document is committed (pages, chunks, keyword index) in one SQLite transaction as soon as
it is read: searchable by keywords at once, and a crash loses at most the document in flight.
Its embeddings follow once every file of the batch is stored (core/indexing/meaning.py), or
later on the index lane when the window asks for keywords first (`embed=False`). One bad
file never stops the batch; it is recorded with its error."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_rag.core import textnorm
from desktop_rag.core.documents import chunk_context
from desktop_rag.core.documents.chunking import ChunkDraft, Chunker, last_heading
from desktop_rag.core.documents.guide import is_guide
from desktop_rag.core.documents.loaders import (
    OCR_HINT,
    ParsedPage,
    ParseError,
    kind_of,
    ocr_languages,
)
from desktop_rag.core.documents.parser_process import ParseJob, ParsePipeline
from desktop_rag.core.documents.parts import part_path
from desktop_rag.core.errors import Cancelled, UserError
from desktop_rag.core.faults import checkpoint
from desktop_rag.core.indexing.meaning import EMBED_BATCH, STAGE, embed_pending
from desktop_rag.core.storage.store import ChunkRecord, PageRecord, Store, db_error
from desktop_rag.core.tasks import CancelToken, Progress

if TYPE_CHECKING:
    from desktop_rag.core.indexing.target import IndexTarget

log = logging.getLogger(__name__)

# characters of a document's opening pages that tell its language (textnorm.text_language)
MODEL_SAMPLE_CHARS = 4000
__all__ = ["EMBED_BATCH"]  # chunks per encode call (core/indexing/meaning.py)
SAVE_EVERY_S = 60.0
_TEMP_PREFIXES = ("~$", ".~lock", "~lock.")
_TEMP_SUFFIXES = (
    "~",
    ".tmp",
    ".temp",
    ".part",
    ".partial",
    ".crdownload",
    ".download",
    ".swp",
    ".bak",
)


@dataclass
class FileOutcome:
    """What happened to one file: added, updated, unchanged, skipped, failed or removed.

    `code` says why, for programs: for a failure the ParseError code ('encrypted' and
    'wrong-password': ask for the password and ingest again with `passwords`; 'no-text',
    'empty', 'corrupt', 'unreadable', 'missing', 'changed', 'bad-name', ...), or 'attachment'
    for a part inside a file (`path` is then the part's: "mail.eml#report.pdf") that could not
    be read while the rest of the file was; 'repaired' on an added file is a warning;
    'duplicate' and 'skipped' explain a skip."""

    path: str
    status: str
    message: str = ""
    code: str = ""


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    # from the start until the last document was stored: searchable by keywords from then on
    searchable_seconds: float = 0.0
    meaning_pending: int = 0  # chunks of the library still without an embedding at the end
    ocr_pages: int = 0  # pages read by OCR (they had no text layer)
    cancelled: bool = False
    # documents added in a language the library's English-only model does not read
    other_language: list[str] = field(default_factory=list)

    def with_status(self, *statuses: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def failed(self) -> list[FileOutcome]:
        return self.with_status("failed")

    @property
    def skipped(self) -> list[FileOutcome]:
        return self.with_status("skipped")

    def summary(self) -> str:
        counts = {
            s: len(self.with_status(s))
            for s in ("added", "updated", "unchanged", "skipped", "failed", "removed")
        }
        parts = [f"{n} {s}" for s, n in counts.items() if n]
        text = ", ".join(parts) or "nothing to do"
        ocr = f" ({self.ocr_pages} by OCR)" if self.ocr_pages else ""
        pending = (
            f"; {self.meaning_pending} chunks searchable by keywords only, meaning in progress"
            if self.meaning_pending
            else ""
        )
        return (
            f"{text}; {self.pages} pages{ocr}, {self.chunks} chunks in {self.seconds:.1f} s"
            + pending
            + (" (cancelled)" if self.cancelled else "")
        )


# --- finding files ---------------------------------------------------------------------------


def skip_reason(name: str) -> str | None:
    """Why a file or folder name is left out of a folder's files (hidden, temporary), or None."""
    if name.startswith("."):
        return "hidden"
    lower = name.lower()
    if lower.startswith(_TEMP_PREFIXES) or lower.endswith(_TEMP_SUFFIXES):
        return "temporary file"
    return None


def printable_path(path: str | Path) -> str:
    """`path` as text that can be printed and stored: bytes of a file name that are not UTF-8
    (an EUC-KR name copied from an old system) become U+FFFD."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def _missing_reason(p: Path) -> str:
    if not p.is_symlink():
        return "not found"
    try:
        os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop (the link leads back to itself)"
    return "broken link (its target does not exist)"


def collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileOutcome]]:
    """Expand files and folders (recursively) into supported files, and why others were left."""
    files: list[Path] = []
    skipped: list[FileOutcome] = []
    seen_files: set[str] = set()
    seen_dirs: set[tuple[int, int]] = set()

    def add_file(p: Path, explicit: bool) -> None:
        reason = None if explicit else skip_reason(p.name)
        if reason is None and kind_of(p) is None:
            reason = f"unsupported file type ({p.suffix or 'no extension'})"
        if reason is None and not p.exists():
            reason = _missing_reason(p)
        if reason:
            skipped.append(FileOutcome(printable_path(p), "skipped", reason, "skipped"))
            return
        if printable_path(p) != str(p):
            skipped.append(
                FileOutcome(
                    printable_path(p),
                    "failed",
                    f"{printable_path(p.name)}: the file name is not valid UTF-8 "
                    "(it was probably copied from an old system or archive). "
                    "Rename the file and add it again.",
                    "bad-name",
                )
            )
            return
        resolved = str(p.resolve())
        if resolved not in seen_files:
            seen_files.add(resolved)
            files.append(Path(resolved))

    def walk(d: Path) -> None:
        try:
            st = d.stat()
        except OSError as exc:
            skipped.append(
                FileOutcome(
                    printable_path(d), "skipped", f"cannot open folder ({exc.strerror})", "skipped"
                )
            )
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            skipped.append(
                FileOutcome(
                    printable_path(d),
                    "skipped",
                    "folder already visited (a symlink loop)",
                    "skipped",
                )
            )
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(
                FileOutcome(
                    printable_path(d), "skipped", f"cannot read folder ({exc.strerror})", "skipped"
                )
            )
            return
        for entry in entries:
            p = Path(entry.path)
            reason = skip_reason(entry.name)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                if reason:
                    skipped.append(
                        FileOutcome(printable_path(p), "skipped", f"{reason} folder", "skipped")
                    )
                else:
                    walk(p)
            else:
                add_file(p, explicit=False)

    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            walk(p)
        else:
            add_file(p, explicit=True)
    return files, skipped


def sha256_of(path: Path, cancel: CancelToken | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            if cancel is not None:
                cancel.raise_if_cancelled()
    return h.hexdigest()


# --- the pipeline ----------------------------------------------------------------------------


@dataclass
class _FileState:
    sha256: str
    size: int
    mtime: float


class _Document:
    """A document being indexed: its pages and chunks so far. A part inside a file (an
    attachment) knows the file's own document, `root`, which is stored after its parts and
    remembers which parts it now has."""

    def __init__(self, job: ParseJob, info: Any, root: _Document | None = None) -> None:
        self.job = job
        self.info = info
        self.root = root
        self.path = part_path(str(job.path), info.part)
        self.pages: list[PageRecord] = []
        self.drafts: list[ChunkDraft] = []
        self.ocr_pages = 0
        # a part's title names it and its message; its file's name would add nothing
        self.label = chunk_context.document_label(info.title, "" if root else str(job.path))
        self.heading = ""  # the section heading in force at the end of the pages so far
        self.parts: dict[str, int | None] = {}  # of a file: its parts stored now, their ids


class Ingestor:
    """Runs one ingestion batch on the calling thread (the library's index lane)."""

    def __init__(
        self,
        library: IndexTarget,
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
        passwords: dict[str, str] | None = None,
        password: str | None = None,
        force: bool = False,
        embed: bool = True,
    ) -> None:
        self.lib = library
        self.force = force  # re-index even files that did not change
        self.embed = embed  # embed what is pending at the end (else the caller does, later)
        self.progress_cb = progress
        self.cancel = cancel or CancelToken()
        self.passwords = passwords or {}
        self.password = password
        self._use_model()
        self._choosing = library.chooses_model  # until the first document's text is read
        self._chose_english = False  # this batch chose an English-only model for the library
        self._pending: list[ParsedPage] = []  # its pages read so far
        self.report = IngestReport()
        self.progress = Progress(stage="ingest")
        self._last_report = 0.0
        self._last_save = time.monotonic()
        self._meaning_t0 = 0.0
        self._meaning_embedded = 0
        self._bytes_total = 0
        self._bytes_done = 0
        self._t0 = time.monotonic()

    def _use_model(self) -> None:
        self.embedder = self.lib.embedder()
        self.chunker = Chunker(
            self.embedder.count_tokens, self._token_offsets, max_tokens=self.embedder.chunk_tokens
        )

    def _token_offsets(self, text: str) -> list[tuple[int, int]]:
        enc = self.embedder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [tuple(o) for o in enc["offset_mapping"]]

    def run(self, paths: Iterable[str | Path]) -> IngestReport:
        files, skipped = collect_files(paths)
        self.report.outcomes.extend(skipped)
        self.progress.files_total = len(files)
        for f in files:
            try:
                self._bytes_total += f.stat().st_size
            except OSError:
                pass
        self._mark_queued(files)
        jobs = [ParseJob(f, self.passwords.get(str(f), self.password)) for f in files]
        reader = self.lib.reading_store()
        batch_shas: dict[str, str] = {}

        def prepare(job: ParseJob) -> tuple[str, Any] | None:
            return self._prepare(job, reader, batch_shas)

        pipeline = ParsePipeline(jobs, self.cancel, prepare)
        root: _Document | None = None  # the file's own document
        current: _Document | None = None  # the one whose pages arrive: the file's, or a part
        try:
            for kind, job, payload in pipeline:
                self.cancel.raise_if_cancelled()
                if kind == "info" and payload.part and root is not None:
                    if current is not None:  # pages held to choose the model are its own
                        self._settle_model(current)
                    self._part_done(current)
                    current = _Document(job, payload, root)
                elif kind == "info":
                    root = current = _Document(job, payload)
                    self.progress.current = job.path.name
                    self.progress.extra["path"] = str(job.path)
                elif kind == "pages" and current is not None:
                    self._add_pages(current, payload)
                    checkpoint("parsed", path=job.path)
                elif kind == "part-error" and current is not None and current.root is not None:
                    self._settle_model(current)
                    self._part_failed(current, payload)
                    current = None
                elif kind == "done" and root is not None:
                    if current is not None:
                        self._settle_model(current)
                    self._part_done(current)
                    self._settle_model(root)
                    self._finish(root)
                    root = current = None
                elif kind == "error":
                    root = current = None
                    self._pending = []  # the next document chooses
                    self._failed(job, payload)
                elif kind not in ("pages", "part-error", "done"):
                    self._settled(job, kind, payload)
                self._report()
        except Cancelled:
            self.report.cancelled = True
        except BaseException:
            pipeline.cancel_and_join()  # stop the parser child now, not when garbage collected
            reader.close()
            # the store has everything committed; the index is rebuilt from it if this fails
            with contextlib.suppress(Exception):
                self.lib.vectors.save()
            raise
        pipeline.cancel_and_join()
        reader.close()
        checkpoint("ingest-end")
        if self.lib.vectors.dirty:
            self.lib.vectors.save()
        if self.embed and not self.report.cancelled:
            self._embed_pending()
        self.report.meaning_pending = self.lib.store.pending_counts()[0]
        self.report.seconds = time.monotonic() - self._t0
        self._report(force=True, stage="done")
        return self.report

    # --- steps ---

    def _embed_pending(self) -> None:
        """The second stage: embeddings for every chunk stored without one (this batch's, and
        any an earlier, interrupted run left)."""
        self._meaning_t0 = time.monotonic()
        self._meaning_embedded = 0

        def progress(p: Progress) -> None:
            self.progress.extra.update(p.extra)
            self._meaning_embedded = p.chunks_done
            self._report(stage=STAGE)

        try:
            meaning = embed_pending(self.lib, progress, self.cancel)
        except Cancelled:
            self.report.cancelled = True
            return
        self.report.embed_seconds += meaning.embed_seconds

    def _mark_queued(self, files: list[Path]) -> None:
        store = self.lib.store
        new = [str(f) for f in files if store.document_by_path(str(f)) is None]
        if not new:
            return
        now = time.time()
        titles = {p: Path(p).stem for p in new}
        with store.transaction() as c:
            c.executemany(
                "INSERT OR IGNORE INTO documents(path, title, kind, status, added_at) "
                "VALUES (?, ?, ?, 'queued', ?)",
                [(p, titles[p], kind_of(Path(p)) or "", now) for p in new],
            )
        checkpoint("queued")

    def _prepare(
        self, job: ParseJob, reader: Store, batch_shas: dict[str, str]
    ) -> tuple[str, Any] | None:
        """Decide in the feeder thread whether a file needs parsing at all."""
        path = job.path
        try:
            st = path.stat()
        except FileNotFoundError:
            return ("error", ParseError("missing", f"{path.name}: the file no longer exists."))
        except PermissionError:
            return ("error", ParseError("unreadable", f"{path.name}: permission denied."))
        row = reader.document_by_path(str(path))
        if (
            row
            and row["status"] == "ready"
            and row["size"] == st.st_size
            and row["mtime"] == st.st_mtime
        ):
            return ("unchanged", row)
        try:
            sha = sha256_of(path, self.cancel)
        except PermissionError:
            return (
                "error",
                ParseError(
                    "unreadable",
                    f"{path.name}: permission denied.",
                    "Check the file's permissions.",
                ),
            )
        except FileNotFoundError:
            return ("error", ParseError("missing", f"{path.name}: the file no longer exists."))
        except OSError as exc:
            return (
                "error",
                ParseError("unreadable", f"{path.name}: cannot be read ({exc.strerror})."),
            )
        if row and row["status"] == "ready" and row["sha256"] == sha and not self.force:
            return ("touch", (row, st))
        dup = reader.document_by_sha(sha)
        if dup and dup["path"] != str(path):
            return ("duplicate", dup["path"])
        if sha in batch_shas:
            return ("duplicate", batch_shas[sha])
        batch_shas[sha] = str(path)
        job.context = _FileState(sha, st.st_size, st.st_mtime)
        return None

    def _settled(self, job: ParseJob, kind: str, payload: Any) -> None:
        """A file that needed no parsing: unchanged, touched, or a duplicate."""
        store = self.lib.store
        path = str(job.path)
        if kind == "touch":
            row, st = payload
            store.touch_document(row["id"], size=st.st_size, mtime=st.st_mtime)
            kind = "unchanged"
        if kind == "unchanged":
            self.report.outcomes.append(FileOutcome(path, "unchanged"))
        elif kind == "duplicate":
            row = store.document_by_path(path)
            if row and row["status"] == "queued":
                store.remove_document(row["id"])
            self.report.outcomes.append(
                FileOutcome(path, "skipped", f"same content as {payload}", "duplicate")
            )
        self._file_done(job)

    def _add_pages(self, doc: _Document, pages: list[ParsedPage]) -> None:
        if self._choosing and not is_guide(doc.job.path):
            # the first document's opening pages choose the library's model (and so how it
            # is cut into chunks): hold them until there is text enough to tell its language
            self._pending.extend(pages)
            if sum(len(p.text) for p in self._pending) < MODEL_SAMPLE_CHARS:
                return
            self._settle_model(doc)
            return
        for page in pages:
            doc.pages.append(
                PageRecord(page.number, page.width, page.height, page.text, page.label)
            )
            doc.drafts.extend(self.chunker.chunk_page(page, doc.heading))
            doc.heading = last_heading(page, doc.heading)
            doc.ocr_pages += page.ocr
        self.progress.pages_done += len(pages)
        # "page 1,234 of 5,000" of a long document, between two files done
        self.progress.extra.update(page=len(doc.pages), page_count=doc.info.page_count)

    def _settle_model(self, doc: _Document) -> None:
        """Choose the library's model from the pages held back, then index them."""
        if not (self._choosing and self._pending):
            return
        pages, self._pending = self._pending, []
        self._choosing = False
        if self.lib.settle_model(language_sample(p.text for p in pages)):
            self._use_model()
        self._chose_english = not self.lib.embedding_model.multilingual
        self._add_pages(doc, pages)

    def _unsettle(self, doc: _Document) -> None:
        """A document in another language among the first ones: what is stored so far is
        embedded again with the multilingual default, this one too, and so is the rest."""
        self._chose_english = False
        log.info("%s is not in English: the library takes the multilingual model", doc.job.path)
        self.lib.reembed_stored("", self.cancel, defer=True)
        self._use_model()

    def _part_done(self, doc: _Document | None) -> None:
        """Store a part of the file being read (an attachment) once its pages are in: it is
        a document of its own, under the document it belongs to."""
        if doc is None or doc.root is None:
            return
        root = doc.root
        if not doc.drafts:  # a picture without words, an empty attachment: not a document
            log.info("a part without text left out: %s", doc.info.part)
            return
        other = not self.lib.embedding_model.multilingual and _other_language(doc.pages)
        if other and self._chose_english:
            self._unsettle(doc)
            other = False
        chunks = chunk_records(doc.drafts, doc.label)
        try:
            doc_id, removed, _ = self.lib.store.replace_document(
                doc.path,
                title=doc.info.title,
                fts_title=textnorm.fts_text(doc.label),
                kind=doc.info.kind,
                sha256=doc.info.sha256,
                size=doc.info.size,
                mtime=root.job.context.mtime,
                pages=doc.pages,
                chunks=chunks,
                embeddings=None,  # searchable by keywords now; meaning follows, as its file's
                parent_id=self._parent_id(doc),
            )
        except db_error("OperationalError") as exc:
            raise _storage_error(exc) from exc
        self.lib.vectors.remove(removed)
        root.parts[doc.info.part] = doc_id
        self.report.pages += len(doc.pages)
        self.report.chunks += len(chunks)
        self.progress.chunks_done += len(chunks)
        self.report.ocr_pages += doc.ocr_pages
        if other:
            self.report.other_language.append(doc.path)

    def _parent_id(self, doc: _Document) -> int:
        """The id of the document a part belongs to: its message if stored in this pass,
        else the file's own (whose row exists from the moment the file was queued)."""
        assert doc.root is not None
        parent = doc.root.parts.get(doc.info.parent) if doc.info.parent else None
        if parent is not None:
            return parent
        row = self.lib.store.document_by_path(str(doc.job.path))
        if row is None:
            return self.lib.store.upsert_document_status(str(doc.job.path), status="queued")
        return int(row["id"])

    def _part_failed(self, doc: _Document, err: ParseError) -> None:
        """A part that could not be read (a locked PDF attachment) is listed, failed, under
        its message; the rest of the file goes on."""
        assert doc.root is not None
        hint = err.hint
        if err.code in ("encrypted", "wrong-password"):
            hint = "Save the attachment from the message and add it on its own, with its password."
        message = f"{doc.job.path.name}: attachment {err.message}"
        removed = self.lib.store.mark_part_failed(
            doc.path,
            f"{message} {hint}".strip(),
            parent_id=self._parent_id(doc),
            title=doc.info.title,
            kind=doc.info.kind,
        )
        self.lib.vectors.remove(removed)
        doc.root.parts[doc.info.part] = None
        outcome = str(UserError(message, hint))
        self.report.outcomes.append(FileOutcome(doc.path, "failed", outcome, "attachment"))
        log.info("attachment failed: %s (%s)", doc.job.path.name, err.code)

    def _finish(self, doc: _Document) -> None:
        job = doc.job
        if not doc.drafts and not doc.info.container:  # a mailbox's documents are its messages
            if doc.ocr_pages:
                err = ParseError("no-text", f"{job.path.name}: no text found, even with OCR.")
            elif ocr_languages():
                err = ParseError(
                    "no-text", f"{job.path.name}: no text: the pages hold neither text nor images."
                )
            else:
                err = ParseError(
                    "no-text", f"{job.path.name}: no text: scanned pages need OCR.", OCR_HINT
                )
            self._failed(job, err)
            return
        # a document the library's English-only model cannot read
        other = not self.lib.embedding_model.multilingual and _other_language(doc.pages)
        if other and self._chose_english:
            self._unsettle(doc)
            other = False
        state: _FileState = job.context
        try:
            st = job.path.stat()
            changed = st.st_size != state.size or st.st_mtime != state.mtime
        except OSError:
            changed = True
        if changed:
            self._failed(
                job,
                ParseError(
                    "changed",
                    f"{job.path.name}: the file changed or vanished while it was being read.",
                    "Add it again once it is no longer being written.",
                ),
            )
            return
        title = doc.info.title
        chunks = chunk_records(doc.drafts, doc.label)
        existed = self.lib.store.document_by_path(str(job.path))
        try:
            _, removed, _ = self.lib.store.replace_document(
                str(job.path),
                title=title,
                fts_title=textnorm.fts_text(doc.label),
                kind=doc.info.kind,
                sha256=state.sha256,
                size=state.size,
                mtime=state.mtime,
                pages=doc.pages,
                chunks=chunks,
                embeddings=None,  # searchable by keywords now; meaning follows
                # the parts stored in this pass stay; an older version's others go
                keep_parts=[part_path(str(job.path), p) for p in doc.parts],
            )
        except db_error("OperationalError") as exc:
            raise _storage_error(exc) from exc
        checkpoint("committed", path=job.path)
        self.lib.vectors.remove(removed)
        self.report.searchable_seconds = time.monotonic() - self._t0
        was_ready = existed is not None and existed["status"] == "ready"
        status = "updated" if was_ready else "added"
        if getattr(doc.info, "repaired", False):
            warning = (
                f"{job.path.name}: the file was damaged and has been repaired; "
                "some pages or text may be missing."
            )
            self.report.outcomes.append(FileOutcome(str(job.path), status, warning, "repaired"))
        else:
            self.report.outcomes.append(FileOutcome(str(job.path), status))
        self.report.pages += len(doc.pages)
        self.report.chunks += len(chunks)
        self.progress.chunks_done += len(chunks)
        self.report.ocr_pages += doc.ocr_pages
        if other:
            self.report.other_language.append(str(job.path))
        self._file_done(job)
        if time.monotonic() - self._last_save > SAVE_EVERY_S:
            self.lib.vectors.save()
            self._last_save = time.monotonic()

    def _failed(self, job: ParseJob, err: Any) -> None:
        if not isinstance(err, UserError):
            err = ParseError("corrupt", f"{job.path.name}: {err}")
        code = getattr(err, "code", "error")
        self.lib.store.mark_failed(str(job.path), str(err))
        checkpoint("failed")
        self.report.outcomes.append(FileOutcome(str(job.path), "failed", str(err), code))
        log.info("ingest failed: %s (%s)", job.path.name, code)
        self._file_done(job)

    def _file_done(self, job: ParseJob) -> None:
        self.progress.files_done += 1
        try:
            self._bytes_done += job.path.stat().st_size
        except OSError:
            pass

    def _report(self, force: bool = False, stage: str = "ingest") -> None:
        if self.progress_cb is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < 0.1:
            return
        self._last_report = now
        elapsed = now - self._t0
        p = self.progress
        p.stage = stage
        if stage == STAGE:  # embeddings: the rate so far over what is left
            left = int(p.extra.get("meaning_total", 0)) - int(p.extra.get("meaning_done", 0))  # type: ignore[call-overload]
            rate = self._meaning_embedded / max(now - self._meaning_t0, 1e-9)
            p.eta_seconds = left / rate if rate > 0 and left > 0 else None
        elif self._bytes_done and self._bytes_total > self._bytes_done:
            p.eta_seconds = elapsed * (self._bytes_total - self._bytes_done) / self._bytes_done
        else:
            p.eta_seconds = None if stage != "done" else 0.0
        self.progress_cb(p)


def language_sample(texts: Iterable[str]) -> str:
    """The opening of a document (or of a batch of records) that tells its language."""
    out: list[str] = []
    size = 0
    for text in texts:
        out.append(text)
        size += len(text) + 1
        if size >= MODEL_SAMPLE_CHARS:
            break
    return "\n".join(out)[:MODEL_SAMPLE_CHARS]


def _other_language(pages: list[PageRecord]) -> bool:
    """The document is not in English: judged from pages spread over all of it, since a book's
    opening pages (a title, a licence) are often in English when the book is not."""
    step = max(1, len(pages) // 12)
    spread = (p.text[: MODEL_SAMPLE_CHARS // 12] for p in pages[::step])
    return textnorm.text_language(language_sample(spread)) == "other"


def chunk_records(drafts: list[ChunkDraft], label: str = "") -> list[ChunkRecord]:
    """Chunk drafts as rows to store, numbered in order, with their keyword-index text and
    their context (the document `label` and each chunk's heading)."""
    return [
        ChunkRecord(
            i,
            d.page,
            d.char_start,
            d.char_end,
            d.text,
            d.spans,
            d.token_count,
            textnorm.fts_text(d.text),
            chunk_context.compose(label, d.heading),
            textnorm.fts_text(d.heading),
        )
        for i, d in enumerate(drafts)
    ]


def _storage_error(exc: Exception) -> UserError:
    return UserError(f"The library could not be written ({exc}).", "Check the disk and try again.")
