"""A library: one folder holding a SQLite store and a vector index, bound to one embedding
model. The facade the GUI and the CLI call."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from desktop_rag.core import config
from desktop_rag.core.errors import UserError
from desktop_rag.core.faults import checkpoint
from desktop_rag.core.fsutil import ensure_private_dir
from desktop_rag.core.search.embedding import (
    E5_ID,
    MINILM_ID,
    Embedder,
    EmbeddingModel,
    embedder_for,
    resolve_embedding_model,
)
from desktop_rag.core.storage import crypto
from desktop_rag.core.storage.crypto import LibraryKey, Passphrase
from desktop_rag.core.storage.encryption import (
    decrypt_folder,
    encrypt_folder,
    has_conversion_leftovers,
    remove_conversion_leftovers,
)
from desktop_rag.core.storage.lock import LibraryLock
from desktop_rag.core.storage.store import Store
from desktop_rag.core.storage.vectors import VectorIndex, remove_stale_temp_files
from desktop_rag.core.tasks import CancelToken, Progress
from desktop_rag.core.textnorm import text_language

log = logging.getLogger(__name__)

DEFAULT_LIBRARY = "My documents"
_KNOWN_DIMS = {MINILM_ID: 384, E5_ID: 384}
_BUNDLED_IDS = (MINILM_ID, E5_ID)
_CREATING = ".creating-"  # a library being built; renamed to its name once complete
# A library created without a model named chooses one from its first document (settle_model).
AUTO_MODEL_REFS = ("", "auto")


def validate_name(name: str) -> str:
    """A library name that is safe as a folder name on every system."""
    name = name.strip()
    if not name:
        raise UserError("A library needs a name.")
    if len(name) > 100:
        raise UserError("That library name is too long.", "Use at most 100 characters.")
    if name.startswith(".") or any(c in name for c in '/\\:*?"<>|\0'):
        raise UserError(
            f"'{name}' cannot be a library name.",
            'Avoid / \\ : * ? " < > | and a leading dot.',
        )
    return name


def list_libraries() -> list[str]:
    """Names of the libraries in the data directory."""
    root = config.libraries_dir()
    return sorted(
        (
            p.name
            for p in root.iterdir()
            if not p.name.startswith(".") and p.is_dir() and (p / "library.db").exists()
        ),
        key=str.casefold,
    )


def library_path(name: str) -> Path:
    return config.libraries_dir() / validate_name(name)


def rename_library(old: str, new: str) -> None:
    src, dst = library_path(old), library_path(new)
    if not (src / "library.db").exists():
        raise UserError(f"There is no library named '{old}'.")
    if dst.exists():
        raise UserError(f"A library named '{new}' already exists.")
    with LibraryLock(src):  # refuse while another process has it open
        if sys.platform != "win32":  # POSIX renames a folder with open files in it
            os.rename(src, dst)
    if sys.platform == "win32":
        os.rename(src, dst)


def rebuild_with_model(
    name: str,
    embedding_model: str,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    passphrase: Passphrase = None,
) -> None:
    """Re-embed a library with another model: build a new library from the same files, and
    swap it in only when complete (the old one stays intact if this fails or is cancelled).
    An encrypted library stays encrypted, with the same passphrase."""
    path = library_path(name)
    with Library(path, passphrase=passphrase) as old:
        files = [d["path"] for d in old.documents() if d["status"] == "ready"]
        folders = [row["path"] for row in old.store.folders()]
        key = old.key
    staging = f".{name}.rebuild"
    staging_path = config.libraries_dir() / staging
    if staging_path.exists():
        shutil.rmtree(staging_path)
    try:
        with Library.create_at(staging_path, embedding_model, key=key) as new:
            for folder in folders:  # still followed after the swap
                new.store.add_folder(folder)
            report = new.ingest(files, progress=progress, cancel=cancel)
            if report.cancelled:
                raise UserError("Re-embedding was cancelled; the library is unchanged.")
        with LibraryLock(path):
            pass
        backup = config.libraries_dir() / f".{name}.old"
        os.replace(path, backup)
        os.replace(staging_path, path)
        shutil.rmtree(backup, ignore_errors=True)
    finally:
        if staging_path.exists():
            shutil.rmtree(staging_path, ignore_errors=True)


def encrypt_library(name: str, passphrase: str) -> None:
    """Encrypt the library `name` in place under a new passphrase (crash-safe: storage/
    encryption.py). It stays unlocked for this process."""
    path = _existing(name)
    with LibraryLock(path):  # refuse while another process has it open
        if crypto.is_encrypted(path):
            raise UserError(f"The library '{name}' is already encrypted.")
        encrypt_folder(path, crypto.create_key(passphrase))


def decrypt_library(name: str, passphrase: Passphrase) -> None:
    """Store the library `name` unencrypted again; its passphrase is asked even when the
    library is unlocked, as a check that its owner wants this."""
    path = _existing(name)
    with LibraryLock(path):
        if not crypto.is_encrypted(path):
            raise UserError(f"The library '{name}' is not encrypted.")
        decrypt_folder(path, crypto.unlock(path, passphrase, name, remembered=False))


def is_encrypted(name: str) -> bool:
    """Whether the library `name` is encrypted (read without opening it)."""
    return crypto.is_encrypted(_existing(name))


def _existing(name: str) -> Path:
    path = library_path(name)
    if not (path / "library.db").exists():
        raise UserError(
            f"There is no library named '{name}'.",
            "List them with `desktop-rag libraries` or create one.",
        )
    return path


def delete_library(name: str) -> None:
    """Remove the library folder and every file in it."""
    path = library_path(name)
    if not path.exists():
        raise UserError(f"There is no library named '{name}'.")
    with LibraryLock(path):  # refuse while another process has it open
        if sys.platform != "win32":  # hold the lock until nothing is left to open
            shutil.rmtree(path)
    if sys.platform == "win32":
        shutil.rmtree(path)


def _model_meta(model: EmbeddingModel) -> dict[str, str]:
    """What the store records of the model its vectors come from."""
    return {
        "embedding_model_id": model.id,
        "embedding_multilingual": "1" if model.multilingual else "0",
    }


def _clean_up_interrupted_conversion(path: Path) -> None:
    """What a killed `decrypt` left (the plain copy of an encrypted library) must not wait for
    the next writer: a reader removes it too, unless a conversion is running (it has the lock)."""
    with contextlib.suppress(UserError), LibraryLock(path):
        remove_conversion_leftovers(path)


def _remove_abandoned_creations(root: Path) -> None:
    """Delete half-built libraries left by a crash during `Library.create`."""
    for folder in root.glob(f"{_CREATING}*"):
        try:
            with LibraryLock(folder):
                shutil.rmtree(folder)
        except (UserError, OSError):
            continue  # another process is still building it


class Library:
    """An open library. Writes (ingest, remove) belong to one thread at a time."""

    def __init__(
        self, path: Path, *, readonly: bool = False, passphrase: Passphrase = None
    ) -> None:
        """Open the library in `path`; an encrypted one needs its `passphrase` the first time
        this process opens it (PassphraseRequired, WrongPassphrase otherwise)."""
        self.path = path
        self.name = path.name
        self.readonly = readonly
        self.key: LibraryKey | None = None
        self._lock: LibraryLock | None = None
        if not readonly:
            self._lock = LibraryLock(path)
            self._lock.acquire()
        try:
            if not readonly:
                remove_stale_temp_files(path)
                remove_conversion_leftovers(path)
            elif has_conversion_leftovers(path):
                _clean_up_interrupted_conversion(path)
            if crypto.is_encrypted(path):
                self.key = crypto.unlock(path, passphrase, self.name)
            else:
                crypto.check_readable(path, self.name)
            self.store = Store(self.db_path, readonly=readonly, key=self.key)
            model_id = self.store.get_meta("embedding_model_id")
            if model_id is None:
                raise UserError(f"The library '{self.name}' has no embedding model recorded.")
            self.embedding_model = self._resolve_recorded_model(model_id)
            self.dim = int(self.store.get_meta("embedding_dim") or 0)
            self.vectors = VectorIndex(path / "vectors.usearch", self.dim, key=self.key)
            self.vectors.load()
            self.vectors.sync_with(self.store)
            if self.vectors.dirty and not readonly:
                self.vectors.save()
        except BaseException:
            self.close()
            raise

    # --- lifecycle ---

    @classmethod
    def create(cls, name: str, embedding_model: str = "", passphrase: str | None = None) -> Library:
        """Create the library `name`; with a `passphrase`, encrypted."""
        path = library_path(name)
        if (path / "library.db").exists():
            raise UserError(f"A library named '{name}' already exists.")
        key = crypto.create_key(passphrase) if passphrase is not None else None
        return cls.create_at(path, embedding_model, key=key)

    @classmethod
    def create_at(
        cls, path: Path, embedding_model: str = "", key: LibraryKey | None = None
    ) -> Library:
        """Create a library in the folder `path` (encrypted with `key` if given). It is built
        under a hidden name beside it and renamed when complete, so a crash never leaves a
        library without its model (or its key file). Without a model named ('' or 'auto') it
        starts with the multilingual default and settles on a model from its first document
        (`settle_model`)."""
        auto = embedding_model in AUTO_MODEL_REFS
        model = resolve_embedding_model("" if auto else embedding_model)
        dim = _KNOWN_DIMS.get(model.id) or Embedder(model).dim
        root = ensure_private_dir(path.parent)
        _remove_abandoned_creations(root)
        building = ensure_private_dir(root / f"{_CREATING}{uuid.uuid4().hex}")
        with LibraryLock(building):
            if key is not None:
                crypto.write_keyfile(building, key)
            store = Store(building / "library.db", key=key)
            try:
                checkpoint("library-created")
                store.set_meta(
                    {
                        **_model_meta(model),
                        "embedding_model_path": (
                            str(model.path) if model.id not in _BUNDLED_IDS else ""
                        ),
                        "embedding_dim": str(dim),
                        "embedding_choice": "auto" if auto else "chosen",
                    }
                )
            finally:
                store.close()
        try:
            if path.exists():
                path.rmdir()  # an empty folder of that name; a non-empty one stops us
            os.rename(building, path)
        except OSError as exc:
            shutil.rmtree(building, ignore_errors=True)
            raise UserError(
                f"A library named '{path.name}' cannot be created: {path} is in the way "
                f"({exc.strerror}).",
                "Choose another name or move that folder away.",
            ) from exc
        log.info("library created: %s (%s%s)", path.name, model.id, ", encrypted" if key else "")
        return cls(path)

    @classmethod
    def open(cls, name: str, *, readonly: bool = False, passphrase: Passphrase = None) -> Library:
        return cls(_existing(name), readonly=readonly, passphrase=passphrase)

    @classmethod
    def open_or_create(
        cls, name: str, embedding_model: str = "", passphrase: Passphrase = None
    ) -> Library:
        """Open `name` (its `passphrase` if it is encrypted), or create it unencrypted."""
        if (library_path(name) / "library.db").exists():
            return cls.open(name, passphrase=passphrase)
        return cls.create(name, embedding_model)

    def close(self) -> None:
        vectors = getattr(self, "vectors", None)
        if vectors is not None and vectors.dirty and not self.readonly:
            with contextlib.suppress(Exception):
                vectors.save()
        store = getattr(self, "store", None)
        if store is not None:
            store.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db_path(self) -> Path:
        return self.path / "library.db"

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    def reading_store(self) -> Store:
        """Another connection to the database, read-only, for another thread."""
        return Store(self.db_path, readonly=True, key=self.key)

    # --- the embedding model ---

    def _resolve_recorded_model(self, model_id: str) -> EmbeddingModel:
        if model_id in _BUNDLED_IDS:  # found where this installation keeps it
            return resolve_embedding_model(model_id)
        recorded = self.store.get_meta("embedding_model_path") or model_id.removeprefix("local:")
        model = resolve_embedding_model(recorded)
        multilingual = self.store.get_meta("embedding_multilingual") == "1"
        return EmbeddingModel(model_id, model.path, multilingual)

    def check_model(self, embedding_model: str) -> None:
        """Refuse a different embedding model than the library's own, with the reason."""
        if embedding_model in AUTO_MODEL_REFS:
            return
        wanted = resolve_embedding_model(embedding_model)
        if wanted.id != self.embedding_model.id:
            raise UserError(
                f"The library '{self.name}' was built with {self.embedding_model.id}; "
                f"it cannot mix in {wanted.id}.",
                "Create a new library for that model, or re-embed this one.",
            )

    @property
    def chooses_model(self) -> bool:
        """Whether the library picks its model from its documents (and has not been given
        one): true while it holds none of the user's (the user guide does not choose), and
        again once it is emptied."""
        from desktop_rag.core.documents.guide import is_guide

        if self.store.get_meta("embedding_choice") != "auto":
            return False
        # the guide is one document: of any two, one is the user's
        ready = self.store.conn.execute(
            "SELECT path FROM documents WHERE status = 'ready' LIMIT 2"
        ).fetchall()
        return all(is_guide(path) for (path,) in ready)

    def settle_model(self, sample: str) -> bool:
        """Choose the model for the library's first document from a sample of its text:
        all-MiniLM-L6-v2 for English (it finds the right passage more often there than the
        4-bit multilingual-e5-small: SciFact, FinanceBench in the README), the multilingual
        default for anything else. Only while the library `chooses_model`; True when the
        model changed."""
        if self.readonly or not self.chooses_model:
            return False
        ref = MINILM_ID if text_language(sample) == "en" else ""
        try:
            model = resolve_embedding_model(ref)
        except UserError:  # an installation without MiniLM keeps the default
            return False
        if model.id == self.embedding_model.id or _KNOWN_DIMS.get(model.id) != self.dim:
            return False
        self.reembed_stored(ref, defer=True)  # the user guide's chunks, if it is there
        log.info("library %s: %s for its documents", self.name, model.id)
        return True

    def reembed_stored(
        self, ref: str, cancel: CancelToken | None = None, defer: bool = False
    ) -> None:
        """Switch to the model `ref` (of the same dimension) and embed the stored chunks with
        it, keeping their cuts: for the first documents of a library that turned out not to be
        all English (Ingestor). Cheaper than `rebuild_with_model`, which reads every file again.
        The chunks wait for their new embeddings (searchable by keywords meanwhile), computed
        here, or with `defer` by the next `embed_pending`."""
        self._require_writable()
        model = resolve_embedding_model(ref)
        if _KNOWN_DIMS.get(model.id) != self.dim:
            raise UserError(f"{model.id} cannot replace {self.embedding_model.id} in place.")
        # without its file, the index is rebuilt from the store on opening: a crash from here
        # on leaves the store's vectors (old, or none yet) and an index made from them
        with contextlib.suppress(FileNotFoundError):
            self.vectors.path.unlink()
        self.store.clear_embeddings(_model_meta(model))
        self.embedding_model = model
        self.vectors.reset()
        self.vectors.save()
        log.info("library %s switched in place to %s", self.name, model.id)
        if not defer:
            self.embed_pending(cancel=cancel)

    def embed_pending(
        self,
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
        pause: Callable[[], bool] | None = None,
    ) -> Any:
        """Compute the embeddings still missing (documents searchable by keywords only so
        far), until done or `pause()` is true; returns a MeaningReport."""
        from desktop_rag.core.indexing.meaning import embed_pending

        self._require_writable()
        return embed_pending(self, progress, cancel, pause)

    def pending_embeddings(self) -> tuple[int, int]:
        """(chunks searchable by keywords only so far, all chunks)."""
        return self.store.pending_counts()

    def embedder(self) -> Embedder:
        """This thread's embedder for the library's model."""
        return embedder_for(self.embedding_model)

    # --- documents ---

    def ingest(
        self,
        paths: Iterable[str | Path],
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
        password: str | None = None,
        passwords: dict[str, str] | None = None,
        force: bool = False,
        embed: bool = True,
    ) -> Any:
        """Add files and folders (`force`: re-index unchanged ones too); returns an
        IngestReport. Each document is searchable by keywords once stored; their embeddings
        are computed at the end, or with `embed=False` left to `embed_pending`."""
        from desktop_rag.core.indexing.ingest import Ingestor

        self._require_writable()
        return Ingestor(self, progress, cancel, passwords, password, force, embed).run(paths)

    def documents(self) -> list[dict[str, Any]]:
        return self.store.documents()

    def remove_document(self, document_id: int) -> None:
        self._require_writable()
        removed = self.store.remove_document(document_id)
        self.vectors.remove(removed)
        self.vectors.save()

    def remove_missing(self) -> list[str]:
        """Drop documents whose file is gone; return their paths."""
        self._require_writable()
        gone = [d for d in self.store.documents() if not Path(d["path"]).exists()]
        for doc in gone:
            self.vectors.remove(self.store.remove_document(doc["id"]))
        if gone:
            self.vectors.save()
        return [d["path"] for d in gone]

    # --- linked folders ---

    def linked_folders(self) -> list[dict[str, Any]]:
        """Folders the library follows: path, added_at, synced_at, and whether it is there."""
        return [{**row, "present": os.path.isdir(row["path"])} for row in self.store.folders()]

    def link_folder(self, path: str | Path) -> str:
        """Follow a folder: its files are added, and kept in sync by every sync pass and by
        the watcher. Returns the folder as stored."""
        from desktop_rag.core.indexing.watch import check_folder

        self._require_writable()
        folder = check_folder(path)
        if self.store.add_folder(folder):
            log.info("folder linked: %s", folder)
        return folder

    def unlink_folder(self, path: str | Path, remove_documents: bool = False) -> list[str]:
        """Stop following a folder; with `remove_documents`, also drop the documents under it
        (and nothing else). Returns the paths removed."""
        from desktop_rag.core.indexing.watch import folder_key, is_under

        self._require_writable()
        folder = folder_key(path)
        known = {row["path"] for row in self.store.folders()}
        if folder not in known and str(path) in known:
            folder = str(path)  # a folder gone from disk cannot be resolved again
        if not self.store.remove_folder(folder):
            raise UserError(f"{folder} is not a linked folder of '{self.name}'.")
        removed: list[str] = []
        if remove_documents:
            for doc in self.store.documents():
                if is_under(doc["path"], folder):
                    self.vectors.remove(self.store.remove_document(doc["id"]))
                    removed.append(doc["path"])
            if removed:
                self.vectors.save()
        log.info("folder unlinked: %s (%d documents removed)", folder, len(removed))
        return removed

    def sync_folder(
        self,
        path: str | Path,
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
        wait_s: float = 0.0,
        on_wait: Callable[[list[str]], None] | None = None,
        embed: bool = True,
    ) -> Any:
        """One pass over a folder (add, update, follow renames, remove what is gone under it);
        returns a SyncReport. With `wait_s`, files still being written are waited for (up to
        that long in all; `on_wait` hears which) instead of being left to the next pass."""
        from desktop_rag.core.indexing.watch import sync_folder

        self._require_writable()
        return sync_folder(
            self, str(path), progress, cancel, wait_s=wait_s, on_wait=on_wait, embed=embed
        )

    def sync_linked_folders(
        self,
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Any]:
        """A pass over every linked folder: catches what changed while the app was closed."""
        from desktop_rag.core.indexing.watch import sync_linked_folders

        self._require_writable()
        return sync_linked_folders(self, progress, cancel)

    def search(self, query: str, k: int = 10, scope: list[int] | None = None) -> list[Any]:
        """Hybrid keyword + meaning search; returns Hits, best first. `scope`: only in these
        documents (ids, as `find_documents` and `documents_in_folder` give them)."""
        from desktop_rag.core.search.retrieval import search

        if not self.encrypted:  # questions only in debug logs, and never an encrypted library's
            log.debug("search in %s: %r", self.name, query)
        return search(
            self.store, self.vectors, self.embedder(), self.embedding_model, query, k, scope=scope
        )

    def find_documents(self, refs: Iterable[str]) -> list[dict[str, Any]]:
        """The documents named by `refs` (an id, a path, a file name or a title, or a part of
        one that only one document has), each once; a name that fits none or several is an
        error that lists what it could mean."""
        return find_documents(self.store, refs)

    def documents_in_folder(self, folder: str | Path) -> list[dict[str, Any]]:
        """The indexed documents under a folder (a linked folder, or any on disk)."""
        from desktop_rag.core.storage.catalog import in_folder, user_documents

        path = os.path.abspath(os.path.expanduser(str(folder)))
        return [d for d in user_documents(self.store) if in_folder(d["path"], path)]

    def reader(self) -> LibraryReader:
        """A view for another thread (the ask lane): its own connection, the shared index."""
        return LibraryReader(self)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = dict(self.store.stats())
        stats["bytes"] = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        stats["embedding_model"] = self.embedding_model.id
        return stats

    def _require_writable(self) -> None:
        if self.readonly:
            raise UserError(f"The library '{self.name}' is open read-only.")


def find_documents(store: Store, refs: Iterable[str]) -> list[dict[str, Any]]:
    """Library.find_documents on any store (the ask lane's reader has its own)."""
    from desktop_rag.core.storage import catalog

    out: list[dict[str, Any]] = []
    for ref in refs:
        found = catalog.find_documents(store, ref)
        if not found:
            raise UserError(
                f"No document in this library is called '{ref}'.",
                'Give its file name, title or number; `desktop-rag ask "list my documents"` '
                "lists them.",
            )
        if len(found) > 1:
            names = "; ".join(f"{d['id']}: {Path(d['path']).name}" for d in found[:6])
            more = f" and {len(found) - 6} more" if len(found) > 6 else ""
            raise UserError(
                f"'{ref}' could mean {len(found)} documents ({names}{more}).",
                "Give more of the name, or its number.",
            )
        if found[0]["id"] not in {d["id"] for d in out}:
            out.append(found[0])
    return out


class LibraryReader:
    """Search and chats from a second thread. It has its own SQLite connection (writes only
    chats and messages) and shares the library's thread-safe vector index."""

    def __init__(self, library: Library) -> None:
        self.name = library.name
        self.store = Store(library.db_path, readonly=library.readonly, key=library.key)
        self.vectors = library.vectors
        self._library = library

    @property
    def embedding_model(self) -> EmbeddingModel:
        """The library's, read each time: the first document may settle it (settle_model)."""
        return self._library.embedding_model

    def search(self, query: str, k: int = 10, scope: list[int] | None = None) -> list[Any]:
        from desktop_rag.core.search.retrieval import search

        model = self.embedding_model
        return search(self.store, self.vectors, embedder_for(model), model, query, k, scope=scope)

    def pending_embeddings(self) -> tuple[int, int]:
        """(chunks searchable by keywords only so far, all chunks): meaning search is partial
        while the first is not 0."""
        return self.store.pending_counts()

    def close(self) -> None:
        self.store.close()
