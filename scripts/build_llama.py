"""Build and install llama-cpp-python so that it runs on every x86-64 CPU (`make` calls this).

pip's own wheel cache is keyed by the source archive, not by CMAKE_ARGS: a wheel built once
with -march=native (and AMX) would be reused forever. So this script keeps its wheels under a
key made of the version, the source's hash and the flags, checks the installed build and
rebuilds only when it is not the one this key describes.

The build: ggml's runtime CPU dispatch (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS), one library
per instruction-set level, the best one chosen when the model loads
(desktop_rag/core/answers/llama_runtime.py); no -march=native; the Sapphire Rapids (AMX) variant
removed from the source before building, because llama.cpp's AMX kernel segfaults
(llama.cpp#20824); no multimodal library (unused). The source archive is checked against its
hash in extras.lock."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "extras.lock"
PACKAGE = "llama-cpp-python"
CMAKE_ARGS = [
    "-DGGML_NATIVE=OFF",
    "-DGGML_BACKEND_DL=ON",
    "-DGGML_CPU_ALL_VARIANTS=ON",
    "-DLLAVA_BUILD=OFF",
    # the CPU variants are CMake MODULEs installed to BINDIR: put them beside libllama
    "-DCMAKE_INSTALL_BINDIR=llama_cpp/lib",
]
# Lines deleted from ggml/src/CMakeLists.txt before building.
REMOVED_VARIANTS = re.compile(r"^\s*ggml_add_cpu_backend_variant\(sapphirerapids\b.*$", re.M)
RECIPE_VERSION = "1"  # bump when this script changes what it builds
MARKER = "desktop-rag-build.txt"
# run in a fresh interpreter: this one may have imported the build that was just replaced
CHECK = (
    "import sys; from desktop_rag.core.answers.llama_runtime import check; problems = check(); "
    "[print(f'llama.cpp build: {p}', file=sys.stderr) for p in problems]; "
    "sys.exit(1 if problems else 0)"
)


def pinned_source() -> tuple[str, list[str]]:
    """(version, hashes) of llama-cpp-python in extras.lock."""
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    m = re.search(rf"^{PACKAGE}==(\S+)(.*)$", text, re.M)
    if not m:
        sys.exit(f"build_llama: {PACKAGE} is not pinned in {LOCK}")
    return m.group(1), re.findall(r"--hash=sha256:([0-9a-f]{64})", m.group(2))


def build_key(version: str, hashes: list[str]) -> str:
    recipe = "|".join([version, *sorted(hashes), *CMAKE_ARGS, REMOVED_VARIANTS.pattern])
    return hashlib.sha256(f"{RECIPE_VERSION}|{recipe}".encode()).hexdigest()[:16]


def wheel_dir(key: str) -> Path:
    base = os.environ.get("DESKTOP_RAG_WHEEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "desktop-rag", "llama-wheels"
    )
    return Path(base) / key


def installed_lib() -> Path | None:
    """llama-cpp-python's library folder in this environment (found without importing it)."""
    importlib.invalidate_caches()
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def installed_key() -> str:
    lib = installed_lib()
    if lib is None or not (lib / MARKER).exists():
        return ""
    return (lib / MARKER).read_text(encoding="utf-8").strip()


def pip(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, env=env)


def build_wheel(version: str, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="llama-build-") as tmp:
        req = Path(tmp) / "source.lock"
        text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{PACKAGE}=="))
        req.write_text(line + "\n", encoding="utf-8")
        pip(
            "download", "--no-deps", "--no-binary", ":all:", "--require-hashes",
            "-r", str(req), "-d", tmp,
        )  # fmt: skip
        archive = next(Path(tmp).glob("*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        src = next(p for p in Path(tmp).iterdir() if p.is_dir())
        cmake = src / "vendor" / "llama.cpp" / "ggml" / "src" / "CMakeLists.txt"
        patched, n = REMOVED_VARIANTS.subn("", cmake.read_text(encoding="utf-8"))
        if n != 1:
            sys.exit(f"build_llama: expected one AMX variant line in {cmake}, found {n}")
        cmake.write_text(patched, encoding="utf-8")
        env = {
            **os.environ,
            "CMAKE_ARGS": " ".join(CMAKE_ARGS),
            "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2),
            "FORCE_CMAKE": "1",
        }
        out.mkdir(parents=True, exist_ok=True)
        print(f"build_llama: compiling {PACKAGE} {version} (10-20 minutes on 2 cores)", flush=True)
        pip(
            "wheel", "--no-deps", "--no-build-isolation", "--no-cache-dir",
            "-w", str(out), str(src), env=env,
        )  # fmt: skip
    return next(out.glob("*.whl"))


def main() -> None:
    version, hashes = pinned_source()
    if not hashes:
        sys.exit(f"build_llama: {PACKAGE} has no hash in {LOCK}")
    key = build_key(version, hashes)
    if installed_key() == key and "--force" not in sys.argv:
        print(f"build_llama: {PACKAGE} {version} portable build {key} is installed")
    else:
        folder = wheel_dir(key)
        wheels = sorted(folder.glob("*.whl")) if folder.is_dir() else []
        wheel = wheels[0] if wheels and "--force" not in sys.argv else None
        if wheel is None:
            if folder.exists():
                shutil.rmtree(folder)
            wheel = build_wheel(version, folder)
        pip("install", "--no-deps", "--force-reinstall", "--no-cache-dir", str(wheel))
        lib = installed_lib()
        assert lib is not None
        (lib / MARKER).write_text(key + "\n", encoding="utf-8")
    # the installed build must be the portable one, whatever happened above
    subprocess.run([sys.executable, "-c", CHECK], check=True)


if __name__ == "__main__":
    main()
