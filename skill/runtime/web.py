"""The Alexa endpoint (verify -> deserialise -> invoke -> serialise, and nothing else) and the
service's Flask routes.

Every ``POST /alexa`` is observed from here (``skill/observability.py``): this is the one
place that knows whether a request was refused, how long it took and what it asked, so the
one JSON log line and the request metrics are written here, once, whatever the outcome.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

from ask_sdk_core.skill import CustomSkill
from flask import Blueprint, Response, jsonify

from ..logsafe import exception_summary
from ..observability import HealthCheckedStore, Metrics, RequestLog, RequestRecord, observe_request
from ..persistence import StoreError
from .dispatch import LeanInvoker
from .envelope import EnvelopeReader, ResponseWriter
from .envelope_limits import envelope_problem
from .verify import RequestVerifier, VerificationError

log = logging.getLogger(__name__)

Answer = tuple[Response, int] | Response
StatusAndBody = tuple[int, bytes]
"""An HTTP status and its JSON body, as ``skill/runtime/edge.py`` sends it."""

JSON_MIMETYPE = "application/json"


def error_body(reason: str) -> bytes:
    """Every rejection looks the same: a short JSON body, never a stack trace.

    Byte for byte what Flask's ``jsonify(error=reason)`` makes (compact, trailing newline), so
    the edge and the Flask routes (404, 405 elsewhere) answer alike.
    """
    return (json.dumps({"error": reason}, separators=(",", ":")) + "\n").encode()


class AlexaEndpoint:
    """``POST /alexa``: one Alexa request in, one Alexa response (or a short JSON error) out.

    ``serve`` opens the request's record, reads the body through ``read_body`` (which may note
    a refusal, 413 or a short body, on the record and raise), verifies, deserialises, invokes
    and serialises; on the way out the record is logged once and counted once.
    """

    def __init__(self, verifier: RequestVerifier, skill: CustomSkill, metrics: Metrics) -> None:
        self.verifier = verifier
        self.skill = LeanInvoker(skill)  # CustomSkill.invoke, minus per-request work (skill/runtime/dispatch.py)
        self.reader = EnvelopeReader()
        self.writer = ResponseWriter()
        self.metrics = metrics
        self.request_log = RequestLog()

    def serve(self, headers: Mapping[str, str], read_body: Callable[[RequestRecord], bytes]) -> StatusAndBody:
        with observe_request(self.metrics, self.request_log) as record:
            return self.answer(record, headers, read_body(record))

    def answer(self, record: RequestRecord, headers: Mapping[str, str], body: bytes) -> StatusAndBody:
        """Verify, deserialise, invoke; note on ``record`` how it went."""
        try:
            document = self.verifier.verify(headers, body)
        except VerificationError as exc:
            return _reject(record, exc.reason)
        problem = envelope_problem(document, body)  # too deep or large, no session, unencodable text
        if problem is not None:
            return _reject(record, problem)
        try:
            envelope = self.reader.read(document)
        except Exception:  # the SDK raises several types for odd fields
            return _reject(record, "malformed request")
        record.describe(envelope)
        try:
            response = self.skill.invoke(envelope)
        except Exception as exc:
            log.error("dispatch failed: %s", exception_summary(exc))  # no message, no traceback: no user input
            record.fail(500, f"dispatch failed: {type(exc).__name__}")
            return 500, error_body("internal error")
        # Compact JSON; what ``jsonify`` makes, minus its sorting and pretty-printing machinery.
        return 200, self.writer.dumps(response)


def _reject(record: RequestRecord, reason: str) -> StatusAndBody:
    record.reject(400, reason)
    return 400, error_body(reason)


def service_blueprint(store: HealthCheckedStore, metrics: Metrics) -> Blueprint:
    """The Flask routes: ``/healthz`` and ``/metrics``. ``POST /alexa`` never reaches Flask
    (``skill/runtime/edge.py``)."""
    blueprint = Blueprint("service", __name__)

    @blueprint.get("/healthz")
    def healthz() -> Answer:
        try:
            store.check()
        except StoreError as exc:
            log.error("health check failed: %s", exc)
            return jsonify(status="unavailable", store="error", reason=str(exc)[:200]), 503
        return jsonify(status="ok", store="ok")

    @blueprint.get("/metrics")
    def metrics_page() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, headers={"Content-Type": content_type})

    return blueprint
