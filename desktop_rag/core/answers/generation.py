"""The local LLM, run in its own process (llm_process): streamed, cancellable, and a crash
there ends one answer with a clear message instead of the app."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from desktop_rag.core.answers.models import read_gguf_info
from desktop_rag.core.errors import Cancelled, UserError
from desktop_rag.core.tasks import CancelToken

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = 4096
POLL_S = 0.02  # how often a wait on the model looks at the cancel token
DRAIN_S = 3.0  # a cancelled answer must end this soon, or its process is replaced


def physical_cores() -> int:
    """Physical CPU cores (llama.cpp is slower on hyper-threads than on cores alone)."""
    try:
        pairs = set()
        phys = core = None
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("physical id"):
                    phys = line.split(":")[1].strip()
                elif line.startswith("core id"):
                    core = line.split(":")[1].strip()
                elif not line.strip() and core is not None:
                    pairs.add((phys, core))
                    phys = core = None
        if core is not None:
            pairs.add((phys, core))
        if pairs:
            return max(1, min(len(pairs), os.cpu_count() or 1))
    except OSError:
        pass
    return max(1, (os.cpu_count() or 2) // (2 if (os.cpu_count() or 1) >= 4 else 1))


class ModelStopped(UserError):
    """The model's process died (a signal, an abort, the out-of-memory killer)."""


class _ChildDied(Exception):
    pass


@dataclass
class Generation:
    """A finished (or cancelled) stream, with the timings the user and the benchmark see."""

    text: str
    tokens: int
    prompt_tokens: int
    time_to_first_token: float
    tokens_per_second: float
    finish_reason: str
    refusal_probability: float | None = None  # how likely the model was to begin refusing


class Generator:
    """One llama.cpp model kept warm in a child process. Use it from one thread at a time
    (the ask lane); a dead child is replaced by the next request."""

    def __init__(self, model_path: Path, context_size: int = DEFAULT_CONTEXT, threads: int = 0):
        self.model_path = Path(model_path)
        self.info = read_gguf_info(self.model_path)  # a clear error for a bad file, before loading
        trained = self.info.context_length or context_size
        self.n_ctx = max(512, min(trained, context_size or DEFAULT_CONTEXT))
        self.threads = threads or physical_cores()
        self.runtime: dict[str, Any] = {}  # what the child reported when it became ready
        self._proc: Any = None
        self._conn: Any = None
        self._abort: Any = None
        self._stderr: Path | None = None

    @property
    def loaded(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    @property
    def pid(self) -> int | None:
        """The model process (tests kill it)."""
        return self._proc.pid if self.loaded else None

    def load(self) -> None:
        """Start the model process and wait until the model is loaded."""
        if self.loaded:
            return
        self._discard()
        from desktop_rag.core import config
        from desktop_rag.core.answers import llm_process

        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._abort = ctx.RawValue("b", 0)
        log_dir = config.data_dir() / "logs"
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._stderr = log_dir / "answer-model.log"
        t = time.monotonic()
        proc = ctx.Process(
            target=llm_process.serve,
            args=(child, self._abort, str(self.model_path), self.n_ctx, self.threads,
                  str(self._stderr)),
            name="desktop-rag-llm",
            daemon=True,
        )  # fmt: skip
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        try:
            kind, payload = self._receive(None)
        except _ChildDied:
            kind, payload = "error", self._death_reason()
        if kind == "error":
            self._discard()
            raise UserError(
                f"The model {self.model_path.name} could not be loaded ({_one_line(payload)}).",
                "The file may be damaged, of a kind this llama.cpp cannot read, or too big for "
                "this computer's memory; choose another .gguf in Settings.",
            )
        self.runtime = payload
        log.info("LLM process %s ready in %.1f s: %s (%s)", proc.pid, time.monotonic() - t,
                 self.info.name, payload.get("variant") or "single build")  # fmt: skip

    def _receive(self, cancel: CancelToken | None) -> tuple[str, Any]:
        """The child's next message, or ("cancelled", None) once `cancel` is set; raises
        _ChildDied when the child is gone."""
        while True:
            ready = wait([self._conn, self._proc.sentinel], timeout=POLL_S)
            if self._conn in ready:
                try:
                    return self._conn.recv()
                except (EOFError, OSError):
                    raise _ChildDied() from None
            if ready:
                raise _ChildDied()
            if cancel is not None and cancel.cancelled:
                self._abort.value = 1
                return ("cancelled", None)

    def _death_reason(self) -> str:
        """Why the child died, in words (it is then discarded)."""
        proc = self._proc
        proc.join(2)
        code = proc.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            reason = {
                "SIGKILL": "it was killed, often because the computer ran out of memory",
                "SIGSEGV": "a crash inside llama.cpp (SIGSEGV)",
                "SIGABRT": "llama.cpp gave up (SIGABRT)",
                "SIGILL": "this processor lacks an instruction the model code uses (SIGILL)",
            }.get(name, name)
        else:
            reason = f"exit code {code}"
        tail = _last_native_error(self._stderr)
        if tail:
            reason = f"{reason}: {tail}"
        log.error("LLM process %s stopped: %s", proc.pid, reason)
        self._discard()
        return reason

    def _stopped(self) -> ModelStopped:
        return ModelStopped(
            f"The answering model stopped unexpectedly ({_one_line(self._death_reason())}).",
            "Your documents and chats are safe. Ask again to restart it; if it happens "
            "again, choose a smaller model in Settings or close other programs to free memory.",
        )

    def _request(self, *message: Any) -> Any:
        self.load()
        try:
            self._conn.send(message)
        except (BrokenPipeError, OSError):
            raise self._stopped() from None
        try:
            kind, payload = self._receive(None)
        except _ChildDied:
            raise self._stopped() from None
        if kind == "error":
            raise UserError(f"The model failed ({_one_line(payload)}).")
        return payload

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in this model's own tokenizer."""
        return int(self._request("tokens", [text])[0])

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        """Tokens of each text, in one round trip to the model process."""
        return [int(n) for n in self._request("tokens", list(texts))] if texts else []

    def chat_overhead(self, messages: list[dict[str, str]]) -> int:
        """Tokens the chat template adds around `messages` (measured, not guessed)."""
        return int(self._request("overhead", messages))

    def stream_chat(
        self,
        messages: list[dict[str, str]],
        on_text: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
        refusal: tuple[str, float] | None = None,
    ) -> Generation:
        """Generate an assistant reply with the model's chat template, streaming text pieces.

        `refusal` = (marker, threshold): the model may begin its reply with `marker` only when
        it is at least `threshold` likely to; the likelihood is returned."""
        self.load()
        cancel = cancel or CancelToken()
        self._abort.value = 0
        options: dict[str, Any] = {
            "max_tokens": max_tokens,
            "temperature": temperature,
            "repeat_penalty": 1.15,
            "top_p": 0.9,
        }
        if refusal is not None:
            options["refusal_marker"], options["refusal_threshold"] = refusal
        t0 = time.monotonic()
        try:
            self._conn.send(("chat", messages, options))
        except (BrokenPipeError, OSError):
            raise self._stopped() from None
        text: list[str] = []
        first = 0.0
        stats: dict[str, Any] = {}
        while True:
            if cancel.cancelled:
                self._abort.value = 1
                if not self._drain():
                    break
                stats = {"finish": "cancelled"}
                break
            try:
                kind, payload = self._receive(cancel)
            except _ChildDied:
                raise self._stopped() from None
            if kind == "cancelled":
                continue  # the check above drains the child
            if kind == "text":
                if not first:
                    first = time.monotonic() - t0
                text.append(payload)
                if on_text is not None:
                    on_text(payload)
            elif kind == "done":
                stats = payload
                break
            elif kind == "error":
                raise UserError(f"The model failed while answering ({_one_line(payload)}).")
        finish = "cancelled" if cancel.cancelled else stats.get("finish", "stop")
        if finish == "cancelled" and not text:
            raise Cancelled()
        elapsed = time.monotonic() - t0
        gen_time = max(elapsed - first, 1e-6)
        return Generation(
            text="".join(text),
            tokens=len(text),
            prompt_tokens=0,
            time_to_first_token=first,
            tokens_per_second=(len(text) - 1) / gen_time if len(text) > 1 else 0.0,
            finish_reason=finish,
            refusal_probability=stats.get("refusal_probability"),
        )

    def _drain(self) -> bool:
        """After a cancel, read until the child says it stopped; replace a child that does
        not stop in time. True when the child is ready for the next request."""
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline:
            if not self._conn.poll(POLL_S):
                if not self._proc.is_alive():
                    self._discard()
                    return False
                continue
            try:
                kind, _ = self._conn.recv()
            except (EOFError, OSError):
                self._discard()
                return False
            if kind in ("done", "error"):
                return True
        log.warning("LLM process did not stop within %.0f s of a cancel; replacing it", DRAIN_S)
        self._discard()
        return False

    def _discard(self) -> None:
        proc, self._proc = self._proc, None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(5)

    def close(self) -> None:
        """Stop the model process (politely, then for sure)."""
        if self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(("close",))
                self._proc.join(3)
            except (BrokenPipeError, OSError):
                pass
        self._discard()


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _last_native_error(path: Path | None) -> str:
    """The last line llama.cpp wrote before dying, when it says something useful."""
    if path is None:
        return ""
    try:
        lines = path.read_text("utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    for line in reversed(lines[-20:]):
        low = line.lower()
        if any(w in low for w in ("error", "assert", "abort", "failed", "unknown", "memory")):
            return line.strip()[:200]
    return ""
