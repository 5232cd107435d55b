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
