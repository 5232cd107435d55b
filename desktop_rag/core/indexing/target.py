"""What indexing needs of a library: its writer's store and vector index, and its embedding model.

`desktop_rag.core.library.Library` (the facade above this package) is the one implementation.
Ingest and folder sync name this protocol instead of importing the facade, so the dependency
runs one way: library -> indexing -> search, storage, documents."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from desktop_rag.core.search.embedding import Embedder, EmbeddingModel
    from desktop_rag.core.storage.store import Store
    from desktop_rag.core.storage.vectors import VectorIndex
    from desktop_rag.core.tasks import CancelToken, Progress


class IndexTarget(Protocol):
    """An open, writable library as the index lane sees it."""

    @property
    def store(self) -> Store: ...

    @property
    def vectors(self) -> VectorIndex: ...

    @property
    def db_path(self) -> Path: ...

    @property
    def embedding_model(self) -> EmbeddingModel: ...

    @property
    def chooses_model(self) -> bool: ...

    def embedder(self) -> Embedder:
        """This thread's embedder for the library's model."""
        ...

    def reading_store(self) -> Store:
        """Another connection to the database, read-only (keyed if it is encrypted)."""
        ...

    def settle_model(self, sample: str) -> bool:
        """Choose the library's model from a sample of its first document; True if it changed."""
        ...

    def reembed_stored(
        self, ref: str, cancel: CancelToken | None = None, defer: bool = False
    ) -> None:
        """Re-embed what is stored with the model `ref` names (`defer`: leave it pending)."""
        ...

    def ingest(
        self,
        paths: Iterable[str | Path],
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
        *,
        embed: bool = True,
    ) -> Any:
        """Add files and folders; returns an IngestReport (`embed` False: their embeddings
        are left pending)."""
        ...
