"""AWS Lambda entry point: the same skill as the web service (same `assemble`), built once
per container and reused by every warm invocation.

Alexa calls the function directly: the Alexa Skills Kit trigger (infra/aws/template.yaml) lets
only the configured skill invoke it, so there is no HTTPS edge and no request signature to
check. The application id is still checked against ALEXA_SKILL_ID, as defence in depth.
State goes to the store named by SKILL_DATABASE_URL, normally dynamodb://TABLE.

Every invocation is observed as the web edge observes a request (skill/observability.py):
exactly one JSON line in the function's log, with the same fields and privacy rules, whether
the event was answered, refused or failed. The envelope is read, dispatched and written by the
web edge's own parts (`EnvelopeReader`, `LeanInvoker`, `ResponseWriter`): both paths answer
alike, and an invocation pays for the SDK's generic serializer only when an event is odd.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from ask_sdk_model import RequestEnvelope

from ..config import Config
from ..observability import (
    REQUEST_LOGGER,
    Counts,
    LineFormatter,
    RequestLog,
    RequestRecord,
    configure_logging,
    observe_request,
)
from .addressing import VerificationError, check_application_id
from .assemble import Words, assemble
from .dispatch import LeanInvoker
from .envelope import EnvelopeReader, ResponseWriter
from .envelope_limits import envelope_problem

REFUSED, FAILED = 400, 500
"""The line's ``status`` for a refused and a failed invocation: what the web edge would answer."""


@dataclass(frozen=True)
class LambdaSkill:
    """The built skill with what each invocation needs beside it."""

    skill: LeanInvoker
    skill_id: str | None
    metrics: Counts
    reader: EnvelopeReader = field(default_factory=EnvelopeReader)
    writer: ResponseWriter = field(default_factory=ResponseWriter)
    request_log: RequestLog = field(default_factory=RequestLog)

    @classmethod
    def from_config(cls, config: Config, words: Words | None = None) -> LambdaSkill:
        """Content, interaction model, store and skill, as the web app has them (skill/runtime/assemble.py);
        any problem raises here, naming it.

        Nobody can scrape ``/metrics`` from a Lambda container: the requests go through the web
        edge's one observed path with plain ``Counts`` (the intent label; the log line says the
        rest), so prometheus-client is never imported on a cold start.
        """
        configure_runtime_logging(config.log_level)
        parts = assemble(config, words, counting=Counts)
        return cls(LeanInvoker(parts.skill), config.skill_id, parts.metrics)

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """Event in, response envelope out, as the Alexa Skills Kit trigger expects; one log line.

        An event for another skill, an event the SDK cannot read, or a failure in the skill
        raises (the invocation fails) rather than being answered, after its line says so.
        """
        with observe_request(self.metrics, self.request_log) as record:
            return self._answer(record, self._read(record, event))

    def _read(self, record: RequestRecord, event: dict[str, Any]) -> RequestEnvelope:
        """The event as an envelope addressed to this skill; otherwise refused on ``record``."""
        try:
            if self.skill_id is not None:
                check_application_id(event, self.skill_id)
            problem = envelope_problem(event)  # too deep or large, no session, unencodable text
            if problem is not None:
                raise VerificationError(problem)
        except VerificationError as exc:
            record.reject(REFUSED, exc.reason)
            raise
        try:
            envelope = self.reader.read(event)
        except Exception:  # the SDK raises several types for odd fields
            record.reject(REFUSED, "malformed request")
            raise
        record.describe(envelope)
        return envelope

    def _answer(self, record: RequestRecord, envelope: RequestEnvelope) -> dict[str, Any]:
        """The skill's response as JSON-ready data; a failure is noted on ``record`` and raised.

        Not logged here: the runtime logs an invocation's exception with its traceback.
        """
        try:
            response = self.skill.invoke(envelope)
        except Exception as exc:
            record.fail(FAILED, f"dispatch failed: {type(exc).__name__}")
            raise
        return self.writer.document(response)


class RuntimeLineFormatter(LineFormatter):
    """The request line bare, every other record in the format of the handler it was given to.

    The Lambda runtime puts its own handler on the root logger before it imports the function,
    and its format (text or JSON, as the function is configured) wraps each message in level,
    time and request id: a request line so wrapped is no longer the bare JSON object the web
    path writes, which log queries (CloudWatch Logs Insights) read field by field.  Other
    records keep the runtime's format.  The runtime's handler writes what the format returns,
    which ends in a newline; so does the request line.
    """

    def __init__(self, runtime: logging.Formatter | None) -> None:
        super().__init__()
        self.runtime = runtime or logging.Formatter()  # a handler without one uses logging's default

    def format(self, record: logging.LogRecord) -> str:
        if record.name == REQUEST_LOGGER:
            return record.getMessage() + "\n"
        return self.runtime.format(record)


def configure_runtime_logging(level: str) -> None:
    """Request lines bare on the handlers already on the root logger (the runtime's), then
    ``configure_logging``: outside the runtime, with no handler, the web app's stdout one."""
    for handler in logging.getLogger().handlers:
        if not isinstance(handler.formatter, LineFormatter):  # bare already: ours, or wrapped by an earlier build
            handler.setFormatter(RuntimeLineFormatter(handler.formatter))
    configure_logging(level)


@functools.cache
def container_skill() -> LambdaSkill:
    """Built on the first invocation and kept for the container's life (from the environment)."""
    return LambdaSkill.from_config(Config.from_env())


def _build_before_snapshot() -> None:
    """With SnapStart the runtime snapshots the container after this: the skill is in it."""
    container_skill()


try:  # the Lambda Python runtime ships this module; elsewhere the skill is built on first use
    from snapshot_restore_py import register_before_snapshot  # type: ignore[import-not-found]
except ImportError:
    pass
else:
    register_before_snapshot(_build_before_snapshot)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's handler: `skill.runtime.lambda_handler.handler`.

    ``context`` (the runtime's invocation context) is not passed on: the skill never reads
    ``handler_input.context``, and ``LeanInvoker`` dispatches without one, as on the web.
    """
    return container_skill().handle(event)
