"""A lean WSGI callable in front of Flask for the one hot route, ``POST /alexa``.

Under load Flask's request context, URL matching and response object cost about 80 µs per
request, a fifth of the skill's whole in-process path, for a route that needs none of them:
the body, two headers and a JSON answer.  So the plain case (``POST /alexa`` with a
``Content-Length`` within the limit) goes straight to the same ``AlexaEdge`` the Flask route
uses, with the same status codes, bodies, headers, log line and metrics.  Everything else
(other paths and methods, 405s, oversized or chunked bodies, ``/healthz``, ``/metrics``)
goes to Flask unchanged, so its rules stay the only rules for the unusual cases.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from .logsafe import exception_summary
from .verify import CERT_URL_HEADER, SIGNATURE_HEADER
from .web import JSON_MIMETYPE, AlexaEdge, RequestRecord, error_body

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_CERT_URL_KEY = "HTTP_" + CERT_URL_HEADER.upper().replace("-", "_")
_SIGNATURE_KEY = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
_STATUS_LINES = {200: "200 OK", 400: "400 BAD REQUEST", 500: "500 INTERNAL SERVER ERROR"}
"""Werkzeug's spelling of the reason phrases, so both paths send the same status line."""


class FastAlexaEdge:
    """WSGI middleware: plain ``POST /alexa`` to ``edge``, every other request to ``fallback``."""

    def __init__(self, fallback: WSGIApp, edge: AlexaEdge, max_body: int, logger: logging.Logger) -> None:
        self.fallback = fallback
        self.edge = edge
        self.max_body = max_body
        self.logger = logger  # Flask's app logger: where Flask logs an unhandled exception

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/alexa" or environ.get("REQUEST_METHOD") != "POST":
            return self.fallback(environ, start_response)
        length = _plain_length(environ)
        if length is None or length > self.max_body:  # chunked, odd or too big: Flask's rules (413)
            return self.fallback(environ, start_response)
        headers = {name: value for name, key in ((CERT_URL_HEADER, _CERT_URL_KEY), (SIGNATURE_HEADER, _SIGNATURE_KEY))
                   if (value := environ.get(key)) is not None}

        def read_body(record: RequestRecord) -> bytes:
            body = environ["wsgi.input"].read(length) if length else b""  # read(0) may block on some servers
            if len(body) != length:  # the client went away early: werkzeug's ClientDisconnected
                record.reject(400, "bad request")
                raise _ShortBody
            return body

        try:
            status, body = self.edge.serve(headers, read_body)
        except _ShortBody:
            status, body = 400, error_body("bad request")
        except Exception as exc:  # a bug in the edge: recorded by observe_request, answered as Flask would
            self.logger.error("Exception on /alexa [POST]: %s", exception_summary(exc))  # never its message
            status, body = 500, error_body("internal server error")
        start_response(_STATUS_LINES.get(status) or f"{status} ERROR",
                       [("Content-Type", JSON_MIMETYPE), ("Content-Length", str(len(body)))])
        return [body]


class _ShortBody(Exception):
    """The body ended before its Content-Length (already recorded as a 400)."""


def _plain_length(environ: dict[str, Any]) -> int | None:
    """The body's length when it is simply given, else None (chunked or malformed)."""
    if environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    value = environ.get("CONTENT_LENGTH")
    if not value or not (value.isascii() and value.isdecimal()):
        return None
    return int(value)
