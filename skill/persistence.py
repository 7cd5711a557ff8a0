"""Per-user persistent attributes behind the ASK SDK's persistence-adapter interface.

Only non-health state is stored (visits, later the relief step reached): screening answers
and symptoms never reach this module. Users are keyed by a SHA-256 of their Alexa user id so
the database never holds the id in clear.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_model import RequestEnvelope

from .config import ConfigError


class StoreError(RuntimeError):
    """The store could not be read or written; callers carry on without it."""


def user_id_of(envelope: RequestEnvelope) -> str | None:
    """The Alexa user id, from the context or (older envelopes) the session."""
    system = envelope.context.system if envelope.context is not None else None
    if system is not None and system.user is not None and system.user.user_id:
        return system.user.user_id
    session = envelope.session
    if session is not None and session.user is not None and session.user.user_id:
        return session.user.user_id
    return None


def user_key(user_id: str) -> str:
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


class SQLiteStore(AbstractPersistenceAdapter):
    """The embedded default store: one SQLite file, WAL mode, one connection per thread."""

    def __init__(self, path: str, busy_timeout_ms: int = 2000):
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = self._connect()
        try:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS user_attributes ("
                " user_key TEXT PRIMARY KEY, attributes TEXT NOT NULL, updated_at TEXT NOT NULL)"
            )
        finally:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        return connection

    def _connection(self) -> sqlite3.Connection:
        """Reuse a connection per thread: opening one per request costs more than the query."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return {}
        try:
            row = self._connection().execute(
                "SELECT attributes FROM user_attributes WHERE user_key = ?", (user_key(user_id),)
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"could not read attributes: {exc}") from exc
        return json.loads(row[0]) if row else {}

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        now = datetime.now(timezone.utc).isoformat()
        try:
            self._connection().execute(
                "INSERT INTO user_attributes (user_key, attributes, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(user_key) DO UPDATE SET attributes = excluded.attributes,"
                " updated_at = excluded.updated_at",
                (user_key(user_id), json.dumps(attributes, separators=(",", ":")), now),
            )
        except sqlite3.Error as exc:
            raise StoreError(f"could not save attributes: {exc}") from exc

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        try:
            self._connection().execute("DELETE FROM user_attributes WHERE user_key = ?", (user_key(user_id),))
        except sqlite3.Error as exc:
            raise StoreError(f"could not delete attributes: {exc}") from exc

    def check(self) -> None:
        """Used by /healthz: a trivial query proves the file is reachable."""
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"store unavailable: {exc}") from exc


def open_store(database_url: str) -> SQLiteStore:
    """Pick the store from SKILL_DATABASE_URL (sqlite:///path for now)."""
    parsed = urlparse(database_url)
    if parsed.scheme != "sqlite":
        raise ConfigError(f"SKILL_DATABASE_URL: unsupported scheme {parsed.scheme!r} (expected sqlite:///path)")
    if parsed.netloc:
        raise ConfigError("SKILL_DATABASE_URL: use sqlite:///relative/path or sqlite:////absolute/path")
    # SQLAlchemy's convention: the path follows the third slash, so a fourth makes it absolute.
    path = unquote(parsed.path)[1:]
    if not path:
        raise ConfigError("SKILL_DATABASE_URL: a file path is needed after sqlite:///")
    try:
        return SQLiteStore(path)
    except (sqlite3.Error, OSError) as exc:
        raise ConfigError(f"SKILL_DATABASE_URL: cannot open {path}: {exc}") from exc
