"""Settings and the data directory."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import logging.handlers
import os
from dataclasses import dataclass
from pathlib import Path

from desktop_rag.core.fsutil import atomic_write_text, ensure_private_dir

SETTINGS_VERSION = 1
APP_NAME = "desktop-rag"
log = logging.getLogger(__name__)


def data_dir() -> Path:
    """The folder holding libraries, models, settings and logs (created owner-only)."""
    override = os.environ.get("DESKTOP_RAG_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return ensure_private_dir(path)


def libraries_dir() -> Path:
    return ensure_private_dir(data_dir() / "libraries")


def models_dir() -> Path:
    return ensure_private_dir(data_dir() / "models")


@dataclass
class Settings:
    """User preferences, saved as JSON in the data directory."""

    version: int = SETTINGS_VERSION
    current_library: str = ""
    llm_path: str = ""  # empty: the bundled model
    embedding_model: str = ""  # empty: the bundled model, for new libraries
    top_k: int = 6
    max_answer_tokens: int = 512
    temperature: float = 0.0  # greedy: small models invent less
    threads: int = 0  # 0: physical cores
    context_size: int = 4096
    debug_logging: bool = False
    language: str = ""  # the window's: "" follows the system, else "en" or "ko"
    # libraries whose owner said no to re-embedding them with the multilingual default
    reembed_declined: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def load(cls) -> Settings:
        path = data_dir() / "settings.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("settings unreadable, using defaults: %s", exc)
            return cls()
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        values["version"] = SETTINGS_VERSION  # older files only lack newer fields
        try:
            return cls(**values)
        except TypeError:
            return cls()

    def save(self) -> None:
        path = data_dir() / "settings.json"
        atomic_write_text(path, json.dumps(dataclasses.asdict(self), indent=2))


class _PrivateLogFile(logging.handlers.RotatingFileHandler):
    """A rotating log file readable by its owner only, including the files rotation creates;
    a log it cannot write (disk full) is dropped rather than printed over the user's output."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.chmod(self.baseFilename, 0o600)  # also an older file from before this rule
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def setup_logging(debug: bool = False) -> None:
    """Log to a rotating file in the data directory; never to stdout from the core.

    At INFO the log holds names, counts and errors, never document text or questions; those
    appear only at DEBUG, which the user turns on (Settings.debug_logging)."""
    root = logging.getLogger("desktop_rag")
    if any(getattr(h, "_desktop_rag", False) for h in root.handlers):
        return
    log_dir = ensure_private_dir(data_dir() / "logs")
    handler = _PrivateLogFile(
        log_dir / "desktop-rag.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._desktop_rag = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
