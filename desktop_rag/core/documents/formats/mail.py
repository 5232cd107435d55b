"""E-mail: a message (.eml through the standard library's email, .msg through extract-msg) is a
document whose pages are its headers and body, titled with its subject, sender and date; each
attachment of a readable type is a document of its own, read by the same loaders (a PDF keeps
its pages and highlights) and linked to its message. A mailbox (.mbox) is a file of messages,
each with its attachments.

Parts are named inside their file: "report.pdf" (an attachment), "message-3" (a mailbox's
third message), "message-3/report.pdf", "fwd.eml/report.pdf" (an attached e-mail's)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import html
import logging
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

from desktop_rag.core.documents.loaders import (
    DocInfo,
    ParsedPage,
    ParseError,
    _short,
    decode_text,
    kind_of,
    open_pages,
    read_bytes,
    text_pages,
)

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # e-mails attached to e-mails attached to e-mails: deeper ones are left out
NO_SUBJECT = "(no subject)"


@dataclass
class Attachment:
    name: str  # unique among its message's attachments; never holds '/'
    data: bytes = b""
    message: Message | None = None  # an attached e-mail
    inline: bool = False  # shown inside the body (a logo, a signature picture)


@dataclass
class Message:
    subject: str
    sender: str  # as the From header says: "Alice Kim <alice@example.com>"
    date: dt.datetime | None
    headers: list[tuple[str, str]]  # (name, value) of From, To, Cc, Date, Subject
    body: str
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def sender_name(self) -> str:
        name, address = email.utils.parseaddr(self.sender)
        return name or address or self.sender

    @property
    def day(self) -> str:
        return self.date.date().isoformat() if self.date else ""

    def title(self) -> str:
        """What its citations say: subject, sender, date."""
        who = ", ".join(p for p in (self.sender_name, self.day) if p)
        return f"{self.subject or NO_SUBJECT} — {who}" if who else self.subject or NO_SUBJECT

    def text(self) -> str:
        lines = [f"{name}: {value}" for name, value in self.headers if value]
        shown = [a.name for a in self.attachments if not a.inline]
        if shown:
            lines.append("Attachments: " + ", ".join(shown))
        return "\n".join(lines) + "\n\n" + self.body.strip()


# --- documents ---------------------------------------------------------------------------


def open_mail(
    path: Path, kind: str, data: bytes | None
) -> Iterator[tuple[DocInfo, Iterator[ParsedPage]]]:
    """The documents of a mail file: the message, then its attachments; or, for a mailbox,
    the mailbox (no text of its own), then each message with its attachments."""
    if kind == "mbox":
        if data is not None:  # a mailbox attached to something: not followed
            raise ParseError("unsupported", f"{path.name}: a mailbox inside a file is not read.")
        yield from _mailbox_documents(path)
        return
    message = read_message(path, kind, read_bytes(path, data))
    yield from _message_documents(message, kind, "", "", 1)


def _mailbox_documents(path: Path) -> Iterator[tuple[DocInfo, Iterator[ParsedPage]]]:
    import mailbox

    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except Exception as exc:
        raise ParseError(
            "corrupt", f"{path.name}: not a readable mailbox ({_short(exc)})."
        ) from exc
    if not keys:
        box.close()
        raise ParseError(
            "no-text",
            f"{path.name}: no messages found: this is not an mbox mailbox, or it is empty.",
        )
    try:
        yield DocInfo(title=path.stem, kind="mbox", page_count=0, container=True), iter(())
        for n, key in enumerate(keys, 1):
            part = f"message-{n}"
            raw = box.get_bytes(key)
            try:
                message = read_eml(raw, path.name)
            except ParseError as exc:
                yield DocInfo(title=part, kind="eml", page_count=0, part=part), _failing(exc)
                continue
            yield from _message_documents(message, "eml", part, "", 1, raw)
    finally:
        box.close()


def _message_documents(
    message: Message, kind: str, part: str, parent: str, depth: int, raw: bytes = b""
) -> Iterator[tuple[DocInfo, Iterator[ParsedPage]]]:
    pages = text_pages(message.text())
    info = DocInfo(
        title=message.title(),
        kind=kind,
        page_count=len(pages),
        part=part,
        parent=parent,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest() if raw else "",
    )
    yield info, iter(pages)
    for attachment in message.attachments:
        name = f"{part}/{attachment.name}" if part else attachment.name
        if attachment.message is not None:
            if depth < MAX_DEPTH:
                yield from _message_documents(attachment.message, "eml", name, part, depth + 1)
            continue
        yield from _attachment_document(message, attachment, name, part)


def _attachment_document(
    message: Message, attachment: Attachment, name: str, parent: str
) -> Iterator[tuple[DocInfo, Iterator[ParsedPage]]]:
    kind = kind_of(Path(attachment.name))
    if kind is None or kind == "mbox" or (attachment.inline and kind == "image"):
        return  # a type we do not read, or a picture in the body: not a document
    linked = f"attached to “{message.subject or NO_SUBJECT}”"
    who = ", ".join(p for p in (message.sender_name, message.day) if p)
    suffix = f" — {linked} ({who})" if who else f" — {linked}"
    try:
        info, pages = open_pages(Path(attachment.name), data=attachment.data)
        own = info.title if info.title != Path(attachment.name).stem else attachment.name
    except ParseError as exc:
        info, pages = DocInfo(title="", kind=kind, page_count=0), _failing(exc)
        own = attachment.name
    info.title = own + suffix
    info.part, info.parent = name, parent
    info.size = len(attachment.data)
    info.sha256 = hashlib.sha256(attachment.data).hexdigest()
    yield info, pages


def _failing(exc: ParseError) -> Iterator[ParsedPage]:
    raise exc
    yield  # a generator: the error comes when its pages are read


# --- reading messages ----------------------------------------------------------------------


def read_message(path: Path, kind: str, data: bytes) -> Message:
    return read_msg(data, path.name) if kind == "msg" else read_eml(data, path.name)


def read_eml(data: bytes, name: str) -> Message:
    """An RFC 5322 message (.eml, or one of a mailbox) with its attachments."""
    import email
    import email.policy

    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as exc:
        raise ParseError("corrupt", f"{name}: not a readable e-mail ({_short(exc)}).") from exc
    if not any(msg.get(h) for h in ("From", "To", "Subject", "Date", "Message-ID")):
        raise ParseError(
            "corrupt", f"{name}: this is not an e-mail message (it has no From, To or Subject)."
        )
    return _from_email(msg, 1)


def _header(msg: Any, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot make sense of: its raw text
        value = msg.get_all(name, [""])[0] if hasattr(msg, "get_all") else ""
    return " ".join(str(value or "").split())


def _from_email(msg: Any, depth: int) -> Message:
    date = None
    with contextlib.suppress(Exception):
        date = email.utils.parsedate_to_datetime(_header(msg, "Date"))
    headers = [(h, _header(msg, h)) for h in ("From", "To", "Cc", "Date", "Subject")]
    body_parts: list[Any] = []
    body = ""
    with contextlib.suppress(Exception):
        chosen = msg.get_body(preferencelist=("plain", "html"))
        if chosen is not None:
            body_parts.append(chosen)
            body = _part_text(chosen)
    attachments: list[Attachment] = []
    extra: list[str] = []
    _collect(msg, body_parts, attachments, extra, depth)
    if extra:  # text parts beside the body (a mailing list's footer)
        body = "\n\n".join([body, *extra])
    return Message(
        _header(msg, "Subject"),
        _header(msg, "From"),
        date,
        headers,
        body,
        _finished(attachments, depth),
    )


def _collect(
    part: Any, skip: list[Any], out: list[Attachment], extra: list[str], depth: int
) -> None:
    """The attachments of a message part, depth first, in the order the message holds them."""
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()[0] if isinstance(part.get_payload(), list) else None
        if inner is not None and depth < MAX_DEPTH:
            message = _from_email(inner, depth + 1)
            name = part.get_filename() or f"{message.subject or 'message'}.eml"
            out.append(Attachment(name, message=message))
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            if sub.get_content_type() == "multipart/alternative" and any(
                s in skip for s in sub.iter_parts()
            ):
                continue  # the body's other versions (HTML beside the plain text)
            _collect(sub, skip, out, extra, depth)
        return
    if any(part is s for s in skip):
        return
    disposition = part.get_content_disposition()
    filename = part.get_filename()
    if not filename and disposition != "attachment":
        if ctype == "text/plain":
            with contextlib.suppress(Exception):
                extra.append(_part_text(part))
        return
    data = part.get_payload(decode=True) or b""
    name = filename or "attachment" + (mimetypes.guess_extension(ctype) or "")
    inline = disposition == "inline" or bool(part.get("Content-ID"))
    out.append(Attachment(name, data, inline=inline))


def _part_text(part: Any) -> str:
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # an unknown or lying charset
        text = decode_text(part.get_payload(decode=True) or b"")
    if not isinstance(text, str):
        text = decode_text(bytes(text))
    return html_to_text(text) if part.get_content_type() == "text/html" else text


def read_msg(data: bytes, name: str) -> Message:
    """An Outlook message (.msg) with its attachments, through extract-msg."""
    import extract_msg

    try:
        msg = extract_msg.openMsg(data, strict=False)
    except Exception as exc:
        raise ParseError(
            "corrupt",
            f"{name}: not a readable Outlook message; it may be damaged ({_short(exc)}).",
            "Save it from Outlook again.",
        ) from exc
    try:
        return _from_msg(msg, 1)
    except Exception as exc:
        raise ParseError(
            "corrupt", f"{name}: the Outlook message is damaged ({_short(exc)})."
        ) from exc
    finally:
        with contextlib.suppress(Exception):
            msg.close()


def _from_msg(msg: Any, depth: int) -> Message:
    subject = " ".join(str(getattr(msg, "subject", "") or "").split())
    sender = " ".join(str(getattr(msg, "sender", "") or "").split())
    date = getattr(msg, "date", None)
    if not isinstance(date, dt.datetime):
        date = None
    shown_date = email.utils.format_datetime(date) if date and date.tzinfo else str(date or "")
    headers = [
        ("From", sender),
        ("To", " ".join(str(getattr(msg, "to", "") or "").split())),
        ("Cc", " ".join(str(getattr(msg, "cc", "") or "").split())),
        ("Date", shown_date),
        ("Subject", subject),
    ]
    body = str(getattr(msg, "body", "") or "")
    if not body.strip():
        with contextlib.suppress(Exception):
            html_body = msg.htmlBody
            if html_body:
                body = html_to_text(decode_text(bytes(html_body)))
    attachments: list[Attachment] = []
    from extract_msg.enums import AttachmentType

    for att in getattr(msg, "attachments", []) or []:
        kind = getattr(att, "type", None)
        name = str(att.getFilename() if hasattr(att, "getFilename") else "") or "attachment"
        inline = bool(getattr(att, "hidden", False) or getattr(att, "cid", None))
        if kind in (AttachmentType.MSG, AttachmentType.SIGNED_EMBEDDED):
            if depth < MAX_DEPTH:
                with contextlib.suppress(Exception):
                    inner = _from_msg(att.data, depth + 1)
                    attachments.append(Attachment(name, message=inner))
        elif isinstance(getattr(att, "data", None), bytes):
            attachments.append(Attachment(name, att.data, inline=inline))
    body = body.replace("\r\n", "\n")
    return Message(subject, sender, date, headers, body, _finished(attachments, depth))


def _finished(attachments: list[Attachment], depth: int) -> list[Attachment]:
    """Each attachment's name made safe for a part name ('/' out) and unique in its message
    ("scan.pdf", "scan (2).pdf"), the same way every time the message is read; an e-mail
    attached as a file (.eml, .msg) read as a message."""
    for att in attachments:
        kind = kind_of(Path(att.name))
        if att.message is None and kind in ("eml", "msg") and att.data and depth < MAX_DEPTH:
            with contextlib.suppress(ParseError):
                inner = read_msg(att.data, att.name) if kind == "msg" else None
                if inner is None:
                    import email
                    import email.policy

                    parsed = email.message_from_bytes(att.data, policy=email.policy.default)
                    inner = _from_email(parsed, depth + 1)
                att.message = inner
    seen: set[str] = set()
    for att in attachments:
        base = re.sub(r"[/\\\x00-\x1f]", "_", att.name).strip() or "attachment"
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            stem, dot, ext = base.rpartition(".")
            name = f"{stem} ({n}).{ext}" if dot and stem else f"{base} ({n})"
        seen.add(name.lower())
        att.name = name
    return attachments


# --- an attachment again, for the viewer -----------------------------------------------------


def attachment_bytes(path: Path, part: str) -> bytes:
    """The bytes of the attachment `part` of the mail file at `path` (as named by
    open_mail), read again from the file."""
    kind = kind_of(path)
    segments = part.split("/")
    if kind == "mbox":
        import mailbox

        first = segments.pop(0)
        number = int(first.removeprefix("message-")) if first.startswith("message-") else 0
        box = mailbox.mbox(path, create=False)
        try:
            keys = box.keys()
            if not 1 <= number <= len(keys):
                raise ParseError("missing", f"{path.name}: the mailbox no longer holds {first}.")
            raw = box.get_bytes(keys[number - 1])
        finally:
            box.close()
        if not segments:
            return raw
        message = read_eml(raw, path.name)
    else:
        message = read_message(path, kind or "eml", read_bytes(path, None))
    for i, segment in enumerate(segments):
        found = next((a for a in message.attachments if a.name == segment), None)
        if found is None:
            break
        if i == len(segments) - 1 and found.message is None:
            return found.data
        if found.message is None:
            break
        message = found.message
    raise ParseError("missing", f"{path.name}: the message no longer holds {part}.")


# --- HTML bodies ---------------------------------------------------------------------------


class _HTMLText(HTMLParser):
    """The text of an HTML body: blocks on lines of their own, scripts and styles left out."""

    BLOCKS: ClassVar[set[str]] = {
        "p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "ul", "ol",
    }  # fmt: skip
    HIDDEN: ClassVar[set[str]] = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.out)
    except Exception:  # broken markup: its text without the tags
        text = html.unescape(re.sub(r"<[^>]+>", " ", markup))
    lines = [" ".join(line.split()).strip(" |") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
