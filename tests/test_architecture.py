"""The rules that keep the code base simple and the app safe to import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

HEAVY = ["usearch.index", "pymupdf", "sentence_transformers", "llama_cpp", "onnxruntime"]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )


def _installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name.split(".")[0]) is not None


@pytest.mark.parametrize("first", range(len(HEAVY)))
def test_heavy_libraries_import_in_any_order(first: int):
    """usearch before onnxruntime segfaulted once; every rotation puts each pair both ways."""
    mods = [m for m in HEAVY if _installed(m)]
    if first >= len(mods):
        pytest.skip("module not installed")
    order = mods[first:] + mods[:first]
    proc = _python(
        "import importlib\n"
        + "".join(f"importlib.import_module({m!r})\n" for m in order)
        + "from desktop_rag.core.storage.vectors import VectorIndex\n"
        "import numpy as np, pathlib\n"
        "v = VectorIndex(pathlib.Path('x'), 4); v.add([1], np.ones((1, 4)))\n"
        "print(v.search(np.ones(4), 1))\n"
    )
    assert proc.returncode == 0, (order, proc.stderr[-2000:])


def test_core_imports_and_runs_without_qt():
    proc = _python(
        """
        import sys, importlib, pkgutil
        class NoQt:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'shiboken6'):
                    raise ImportError('Qt is not allowed in the core')
        sys.meta_path.insert(0, NoQt())
        import desktop_rag.core as core
        for m in pkgutil.walk_packages(core.__path__, 'desktop_rag.core.'):
            importlib.import_module(m.name)
        from desktop_rag.core.textnorm import fts_query
        print(fts_query('ok'))
        """
    )
    assert proc.returncode == 0, proc.stderr


def test_importing_the_package_does_no_work(tmp_path):
    home = tmp_path / "never-created"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, desktop_rag.cli, desktop_rag.core.library;"
            "print(any(m in sys.modules for m in ('torch', 'sentence_transformers', 'llama_cpp')))",
        ],
        capture_output=True,
        text=True,
        env={"DESKTOP_RAG_HOME": str(home), "PATH": "/usr/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
    assert not home.exists()


def test_offline_switches_are_set_on_import():
    proc = _python(
        "import desktop_rag, os; "
        "print(os.environ['HF_HUB_OFFLINE'], os.environ['TRANSFORMERS_OFFLINE'])"
    )
    assert proc.stdout.split() == ["1", "1"]


def test_llm_loads_with_the_vector_index_in_the_same_process():
    """usearch 2.26 broke llama.cpp's vocabulary loading (std::bad_cast) once imported; the
    app keeps the model in its own process, but `bench` runs bare llama.cpp beside the index."""
    proc = _python(
        """
        import numpy as np
        from desktop_rag.core.storage.vectors import VectorIndex
        from desktop_rag.core.answers.llama_runtime import load_cpu_backend
        from desktop_rag.core.answers.models import SMALLEST_BUNDLED, bundled_llm_path
        import pathlib
        v = VectorIndex(pathlib.Path('x'), 4); v.add([1], np.ones((1, 4)))
        load_cpu_backend()
        from llama_cpp import Llama
        llm = Llama(str(bundled_llm_path(SMALLEST_BUNDLED)), n_ctx=512, verbose=False)
        print(len(llm.tokenize(b'hello world')))
        """
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip()) > 0
