"""Per-user persistent attributes: pick the store named by SKILL_DATABASE_URL.

Only non-health state is stored (whether the disclaimer was heard, where the relief routine
got to): screening answers and symptoms never reach a store. Users are keyed by a SHA-256 of
their Alexa user id so no store ever holds the id in clear. The stores live in skill/stores/;
this module is the stable import point for the rest of the skill.
"""
from __future__ import annotations

import os
import sqlite3
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

from .config import ConfigError
from .stores.base import Store, StoredAttributes, StoreError, user_id_of, user_key
from .stores.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "StoreError", "StoredAttributes", "open_store", "user_id_of", "user_key"]


def open_store(database_url: str) -> Store:
    """The store for `database_url`, by scheme: sqlite:///path, postgresql://..., dynamodb://TABLE.

    Anything unusable (unknown scheme, unreachable server, missing table name) is a
    ConfigError naming SKILL_DATABASE_URL, so a bad deployment stops at start-up.
    """
    scheme = urlparse(database_url).scheme
    if scheme == "sqlite":
        return _open_sqlite(database_url)
    if scheme in {"postgresql", "postgres"}:
        return _open_postgres(database_url)
    if scheme == "dynamodb":
        return _open_dynamodb(database_url)
    raise ConfigError(f"SKILL_DATABASE_URL: unsupported scheme {scheme!r}"
                      " (expected sqlite:///path, postgresql://... or dynamodb://TABLE)")


def _open_sqlite(database_url: str) -> SQLiteStore:
    parsed = urlparse(database_url)
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


def _open_postgres(database_url: str) -> Store:
    """Imported only when asked for, so SQLite deployments never load (or need) the driver."""
    try:
        import psycopg

        from .stores.postgres import PostgresStore
    except ImportError as exc:
        raise _missing_extra("postgresql", "postgres", exc) from exc

    try:
        return PostgresStore(database_url, max_connections=_threads_per_worker())
    except psycopg.Error as exc:
        raise ConfigError(f"SKILL_DATABASE_URL: cannot use {redacted(database_url)}: {exc}") from exc


def _threads_per_worker() -> int:
    """The pool size: each gunicorn thread holds at most one connection at a time."""
    raw = os.environ.get("GUNICORN_THREADS", "").strip() or "4"
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"GUNICORN_THREADS: expected a whole number of threads, got {raw!r}")
    return int(raw)


def _open_dynamodb(database_url: str) -> Store:
    """dynamodb://TABLE: region, credentials and endpoint come from the usual AWS variables."""
    table = urlparse(database_url).netloc
    if not table:
        raise ConfigError("SKILL_DATABASE_URL: name the table, as in dynamodb://TABLE")
    try:
        from botocore.exceptions import BotoCoreError
    except ImportError as exc:
        raise _missing_extra("dynamodb", "aws", exc) from exc

    try:
        # The SDK's adapter module builds a boto3 resource when imported: it needs a region.
        from .stores.dynamodb import DynamoDbStore

        return DynamoDbStore(table)
    except ImportError as exc:  # boto3 or the SDK's DynamoDB adapter
        raise _missing_extra("dynamodb", "aws", exc) from exc
    except BotoCoreError as exc:
        raise ConfigError(f"SKILL_DATABASE_URL: cannot use DynamoDB table {table!r}: {exc}") from exc


def _missing_extra(scheme: str, extra: str, exc: ImportError) -> ConfigError:
    """The store's driver is an optional extra of the package (pyproject.toml) and is not installed."""
    return ConfigError(f"SKILL_DATABASE_URL: {scheme}:// needs the [{extra}] extra: "
                       f"pip install 'back-twitch-helper[{extra}]' ({exc})")


def redacted(database_url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
