"""Encrypting or decrypting a library folder in place, so that a kill at any moment leaves
either the old library or the new one, whole and openable.

The database is copied into its other form beside it (SQLCipher's `sqlcipher_export`), and the
copy replaces `library.db` in one rename: that rename is the moment the library changes form.
Whether it is encrypted is read from the database file itself (crypto.is_encrypted), so every
other file is ordered around that rename to be harmless on either side of it:
- encrypting: the key file and the sealed vector index are written before the rename (a plain
  library ignores a key file, and rebuilds an index it cannot read);
- decrypting: the plain vector index is written and the key file removed after it (until then
  the library is still the encrypted one).
The database is first switched out of WAL mode, so it is one file with nothing in a -wal file
to lose, and no one else can have it open (the switch needs the database to itself).

Encrypting does not wipe what the plain files left in the disk's free space."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

from desktop_rag.core.errors import DiskFullError, UserError
from desktop_rag.core.faults import checkpoint
from desktop_rag.core.storage import crypto
from desktop_rag.core.storage.crypto import LibraryKey
from desktop_rag.core.storage.store import (
    Store,
    _create_private,
    apply_key,
    db_error,
    is_disk_full,
    sqlcipher_driver,
)
from desktop_rag.core.storage.vectors import VectorIndex, remove_stale_temp_files

log = logging.getLogger(__name__)

CONVERTING = ".library.db.converting"  # the database in its new form, until the rename


def has_conversion_leftovers(folder: Path) -> bool:
    """Whether an interrupted conversion left files behind (remove_conversion_leftovers)."""
    return (folder / CONVERTING).exists() or (
        (folder / crypto.KEYFILE).exists() and not crypto.is_encrypted(folder)
    )


def remove_conversion_leftovers(folder: Path) -> None:
    """Delete what an interrupted conversion left beside the library it did not change: the
    half-made database, and a key file beside a plain database (call with the lock held)."""
    with contextlib.suppress(FileNotFoundError):
        (folder / CONVERTING).unlink()
    keyfile = folder / crypto.KEYFILE
    if keyfile.exists() and (folder / "library.db").exists() and not crypto.is_encrypted(folder):
        keyfile.unlink()


def encrypt_folder(folder: Path, key: LibraryKey) -> None:
    """Encrypt the plain library in `folder` with `key` (the caller holds its lock)."""
    remove_stale_temp_files(folder)  # a plain index half-saved by a crash must not stay
    remove_conversion_leftovers(folder)
    if crypto.is_encrypted(folder):
        raise UserError(f"The library '{folder.name}' is already encrypted.")
    vectors = _settle(folder, None)
    _export(folder, None, key)
    checkpoint("encrypt-exported")
    crypto.write_keyfile(folder, key)
    checkpoint("encrypt-keyfile")
    vectors.key = key
    vectors.save()  # sealed, over the plain file: a plain library rebuilds what it cannot read
    _commit(folder)
    checkpoint("encrypt-committed")
    log.info("library encrypted: %s", folder.name)


def decrypt_folder(folder: Path, key: LibraryKey) -> None:
    """Decrypt the encrypted library in `folder` (the caller holds its lock and checked `key`)."""
    remove_stale_temp_files(folder)
    remove_conversion_leftovers(folder)
    if not crypto.is_encrypted(folder):
        raise UserError(f"The library '{folder.name}' is not encrypted.")
    vectors = _settle(folder, key)
    _export(folder, key, None)
    checkpoint("decrypt-exported")
    _commit(folder)
    checkpoint("decrypt-committed")
    vectors.key = None
    vectors.save()
    checkpoint("decrypt-vectors")
    (folder / crypto.KEYFILE).unlink()
    _fsync_dir(folder)
    log.info("library decrypted: %s", folder.name)


def _settle(folder: Path, key: LibraryKey | None) -> VectorIndex:
    """Bring the database to its latest schema in one file (out of WAL mode, which needs it
    to itself), and its vector index up to date in memory."""
    store = Store(folder / "library.db", key=key)
    try:
        dim = int(store.get_meta("embedding_dim") or 0)
        vectors = VectorIndex(folder / "vectors.usearch", dim, key=key)
        vectors.load()
        vectors.sync_with(store)
        store.conn.execute("PRAGMA busy_timeout = 2000")
        try:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            mode = store.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except db_error("OperationalError"):
            mode = "wal"
        if str(mode).lower() != "delete":
            raise UserError(
                f"The library '{folder.name}' is open in another desktop-rag (a search or a "
                "window reading it).",
                "Close the others, then try again.",
            )
    finally:
        store.close()
    return vectors


def _export(folder: Path, source: LibraryKey | None, target: LibraryKey | None) -> None:
    """Write the database in its other form to CONVERTING, flushed to the disk."""
    out = folder / CONVERTING
    with contextlib.suppress(FileNotFoundError):
        out.unlink()
    _create_private(out)
    driver = sqlcipher_driver()
    conn = driver.connect(str(folder / "library.db"), isolation_level=None)
    try:
        if source is not None:
            apply_key(conn, source)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        target_key = f"x'{target.sqlcipher_key()}'" if target is not None else ""
        conn.execute("ATTACH DATABASE ? AS converted KEY ?", (str(out), target_key))
        conn.execute("SELECT sqlcipher_export('converted')")
        conn.execute(f"PRAGMA converted.user_version = {version}")
        conn.execute("DETACH DATABASE converted")
    except db_error() as exc:
        with contextlib.suppress(OSError):
            out.unlink()
        if is_disk_full(exc, folder):
            raise DiskFullError(str(folder)) from exc
        raise
    finally:
        conn.close()
    with open(out, "rb+") as f:
        os.fsync(f.fileno())


def _commit(folder: Path) -> None:
    """The one rename that changes the library's form."""
    os.replace(folder / CONVERTING, folder / "library.db")
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    """Make the renames in `folder` survive a power cut (POSIX; Windows has no such call)."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
