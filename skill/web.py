"""The thin HTTP edge: verify -> deserialise -> invoke -> serialise, and nothing else.

Every ``POST /alexa`` is observed from here (``skill/observability.py``): this is the one
place that knows whether a request was refused, how long it took and what it asked, so the
one JSON log line and the request metrics are written here, once, whatever the outcome.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

from ask_sdk_core.skill import CustomSkill
from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .dispatch import LeanInvoker
from .envelope import EnvelopeReader, ResponseWriter
from .envelope_limits import envelope_problem
from .logsafe import exception_summary
from .observability import HealthCheckedStore, Metrics, RequestLog, RequestRecord, observe_request
from .persistence import StoreError
from .verify import CERT_URL_HEADER, SIGNATURE_HEADER, RequestVerifier, VerificationError

log = logging.getLogger(__name__)

Answer = tuple[Response, int] | Response
Reply = tuple[int, bytes]
"""An HTTP status and its JSON body: what both the Flask route and ``skill/fast_edge.py`` send."""

JSON_MIMETYPE = "application/json"


def error_body(reason: str) -> bytes:
    """Every rejection looks the same: a short JSON body, never a stack trace.

    Byte for byte what Flask's ``jsonify(error=reason)`` makes (compact, trailing newline), so
    the lean edge and the Flask routes answer alike.
    """
    return (json.dumps({"error": reason}, separators=(",", ":")) + "\n").encode()


class AlexaEndpoint:
    """``POST /alexa``: one Alexa request in, one Alexa response (or a short JSON error) out."""

    def __init__(self, verifier: RequestVerifier, skill: CustomSkill) -> None:
        self.verifier = verifier
        self.skill = LeanInvoker(skill)  # CustomSkill.invoke, minus per-request work (skill/dispatch.py)
        self.reader = EnvelopeReader()
        self.writer = ResponseWriter()

    def answer(self, record: RequestRecord, headers: Mapping[str, str], body: bytes) -> Reply:
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


class AlexaEdge:
    """One observed ``POST /alexa``: the record, the answer, then one log line and metrics."""

    def __init__(self, verifier: RequestVerifier, skill: CustomSkill, metrics: Metrics) -> None:
        self.endpoint = AlexaEndpoint(verifier, skill)
        self.metrics = metrics
        self.request_log = RequestLog()

    def serve(self, headers: Mapping[str, str], read_body: Callable[[RequestRecord], bytes]) -> Reply:
        """``read_body`` may note a refusal on the record and raise (413): it is observed too."""
        with observe_request(self.metrics, self.request_log) as record:
            return self.endpoint.answer(record, headers, read_body(record))


def _reject(record: RequestRecord, reason: str) -> Reply:
    record.reject(400, reason)
    return 400, error_body(reason)


def _signature_headers() -> dict[str, str]:
    """Just the two headers verification reads (werkzeug looks names up case-insensitively).

    Handing over all of ``request.headers`` would make the verifier walk the whole WSGI
    environ on every request to fold the names.
    """
    headers = request.headers
    return {name: value for name in (CERT_URL_HEADER, SIGNATURE_HEADER) if (value := headers.get(name)) is not None}


def _read_body(record: RequestRecord) -> bytes:
    """The raw body; an oversized one is refused (413) and recorded as such."""
    try:
        return request.get_data(cache=False)
    except HTTPException as exc:
        record.reject(exc.code or 400, (exc.name or "bad request").lower())
        raise


def alexa_blueprint(edge: AlexaEdge, store: HealthCheckedStore, metrics: Metrics) -> Blueprint:
    """The Flask routes. ``skill/fast_edge.py`` answers most ``POST /alexa`` before Flask;
    this route still takes the rest (chunked, oversized or odd bodies) with Flask's rules."""
    blueprint = Blueprint("alexa", __name__)

    @blueprint.post("/alexa")
    def alexa() -> Response:
        status, body = edge.serve(_signature_headers(), _read_body)
        return Response(body, status=status, mimetype=JSON_MIMETYPE)

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
