"""What Office (OOXML) and OpenDocument files have in common: a zip inside, or, for an Office
file protected by a password, an encrypted zip inside an OLE container; and the same ways of
being damaged."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import IO

from desktop_rag.core.documents.loaders import ParseError, _short, read_bytes

# Compound File Binary: an old .doc/.xls/.ppt, or an Office file encrypted with a password
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PASSWORD_HINT = "Give the password (GUI: you will be asked; CLI: --password)."


def ooxml_source(path: Path, data: bytes | None, password: str | None, app: str) -> str | IO[bytes]:
    """What python-docx, python-pptx or openpyxl can open: the file (or `data`), or, for a file
    protected by a password, its decrypted content. `app` names the program in messages."""
    if data is None:
        try:
            with open(path, "rb") as f:
                head = f.read(8)
        except OSError:
            head = b""
        if head != OLE_MAGIC:
            return str(path)
        data = read_bytes(path, None)
    elif not data.startswith(OLE_MAGIC):
        return io.BytesIO(data)
    return _decrypted(path, data, password, app)


def _decrypted(path: Path, data: bytes, password: str | None, app: str) -> IO[bytes]:
    import msoffcrypto
    from msoffcrypto.exceptions import DecryptionError, InvalidKeyError

    ext = path.suffix.lower()
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        encrypted = office.is_encrypted()
    except Exception:
        encrypted = False
    if not encrypted or not hasattr(office, "decrypt"):
        raise ParseError(
            "corrupt",
            f"{path.name}: this is an older {app} file (97-2003) or another format under a "
            f"{ext} name.",
            f"Open it in {app} and save it as {ext}.",
        )
    if not password:
        raise ParseError(
            "encrypted", f"{path.name}: this {app} file is protected by a password.", PASSWORD_HINT
        )
    out = io.BytesIO()
    try:
        office.load_key(password=password, verify_password=True)
        office.decrypt(out)
    except (InvalidKeyError, DecryptionError) as exc:
        raise ParseError(
            "wrong-password", f"{path.name}: the password is wrong.", "Try the password again."
        ) from exc
    except Exception as exc:
        raise ParseError(
            "corrupt", f"{path.name}: the protected file is damaged ({_short(exc)})."
        ) from exc
    out.seek(0)
    return out


def damaged(path: Path, app: str, exc: BaseException, data: bytes | None = None) -> ParseError:
    """The error for an Office or OpenDocument file its library could not open: damaged (a
    zip cut short), not that format at all, or unreadable for another reason."""
    try:
        if data is None:
            with open(path, "rb") as f:
                data = f.read()
    except OSError:
        data = b""
    if data and data[:2] != b"PK":
        return ParseError(
            "corrupt",
            f"{path.name}: this is not a {app} file: the name ends in {path.suffix} but the "
            "content is something else.",
        )
    cut_short = data[:2] == b"PK" and not zipfile.is_zipfile(io.BytesIO(data))
    if cut_short or isinstance(exc, zipfile.BadZipFile | EOFError):
        return ParseError(
            "corrupt",
            f"{path.name}: the file is damaged (truncated or corrupted) and cannot be read as "
            f"{app}.",
            "Copy or download the file again.",
        )
    return ParseError("corrupt", f"{path.name}: not a readable {app} file ({_short(exc)}).")


def check_odf(path: Path, data: bytes | None) -> str | IO[bytes]:
    """An OpenDocument file as odfpy opens it, after checking it is a zip and not encrypted
    (a password-protected .odt or .ods keeps its content encrypted inside the zip)."""
    source: str | IO[bytes] = io.BytesIO(data) if data is not None else str(path)
    try:
        with zipfile.ZipFile(source) as z:
            name = "META-INF/manifest.xml"
            manifest = z.read(name) if name in z.namelist() else b""
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise damaged(path, "OpenDocument", exc, data) from exc
    if b"encryption-data" in manifest:
        raise ParseError(
            "password-unsupported",
            f"{path.name}: this file is protected by a password, which this app cannot open.",
            "Open it in LibreOffice, save a copy without the password, and add that copy.",
        )
    if isinstance(source, io.BytesIO):
        source.seek(0)
    return source
