"""create_app(): configuration, then content, store and skill (skill/runtime/assemble.py), then the HTTP edge
and the Flask routes (/healthz, /metrics, and the policy pages /privacy and /terms).

Anything wrong with content or configuration raises here, naming the file or key, so the
server refuses to start rather than answering users badly.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import cast

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from ..config import Config, ConfigError
from ..observability import Metrics, configure_logging
from .assemble import Words, assemble
from .certificates import SigningCertificates, load_trust_roots
from .edge import AlexaEdge
from .policies import policy_blueprint
from .verify import RequestVerifier
from .web import AlexaEndpoint, service_blueprint

MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger(__name__)


def create_app(config: Config | Mapping[str, str] | None = None, words: Words | None = None) -> Flask:
    """Build the whole service. `config` may be a Config, an env-like mapping, or None (os.environ);
    `words`, content and models already loaded from the configured directories."""
    if not isinstance(config, Config):
        config = Config.from_env(config)
    configure_logging(config.log_level)
    parts = assemble(config, words)  # Prometheus metrics: GET /metrics serves them
    skill, store, metrics = parts.skill, parts.store, cast(Metrics, parts.metrics)
    verifier = _verifier(config)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.register_blueprint(service_blueprint(store, metrics))
    app.register_blueprint(policy_blueprint(parts.content))  # GET /privacy, /terms: the listing links here
    app.register_error_handler(HTTPException, _http_error)
    # /alexa never reaches Flask (skill/runtime/edge.py); app(...) and app.wsgi_app both go through the edge.
    endpoint = AlexaEndpoint(verifier, skill, metrics)
    app.wsgi_app = AlexaEdge(app.wsgi_app, endpoint, MAX_BODY_BYTES, app.logger)  # type: ignore[method-assign]
    return app


def _verifier(config: Config) -> RequestVerifier:
    if not config.verify_signatures:
        log.warning("!!! ALEXA_VERIFY_SIGNATURES is off: requests are NOT checked to come from Alexa. Local tools only. !!!")
    if not config.verify_timestamps:
        log.warning("!!! ALEXA_VERIFY_TIMESTAMPS is off: replayed requests are accepted. Local tools only. !!!")
    certificates = None
    if config.verify_signatures:
        try:
            roots = load_trust_roots(config.ca_file)
        except ValueError as exc:
            raise ConfigError(f"ALEXA_CA_FILE: {exc}") from exc
        certificates = SigningCertificates(roots, fetch=config.cert_fetcher, timeout=config.cert_timeout, clock=config.clock)
    return RequestVerifier(
        verify_signatures=config.verify_signatures,
        verify_timestamps=config.verify_timestamps,
        skill_id=config.skill_id,
        certificates=certificates,
        clock=config.clock,
    )


def _http_error(exc: HTTPException):
    """404 for unknown paths, 405 for POST /healthz...: JSON like every other error."""
    return jsonify(error=(exc.name or "error").lower()), exc.code or 500

