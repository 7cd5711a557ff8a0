"""The embedded default store: one SQLite file, WAL mode, one connection per thread.

Fits one host (several gunicorn workers share the file). A save is a short read-modify-write
inside BEGIN IMMEDIATE, which takes SQLite's single writer lock first, so concurrent saves
from other threads or worker processes queue rather than overwrite each other's changes.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ask_sdk_model import RequestEnvelope

from .. import fastjson
from .base import Store, StoredAttributes, StoreError, apply_changes, changes_to_save, mark_saved, user_id_of, user_key

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
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = self._connect()
        try:
            connection.execute(SCHEMA)
        finally:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL survives a crashed process; an fsync per request costs far more.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        return connection

    def _connection(self) -> sqlite3.Connection:
        """Reuse a connection per thread: opening one per request costs more than the query.

        Keyed by process too: a connection must never be used on both sides of a fork.
        """
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            connection = self._connect()
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    @contextmanager
    def _write_transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error so the connection stays usable."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return StoredAttributes()
        try:
            row = self._connection().execute(
                "SELECT attributes FROM user_attributes WHERE user_key = ?", (user_key(user_id),)
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"could not read attributes: {exc}") from exc
        return StoredAttributes(fastjson.loads(row[0].encode()) if row else {})

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        key, changes = user_key(user_id), changes_to_save(attributes)
        try:
            with self._write_transaction() as connection:
                row = connection.execute("SELECT attributes FROM user_attributes WHERE user_key = ?", (key,)).fetchone()
                document = apply_changes(fastjson.loads(row[0].encode()) if row else {}, changes)
                connection.execute(
                    "INSERT INTO user_attributes (user_key, attributes, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT(user_key) DO UPDATE SET attributes = excluded.attributes,"
                    " updated_at = excluded.updated_at",
                    (key, fastjson.dumps(document).decode(), datetime.now(timezone.utc).isoformat()),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"could not save attributes: {exc}") from exc
        mark_saved(attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        try:
            self._connection().execute("DELETE FROM user_attributes WHERE user_key = ?", (user_key(user_id),))
        except sqlite3.Error as exc:
            raise StoreError(f"could not delete attributes: {exc}") from exc

    def check(self) -> None:
        """Used by /healthz: reading the table proves the file and the schema are there."""
        try:
            self._connection().execute("SELECT 1 FROM user_attributes LIMIT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"store unavailable: {exc}") from exc
