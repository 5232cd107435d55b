"""llama.cpp's CPU code chosen at run time: the best variant this CPU can run, never AMX.

`make` builds llama-cpp-python with ggml's runtime dispatch (GGML_BACKEND_DL and
GGML_CPU_ALL_VARIANTS, see scripts/build_llama.py): the CPU backend is a set of libraries,
`libggml-cpu-<variant>`, one per instruction-set level (x64, sse42, ..., haswell, skylakex,
zen4, ...). Each reports a score for the CPU it runs on (0 when the CPU lacks what it needs);
we load the best one. The Sapphire Rapids variant is never built or loaded: its AMX kernel
segfaults (llama.cpp#20824), and the AVX-512 variants are as good for models this size.

Runs in the model's process (see llm_process); `desktop-rag --version --verbose` reports
what a build uses, and `check()` what is wrong with it (run by scripts/build_llama.py)."""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import platform
import re
import sys
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Variants whose code may run llama.cpp's AMX kernel.
EXCLUDED_VARIANTS = ("sapphirerapids", "amx")
_SUFFIX = {"win32": ".dll", "darwin": ".so"}.get(sys.platform, ".so")
_PREFIX = "" if sys.platform == "win32" else "lib"


@dataclass
class BuildInfo:
    """What the installed llama.cpp is and which CPU code it runs here."""

    llama_cpp_python: str = ""
    dynamic: bool = False  # built with runtime dispatch (one library per CPU level)
    variants: list[str] = field(default_factory=list)  # shipped CPU variants
    excluded: list[str] = field(default_factory=list)  # shipped but never loaded (AMX)
    variant: str = ""  # the one loaded on this CPU ("" for a single-library build)
    features: list[str] = field(default_factory=list)  # instruction sets that variant uses
    system_info: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line for people: variant and features."""
        kind = f"runtime dispatch, {self.variant or '?'}" if self.dynamic else "single build"
        feats = " ".join(self.features) or "baseline x86-64"
        return f"llama.cpp CPU code: {kind} ({feats})"

    @property
    def uses_amx(self) -> bool:
        return any(f.startswith("AMX") for f in self.features)


def lib_dir() -> Path | None:
    """llama-cpp-python's library folder, found without importing it."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "lib"
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS") and not folder.is_dir():
        folder = Path(sys._MEIPASS) / "llama_cpp" / "lib"
    return folder if folder.is_dir() else None


def variant_name(path: Path) -> str:
    """'zen4' for libggml-cpu-zen4.so."""
    return path.name.removeprefix(f"{_PREFIX}ggml-cpu-").split(".")[0]


def cpu_variant_files(folder: Path | None = None) -> list[Path]:
    """The CPU variant libraries a runtime-dispatch build ships (empty for a single build)."""
    folder = folder or lib_dir()
    if folder is None:
        return []
    return sorted(folder.glob(f"{_PREFIX}ggml-cpu-*{_SUFFIX}"))


def _excluded(path: Path) -> bool:
    return any(x in variant_name(path).lower() for x in EXCLUDED_VARIANTS)


_loaded: str | None = None


def _libggml() -> ctypes.CDLL:
    """ggml's functions as libllama sees them. The wheel holds libggml.so and libggml.so.0 as
    two files (a wheel cannot hold links), so loading "libggml.so" gets a second copy with its
    own, empty, backend registry; a symbol looked up through libllama's handle comes from the
    copy libllama links to."""
    from llama_cpp import llama_cpp

    lib = llama_cpp._lib
    lib.ggml_backend_reg_count.restype = ctypes.c_size_t
    lib.ggml_backend_reg_count.argtypes = []
    lib.ggml_backend_load.restype = ctypes.c_void_p
    lib.ggml_backend_load.argtypes = [ctypes.c_char_p]
    return lib


def load_cpu_backend() -> str:
    """Register the best CPU variant for this CPU with ggml, before any model is loaded.

    Returns the variant's name ('' for a single-library build, where ggml registers its CPU
    code itself). Raises RuntimeError when no shipped variant runs on this CPU."""
    global _loaded
    if _loaded is not None:
        return _loaded
    route_logs()

    files = cpu_variant_files()
    if not files:
        _loaded = ""
        return _loaded
    lib = _libggml()
    if lib.ggml_backend_reg_count() > 0:  # someone registered backends already
        _loaded = ""
        return _loaded
    best, best_score = None, 0
    for path in files:
        if _excluded(path):
            continue
        try:
            handle = ctypes.CDLL(str(path))
            score = int(handle.ggml_backend_score())
        except (OSError, AttributeError):
            continue
        if score > best_score:
            best, best_score = path, score
    if best is None:
        raise RuntimeError("no llama.cpp CPU variant runs on this processor")
    if not lib.ggml_backend_load(str(best).encode()):
        raise RuntimeError(f"llama.cpp could not load {best.name}")
    _loaded = variant_name(best)
    return _loaded


# ggml's levels (ggml.h); llama-cpp-python's own table predates DEBUG = 1 and prints INFO
# lines ("load_backend: loaded CPU backend ...") as warnings on stderr.
_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_log = logging.getLogger("desktop_rag.llama_cpp")
_recent_errors: deque[str] = deque(maxlen=8)
_callback: Any = None


def route_logs() -> None:
    """Send llama.cpp's and ggml's messages to our log (never to the user's terminal), and
    keep the last warnings and errors: they say why a model failed to load."""
    global _callback
    if _callback is not None:
        return
    import llama_cpp  # loads libllama and libggml; registers llama-cpp-python's own logger

    last = [logging.INFO]

    @llama_cpp.llama_log_callback
    def on_log(level: int, text: bytes, _user: Any) -> None:
        line = text.decode("utf-8", "replace").rstrip()
        py_level = last[0] if level == 5 else _LEVELS.get(level, logging.DEBUG)  # 5: continued
        last[0] = py_level
        if not line:
            return
        if py_level >= logging.WARNING:
            _recent_errors.append(line.strip())
        _log.log(py_level, "%s", line)

    llama_cpp.llama_log_set(on_log, ctypes.c_void_p(0))
    _callback = on_log  # ctypes needs it alive as long as llama.cpp may call it


def recent_errors() -> list[str]:
    """llama.cpp's last warning and error lines, oldest first."""
    return list(_recent_errors)


_FEATURE = re.compile(r"\b([A-Z][A-Z0-9_]*) = 1\b")
_NOT_ISA = {"LLAMAFILE", "OPENMP", "REPACK", "KLEIDIAI", "ACCELERATE", "CPU", "METAL"}


def build_info() -> BuildInfo:
    """Load the CPU backend as the model process does, and describe it."""
    from importlib.metadata import PackageNotFoundError, version

    info = BuildInfo()
    try:
        info.llama_cpp_python = version("llama-cpp-python")
    except PackageNotFoundError:
        return info
    files = cpu_variant_files()
    info.dynamic = bool(files)
    info.variants = [variant_name(p) for p in files if not _excluded(p)]
    info.excluded = [variant_name(p) for p in files if _excluded(p)]
    info.variant = load_cpu_backend()
    import llama_cpp

    raw = llama_cpp.llama_print_system_info()
    info.system_info = (
        raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    ).strip()
    info.features = [f for f in _FEATURE.findall(info.system_info) if f not in _NOT_ISA]
    return info


def check() -> list[str]:
    """What is wrong with the installed build for an app that ships ('' when nothing)."""
    problems = []
    info = build_info()
    if not info.llama_cpp_python:
        return ["llama-cpp-python is not installed"]
    if not info.dynamic:
        problems.append(
            "built for one CPU (no runtime dispatch): rebuild with scripts/build_llama.py"
        )
    if info.excluded:
        problems.append(f"ships AMX code: {', '.join(info.excluded)}")
    if info.uses_amx:
        problems.append("the loaded CPU code uses AMX")
    if (
        info.dynamic
        and platform.machine().lower() in ("x86_64", "amd64")
        and "x64" not in info.variants
    ):
        problems.append("no baseline x86-64 variant: older CPUs could not run it")
    return problems
