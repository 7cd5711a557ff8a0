"""PostgreSQL store: several gunicorn hosts behind a load balancer sharing one database.

Same table shape as the SQLite store (a JSON document per hashed user key). A save is one
atomic upsert that merges this request's changes into the stored JSONB (`(stored - removed)
|| changed`), so concurrent saves for the same user never undo each other (see base.py).

Alexa waits about 8 s for the whole answer, so every wait here is short: getting a pooled
connection, connecting, and each statement are bounded, and a slow or stopped server turns
into a StoreError the handlers survive, not a hung request.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from ask_sdk_model import RequestEnvelope
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from .base import Store, StoredAttributes, StoreError, changes_to_save, first_line, mark_saved, user_id_of, user_key

CONNECT_TIMEOUT_S = 2  # libpq's smallest useful value; the pool's own threads do the connecting
POOL_WAIT_S = 1.0  # a request waits this long for a (new or free) pooled connection, no longer
STATEMENT_TIMEOUT_MS = 1500
LOCK_TIMEOUT_MS = 1000
TCP_USER_TIMEOUT_MS = 3000  # a server gone from the network: unacknowledged data fails the socket
# Worst case per call: 1 s for a connection + 1.5 s for the statement. A request makes one to
# three store calls, so even a dead database leaves the answer inside Alexa's 8 s.

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS user_attributes ("
    " user_key TEXT PRIMARY KEY, attributes JSONB NOT NULL, updated_at TIMESTAMPTZ NOT NULL)"
)
TABLE_EXISTS = "SELECT to_regclass('user_attributes') IS NOT NULL"
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('back_twitch_helper.schema'))"
SELECT = "SELECT attributes FROM user_attributes WHERE user_key = %s"
MERGE = (
    "INSERT INTO user_attributes AS stored (user_key, attributes, updated_at) VALUES (%s, %s, now())"
    " ON CONFLICT (user_key) DO UPDATE"
    " SET attributes = (stored.attributes - %s::text[]) || excluded.attributes, updated_at = now()"
)
REPLACE = (
    "INSERT INTO user_attributes (user_key, attributes, updated_at) VALUES (%s, %s, now())"
    " ON CONFLICT (user_key) DO UPDATE SET attributes = excluded.attributes, updated_at = now()"
)
DELETE = "DELETE FROM user_attributes WHERE user_key = %s"
# A write that changes nothing: it still needs the table's write lock (so a LOCK TABLE or a
# long schema change shows, within lock_timeout) and a writable transaction (so a read-only
# server, a hot standby after a failover, or default_transaction_read_only shows).
WRITE_PROBE = "DELETE FROM user_attributes WHERE false"


def connection_settings(conninfo: str) -> dict[str, Any]:
    """Short timeouts for every connection, unless the URL already sets its own.

    Server-side limits go in libpq's `options` ahead of any the URL gives, so the URL's win.
    """
    given = conninfo_to_dict(conninfo)
    limits = (f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS}"
              f" -c idle_in_transaction_session_timeout={STATEMENT_TIMEOUT_MS * 4}")
    settings: dict[str, Any] = {
        "autocommit": True,
        "options": f"{limits} {given.get('options', '')}".strip(),
        "application_name": given.get("application_name", "back-twitch-helper"),
    }
    for name, value in (("connect_timeout", CONNECT_TIMEOUT_S), ("tcp_user_timeout", TCP_USER_TIMEOUT_MS)):
        if name not in given:
            settings[name] = value
    return settings


class PostgresStore(Store):
    """Attributes as JSONB per hashed user key, through a small connection pool per process."""

    def __init__(self, conninfo: str, max_connections: int = 4):
        self.conninfo = conninfo
        self.max_connections = max_connections
        self._settings = connection_settings(conninfo)
        self._pools: dict[int, ConnectionPool] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._create_schema()

    def _create_schema(self) -> None:
        """Once at start-up; the advisory lock stops hosts starting together from racing.

        An existing table is left alone, so a host can start against a read-only server
        (a standby after a failover) and report it on /healthz instead of refusing to start.
        """
        with psycopg.connect(self.conninfo, **{**self._settings, "autocommit": False}) as connection:
            if connection.execute(TABLE_EXISTS).fetchone()[0]:  # type: ignore[index]  # SELECT EXISTS: one row
                return
            connection.execute(SCHEMA_LOCK)
            connection.execute(SCHEMA)

    def _pool(self) -> ConnectionPool:
        """This process's pool, opened on first use.

        gunicorn builds the app in the master and then forks workers: a pool (its sockets
        and threads) must never cross a fork, so each process opens its own.
        """
        pid = os.getpid()
        pool = self._pools.get(pid)
        if pool is not None:
            return pool
        with self._locks.setdefault(pid, threading.Lock()):
            if pid not in self._pools:
                self._pools[pid] = ConnectionPool(
                    self.conninfo, kwargs=self._settings, min_size=1, max_size=self.max_connections,
                    timeout=POOL_WAIT_S, check=ConnectionPool.check_connection, open=True,
                    name=f"back-twitch-helper-{pid}",
                )
            return self._pools[pid]

    @contextmanager
    def _connection(self, action: str) -> Iterator[psycopg.Connection]:
        """A pooled connection; any database or pool failure becomes a StoreError."""
        try:
            with self._pool().connection() as connection:
                yield connection
        except psycopg.Error as exc:
            raise StoreError(f"could not {action}: {type(exc).__name__}: {first_line(exc)}") from exc

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return StoredAttributes()
        with self._connection("read attributes") as connection:
            row = connection.execute(SELECT, (user_key(user_id),)).fetchone()
        return StoredAttributes(row[0] if row else {})

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        key, changes = user_key(user_id), changes_to_save(attributes)
        with self._connection("save attributes") as connection:
            if changes.replace:
                connection.execute(REPLACE, (key, Jsonb(changes.set)))
            else:
                connection.execute(MERGE, (key, Jsonb(changes.set), list(changes.removed)))
        mark_saved(attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            return
        with self._connection("delete attributes") as connection:
            connection.execute(DELETE, (user_key(user_id),))

    def check(self) -> None:
        """Used by /healthz: a write that changes nothing, through the pool, proves that server
        and schema answer and that a save could be made now (not read-only, not locked)."""
        with self._connection("reach the database") as connection:
            with connection.transaction(force_rollback=True):
                connection.execute(WRITE_PROBE)

    def close(self) -> None:
        """Close this process's pool (tests, orderly shutdown)."""
        pool = self._pools.pop(os.getpid(), None)
        if pool is not None:
            pool.close()
