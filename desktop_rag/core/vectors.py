"""The USearch index: a fast cache of the embeddings that SQLite keeps."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

from desktop_rag.core.store import Store

log = logging.getLogger(__name__)


class VectorIndex:
    """Cosine index over chunk embeddings, keyed by chunk id, saved atomically."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.dim = dim
        self._lock = threading.RLock()
        self._index = self._new()
        self.dirty = False

    def _new(self):
        from usearch.index import Index

        return Index(ndim=self.dim, metric="cos", dtype="f16")

    def __len__(self) -> int:
        return len(self._index)

    def load(self) -> bool:
        """Read the index file; False when it is missing or unreadable."""
        if not self.path.exists():
            return False
        try:
            from usearch.index import Index

            meta = Index.metadata(str(self.path))
            if meta is None or int(meta.get("dimensions", -1)) != self.dim:
                log.warning("vector index %s has the wrong shape, rebuilding", self.path)
                return False
            index = self._new()
            index.load(str(self.path))
        except Exception as exc:  # a garbage file: we rebuild it from the store
            log.warning("vector index %s unreadable (%s), rebuilding", self.path, exc)
            return False
        with self._lock:
            self._index = index
            self.dirty = False
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

    def remove(self, ids: np.ndarray | list[int]) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            self._index.remove(np.asarray(ids, dtype=np.uint64))
            self.dirty = True

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

    def save(self) -> None:
        """Write to a temporary file, then rename over the old one: never a half-written index."""
        with self._lock:
            fd, tmp = tempfile.mkstemp(prefix=".vectors.", suffix=".tmp", dir=self.path.parent)
            os.close(fd)
            try:
                self._index.save(tmp)
                with open(tmp, "rb") as f:
                    os.fsync(f.fileno())
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self.dirty = False

    def reset(self) -> None:
        with self._lock:
            self._index = self._new()
            self.dirty = True
