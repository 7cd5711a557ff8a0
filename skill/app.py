"""create_app(): configuration, content, store, skill and HTTP edge, built in that order.

Anything wrong with content or configuration raises here, naming the file or key, so the
server refuses to start rather than answering users badly.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from .alexa_api import TimersClient
from .build import build_skill, known_intents
from .certificates import SigningCertificates, load_trust_roots
from .config import Config, ConfigError
from .content import load_content
from .observability import Metrics, ObservedStore, configure_logging
from .persistence import open_store
from .slots import load_catalogs
from .verify import RequestVerifier
from .fast_edge import FastAlexaEdge
from .web import AlexaEdge, alexa_blueprint

MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger(__name__)


def create_app(config: Config | Mapping[str, str] | None = None) -> Flask:
    """Build the whole service. `config` may be a Config, an env-like mapping, or None (os.environ)."""
    if not isinstance(config, Config):
        config = Config.from_env(config)
    configure_logging(config.log_level)
    content = load_content(config.content_dir)
    catalog = load_catalogs(config.model_dir)
    metrics = Metrics(known_intents=known_intents(catalog))  # any other intent is counted as "other"
    store = ObservedStore(open_store(config.database_url), metrics)  # counts StoreErrors
    skill = build_skill(content, store, catalog, TimersClient(timeout=config.alexa_api_timeout))
    verifier = _verifier(config)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    edge = AlexaEdge(verifier, skill, metrics)
    app.register_blueprint(alexa_blueprint(edge, store, metrics))
    app.register_error_handler(HTTPException, _http_error)
    # Plain POST /alexa skips Flask (skill/fast_edge.py); app(...) and app.wsgi_app both go through it.
    app.wsgi_app = FastAlexaEdge(app.wsgi_app, edge, MAX_BODY_BYTES, app.logger)  # type: ignore[method-assign]
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
    """405 for GET /alexa, 413 for big bodies, 404...: JSON like every other error."""
    return jsonify(error=(exc.name or "error").lower()), exc.code or 500

