"""Named points on the write path where a test can stop the process, to prove crash safety.

With DESKTOP_RAG_CRASH_AT="point" (or "point:n") the process kills itself with SIGKILL the
first (or n-th) time it reaches that point: no cleanup runs, exactly as if the power went out.
Users never set it; then a checkpoint costs one dictionary lookup. Tests running the core in
their own process can instead run a callback at a point (`on_checkpoint`). With
DESKTOP_RAG_PAUSE_AT="point:n" the process instead stops there for a minute, so a test can kill
it from outside at a moment it chose (the model process, mid-answer)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable

CRASH_ENV = "DESKTOP_RAG_CRASH_AT"
PAUSE_ENV = "DESKTOP_RAG_PAUSE_AT"
PAUSE_S = 60.0

_reached: Counter[str] = Counter()
_callbacks: dict[str, Callable[..., None]] = {}


def checkpoint(name: str, **info: object) -> None:
    """Mark that the write path reached `name`; crash or call back here if asked to."""
    callback = _callbacks.get(name)
    if callback is not None:
        callback(**info)
    for env, act in ((CRASH_ENV, _die), (PAUSE_ENV, _pause)):
        spec = os.environ.get(env)
        if not spec:
            continue
        point, _, nth = spec.partition(":")
        if point != name:
            continue
        _reached[env + name] += 1
        if _reached[env + name] == int(nth or 1):
            act()


def _pause() -> None:
    time.sleep(PAUSE_S)


def _die() -> None:
    kill = getattr(signal, "SIGKILL", None)
    if kill is None:  # Windows: the closest thing to a power cut
        os._exit(137)
    os.kill(os.getpid(), kill)


def on_checkpoint(name: str, callback: Callable[..., None] | None) -> None:
    """Run `callback(**info)` whenever this process reaches `name` (None removes it)."""
    if callback is None:
        _callbacks.pop(name, None)
    else:
        _callbacks[name] = callback
