"""Search: text into vectors, and a question into ranked chunks.

Owns the embedding model (resolve, batch, normalise), and hybrid retrieval (FTS5 BM25 plus
vectors, reciprocal rank fusion).
May import: `storage`, `documents` and the shared leaves. Never indexing, answers or the
library facade."""
