"""What every store shares: the user key, the error type and the save semantics.

A save must not lose a concurrent request's update. The ASK SDK hands a store the whole
attribute document it read earlier in the request, so writing that document back would
silently undo whatever another request (the same user on a second device, or a retried
request) saved in between. Instead, `get_attributes` returns a `StoredAttributes` that
remembers what was read, and a save writes only the top-level keys this request set,
changed or removed, applied atomically by the store. Two requests that change different
keys both survive; two that change the same key end with the later write, which is the
right answer for what the skill keeps (a flag, and where the routine got to).
"""
from __future__ import annotations

import copy
import hashlib
import threading
import time
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_model import RequestEnvelope


class StoreError(RuntimeError):
    """The store could not be read or written; callers carry on without it.

    Its message is logged and shown by ``/healthz``: it names what failed, from the driver's
    first line (``first_line``), never the values that were being written.
    """


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of a driver's message: PostgreSQL's DETAIL and CONTEXT lines, which can
    quote the data, stay out of logs."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]


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
    """The only form in which a user id reaches a store: a stable one-way SHA-256 hex digest."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


class Store(AbstractPersistenceAdapter):
    """An ASK persistence adapter (get, save, delete) that can also say whether it answers."""

    @abstractmethod
    def check(self) -> None:
        """Raise StoreError unless the store can be read right now (for /healthz)."""


class SaveRecord:
    """How the latest saves went, for ``/healthz``: a store can answer reads and still fail
    every write (locked, read-only, a full disk), and only the saves tell.

    ``problem`` names the trouble while the latest save failed and either ``streak`` saves
    in a row failed within ``streak_window`` seconds or the failure is less than ``recent``
    seconds old. A successful save clears it; so does time, because a node taken out of the
    load balancer gets no saves to prove itself with (``check`` probes the store instead).
    """

    def __init__(self, streak: int = 3, streak_window: float = 60.0, recent: float = 5.0) -> None:
        self.streak, self.streak_window, self.recent = streak, streak_window, recent
        self._failures = 0
        self._last: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def saved(self) -> None:
        if self._failures:
            with self._lock:
                self._failures, self._last = 0, None

    def failed(self, reason: str) -> None:
        with self._lock:
            self._failures += 1
            self._last = (time.monotonic(), reason)

    def problem(self) -> str | None:
        with self._lock:
            failures, last = self._failures, self._last
        if not failures or last is None:
            return None
        age = time.monotonic() - last[0]
        if age < self.recent or (failures >= self.streak and age < self.streak_window):
            plural = "s" if failures > 1 else ""
            return f"the last {failures} save{plural} failed: {last[1]}"
        return None


class StoredAttributes(dict):
    """A user's attributes as read from a store, remembering what was read.

    The SDK keeps this very object for the request and passes it back to save, so the
    difference between it and `loaded` is exactly what the request changed.
    """

    def __init__(self, loaded: Mapping[str, Any] | None = None):
        super().__init__(copy_document(dict(loaded or {})))
        self.loaded: dict[str, Any] = copy_document(dict(loaded or {}))

    def mark_saved(self) -> None:
        """After a save the stored document holds our changes: later saves diff from here."""
        self.loaded = copy_document(dict(self))


_JSON_LEAVES = frozenset({str, int, float, bool, type(None)})


def copy_document(value: Any) -> Any:
    """``copy.deepcopy`` for JSON-shaped data, about four times faster.

    Stored attributes are JSON documents (they were read from JSON or are about to be written
    as JSON), so plain dicts, lists and scalars are copied here; anything else still goes
    through ``deepcopy``.  Unlike ``deepcopy`` it does not preserve aliasing between
    sub-objects, which JSON cannot express anyway.
    """
    kind = type(value)
    if kind in _JSON_LEAVES:
        return value
    if kind is dict:
        return {key: copy_document(item) for key, item in value.items()}
    if kind is list:
        return [copy_document(item) for item in value]
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Changes:
    """What a save writes: keys to set and keys to remove, or (replace) the whole document."""

    set: dict[str, Any] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    replace: bool = False


def changes_to_save(attributes: Mapping[str, Any]) -> Changes:
    """The changes since the read, or a whole-document replace for a dict no store handed out.

    A plain dict means the caller built the document itself (the SDK's setter, a tool), so
    it is taken as the intended full state.
    """
    if not isinstance(attributes, StoredAttributes):
        return Changes(set=dict(attributes), replace=True)
    loaded = attributes.loaded
    changed = {key: value for key, value in attributes.items() if key not in loaded or loaded[key] != value}
    removed = tuple(key for key in loaded if key not in attributes)
    return Changes(set=changed, removed=removed)


def apply_changes(document: Mapping[str, Any], changes: Changes) -> dict[str, Any]:
    """The stored document after a save (for stores that merge in Python inside a transaction)."""
    if changes.replace:
        return dict(changes.set)
    merged = {key: value for key, value in document.items() if key not in changes.removed}
    merged.update(changes.set)
    return merged


def mark_saved(attributes: Mapping[str, Any]) -> None:
    if isinstance(attributes, StoredAttributes):
        attributes.mark_saved()
