"""The USearch index: a fast cache of the embeddings that SQLite keeps.

The file ends with a checksum of the index: a damaged index can crash USearch (it trusts the
graph links it reads), so a file whose checksum does not match is never loaded; the index is
rebuilt from the embeddings in SQLite instead. An encrypted library's index is sealed with its
key (AES-256-GCM, which authenticates it as the checksum does) and is only ever decrypted into
memory: opening it costs about 0.1 s at 15,000 chunks, where rebuilding it from the store
would take 5 s."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np

from desktop_rag.core.errors import DiskFullError, as_user_error
from desktop_rag.core.faults import checkpoint
from desktop_rag.core.storage.crypto import LibraryKey
from desktop_rag.core.storage.store import Store

log = logging.getLogger(__name__)

_MAGIC = b"desktop-rag vectors sha256 v1:"
_TRAILER_SIZE = len(_MAGIC) + 32
TEMP_PREFIX = ".vectors."
SEALED_PURPOSE = "vectors.usearch"
# How a scope (some documents' chunks) is searched: see VectorIndex.search_among.
EXACT_SCOPE_LIMIT = 20_000
MAX_SCOPE_NEIGHBOURS = 4_000


class VectorIndex:
    """Cosine index over chunk embeddings, keyed by chunk id, saved atomically (sealed with
    `key` for an encrypted library)."""

    def __init__(self, path: Path, dim: int, key: LibraryKey | None = None) -> None:
        self.path = path
        self.dim = dim
        self.key = key
        self._lock = threading.RLock()
        self._index = self._new()
        self.dirty = False
        self._changes = 0  # adds, removals, loads: a kept scope matrix is of one version
        self._scope_cache: tuple[tuple[int, ...], np.ndarray, np.ndarray] | None = None

    def _new(self):
        _onnxruntime_first()
        from usearch.index import Index

        return Index(ndim=self.dim, metric="cos", dtype="f16")

    def __len__(self) -> int:
        return len(self._index)

    def load(self) -> bool:
        """Read the index file; False when it is missing, unreadable or damaged."""
        if not self.path.exists():
            return False
        try:
            _onnxruntime_first()
            from usearch.index import Index

            source: str | bytes = str(self.path)
            if self.key is not None:
                try:
                    source = self.key.open(self.path.read_bytes(), SEALED_PURPOSE)
                except ValueError as exc:
                    log.warning("vector index %s cannot be opened (%s), rebuilding", self.path, exc)
                    return False
            elif not _checksum_ok(self.path):
                log.warning(
                    "vector index %s fails its checksum (damaged or older), rebuilding", self.path
                )
                return False
            meta = Index.metadata(source)
            if meta is None or int(meta.get("dimensions", -1)) != self.dim:
                log.warning("vector index %s has the wrong shape, rebuilding", self.path)
                return False
            index = self._new()
            index.load(source)
            if len(index) == 0:
                # USearch crashes adding to an index loaded empty after removals (the last
                # document of a library removed): an empty index is as good as a new one
                index = self._new()
        except Exception as exc:  # a garbage file: we rebuild it from the store
            log.warning("vector index %s unreadable (%s), rebuilding", self.path, exc)
            return False
        with self._lock:
            self._index = index
            self.dirty = False
            self._changes += 1
        return True

    def fingerprint(self) -> tuple[int, int]:
        """(count, sum of keys), comparable with Store.chunk_id_fingerprint."""
        with self._lock:
            if len(self._index) == 0:
                return 0, 0
            keys = np.asarray(self._index.keys, dtype=np.uint64)
        return len(keys), int(keys.sum(dtype=np.uint64))

    def sync_with(self, store: Store) -> tuple[int, int]:
        """Make the index hold exactly the store's chunks; return (added, removed)."""
        if self.fingerprint() == store.chunk_id_fingerprint():
            return 0, 0
        want = store.all_chunk_ids()
        with self._lock:
            have = (
                np.asarray(self._index.keys, dtype=np.uint64)
                if len(self._index)
                else (np.zeros(0, dtype=np.uint64))
            )
        extra = np.setdiff1d(have, want, assume_unique=True)
        missing = np.setdiff1d(want, have, assume_unique=True)
        if len(extra):
            self.remove(extra)
        for start in range(0, len(missing), 4096):
            ids = missing[start : start + 4096]
            self.add(ids, store.embeddings_for([int(i) for i in ids], self.dim))
        log.info("vector index synced with store: +%d -%d", len(missing), len(extra))
        return len(missing), len(extra)

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray, threads: int = 1) -> None:
        """Insert vectors under chunk ids (`threads` 0: all cores, for bulk loads)."""
        if len(ids) == 0:
            return
        keys = np.asarray(ids, dtype=np.uint64)
        with self._lock:
            self._index.add(keys, np.asarray(vectors, dtype=np.float16), threads=threads)
            self.dirty = True
            self._changes += 1

    def remove(self, ids: np.ndarray | list[int]) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            self._index.remove(np.asarray(ids, dtype=np.uint64))
            self.dirty = True
            self._changes += 1

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest chunks as (chunk id, cosine similarity), best first."""
        with self._lock:
            if len(self._index) == 0 or k <= 0:
                return []
            matches = self._index.search(
                np.asarray(vector, dtype=np.float16), min(k, len(self._index))
            )
        return [
            (int(key), 1.0 - float(dist))
            for key, dist in zip(matches.keys, matches.distances, strict=True)
        ]

    def search_among(self, vector: np.ndarray, ids: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest chunks among `ids` only (a scope), as (chunk id, cosine), best first. A
        scope of up to EXACT_SCOPE_LIMIT chunks is compared chunk by chunk (a matrix of their
        vectors, kept for the next question in the same scope); a larger one is searched in the
        whole index, asking for as many more neighbours as the scope is smaller than the index,
        and filtered; when that would be more than MAX_SCOPE_NEIGHBOURS, chunk by chunk after
        all. On 100k chunks (2 busy cores): a kept matrix of 20k answers in about 12 ms (making
        it takes 20 to 40 ms); the index finds 300 of 50k in 12 ms, of 5k in 90 ms (6,300
        neighbours asked for)."""
        keys = np.asarray(ids, dtype=np.uint64)
        if k <= 0 or not len(keys):
            return []
        total = len(self)
        want = min(total, k * -(-total // len(keys)) + k)
        if len(keys) > EXACT_SCOPE_LIMIT and want <= MAX_SCOPE_NEIGHBOURS:
            allowed = set(keys.tolist())
            return [(cid, s) for cid, s in self.search(vector, want) if cid in allowed][:k]
        keys, matrix = self._scope_matrix(keys)
        if not len(keys):
            return []
        query = np.asarray(vector, dtype=np.float32)
        sims = matrix @ (query / (float(np.linalg.norm(query)) or 1.0))
        top = np.argpartition(-sims, k - 1)[:k] if len(sims) > k else np.arange(len(sims))
        return sorted(((int(keys[i]), float(sims[i])) for i in top), key=lambda kv: (-kv[1], kv[0]))

    def _scope_matrix(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The scope's keys that are in the index and their unit vectors as a float32 matrix,
        kept for the next question in the same scope (reading and converting 10k vectors
        costs tens of milliseconds; the product with the query a few)."""
        with self._lock:
            tag = (self._changes, len(keys), int(keys[0]), int(keys[-1]), hash(keys.tobytes()))
            if self._scope_cache is not None and self._scope_cache[0] == tag:
                return self._scope_cache[1], self._scope_cache[2]
            found = self._index.get(keys, dtype=np.float16)
        if isinstance(found, np.ndarray) and found.ndim == 1:
            found = (found,)  # one key: one vector, not a tuple of them
        keys = keys[np.fromiter((v is not None for v in found), dtype=bool, count=len(found))]
        # one copy into a matrix: stacking 10k small arrays one by one costs several times more
        blob = b"".join(v for v in found if v is not None)
        matrix = np.frombuffer(blob, dtype=np.float16).reshape(len(keys), self.dim)
        matrix = matrix.astype(np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix /= np.where(norms > 0, norms, 1.0)
        with self._lock:
            if self._changes == tag[0]:  # not changed meanwhile
                self._scope_cache = (tag, keys, matrix)
        return keys, matrix

    def save(self) -> None:
        """Write to a temporary file, then rename over the old one: never a half-written index."""
        with self._lock:
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=self.path.parent)
            os.close(fd)  # mkstemp made it owner-only
            try:
                if self.key is not None:  # sealed in memory: no plaintext touches the disk
                    sealed = self.key.seal(self._index.save(), SEALED_PURPOSE)
                    with open(tmp, "wb") as f:
                        f.write(sealed)
                        f.flush()
                        os.fsync(f.fileno())
                else:
                    self._save_plain(tmp)
                checkpoint("vector-save")
                os.replace(tmp, self.path)
            except BaseException as exc:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                user_error = as_user_error(exc) if isinstance(exc, OSError) else None
                if user_error is not None:
                    raise user_error from exc
                raise
            self.dirty = False

    def _save_plain(self, tmp: str) -> None:
        try:
            self._index.save(tmp)
        except RuntimeError as exc:  # USearch does not say why; a full disk is likely
            needed = int(self._index.serialized_length) + _TRAILER_SIZE
            if shutil.disk_usage(self.path.parent).free < needed:
                raise DiskFullError(str(self.path.parent)) from exc
            raise
        with open(tmp, "r+b") as f:
            digest = _sha256_of(f, os.fstat(f.fileno()).st_size)
            f.seek(0, os.SEEK_END)
            f.write(_MAGIC + digest)
            f.flush()
            os.fsync(f.fileno())

    def reset(self) -> None:
        with self._lock:
            self._index = self._new()
            self.dirty = True
            self._changes += 1


def _onnxruntime_first() -> None:
    """Import onnxruntime (the embedding models' runtime) before usearch: the other order
    segfaults with some usearch builds (2.26)."""
    if "usearch.index" in sys.modules or "onnxruntime" in sys.modules:
        return
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401


def remove_stale_temp_files(folder: Path) -> None:
    """Delete index files a crash left half-written (call with the library's lock held)."""
    for stale in folder.glob(f"{TEMP_PREFIX}*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _sha256_of(f: BinaryIO, length: int) -> bytes:
    h = hashlib.sha256()
    f.seek(0)
    left = length
    while left > 0:
        block = f.read(min(left, 1 << 20))
        if not block:
            break
        h.update(block)
        left -= len(block)
    return h.digest()


def _checksum_ok(path: Path) -> bool:
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size <= _TRAILER_SIZE:
            return False
        f.seek(size - _TRAILER_SIZE)
        trailer = f.read(_TRAILER_SIZE)
        if not trailer.startswith(_MAGIC):
            return False
        return _sha256_of(f, size - _TRAILER_SIZE) == trailer[len(_MAGIC) :]
