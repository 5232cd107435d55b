"""Documents inside files: an e-mail's attachment is stored under its file's path, '#' and its
name there ("/mail/q3.eml#report.pdf", "/mail/inbox.mbox#message-3/report.pdf"). These turn
such a path back into the file and the part, and read a part's bytes again for the viewer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from desktop_rag.core.documents.loaders import MAIL_SUFFIXES, kind_of

MARK = "#"


def part_path(file: str, part: str) -> str:
    """The stored path of `part` of `file` ('' : the file itself)."""
    return f"{file}{MARK}{part}" if part else file


def split_part(path: str) -> tuple[str, str]:
    """(file, part) of a stored path; part is '' for a document that is a file. A file whose
    own name holds '#' stays whole."""
    if MARK not in path or os.path.exists(path):
        return path, ""
    at = path.find(MARK)
    while at != -1:
        if kind_of(Path(path[:at])) in MAIL_SUFFIXES.values():
            return path[:at], path[at + 1 :]
        at = path.find(MARK, at + 1)
    return path, ""


def part_name(path: str) -> str:
    """The last name in a stored path: "report.pdf" for "/m/q3.eml#fwd.eml/report.pdf"."""
    file, part = split_part(path)
    return part.rsplit("/", 1)[-1] if part else Path(file).name


def read_document_bytes(path: str) -> bytes:
    """The bytes of the document at a stored path: the file's, or its part's, read again."""
    file, part = split_part(path)
    if not part:
        return Path(file).read_bytes()
    from desktop_rag.core.documents.formats.mail import attachment_bytes

    return attachment_bytes(Path(file), part)


def open_paged(path: str) -> Any:
    """A PyMuPDF document for a stored path of a laid-out document (PDF, image, EPUB...),
    an attachment included. PyMuPDF's and the mail reader's errors pass through."""
    import pymupdf

    file, part = split_part(path)
    if not part:
        return pymupdf.open(file)
    suffix = Path(part).suffix.lstrip(".").lower()
    return pymupdf.open(stream=read_document_bytes(path), filetype=suffix)
