"""The thin HTTP edge: verify -> deserialise -> invoke -> serialise, and nothing else."""
from __future__ import annotations

import logging

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope
from flask import Blueprint, Response, jsonify, request

from .persistence import StoreError, SQLiteStore
from .verify import RequestVerifier, VerificationError

log = logging.getLogger(__name__)


def error(status: int, reason: str) -> tuple[Response, int]:
    """Every rejection looks the same: a short JSON body, never a stack trace."""
    return jsonify(error=reason), status


def alexa_blueprint(verifier: RequestVerifier, skill: CustomSkill, store: SQLiteStore) -> Blueprint:
    blueprint = Blueprint("alexa", __name__)
    serializer = DefaultSerializer()

    @blueprint.post("/alexa")
    def alexa() -> tuple[Response, int] | Response:
        body = request.get_data(cache=False)
        try:
            verifier.verify(request.headers, body)
        except VerificationError as exc:
            log.warning("rejected request: %s", exc.reason)
            return error(400, exc.reason)
        try:
            envelope = serializer.deserialize(body.decode("utf-8"), RequestEnvelope)
        except Exception as exc:  # the SDK raises several types for odd fields
            log.warning("rejected request: malformed request (%s)", type(exc).__name__)
            return error(400, "malformed request")
        try:
            response = skill.invoke(request_envelope=envelope, context=None)
        except Exception:
            log.exception("dispatch failed")
            return error(500, "internal error")
        return jsonify(serializer.serialize(response))

    @blueprint.get("/healthz")
    def healthz() -> tuple[Response, int] | Response:
        try:
            store.check()
        except StoreError as exc:
            log.error("health check failed: %s", exc)
            return jsonify(status="unavailable", store="error"), 503
        return jsonify(status="ok", store="ok")

    return blueprint
