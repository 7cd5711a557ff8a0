"""Ways to break the SQLite store from outside, as a real incident would, and to mend it again."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def hide_tables(database: Path) -> Callable[[], None]:
    """Rename every table away (the store then fails at once); return what puts them back."""
    with sqlite3.connect(database) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            connection.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_away"')

    def restore() -> None:
        with sqlite3.connect(database) as connection:
            for table in tables:
                connection.execute(f'ALTER TABLE "{table}_away" RENAME TO "{table}"')

    return restore


@contextmanager
def exclusively_locked(database: Path) -> Iterator[None]:
    """Another connection holds SQLite's exclusive write lock for the duration of the block.

    The skill's writes then wait for their busy timeout and fail; in WAL mode its reads go on.
    """
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def can_make_read_only() -> bool:
    """chmod makes a file read-only for anyone but root; for root it takes ``chattr +i``."""
    return os.geteuid() != 0 or shutil.which("chattr") is not None


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """The files or directories cannot be written for the duration of the block, for real:
    ``chmod a-w`` for an ordinary user, the immutable attribute for root (who ignores modes)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        return
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(modes[path] & ~0o222)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
