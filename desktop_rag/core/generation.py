"""The local LLM: llama-cpp-python with the model's own chat template, streamed, cancellable."""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_rag.core.errors import Cancelled, UserError
from desktop_rag.core.models import read_gguf_info
from desktop_rag.core.tasks import CancelToken

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = 4096


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


@dataclass
class Generation:
    """A finished (or cancelled) stream, with the timings the user and the benchmark see."""

    text: str
    tokens: int
    prompt_tokens: int
    time_to_first_token: float
    tokens_per_second: float
    finish_reason: str


class Generator:
    """One warm llama.cpp model. Not thread-safe: it belongs to the ask lane alone."""

    def __init__(self, model_path: Path, context_size: int = DEFAULT_CONTEXT, threads: int = 0):
        self.model_path = Path(model_path)
        self.info = read_gguf_info(self.model_path)  # a clear error for a bad file, before loading
        trained = self.info.context_length or context_size
        self.n_ctx = max(512, min(trained, context_size or DEFAULT_CONTEXT))
        self.threads = threads or physical_cores()
        self._llm: Any = None
        self._abort = threading.Event()
        self._abort_cb: Any = None

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def load(self) -> None:
        if self._llm is not None:
            return
        try:
            from llama_cpp import Llama

            t = time.monotonic()
            self._llm = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                verbose=False,
            )
            log.info("LLM loaded in %.1f s: %s", time.monotonic() - t, self.info.name)
        except (ValueError, RuntimeError, OSError) as exc:
            raise UserError(
                f"The model {self.model_path.name} could not be loaded ({exc}).",
                "The file may be damaged or of an unsupported kind; choose another .gguf.",
            ) from exc
        self._install_abort()

    def _install_abort(self) -> None:
        """Let a cancel stop llama.cpp in the middle of reading a long prompt, too."""
        try:
            import llama_cpp

            self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: self._abort.is_set())
            llama_cpp.llama_set_abort_callback(self._llm.ctx, self._abort_cb, ctypes.c_void_p())
        except (AttributeError, TypeError) as exc:  # older bindings: cancel between tokens only
            log.info("no abort callback: %s", exc)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in this model's own tokenizer."""
        self.load()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat_overhead(self, messages: list[dict[str, str]]) -> int:
        """Tokens the chat template adds around `messages` (measured, not guessed)."""
        self.load()
        try:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            template = self._llm.metadata.get("tokenizer.chat_template")
            if template:
                fmt = Jinja2ChatFormatter(template, eos_token="", bos_token="")
                prompt = fmt(messages=messages).prompt  # type: ignore[arg-type]
                return len(self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))
        except Exception as exc:  # unusual templates: fall back to a safe margin
            log.debug("chat template not measurable: %s", exc)
        return sum(self.count_tokens(m["content"]) + 8 for m in messages) + 16

    def stream_chat(
        self,
        messages: list[dict[str, str]],
        on_text: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
    ) -> Generation:
        """Generate an assistant reply with the model's chat template, streaming text pieces."""
        self.load()
        cancel = cancel or CancelToken()
        self._abort.clear()
        watcher = _CancelWatcher(cancel, self._abort)
        text: list[str] = []
        tokens = 0
        t0 = time.monotonic()
        first = 0.0
        finish = "stop"
        try:
            stream = self._llm.create_chat_completion(
                messages=messages,
                stream=True,
                max_tokens=max_tokens,
                temperature=temperature,
                repeat_penalty=1.15,
                top_p=0.9,
            )
            for chunk in stream:
                if cancel.cancelled:
                    finish = "cancelled"
                    break
                choice = chunk["choices"][0]
                piece = choice["delta"].get("content") or ""
                if piece:
                    if not first:
                        first = time.monotonic() - t0
                    tokens += 1
                    text.append(piece)
                    if on_text is not None:
                        on_text(piece)
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
        except RuntimeError as exc:
            if cancel.cancelled:
                finish = "cancelled"
            else:
                raise UserError(f"The model failed while answering ({exc}).") from exc
        finally:
            watcher.stop()
        elapsed = time.monotonic() - t0
        gen_time = max(elapsed - first, 1e-6)
        if finish == "cancelled" and not text:
            raise Cancelled()
        return Generation(
            text="".join(text),
            tokens=tokens,
            prompt_tokens=0,
            time_to_first_token=first,
            tokens_per_second=(tokens - 1) / gen_time if tokens > 1 else 0.0,
            finish_reason=finish,
        )

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None


class _CancelWatcher:
    """Mirrors a CancelToken into llama.cpp's abort flag while a prompt is being read."""

    def __init__(self, cancel: CancelToken, abort: threading.Event) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(cancel, abort), daemon=True)
        self._thread.start()

    def _run(self, cancel: CancelToken, abort: threading.Event) -> None:
        while not self._stop.wait(0.02):
            if cancel.cancelled:
                abort.set()
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)


_cache: dict[tuple[str, int, int], Generator] = {}
_cache_lock = threading.Lock()


def generator_for(
    model_path: Path, context_size: int = DEFAULT_CONTEXT, threads: int = 0
) -> Generator:
    """The warm Generator for a model (one kept at a time: a second model frees the first)."""
    key = (str(Path(model_path).resolve()), context_size, threads)
    with _cache_lock:
        if key not in _cache:
            for old in _cache.values():
                old.close()
            _cache.clear()
            _cache[key] = Generator(Path(model_path), context_size, threads)
        return _cache[key]
