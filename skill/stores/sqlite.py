"""The embedded default store: one SQLite file, WAL mode, one connection per thread.

Fits one host (several gunicorn workers share the file). A save is a short read-modify-write
inside BEGIN IMMEDIATE, which takes SQLite's single writer lock first, so concurrent saves
from other threads or worker processes queue rather than overwrite each other's changes.

The store never writes into a file no one will read again: it remembers which file (device
and inode) it opened at the configured path, and when the path no longer names that file
(moved, deleted, its directory removed) it reopens the path, as at start-up, before the next
read or write, and a save that committed into a file that was replaced meanwhile is written
again into the file now at the path. ``check`` (``/healthz``) says so, and also fails while
the file cannot be written (read-only, or locked beyond the busy timeout).
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ask_sdk_model import RequestEnvelope

from .. import fastjson
from .base import Store, StoredAttributes, StoreError, apply_changes, changes_to_save, mark_saved, user_id_of, user_key

log = logging.getLogger(__name__)

REOPENED_RECENTLY = 10.0
"""Seconds during which ``check`` still fails after the file had to be reopened (its contents
before then are not in the file now at the path: an operator should look)."""

FileIdentity = tuple[int, int]  # (st_dev, st_ino)
IN_MEMORY: FileIdentity = (-1, -1)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS user_attributes ("
    " user_key TEXT PRIMARY KEY, attributes TEXT NOT NULL, updated_at TEXT NOT NULL)"
)


class SQLiteStore(Store):
    """Attributes as JSON text per hashed user key in `user_attributes`."""

    def __init__(self, path: str, busy_timeout_ms: int = 2000):
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._reopen_lock = threading.Lock()
        self._generation = 0  # bumped on every reopen: per-thread connections to older files are dropped
        self._identity: FileIdentity | None = None
        self._reopened: tuple[float, str] | None = None  # (monotonic time, why) of the last reopen
        self._open_file()

    def _open_file(self) -> None:
        """Create the directory, the file and the table as needed; remember which file it is."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        connection = self._connect()
        try:
            connection.execute(SCHEMA)
            identity = self._path_identity()
        finally:
            connection.close()
        if identity is None:
            raise sqlite3.OperationalError("database file vanished while being opened")
        self._identity = identity

    def _path_identity(self) -> FileIdentity | None:
        """Which file the path names now; an in-memory database is always itself."""
        return IN_MEMORY if self.path == ":memory:" else _file_identity(self.path)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL survives a crashed process; an fsync per request costs far more.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        return connection

    def _current_file(self) -> None:
        """Reopen the path when it no longer names the file this store opened (one ``stat``)."""
        if self._path_identity() == self._identity:
            return
        with self._reopen_lock:
            if self._path_identity() == self._identity:
                return  # another thread reopened it meanwhile
            missing = not os.path.exists(self.path)
            why = "database file was removed" if missing else "database file was replaced"
            try:
                self._open_file()
            except (sqlite3.Error, OSError) as exc:
                raise StoreError(f"{why} and cannot be reopened: {_reason(exc)}") from exc
            self._generation += 1
            self._reopened = (time.monotonic(), why)
            log.error("%s at the configured path; reopened it: what was saved before is not in the file now", why)

    def _connection(self) -> sqlite3.Connection:
        """Reuse a connection per thread: opening one per request costs more than the query.

        Keyed by process too: a connection must never be used on both sides of a fork; and by
        the file's generation, so no thread goes on using a file that is no longer at the path.
        """
        self._current_file()
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != os.getpid() or local.generation != self._generation:
            if connection is not None and local.pid == os.getpid():
                connection.close()
            generation, identity = self._generation, self._identity
            connection = self._connect()
            local.connection, local.pid, local.generation, local.identity = connection, os.getpid(), generation, identity
        return connection

    @contextmanager
    def _write_transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error so the connection stays usable."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                # A connection opened while the file was read-only stays read-only: the next
                # write opens a fresh one, which sees the file as it is by then.
                self._drop_connection()
            raise

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None and self._local.pid == os.getpid():
            try:
                connection.close()
            except sqlite3.Error:
                pass

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return StoredAttributes()
        try:
            row = self._connection().execute(
                "SELECT attributes FROM user_attributes WHERE user_key = ?", (user_key(user_id),)
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"could not read attributes: {_reason(exc)}") from exc
        return StoredAttributes(fastjson.loads(row[0].encode()) if row else {})

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        key, changes = user_key(user_id), changes_to_save(attributes)
        for _attempt in range(2):
            try:
                with self._write_transaction() as connection:
                    row = connection.execute("SELECT attributes FROM user_attributes WHERE user_key = ?",
                                             (key,)).fetchone()
                    document = apply_changes(fastjson.loads(row[0].encode()) if row else {}, changes)
                    connection.execute(
                        "INSERT INTO user_attributes (user_key, attributes, updated_at) VALUES (?, ?, ?)"
                        " ON CONFLICT(user_key) DO UPDATE SET attributes = excluded.attributes,"
                        " updated_at = excluded.updated_at",
                        (key, fastjson.dumps(document).decode(), datetime.now(UTC).isoformat()),
                    )
            except sqlite3.Error as exc:
                raise StoreError(f"could not save attributes: {_reason(exc)}") from exc
            if self._path_identity() == self._local.identity:
                break  # committed into the file at the path
            # The file went away under this save: write it again into the one at the path.
        else:
            raise StoreError("could not save attributes: the database file keeps being replaced or removed")
        mark_saved(attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        try:
            self._connection().execute("DELETE FROM user_attributes WHERE user_key = ?", (user_key(user_id),))
        except sqlite3.Error as exc:
            raise StoreError(f"could not delete attributes: {_reason(exc)}") from exc

    def check(self) -> None:
        """Used by /healthz: the file at the path is the one open, and it can be written now.

        A fresh connection (as a new thread or worker would open) takes the write lock, within
        the busy timeout, and tries a write that changes nothing: a read-only file, a locked
        database, a missing table or a replaced file all fail here with SQLite's reason.
        """
        try:
            self._current_file()
        except StoreError as exc:
            raise StoreError(f"store unavailable: {exc}") from exc
        reopened = self._reopened
        if reopened is not None and time.monotonic() - reopened[0] < REOPENED_RECENTLY:
            raise StoreError(f"store unavailable: {reopened[1]} and was reopened empty")
        if self.path != ":memory:" and not os.access(self.path, os.W_OK):
            raise StoreError("store unavailable: the database file is read-only")
        try:
            connection = self._connect()
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("DELETE FROM user_attributes WHERE 0")
            finally:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                connection.close()
        except sqlite3.Error as exc:
            raise StoreError(f"store unavailable: {_reason(exc)}") from exc


def _file_identity(path: str) -> FileIdentity | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _reason(exc: BaseException) -> str:
    """SQLite's own message (fixed text such as "database is locked"); values are always bound
    parameters, so they never appear in it."""
    return str(exc) or type(exc).__name__
