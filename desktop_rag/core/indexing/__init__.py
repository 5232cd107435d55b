"""Indexing: the index lane. Files and linked folders into a library.

Owns the ingest pipeline (find, parse in the child, chunk, embed, store; progress, cancel,
resume), linked-folder sync and watching, and `IndexTarget`, what it needs of a library.
May import: `search`, `storage`, `documents` and the shared leaves. Never `answers` (the other
lane) nor the library facade above it: it is handed a library as an `IndexTarget`."""
