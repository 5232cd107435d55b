"""Storage: a library's files on disk.

Owns the SQLite store (`library.db`: schema, migrations, queries, FTS5), the USearch vector
index (`vectors.usearch`: atomic save, rebuilt from the store) and the library lock.
May import: `documents` and the shared leaves. Never indexing, search, answers or the library
facade."""
