"""What the skill tells its operator: one JSON line per Alexa request and Prometheus metrics.

The HTTP edge (``skill/runtime/web.py``) opens a ``RequestRecord`` for every ``POST /alexa`` with
``observe_request``; whatever happens below it (a verification failure, a store error, an
exception the skill apologised for) is noted on that record, and when the request is over
the record becomes exactly one log line and one set of metric updates.

Privacy: the line carries what was asked (request type, intent, locale) and how it went,
never who asked (no user or session id, not even hashed: intent names alone reveal health
interest) and never a slot value or session attribute (the screening's answers live there).

Metrics work under gunicorn with several workers through prometheus-client's multiprocess
mode: ``infra/gunicorn.conf.py`` sets ``PROMETHEUS_MULTIPROC_DIR`` before the app is
imported, each worker writes its own files there, and ``/metrics`` sums them all.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_model import RequestEnvelope

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

from . import fastjson
from .logsafe import format_exc_info
from .persistence import StoreError
from .stores.base import SaveRecord

__all__ = [
    "REQUEST_LOGGER",
    "Counts",
    "Metrics",
    "ObservedStore",
    "LineFormatter",
    "StdoutLineHandler",
    "RequestLog",
    "RequestRecord",
    "configure_logging",
    "note_skill_error",
    "note_store_error",
    "observe_request",
]

REQUEST_LOGGER = "skill.requests"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0)
"""Seconds; the top bucket is Alexa's patience (about 8 s)."""

_MAX_FIELD = 128  # request ids are ~80 characters; anything longer is not from Alexa
_MAX_LABEL = 64
_LABEL_VALUES = 64  # distinct values per label and process before "other"

T = TypeVar("T")


# --------------------------------------------------------------------------- the record


@dataclass
class RequestRecord:
    """Everything the log line and the metrics say about one request."""

    started: float = field(default_factory=time.perf_counter)
    request_id: str | None = None
    request_type: str | None = None
    intent: str | None = None
    locale: str | None = None
    outcome: str = "answered"
    status: int = 200
    reason: str | None = None
    store_errors: list[str] = field(default_factory=list)
    apologised: bool = False  # the catch-all apology answered (skill/conversation/handlers/errors.py)

    def describe(self, envelope: RequestEnvelope) -> None:
        """Copy what was asked from the envelope: ids and names only, never slots."""
        request = envelope.request
        self.request_id = _text(getattr(request, "request_id", None))
        self.request_type = _text(getattr(request, "object_type", None))
        self.locale = _text(getattr(request, "locale", None))
        intent = getattr(request, "intent", None)
        self.intent = _text(getattr(intent, "name", None)) if intent is not None else None

    def reject(self, status: int, reason: str) -> None:
        self.outcome, self.status, self.reason = "rejected", status, reason

    def fail(self, status: int, reason: str) -> None:
        self.outcome, self.status, self.reason = "error", status, reason

    def log_fields(self, latency: float) -> dict[str, Any]:
        return {
            "ts": utc_timestamp(time.time()),
            "event": "alexa_request",
            "request_id": self.request_id,
            "type": self.request_type,
            "intent": self.intent,
            "locale": self.locale,
            "outcome": self.outcome,
            "status": self.status,
            "latency_ms": round(latency * 1000, 2),
            "reason": self.reason,
            "store_errors": self.store_errors,
            "pid": os.getpid(),
        }


def utc_timestamp(now: float) -> str:
    """``2026-12-03T13:45:01.123+00:00``: the line's time, in UTC, to the millisecond."""
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")


def _text(value: object) -> str | None:
    return value[:_MAX_FIELD] if isinstance(value, str) else None


_current: ContextVar[RequestRecord | None] = ContextVar("backtwitch_request", default=None)


def note_store_error(operation: str) -> None:
    """Mark the request in progress (if any) as having met a store error."""
    record = _current.get()
    if record is not None:
        record.store_errors.append(operation)


def note_skill_error(exception: BaseException) -> None:
    """The skill caught ``exception`` and apologised: an answer, but an error all the same.

    Only the exception's class is kept: its message may quote what the user said.
    """
    record = _current.get()
    if record is not None:
        record.fail(record.status, f"skill error: {type(exception).__name__}")
        record.apologised = True


# --------------------------------------------------------------------------- the log line


_LEVELS = {"answered": logging.INFO, "rejected": logging.WARNING, "error": logging.ERROR}


class RequestLog:
    """Logs the per-request JSON line as a record of the ``skill.requests`` logger.

    A logging record (not a bare ``print``) so the level follows ``SKILL_LOG_LEVEL`` and an
    operator can route or silence it like any other logger: answered requests are INFO,
    rejections WARNING, errors ERROR.  ``LineFormatter`` prints its message bare, so stdout
    carries exactly one JSON object per line for it.
    """

    def __init__(self) -> None:
        self._logger = logging.getLogger(REQUEST_LOGGER)

    def write(self, record: RequestRecord, latency: float) -> None:
        level = _LEVELS.get(record.outcome, logging.ERROR)
        if not self._logger.isEnabledFor(level):
            return
        fields = record.log_fields(latency)
        fields["level"] = logging.getLevelName(level)
        self._logger.log(level, fastjson.dumps(fields).decode())


class LineFormatter(logging.Formatter):
    """The skill's stdout format: request lines as bare JSON, every other record as text."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == REQUEST_LOGGER:
            return record.getMessage()
        return super().format(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        """An exception logged anywhere (Flask, gunicorn, a library) as its type and where it
        was raised: a traceback ends with the message, which may quote user input."""
        return format_exc_info(ei)


class StdoutLineHandler(logging.StreamHandler):
    """The skill's stdout: request lines bare JSON (``LineFormatter``), the rest text."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self.setFormatter(LineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


def configure_logging(level: str) -> None:
    """The root logger at ``level``; with no handler yet, one on stdout with ``LineFormatter``.

    A handler someone installed first (a test's, the Lambda runtime's) is kept: the web app
    and the Lambda add only what is missing.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(StdoutLineHandler())
    root.setLevel(level)


# --------------------------------------------------------------------------- metrics


class _LabelBudget:
    """Caps the distinct values of one label, so unverified input cannot flood the metrics.

    With verification on, types and intents come from Alexa and are few; with it off (local
    use) anybody can send anything, and every new label value costs memory for ever.  With
    ``known`` values (the intents of the interaction model), any other value is "other"; a
    value that cannot be written as UTF-8 (a lone surrogate) is "other" too, or every later
    scrape would fail on it.
    """

    def __init__(self, limit: int = _LABEL_VALUES, known: frozenset[str] | None = None) -> None:
        self._limit = limit
        self._known = known
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str | None) -> str:
        if not value:
            return "none"
        value = value[:_MAX_LABEL]
        if value in self._seen:
            return value
        if (self._known is not None and value not in self._known) or not _encodable(value):
            return "other"
        with self._lock:
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
        return "other"


def _encodable(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def multiprocess_mode() -> bool:
    """True when prometheus-client was imported with ``PROMETHEUS_MULTIPROC_DIR`` set."""
    from prometheus_client import values

    return values.ValueClass is not values.MutexValue


class Counts:
    """What the request path counts with: the intent label, each request, each store error.

    This one only names intents (the log line carries the rest): the Lambda entry's, where
    nobody can scrape ``/metrics`` and importing prometheus-client (its package pulls in
    ``http.server``, about 30 ms) would land on the first question after every cold start.
    """

    def __init__(self, known_intents: frozenset[str] | None = None) -> None:
        self._types, self._intents = _LabelBudget(), _LabelBudget(known=known_intents)

    def intent_label(self, intent: str | None) -> str | None:
        """The intent as the metrics and the log line name it: a model intent or "other"
        (a name outside the model may be anything a caller typed)."""
        return self._intents(intent) if intent else None

    def observe(self, record: RequestRecord, latency: float) -> None:
        """Counted by ``Metrics``; the log line already says it."""

    def store_error(self, operation: str) -> None:
        """Counted by ``Metrics``; the store's error is logged where it happens."""


class Metrics(Counts):
    """The skill's Prometheus metrics, in a registry of their own.

    A registry per app (not the global one) lets tests build many apps in one process.  In
    multiprocess mode the values live in per-process files anyway, and ``exposition`` reads
    them all through a fresh ``MultiProcessCollector`` on every scrape, as documented.

    ``known_intents`` (the interaction model's intents and those the handlers answer) keeps
    the intent label to those names and "other".
    """

    def __init__(self, known_intents: frozenset[str] | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        super().__init__(known_intents)
        self.registry = CollectorRegistry()
        self._children: dict[tuple[Counter | Histogram, tuple[str, ...]], Any] = {}
        self.requests = Counter(
            "backtwitch_requests", "Alexa requests by request type, intent and outcome.",
            ["type", "intent", "outcome"], registry=self.registry,
        )
        self.latency = Histogram(
            "backtwitch_request_duration_seconds", "Time from receiving an Alexa request to answering it.",
            ["outcome"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.verification_failures = Counter(
            "backtwitch_verification_failures", "Requests refused with HTTP 400, by reason.",
            ["reason"], registry=self.registry,
        )
        self.store_errors = Counter(
            "backtwitch_store_errors", "Store operations that failed (the skill carried on without them).",
            ["operation"], registry=self.registry,
        )
        self.apologies = Counter(
            "backtwitch_apologies", "Requests answered with the catch-all apology: an exception inside the skill.",
            registry=self.registry,
        )

    def observe(self, record: RequestRecord, latency: float) -> None:
        intent = self._intents(record.intent) if record.intent else "none"
        self._child(self.requests, (self._types(record.request_type), intent, record.outcome)).inc()
        self._child(self.latency, (record.outcome,)).observe(latency)
        if record.outcome == "rejected" and record.reason:
            self.verification_failures.labels(record.reason[:_MAX_LABEL]).inc()
        if record.apologised:
            self.apologies.inc()

    def _child(self, metric: Counter | Histogram, labels: tuple[str, ...]) -> Any:
        """``metric.labels(*labels)``, remembered: the SDK's lookup takes a lock and rebuilds
        the key on every call.  Label values are capped by ``_LabelBudget``, so this stays small."""
        key = (metric, labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def store_error(self, operation: str) -> None:
        self.store_errors.labels(operation).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The scrape body and its content type: all workers' values in multiprocess mode."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        if multiprocess_mode():
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class observe_request:  # noqa: N801 - used like the context-manager function it replaced
    """``with observe_request(metrics, log) as record:`` opens the record of one request; on
    the way out it is logged once and counted once.

    An exception escaping the block is recorded as a 500 before it propagates, so even a
    bug in the edge itself leaves its line.  A class rather than ``@contextmanager``: the
    generator machinery cost a few microseconds on every request.
    """

    __slots__ = ("_metrics", "_log", "_record", "_token")

    def __init__(self, metrics: Counts, log: RequestLog) -> None:
        self._metrics, self._log = metrics, log

    def __enter__(self) -> RequestRecord:
        self._record = RequestRecord()
        self._token = _current.set(self._record)
        return self._record

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, traceback: Any) -> None:
        record = self._record
        if kind is not None and record.outcome == "answered":
            record.fail(500, f"edge error: {kind.__name__}")
        _current.reset(self._token)
        record.intent = self._metrics.intent_label(record.intent)
        latency = time.perf_counter() - record.started
        self._metrics.observe(record, latency)
        self._log.write(record, latency)


# --------------------------------------------------------------------------- the store


class HealthCheckedStore(Protocol):
    def check(self) -> None: ...


class ObservedStore(AbstractPersistenceAdapter):
    """Wraps the real store so every ``StoreError`` it raises is counted and noted.

    Every store call the skill makes goes through the SDK's attributes manager into this
    adapter (or through ``check`` for ``/healthz``), and every place that catches a
    ``StoreError`` catches one raised here: counting at this one boundary counts each of
    them exactly once, whichever store (SQLite, PostgreSQL, ...) is behind it.
    """

    def __init__(self, inner: AbstractPersistenceAdapter, metrics: Counts) -> None:
        self.inner = inner
        self._metrics = metrics
        self.saves = SaveRecord()  # /healthz fails while saves do, whatever a read probe says

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        return self._counted("read", self.inner.get_attributes, request_envelope)

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        try:
            self._counted("save", self.inner.save_attributes, request_envelope, attributes)
        except StoreError as exc:
            self.saves.failed(str(exc))
            raise
        self.saves.saved()

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._counted("delete", self.inner.delete_attributes, request_envelope)

    def check(self) -> None:
        self._counted("check", self._check)

    def _check(self) -> None:
        problem = self.saves.problem()
        if problem is not None:
            raise StoreError(problem)
        self.inner.check()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (copy, unpickling): no endless recursion
            raise AttributeError(name)
        return getattr(self.inner, name)  # close(), path...: whatever the real store offers

    def _counted(self, operation: str, call: Callable[..., T], *args: Any) -> T:
        try:
            return call(*args)
        except StoreError:
            self._metrics.store_error(operation)
            note_store_error(operation)
            raise
