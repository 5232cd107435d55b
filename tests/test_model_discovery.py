"""Models other apps downloaded, found on disk: a fake Ollama store and an LM Studio folder
under a temporary HOME, with tiny GGUF files written by llama.cpp's own `gguf` writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from modelgen import SPARSE_SIZE, fake_home, lm_studio_folder, ollama_store, tiny_gguf

from desktop_rag.core.answers import model_discovery as md
from desktop_rag.core.answers.models import list_models, resolve_llm, set_default
from desktop_rag.core.errors import UserError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return fake_home(tmp_path / "user", monkeypatch)


@pytest.fixture
def stores(home: Path, tmp_path: Path) -> dict[str, Path]:
    return {
        "blob": ollama_store(home / ".ollama" / "models", tmp_path),
        "lmstudio": lm_studio_folder(home / ".lmstudio" / "models"),
    }


def _read_bytes() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_ollama_and_lm_studio_models_are_found_from_their_headers(stores: dict[str, Path]):
    problems: list[md.Unusable] = []
    before = _read_bytes()
    found = {m.name: m for m in md.find_models(on_problem=problems.append)}
    read = _read_bytes() - before
    assert set(found) >= {
        "tinyllama:latest",
        "lmstudio-community/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q8_0.gguf",
    }
    ollama = found["tinyllama:latest"]
    assert ollama.source == "Ollama" and ollama.path == str(stores["blob"])
    assert ollama.info.name == "TinyLlama 1.1B Chat" and ollama.info.quantization == "Q4_0"
    assert ollama.info.context_length == 2048 and ollama.size_bytes == SPARSE_SIZE
    lms = found["lmstudio-community/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q8_0.gguf"]
    assert lms.source == "LM Studio" and lms.info.quantization == "Q8_0"
    assert lms.info.context_length == 4096
    # the projector and the cut-off download are reported, not offered
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert "not one that answers" in reasons["mmproj-model-f16.gguf"]
    assert "ends too early" in reasons["broken-Q4_K_M.gguf"]
    assert not any(m.endswith("mmproj-model-f16.gguf") for m in found)
    assert read < 2_000_000, f"read {read} bytes of two 1 GB models: more than their headers"


def test_a_found_model_is_used_by_reference_never_copied(stores: dict[str, Path]):
    found = md.find_model("tinyllama:latest")
    assert found is not None
    info = md.use_found_model(found)
    link = Path(info.path)
    assert link.parent.name == "models" and link.name == "ollama-tinyllama-latest.gguf"
    assert os.path.samefile(link, stores["blob"])
    assert link.is_symlink() or link.stat().st_nlink > 1  # a link, not a second gigabyte
    assert str(link) in {m.path for m in list_models()}
    assert resolve_llm("ollama-tinyllama-latest") == link
    assert md.registered_path(found) == link
    assert md.use_found_model(found).path == str(link)  # a second click changes nothing


def test_a_blob_used_by_its_recorded_path_resolves(stores: dict[str, Path]):
    """Where no link can be made, the settings record the blob's own path (no .gguf)."""
    blob = stores["blob"]
    assert resolve_llm(str(blob)) == blob
    assert set_default(str(blob)).name == "TinyLlama 1.1B Chat"
    assert resolve_llm("") == blob
    not_a_model = blob.parent / f"sha256-{'0' * 64}"
    with pytest.raises(UserError, match="Model not found"):
        resolve_llm(str(not_a_model))


def test_the_cli_lists_found_models_and_adds_one(stores: dict[str, Path], home: Path):
    env = {**os.environ, "HOME": str(home), "DESKTOP_RAG_HOME": str(home / "app")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "desktop_rag", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    listed = run("models", "list", "--found", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["tinyllama:latest"]["source"] == "Ollama"
    assert rows["tinyllama:latest"]["quantization"] == "Q4_0"
    assert rows["tinyllama:latest"]["context_length"] == 2048
    text = run("models", "list", "--found")
    assert "tinyllama:latest\tllama, Q4_0, 1.1 GB, context 2048\tOllama: " in text.stdout
    assert "mmproj-model-f16.gguf" in text.stderr  # said why it is not offered

    added = run("models", "add", "tinyllama:latest", "--default")
    assert added.returncode == 0, added.stderr
    assert "from Ollama, by reference" in added.stdout
    listed = run("models", "list", "--json")
    default = next(r for r in json.loads(listed.stdout) if r["default"])
    assert default["name"] == "TinyLlama 1.1B Chat"
    assert Path(default["path"]).is_symlink()


@pytest.mark.parametrize(
    ("platform", "home", "env", "expected"),
    [
        (
            "darwin",
            "/Users/kim",
            {},
            {
                ("Ollama", "/Users/kim/.ollama/models"),
                ("LM Studio", "/Users/kim/.lmstudio/models"),
                ("GPT4All", "/Users/kim/Library/Application Support/nomic.ai/GPT4All"),
                ("Jan", "/Users/kim/Library/Application Support/Jan/data/models"),
                ("Hugging Face cache", "/Users/kim/.cache/huggingface/hub"),
            },
        ),
        (
            "win32",
            "C:\\Users\\kim",
            {"LOCALAPPDATA": "C:\\Users\\kim\\AppData\\Local", "OLLAMA_MODELS": "D:\\ollama"},
            {
                ("Ollama", "D:\\ollama"),
                ("Ollama", "C:\\Users\\kim\\.ollama\\models"),
                ("LM Studio", "C:\\Users\\kim\\.lmstudio\\models"),
                ("GPT4All", "C:\\Users\\kim\\AppData\\Local\\nomic.ai\\GPT4All"),
                ("Jan", "C:\\Users\\kim\\AppData\\Roaming\\Jan\\data\\models"),
                ("Hugging Face cache", "C:\\Users\\kim\\.cache\\huggingface\\hub"),
            },
        ),
        (
            "linux",
            "/home/kim",
            {"HF_HUB_CACHE": "/data/hf"},
            {
                ("Ollama", "/usr/share/ollama/.ollama/models"),
                ("GPT4All", "/home/kim/.local/share/nomic.ai/GPT4All"),
                ("Jan", "/home/kim/.config/Jan/data/models"),
                ("Hugging Face cache", "/data/hf"),
                ("llama.cpp cache", "/home/kim/.cache/llama.cpp"),
            },
        ),
    ],
)
def test_each_platform_has_its_own_folders(platform, home, env, expected):
    folders = {(f.source, f.path) for f in md.model_folders(home, env, platform)}
    assert expected <= folders, expected - folders


def test_hugging_face_cache_split_models_are_one_model(home: Path):
    snapshot = home / ".cache" / "huggingface" / "hub" / "models--org--Big-GGUF" / "snapshots"
    first = tiny_gguf(snapshot / "abc123" / "big-Q4_K_M-00001-of-00002.gguf", "Big")
    tiny_gguf(snapshot / "abc123" / "big-Q4_K_M-00002-of-00002.gguf", "Big")
    found = [m for m in md.find_models() if m.source == "Hugging Face cache"]
    assert [m.name for m in found] == ["org/Big-GGUF/big-Q4_K_M-00001-of-00002.gguf"]
    assert found[0].path == str(first) and found[0].size_bytes == 2 * SPARSE_SIZE
    info = md.use_found_model(found[0])
    link = Path(info.path)
    assert (link.parent / "big-Q4_K_M-00002-of-00002.gguf").is_symlink()
