"""GGUF models that other apps already downloaded: Ollama, LM Studio, GPT4All, Jan, the Hugging
Face cache and llama.cpp's cache, on Linux, macOS and Windows. Only each file's header is read;
a model is used by reference (a link, or its recorded path), never copied."""

from __future__ import annotations

import configparser
import json
import logging
import ntpath
import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop_rag.core import config
from desktop_rag.core.answers.models import ModelInfo, read_gguf_info
from desktop_rag.core.errors import UserError

log = logging.getLogger(__name__)

OLLAMA = "Ollama"
LM_STUDIO = "LM Studio"
GPT4ALL = "GPT4All"
JAN = "Jan"
HUGGING_FACE = "Hugging Face cache"
LLAMA_CPP = "llama.cpp cache"
SOURCES = (OLLAMA, LM_STUDIO, GPT4ALL, JAN, HUGGING_FACE, LLAMA_CPP)

_OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_OLLAMA_REGISTRY = "registry.ollama.ai"
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.I)
# Not answering models: vision projectors and embedding-only encoders.
_NOT_CHAT = {"clip", "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "t5encoder"}
_MAX_DEPTH = 6  # publisher/repo/file in LM Studio; snapshots/<rev>/<subfolder>/file in the HF cache


@dataclass
class Folder:
    """A place where an app keeps its models."""

    source: str
    path: str
    layout: str  # "ollama" (manifests name blobs), "hf" (models--org--repo), "tree" (*.gguf)


@dataclass
class FoundModel:
    """A usable GGUF model another app downloaded: what its header says and where it is."""

    name: str  # how its app calls it: "llama3.2:3b", "bartowski/Qwen2.5-7B-Instruct-GGUF/…"
    path: str  # the file llama.cpp loads (an Ollama blob has no .gguf suffix)
    source: str
    folder: str  # the app's models folder it was found in
    info: ModelInfo
    shards: tuple[str, ...] = ()  # the other files of a split model

    @property
    def size_bytes(self) -> int:
        return self.info.size_bytes

    @property
    def size_label(self) -> str:
        return self.info.size_label

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["info"] = self.info.to_dict()
        d.update(
            architecture=self.info.architecture,
            quantization=self.info.quantization,
            context_length=self.info.context_length,
            size_bytes=self.info.size_bytes,
            model_name=self.info.name,
        )
        return d


@dataclass
class Unusable:
    """A file that looked like a model but is not one llama.cpp can answer with."""

    path: str
    source: str
    reason: str


# --- where to look -------------------------------------------------------------------------


def model_folders(
    home: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> list[Folder]:
    """Every folder where the known apps keep models on this platform (existing or not), in
    order of preference; environment overrides (OLLAMA_MODELS, HF_HUB_CACHE, ...) first."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    windows = platform == "win32"
    join = ntpath.join if windows else posixpath.join
    home_s = str(home if home is not None else Path.home())
    if windows:
        local = env.get("LOCALAPPDATA") or join(home_s, "AppData", "Local")
        roaming = env.get("APPDATA") or join(home_s, "AppData", "Roaming")
        cache = local
    elif platform == "darwin":
        local = roaming = join(home_s, "Library", "Application Support")
        cache = join(home_s, "Library", "Caches")
    else:
        local = roaming = env.get("XDG_DATA_HOME") or join(home_s, ".local", "share")
        cache = env.get("XDG_CACHE_HOME") or join(home_s, ".cache")
    config_home = env.get("XDG_CONFIG_HOME") or join(home_s, ".config")

    out: list[Folder] = []

    def add(source: str, path: str | None, layout: str = "tree") -> None:
        if path and all(f.path != path for f in out):
            out.append(Folder(source, path, layout))

    add(OLLAMA, env.get("OLLAMA_MODELS"), "ollama")
    add(OLLAMA, join(home_s, ".ollama", "models"), "ollama")
    if platform.startswith("linux"):  # the system service's own home
        add(OLLAMA, "/usr/share/ollama/.ollama/models", "ollama")
        add(OLLAMA, "/var/lib/ollama/.ollama/models", "ollama")

    lm_settings = join(home_s, ".lmstudio", "settings.json")
    add(LM_STUDIO, _lm_studio_downloads_folder(lm_settings))
    add(LM_STUDIO, join(home_s, ".lmstudio", "models"))
    add(LM_STUDIO, join(home_s, ".cache", "lm-studio", "models"))

    for ini in (
        join(config_home, "nomic.ai", "GPT4All.ini"),
        join(roaming, "nomic.ai", "GPT4All.ini"),
    ):
        add(GPT4ALL, _gpt4all_model_path(ini))
    add(GPT4ALL, join(local, "nomic.ai", "GPT4All"))

    jan_data = [join(home_s, "jan")]
    if windows or platform == "darwin":
        jan_data += [join(roaming, "Jan", "data"), join(roaming, "jan.ai.app")]
    else:
        jan_data += [
            join(config_home, "Jan", "data"),
            join(local, "Jan", "data"),
            join(local, "jan.ai.app"),
        ]
    for data in jan_data:
        add(JAN, join(data, "llamacpp", "models"))
        add(JAN, join(data, "models"))

    # huggingface_hub uses ~/.cache on every platform, not the platform's cache folder
    hf_home = env.get("HF_HOME") or join(
        env.get("XDG_CACHE_HOME") or join(home_s, ".cache"), "huggingface"
    )
    add(HUGGING_FACE, env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE"), "hf")
    add(HUGGING_FACE, join(hf_home, "hub"), "hf")

    add(LLAMA_CPP, env.get("LLAMA_CACHE"))
    add(LLAMA_CPP, join(cache, "llama.cpp"))
    return out


def _lm_studio_downloads_folder(settings_path: str) -> str | None:
    """The models folder chosen in LM Studio's settings, if the user moved it."""
    try:
        with open(settings_path, encoding="utf-8") as f:
            value = json.load(f).get("downloadsFolder")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def _gpt4all_model_path(ini_path: str) -> str | None:
    """The download folder chosen in GPT4All's settings (Qt writes it as `modelPath`)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(ini_path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return None
    for section in parser.sections():
        value = parser[section].get("modelPath") or parser[section].get("modelpath")
        if value:
            return value.strip().strip('"')
    return None


# --- finding -------------------------------------------------------------------------------


def find_models(
    home: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    on_problem: Callable[[Unusable], None] | None = None,
) -> list[FoundModel]:
    """Answering models the other apps downloaded, one per file, biggest source first.

    Reads only headers; files that are not usable models (incomplete downloads, vision
    projectors, embedding encoders) are passed to `on_problem` and left out."""
    found: list[FoundModel] = []
    seen: set[str] = set()
    for folder in model_folders(home, env, platform):
        if not os.path.isdir(folder.path):
            continue
        for name, path, shards in _candidates(folder):
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            problem, model = _read(folder, name, path, shards)
            if model is not None:
                found.append(model)
            elif problem is not None:
                log.info("not a usable model: %s (%s)", path, problem.reason)
                if on_problem is not None:
                    on_problem(problem)
    return found


def _read(
    folder: Folder, name: str, path: str, shards: tuple[str, ...]
) -> tuple[Unusable | None, FoundModel | None]:
    try:
        info = read_gguf_info(Path(path))
    except UserError as exc:
        return Unusable(path, folder.source, exc.message), None
    if info.architecture in _NOT_CHAT:
        reason = f"a {info.architecture} model, not one that answers"
        return Unusable(path, folder.source, reason), None
    if shards:
        total = info.size_bytes
        for shard in shards:
            try:
                total += os.stat(shard).st_size
            except OSError:
                return Unusable(path, folder.source, f"a part is missing: {shard}"), None
        info.size_bytes = total
    return None, FoundModel(name, path, folder.source, folder.path, info, shards)


def _candidates(folder: Folder) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(name, path, other shards) of each model file in an app's folder."""
    if folder.layout == "ollama":
        yield from _ollama_models(folder.path)
    elif folder.layout == "hf":
        yield from _hf_cache_models(folder.path)
    else:
        for path in _gguf_files(folder.path):
            rel = os.path.relpath(path, folder.path).replace(os.sep, "/")
            shards = _other_shards(path)
            if shards is not None:
                yield rel, path, shards


def _ollama_models(root: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Ollama's manifests (manifests/<registry>/<namespace>/<model>/<tag>, JSON) name each
    model's layers; the one of media type `…image.model` is the GGUF blob."""
    manifests = os.path.join(root, "manifests")
    for dirpath, _dirs, files in _walk(manifests):
        for tag in sorted(files):
            manifest = os.path.join(dirpath, tag)
            try:
                with open(manifest, encoding="utf-8") as f:
                    layers = json.load(f).get("layers") or []
            except (OSError, ValueError, AttributeError):
                continue
            digest = next(
                (
                    layer.get("digest")
                    for layer in layers
                    if isinstance(layer, dict) and layer.get("mediaType") == _OLLAMA_MODEL_LAYER
                ),
                None,
            )
            if not isinstance(digest, str) or not re.fullmatch(r"sha256[:-][0-9a-f]{64}", digest):
                continue
            blob = os.path.join(root, "blobs", digest.replace(":", "-"))
            if os.path.isfile(blob):
                yield _ollama_name(os.path.relpath(manifest, manifests)), blob, ()


def _ollama_name(relative: str) -> str:
    """registry.ollama.ai/library/llama3.2/3b -> llama3.2:3b, the name `ollama run` takes."""
    parts = relative.replace("\\", "/").split("/")
    if len(parts) < 2:
        return relative
    *repo, model, tag = parts
    if repo[:1] == [_OLLAMA_REGISTRY]:
        repo = repo[1:]
        if repo == ["library"]:
            repo = []
    return "/".join([*repo, model]) + f":{tag}"


def _hf_cache_models(root: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """models--<org>--<repo>/snapshots/<revision>/…/*.gguf (links into blobs/)."""
    try:
        repos = sorted(e for e in os.listdir(root) if e.startswith("models--"))
    except OSError:
        return
    for repo in repos:
        snapshots = os.path.join(root, repo, "snapshots")
        repo_id = repo.removeprefix("models--").replace("--", "/")
        for path in _gguf_files(snapshots):
            file = os.path.relpath(path, snapshots).replace(os.sep, "/").split("/", 1)[-1]
            shards = _other_shards(path)
            if shards is not None:
                yield f"{repo_id}/{file}", path, shards


def _gguf_files(root: str) -> Iterator[str]:
    for dirpath, _dirs, files in _walk(root):
        for name in sorted(files):
            if name.lower().endswith(".gguf") and not name.startswith("."):
                yield os.path.join(dirpath, name)


def _walk(root: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk to a bounded depth, hidden folders left out, symlinked folders not followed."""
    base = root.rstrip("/\\").count(os.sep)
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if dirpath.count(os.sep) - base >= _MAX_DEPTH:
            dirs[:] = []
        yield dirpath, dirs, files


def _other_shards(path: str) -> tuple[str, ...] | None:
    """A split model is loaded from its first part: the paths of the other parts for a first
    part, () for a whole file, None for a later part (listed with its first)."""
    m = _SPLIT.search(path)
    if m is None:
        return ()
    index, count = int(m.group(1)), int(m.group(2))
    if index != 1:
        return None
    stem = path[: m.start()]
    return tuple(f"{stem}-{i:05d}-of-{count:05d}.gguf" for i in range(2, count + 1))


# --- using one -----------------------------------------------------------------------------


def find_model(ref: str, models: list[FoundModel] | None = None) -> FoundModel | None:
    """The found model called `ref` (its name, or its file's path)."""
    models = find_models() if models is None else models
    real = os.path.realpath(os.path.expanduser(ref)) if ref else ""
    for m in models:
        if ref == m.name or (real and real == os.path.realpath(m.path)):
            return m
    return None


def link_name(model: FoundModel) -> str:
    """The file name of the link in our models folder: what `models list` and `--model` show."""
    if model.source == OLLAMA:
        base = "ollama-" + model.name.replace(":", "-").replace("/", "-")
    else:
        base = os.path.basename(model.path)
    base = re.sub(r"[^\w.\-]+", "-", base, flags=re.UNICODE).strip("-.") or "model"
    return base if base.lower().endswith(".gguf") else base + ".gguf"


def registered_path(model: FoundModel) -> Path | None:
    """The link in our models folder that already points at this model, if any."""
    real = os.path.realpath(model.path)
    for entry in sorted(config.models_dir().glob("*.gguf")):
        if os.path.realpath(entry) == real or _same_file(entry, model.path):
            return entry
    return None


def use_found_model(model: FoundModel) -> ModelInfo:
    """Register a found model by reference: a symbolic link in our models folder, else a hard
    link (same disk, no extra space), else its recorded path; never a copy. Returns its info
    with the path answers will load."""
    existing = registered_path(model)
    if existing is not None:
        return read_gguf_info(existing)
    folder = config.models_dir()
    name = link_name(model)
    target = folder / name
    n = 2
    while target.exists() or target.is_symlink():
        target = folder / f"{n}-{name}"  # a prefix keeps a split model's part suffix intact
        n += 1
    parts = [(target, model.path)]
    for shard in model.shards:  # llama.cpp finds a split model's parts beside its first
        m = _SPLIT.search(os.path.basename(shard))
        if m is not None:
            parts.append((target.with_name(_SPLIT.sub(m.group(0), target.name)), shard))
    made: list[Path] = []
    try:
        for link, source in parts:
            _link(link, source)
            made.append(link)
    except OSError as exc:
        for link in made:
            link.unlink(missing_ok=True)
        log.info("no link possible for %s (%s): using its path", model.path, exc)
        return model.info  # its own path, recorded where it is chosen
    log.info("model linked: %s -> %s", target.name, model.path)
    return read_gguf_info(target)


def _link(link: Path, source: str) -> None:
    try:
        link.symlink_to(source)
    except OSError:  # Windows without the right to make symbolic links
        os.link(source, link)


def _same_file(a: Path | str, b: Path | str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
