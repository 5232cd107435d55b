"""Encryption at rest: a library's key file, its key in memory, and sealed files.

An encrypted library has a random 256-bit data key. On disk the data key exists only wrapped
(AES-256-GCM) under a key derived from the passphrase by scrypt with the library's own salt,
in `encryption.json` beside the database, with the scrypt parameters. Keys for each use are
derived from the data key (HKDF-SHA256): one opens the database through SQLCipher (as a raw
key, so SQLCipher's own key derivation is not paid twice), one seals the other files of the
library (the vector index) with AES-256-GCM. The passphrase is never stored; the data key stays
in this process's memory from the first time the library is opened until the process ends, so
the passphrase is asked once per run. Which libraries are encrypted is read from the database
file itself (a plain SQLite file starts with its magic string, SQLCipher's with random salt), so
a key file left beside a plain database by an interrupted conversion is never trusted."""

from __future__ import annotations

import base64
import json
import os
import struct
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_rag.core.errors import UserError
from desktop_rag.core.fsutil import atomic_write_bytes

KEYFILE = "encryption.json"
KEYFILE_VERSION = 1
MIN_PASSPHRASE = 8
# scrypt at N=2^17, r=8, p=1: 128 MiB and about half a second, once per run of the app
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
SQLITE_MAGIC = b"SQLite format 3\x00"
_SEALED_MAGIC = b"desktop-rag sealed aes-256-gcm v1\n"
_SEGMENT = 1 << 26  # sealed in 64 MiB segments: AES-GCM in one call stops at 2 GiB
_WRAP_AAD = b"desktop-rag library key v1"

# Passphrase for an encrypted library: the text itself, or a function asked only when needed.
Passphrase = str | Callable[[], str] | None

_unlocked: dict[str, LibraryKey] = {}  # library id -> key: what was unlocked in this process


class PassphraseRequired(UserError):
    """An encrypted library was opened without a passphrase."""

    code = "passphrase"


class WrongPassphrase(UserError):
    """The passphrase does not open this library."""

    code = "wrong-passphrase"


@dataclass(frozen=True)
class LibraryKey:
    """An unlocked library's key, and its key file as written (a library rebuilt from this one
    keeps it: same passphrase)."""

    library_id: str
    data_key: bytes = field(repr=False)
    keyfile: bytes = field(repr=False)

    def _derive(self, purpose: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        info = b"desktop-rag " + purpose
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            self.data_key
        )

    def sqlcipher_key(self) -> str:
        """The database's raw key as SQLCipher takes it: 64 hex digits."""
        return self._derive(b"sqlcipher").hex()

    def seal(self, data: bytes | bytearray | memoryview, purpose: str) -> bytes:
        """`data` encrypted and authenticated, bound to `purpose` (a file's role)."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aead = AESGCM(self._derive(b"files"))
        view = memoryview(data).cast("B")
        prefix = os.urandom(8)
        parts = [_SEALED_MAGIC, prefix]
        count = max(1, -(-len(view) // _SEGMENT))
        for i in range(count):
            segment = view[i * _SEGMENT : (i + 1) * _SEGMENT]
            nonce = prefix + struct.pack(">I", i)
            parts.append(aead.encrypt(nonce, segment, _segment_aad(purpose, i, i == count - 1)))
        return b"".join(parts)

    def open(self, blob: bytes, purpose: str) -> bytes:
        """What `seal` sealed; ValueError when the blob is not that, damaged or cut short."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not blob.startswith(_SEALED_MAGIC):
            raise ValueError("not a sealed file")
        aead = AESGCM(self._derive(b"files"))
        view = memoryview(blob)
        prefix = bytes(view[len(_SEALED_MAGIC) : len(_SEALED_MAGIC) + 8])
        pos = len(_SEALED_MAGIC) + 8
        step = _SEGMENT + 16
        out = []
        i = 0
        while True:
            segment = view[pos : pos + step]
            last = pos + step >= len(view)
            try:
                nonce = prefix + struct.pack(">I", i)
                out.append(aead.decrypt(nonce, segment, _segment_aad(purpose, i, last)))
            except InvalidTag:
                raise ValueError("the sealed file is damaged or was changed") from None
            if last:
                return b"".join(out)
            pos += step
            i += 1


def _segment_aad(purpose: str, index: int, last: bool) -> bytes:
    return _SEALED_MAGIC + purpose.encode() + struct.pack(">I?", index, last)


def is_encrypted(folder: Path) -> bool:
    """Whether the library in `folder` is encrypted: it has a key file and its database is not
    a plain SQLite file."""
    if not (folder / KEYFILE).exists():
        return False
    try:
        with open(folder / "library.db", "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return True  # being created: the key file comes first
    return head != SQLITE_MAGIC


def check_readable(folder: Path, name: str) -> None:
    """Refuse a database that is neither plain SQLite nor has a key file: an encrypted library
    whose key file is gone (or a damaged one), told as such rather than as a SQLite error."""
    try:
        with open(folder / "library.db", "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return
    if head and head != SQLITE_MAGIC and not (folder / KEYFILE).exists():
        raise UserError(
            f"The library '{name}' cannot be read: its database is encrypted or damaged, and "
            f"there is no key file ({KEYFILE}) beside it.",
            "If it was encrypted, restore that file from a backup of the library folder; "
            "otherwise delete the library and add the documents again.",
        )


def check_passphrase(passphrase: str) -> str:
    """A passphrase good enough to encrypt a library with."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserError(
            f"A passphrase needs at least {MIN_PASSPHRASE} characters.",
            "Choose a longer one: a few words are easy to remember and hard to guess.",
        )
    return passphrase


def create_key(passphrase: str) -> LibraryKey:
    """A new library key wrapped under `passphrase` (unlocked for this process)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    check_passphrase(passphrase)
    salt, nonce, data_key = os.urandom(16), os.urandom(12), os.urandom(32)
    header = {
        "version": KEYFILE_VERSION,
        "library_id": uuid.uuid4().hex,
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": _b64(salt),
        "cipher": "aes-256-gcm",
        "nonce": _b64(nonce),
    }
    wrapping = _kek(passphrase, header)
    wrapped = AESGCM(wrapping).encrypt(nonce, data_key, _wrap_aad(header))
    content = json.dumps({**header, "wrapped_key": _b64(wrapped)}, indent=2).encode()
    key = LibraryKey(str(header["library_id"]), data_key, content)
    _unlocked[key.library_id] = key
    return key


def write_keyfile(folder: Path, key: LibraryKey) -> None:
    atomic_write_bytes(folder / KEYFILE, key.keyfile)


def unlock(
    folder: Path, passphrase: Passphrase, name: str, *, remembered: bool = True
) -> LibraryKey:
    """The key of the encrypted library in `folder`: the one already unlocked in this process
    (unless not `remembered`), else from `passphrase` (asked only if needed)."""
    content, header = _read_keyfile(folder, name)
    key = _unlocked.get(str(header.get("library_id")))
    if remembered and key is not None and key.keyfile == content:
        return key
    if passphrase is None:
        raise PassphraseRequired(
            f"The library '{name}' is encrypted.",
            "Enter its passphrase (the command line asks for it, or reads DESKTOP_RAG_PASSPHRASE).",
        )
    secret = passphrase() if callable(passphrase) else passphrase
    key = _unwrap(content, header, secret, name)
    _unlocked[key.library_id] = key
    return key


def forget_keys() -> None:
    """Drop every unlocked key from memory: the next open asks for the passphrase again."""
    _unlocked.clear()


def _read_keyfile(folder: Path, name: str) -> tuple[bytes, dict[str, object]]:
    path = folder / KEYFILE
    try:
        content = path.read_bytes()
        header = json.loads(content)
        if not isinstance(header, dict) or header.get("kdf") != "scrypt":
            raise ValueError("unknown key file")
    except FileNotFoundError:
        raise UserError(
            f"The library '{name}' is encrypted, but its key file {path} is missing.",
            "Restore that file from a backup of the library folder: without it the library "
            "cannot be read.",
        ) from None
    except ValueError as exc:
        raise UserError(
            f"The key file of the library '{name}' ({path}) is damaged or of a newer "
            f"desktop-rag ({exc}).",
            "Restore it from a backup of the library folder, or update the app.",
        ) from None
    if int(str(header.get("version", 0))) > KEYFILE_VERSION:
        raise UserError(
            f"The library '{name}' was encrypted by a newer desktop-rag.", "Update the app."
        )
    return content, header


def _unwrap(content: bytes, header: dict[str, object], passphrase: str, name: str) -> LibraryKey:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        nonce = base64.b64decode(str(header["nonce"]))
        wrapped = base64.b64decode(str(header["wrapped_key"]))
        fields = {k: v for k, v in header.items() if k != "wrapped_key"}
        data_key = AESGCM(_kek(passphrase, fields)).decrypt(nonce, wrapped, _wrap_aad(fields))
    except InvalidTag:
        raise WrongPassphrase(
            f"Wrong passphrase for the library '{name}'.",
            "Type it again (it is case-sensitive). A forgotten passphrase cannot be recovered.",
        ) from None
    except (KeyError, ValueError, TypeError) as exc:
        raise UserError(
            f"The key file of the library '{name}' is damaged ({exc}).",
            "Restore it from a backup of the library folder.",
        ) from None
    return LibraryKey(str(header["library_id"]), data_key, content)


def _kek(passphrase: str, header: dict[str, object]) -> bytes:
    """The key that wraps the data key, from the passphrase and the key file's parameters."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(
        salt=base64.b64decode(str(header["salt"])),
        length=32,
        n=int(str(header["n"])),
        r=int(str(header["r"])),
        p=int(str(header["p"])),
    )
    # one form of each Hangul syllable or accent, however the keyboard composed it
    return kdf.derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def _wrap_aad(header: dict[str, object]) -> bytes:
    """Every parameter is authenticated with the wrapped key: changing one fails the unwrap."""
    return _WRAP_AAD + json.dumps(header, sort_keys=True).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
