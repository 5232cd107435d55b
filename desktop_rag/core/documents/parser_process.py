"""Runs loaders in a spawned child process and streams pages back.

PyMuPDF is not thread-safe and a malformed file can crash it; in a child, a crash costs one
file, never the app. The child parses ahead while the caller embeds (bounded by a queue)."""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_rag.core.errors import UserError
from desktop_rag.core.tasks import CancelToken

log = logging.getLogger(__name__)

PAGES_PER_MESSAGE = 8
PAGE_TIMEOUT_S = 180.0  # one page taking longer than this is a hung parser


@dataclass
class ParseJob:
    path: Path
    password: str | None = None
    context: Any = None  # carried through untouched for the caller


# --- child side ----------------------------------------------------------------------------


def _child_main(conn: Any) -> None:
    from desktop_rag.core.documents.loaders import ParseError, _short, open_documents

    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg[0] == "stop":
            return
        _, path, password = msg
        try:
            for info, pages in open_documents(Path(path), password):
                conn.send(("info", info))
                try:
                    _send_pages(conn, pages)
                except Exception as exc:
                    if not info.part:
                        raise
                    # a part that cannot be read (an attachment) fails alone
                    if not isinstance(exc, ParseError):
                        exc = ParseError("corrupt", f"{Path(info.part).name}: {_short(exc)}")
                    conn.send(("part-error", (exc.code, exc.message, exc.hint)))
            conn.send(("done", None))
        except ParseError as exc:
            conn.send(("error", (exc.code, exc.message, exc.hint)))
        except MemoryError:
            conn.send(
                ("error", ("too-big", f"{Path(path).name}: too large to read in memory.", ""))
            )
        except Exception as exc:
            conn.send(
                ("error", ("corrupt", f"{Path(path).name}: could not be read ({_short(exc)}).", ""))
            )


def _send_pages(conn: Any, pages: Any) -> None:
    batch = []
    for page in pages:
        batch.append(page)
        if len(batch) >= PAGES_PER_MESSAGE:
            conn.send(("pages", batch))
            batch = []
    if batch:
        conn.send(("pages", batch))


# --- parent side ---------------------------------------------------------------------------


class _Child:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child_conn = ctx.Pipe()
        self.proc = ctx.Process(target=_child_main, args=(child_conn,), daemon=True)
        self.proc.start()
        child_conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(("stop",))
        except (OSError, ValueError):
            pass
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=2)
        self.conn.close()


Event = tuple[str, ParseJob, Any]


class ParsePipeline:
    """Parses `jobs` in order in a child process, ahead of the consumer.

    Iterate to get events (kind, job, payload): ('info', job, DocInfo), ('pages', job,
    [ParsedPage]), ('done', job, None), ('error', job, ParseError). A file that holds several
    documents (an e-mail and its attachments) sends an 'info' and its pages for each, and
    ('part-error', job, ParseError) for a part that cannot be read, before its one 'done'.
    `prepare` runs first on each job in the feeder thread and may return ('skip', reason) to
    bypass parsing."""

    def __init__(
        self,
        jobs: Sequence[ParseJob],
        cancel: CancelToken,
        prepare: Callable[[ParseJob], tuple[str, Any] | None] | None = None,
        lookahead: int = 48,
    ) -> None:
        self.jobs = list(jobs)
        self.cancel = cancel
        self.prepare = prepare
        self._queue: queue.Queue[Event | None] = queue.Queue(maxsize=lookahead)
        self._child: _Child | None = None
        self._thread = threading.Thread(target=self._feed, name="parse-feeder", daemon=True)
        self._error: BaseException | None = None

    def __iter__(self) -> Iterator[Event]:
        self._thread.start()
        try:
            while True:
                item = self._get()
                if item is None:
                    break
                yield item
        finally:
            self.cancel_and_join()
        if self._error is not None:
            raise self._error

    def _get(self) -> Event | None:
        while True:
            try:
                return self._queue.get(timeout=0.1)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    return None

    def cancel_and_join(self) -> None:
        self._stopping = True
        # drain so the feeder is never blocked on a full queue
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        if self._child is not None:
            self._child.stop()
            self._child = None

    _stopping = False

    def _put(self, event: Event | None) -> bool:
        while not (self._stopping or self.cancel.cancelled):
            try:
                self._queue.put(event, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _feed(self) -> None:
        try:
            for job in self.jobs:
                if self._stopping or self.cancel.cancelled:
                    return
                if self.prepare is not None:
                    try:
                        decision = self.prepare(job)
                    except UserError as exc:
                        decision = ("error", exc)
                    if decision is not None:
                        if not self._put((decision[0], job, decision[1])):
                            return
                        continue
                if not self._parse_one(job):
                    return
        except BaseException as exc:  # a bug in the feeder: surface it to the consumer
            self._error = exc

    def _parse_one(self, job: ParseJob) -> bool:
        from desktop_rag.core.documents.loaders import ParseError

        if self._child is None or not self._child.proc.is_alive():
            self._child = _Child()
        child = self._child
        child.conn.send(("parse", str(job.path), job.password))
        while True:
            waited = 0.0
            while not child.conn.poll(0.1):
                waited += 0.1
                if self._stopping or self.cancel.cancelled:
                    child.proc.kill()
                    self._child = None
                    return False
                if not child.proc.is_alive() and not child.conn.poll(0):
                    break
                if waited > PAGE_TIMEOUT_S:
                    child.proc.kill()
                    self._child = None
                    err = ParseError(
                        "timeout", f"{job.path.name}: reading it took too long; it may be damaged."
                    )
                    return self._put(("error", job, err))
            try:
                kind, payload = child.conn.recv()
            except (EOFError, OSError):
                code = child.proc.exitcode
                log.warning("parser child died on %s (exit %s)", job.path, code)
                child.proc.join(timeout=1)
                self._child = None
                err = ParseError(
                    "crash",
                    f"{job.path.name}: the file crashed the document reader; "
                    "it is probably damaged.",
                )
                return self._put(("error", job, err))
            if kind == "error":
                return self._put(("error", job, ParseError(*payload)))
            if kind == "part-error":
                payload = ParseError(*payload)
            if not self._put((kind, job, payload)):
                return False
            if kind == "done":
                return True
