"""Work that tests run in a process of its own (see clirun.start_function), so what it measures
(peak memory, progress over time) is not mixed with the test process's own."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS) or its peak so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def children_peak_mb() -> float:
    """The largest peak memory (VmHWM) among this process's live children, in MB.

    (getrusage(RUSAGE_CHILDREN) would count a spawned child's pre-exec copy of its parent.)"""
    peak = 0.0
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def stream_pdf(pdf: str, out: str) -> None:
    """Parse `pdf` in the parser child and chunk it, as ingest does, without embedding; record
    when pages arrive and the peak memory of both processes."""
    from desktop_rag.core.documents.chunking import Chunker
    from desktop_rag.core.documents.parser_process import ParseJob, ParsePipeline
    from desktop_rag.core.search.embedding import Embedder, resolve_embedding_model
    from desktop_rag.core.tasks import CancelToken

    embedder = Embedder(resolve_embedding_model())

    def offsets(text: str) -> list[tuple[int, int]]:
        enc = embedder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [tuple(o) for o in enc["offset_mapping"]]

    chunker = Chunker(embedder.count_tokens, offsets, max_tokens=embedder.chunk_tokens)
    start_rss = rss_mb()
    t0 = time.monotonic()
    arrivals: list[tuple[float, int]] = []
    pages = chunks = 0
    numbers_in_order = True
    parser_peak = 0.0
    for kind, _job, payload in ParsePipeline([ParseJob(Path(pdf))], CancelToken()):
        if kind == "done":
            parser_peak = children_peak_mb()  # the parser child is still alive here
        if kind == "pages":
            for page in payload:
                numbers_in_order &= page.number == pages + 1
                pages += 1
                chunks += len(chunker.chunk_page(page))
            arrivals.append((time.monotonic() - t0, pages))
        elif kind == "error":
            raise payload
    _write(
        out,
        {
            "pages": pages,
            "chunks": chunks,
            "in_order": numbers_in_order,
            "seconds": time.monotonic() - t0,
            "arrivals": arrivals,
            "consumer_start_mb": start_rss,
            "consumer_peak_mb": rss_mb("VmHWM"),
            "parser_peak_mb": parser_peak,
        },
    )


def ingest_files(paths: list[str], out: str) -> None:
    """Ingest into a new library with the real model, recording every progress report."""
    from desktop_rag.core.library import Library

    reports: list[tuple[float, int, int, int]] = []
    t0 = time.monotonic()
    parser_peak = [0.0]

    def progress(p: Any) -> None:
        reports.append((time.monotonic() - t0, p.files_done, p.pages_done, p.chunks_done))
        parser_peak[0] = max(parser_peak[0], children_peak_mb())

    with Library.create("Bench") as lib:
        lib.embedder().encode(["warm up"])
        start_rss = rss_mb()
        t0 = time.monotonic()
        report = lib.ingest(paths, progress=progress)
        _write(
            out,
            {
                "summary": report.summary(),
                "failed": [o.message for o in report.failed],
                "pages": report.pages,
                "chunks": report.chunks,
                "seconds": report.seconds,
                "embed_seconds": report.embed_seconds,
                "progress": reports,
                "consumer_start_mb": start_rss,
                "consumer_peak_mb": rss_mb("VmHWM"),
                "parser_peak_mb": parser_peak[0],
            },
        )


def _write(out: str, data: dict[str, Any]) -> None:
    Path(out).write_text(json.dumps(data), encoding="utf-8")


def modes_while_open(library: str, docs: str, out: str) -> None:
    """Use a library the way the app does (logs rotated, settings saved, index saved) and
    record the permission bits of everything in the data folder while it is still open, so
    the database's -wal and -shm files are there to be seen."""
    import logging.handlers
    import os

    from desktop_rag.core import config
    from desktop_rag.core.library import Library

    config.setup_logging()
    log = logging.getLogger("desktop_rag.probe")
    with Library.open_or_create(library) as lib:
        lib.ingest([docs])
        config.Settings(current_library=library).save()
        for handler in logging.getLogger("desktop_rag").handlers:
            if isinstance(handler, logging.handlers.RotatingFileHandler):
                handler.doRollover()
        log.info("after rotation")
        root = config.data_dir()
        modes = {
            str(Path(folder, name).relative_to(root)): os.stat(Path(folder, name)).st_mode & 0o777
            for folder, dirs, files in os.walk(root)
            for name in dirs + files
        }
        modes["."] = os.stat(root).st_mode & 0o777
    _write(out, {"modes": modes, "umask": os.umask(0)})
