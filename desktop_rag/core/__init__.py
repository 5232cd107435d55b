"""Everything that works without Qt: libraries, ingestion, search and answers.

Layers, each importing only those below it (import-linter checks it, pyproject.toml):

    measure                 eval and bench
    library                 the facade the GUI and the CLI call (module core/library.py)
    answers | indexing      the ask lane | the index lane (neither imports the other)
    search                  embedding model, hybrid retrieval
    storage                 SQLite store, vector index, lock
    documents               loaders, page layout, chunking, the parser process
    config, errors, faults, fsutil, tasks, textnorm    shared leaves"""
