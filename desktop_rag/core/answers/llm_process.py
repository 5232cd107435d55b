"""The answering model's own process: it owns the llama.cpp model and serves requests over a
pipe (see generation.Generator, the app's side of it).

A native crash, an abort on a model llama.cpp cannot read, or the out-of-memory killer ends
this process, never the app. Requests, one at a time:
  ("tokens", [text, ...])             -> ("result", [count, ...])
  ("overhead", messages)              -> ("result", tokens the chat template adds)
  ("chat", messages, options)         -> ("text", piece)* then ("done", stats)
  ("close",)
Any request may instead get ("error", message). A shared flag stops a chat in flight: checked
between tokens and, through llama.cpp's abort callback, while the prompt is being read."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
import traceback
from typing import Any

from desktop_rag.core.faults import checkpoint


def _redirect_stderr(path: str) -> None:
    """Native messages (llama.cpp's asserts, aborts) go to a file the app reads on a crash."""
    if not path:
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115


def _load(path: str, n_ctx: int, threads: int) -> tuple[Any, dict[str, Any]]:
    from desktop_rag.core.answers import llama_runtime

    variant = llama_runtime.load_cpu_backend()
    from llama_cpp import Llama

    t = time.monotonic()
    llm = Llama(
        model_path=path,
        n_ctx=n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    build = llama_runtime.build_info()
    return llm, {
        "variant": variant,
        "features": build.features,
        "cpu_code": build.summary(),
        "load_seconds": time.monotonic() - t,
        "n_ctx": llm.n_ctx(),
    }


def _overhead(llm: Any, messages: list[dict[str, str]]) -> int:
    try:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = llm.metadata.get("tokenizer.chat_template")
        if template:
            fmt = Jinja2ChatFormatter(template, eos_token="", bos_token="")
            prompt = fmt(messages=messages).prompt  # type: ignore[arg-type]
            return len(llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))
    except Exception:  # unusual templates: a safe margin below
        pass
    return sum(len(llm.tokenize(m["content"].encode(), add_bos=False)) + 8 for m in messages) + 16


class _FirstTokenGate:
    """Sees the model's first choice of token: how likely it is to begin with `marker` (the
    model's way of saying the sources lack the answer), and, below `threshold`, rules that
    beginning out so the model gives its best answer instead, for the app to check."""

    def __init__(self, llm: Any, marker: str, threshold: float) -> None:
        import numpy as np

        self.np = np
        self.threshold = threshold
        ids = {llm.tokenize(t.encode(), add_bos=False, special=False)[0]
               for t in (marker, " " + marker, marker.split()[0])}  # fmt: skip
        self.ids = np.array(sorted(ids), dtype=np.intc)
        self.probability: float | None = None

    def __call__(self, _input_ids: Any, logits: Any) -> Any:
        if self.probability is not None:
            return logits
        np = self.np
        top = float(np.max(logits))
        weights = np.exp(logits.astype(np.float64) - top)
        self.probability = float(weights[self.ids].sum() / weights.sum())
        if self.probability < self.threshold:
            logits = logits.copy()
            logits[self.ids] = -np.inf
        return logits


LOOP_CHARS = 60


def _looping(text: str) -> bool:
    """The reply has begun to say again what it already said (a small model's loop)."""
    tail = text[-LOOP_CHARS:]
    return len(text) >= 2 * LOOP_CHARS and tail in text[:-LOOP_CHARS]


def _chat(llm: Any, conn: Any, abort: Any, messages: list[dict[str, str]], opts: dict) -> None:
    finish = "stop"
    tokens = 0
    said: list[str] = []
    t0 = time.monotonic()
    first = 0.0
    opts = dict(opts)
    gate = None
    marker, threshold = opts.pop("refusal_marker", ""), opts.pop("refusal_threshold", None)
    if marker and threshold is not None:
        from llama_cpp import LogitsProcessorList

        gate = _FirstTokenGate(llm, marker, float(threshold))
        opts["logits_processor"] = LogitsProcessorList([gate])
    try:
        stream = llm.create_chat_completion(messages=messages, stream=True, **opts)
        for chunk in stream:
            if abort.value:
                finish = "cancelled"
                break
            choice = chunk["choices"][0]
            piece = choice["delta"].get("content") or ""
            if piece:
                if not first:
                    first = time.monotonic() - t0
                tokens += 1
                conn.send(("text", piece))
                checkpoint("answer-token")
                said.append(piece)
                if _looping("".join(said)):
                    finish = "repeat"
                    break
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    except (RuntimeError, ValueError) as exc:
        if not abort.value:
            conn.send(("error", str(exc)))
            return
        finish = "cancelled"
    stats = {"finish": finish, "tokens": tokens, "first": first}
    if gate is not None and gate.probability is not None:
        stats["refusal_probability"] = gate.probability
    conn.send(("done", stats))


def serve(conn: Any, abort: Any, path: str, n_ctx: int, threads: int, stderr_path: str) -> None:
    """The child's main loop (the target of the spawned process)."""
    _redirect_stderr(stderr_path)
    from desktop_rag.core.answers import llama_runtime

    try:
        llm, ready = _load(path, n_ctx, threads)
        import llama_cpp

        abort_cb = llama_cpp.ggml_abort_callback(lambda _data: bool(abort.value))
        llama_cpp.llama_set_abort_callback(llm.ctx, abort_cb, ctypes.c_void_p())
    except Exception as exc:
        detail = "; ".join(llama_runtime.recent_errors()) or str(exc)
        conn.send(("error", detail))
        return
    conn.send(("ready", ready))
    try:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return  # the app is gone
            op = request[0]
            try:
                if op == "close":
                    return
                if op == "tokens":
                    counts = [
                        len(llm.tokenize(t.encode("utf-8"), add_bos=False, special=True))
                        for t in request[1]
                    ]
                    conn.send(("result", counts))
                elif op == "overhead":
                    conn.send(("result", _overhead(llm, request[1])))
                elif op == "chat":
                    _chat(llm, conn, abort, request[1], request[2])
                else:
                    conn.send(("error", f"unknown request {op!r}"))
            except (BrokenPipeError, EOFError):
                return
            except Exception as exc:  # a bug here must not leave the app waiting
                traceback.print_exc()
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        del abort_cb
        with contextlib.suppress(Exception):
            llm.close()
