"""The yardstick: the least a Flask JSON endpoint can do, served by the same gunicorn settings.

It parses the posted JSON and sends it back, so it pays for Flask, JSON in and out and the
gunicorn worker, and for nothing the skill does on top (verification, dispatch, rendering,
the store, logging, metrics).  The skill's numbers are read against it.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, request


def create_echo_app() -> Flask:
    app = Flask(__name__)

    @app.post("/alexa")
    def echo() -> Response:
        return jsonify(request.get_json(force=True))

    return app
