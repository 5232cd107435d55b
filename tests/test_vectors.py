"""The vector index survives what USearch does not: in a child process, as a crash there
would take pytest down with it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def test_adding_after_the_last_document_was_removed_and_the_index_reloaded(tmp_path: Path):
    """Seen when a watched folder lost its only file and then got a new one: USearch 2.25
    segfaults adding to an index it loaded empty after removals."""
    code = textwrap.dedent(
        f"""
        import numpy as np
        from pathlib import Path
        from desktop_rag.core.storage.vectors import VectorIndex

        path = Path({str(tmp_path / "v.usearch")!r})
        first = VectorIndex(path, 4)
        first.add([1, 2], np.ones((2, 4)))
        first.remove([1, 2])
        first.save()
        second = VectorIndex(path, 4)
        assert second.load()
        second.add([3], np.ones((1, 4)))
        print(len(second), second.search(np.ones(4), 1)[0][0])
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["1", "3"]


def test_a_scope_is_searched_exactly_and_a_changed_vector_is_seen(tmp_path: Path):
    import numpy as np

    from desktop_rag.core.storage import vectors as vectors_module
    from desktop_rag.core.storage.vectors import VectorIndex

    rng = np.random.default_rng(0)
    index = VectorIndex(tmp_path / "v.usearch", 8)
    vecs = rng.standard_normal((200, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index.add(list(range(1, 201)), vecs)
    query = vecs[10] + 0.01
    scope = np.arange(1, 51)
    found = index.search_among(query, scope, 5)
    expect = np.argsort(-(vecs[:50].astype(np.float16).astype(np.float32) @ query))[:5] + 1
    assert [cid for cid, _ in found] == expect.tolist() and found[0][0] == 11
    assert index.search_among(query, np.array([11]), 3)[0][0] == 11  # a scope of one chunk
    # the same scope after chunk 11 changed: the kept matrix is not reused
    index.remove([11])
    index.add([11], -vecs[10:11])
    assert found[0][0] not in [cid for cid, _ in index.search_among(query, scope, 3)]
    # a scope larger than the exact limit goes through the index and keeps to the scope
    big = np.arange(1, 151)
    old = vectors_module.EXACT_SCOPE_LIMIT
    vectors_module.EXACT_SCOPE_LIMIT = 100
    try:
        through_index = index.search_among(query, big, 10)
    finally:
        vectors_module.EXACT_SCOPE_LIMIT = old
    assert through_index and all(1 <= cid <= 150 for cid, _ in through_index)
