"""The WSGI edge: every request for ``/alexa`` is answered here, everything else by Flask.

``POST /alexa`` needs none of Flask's request context, URL matching or response object (about
80 µs per request, a fifth of the skill's in-process path): the body, two headers and a JSON
answer. The body is read as werkzeug reads it for Flask, minus its stream wrappers (about 20 µs
here): a ``Content-Length`` over the limit is 413, a body that ends before it 400, a body with no
length read only from a server that ends the stream itself (``wsgi.input_terminated``: gunicorn
de-chunking), up to one byte past the limit, so a chunked body that grows past it is 413 too
(werkzeug would cut it at the limit and hand over a truncated body). Any other method is 405.
Flask keeps ``/healthz``, ``/metrics`` and the 404s.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES

from ..logsafe import exception_summary
from .verify import CERT_URL_HEADER, SIGNATURE_HEADER
from .web import JSON_MIMETYPE, AlexaEndpoint, RequestRecord, error_body

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATH = "/alexa"

_CERT_URL_KEY = "HTTP_" + CERT_URL_HEADER.upper().replace("-", "_")
_SIGNATURE_KEY = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
TOO_LARGE = "request entity too large"  # werkzeug's name for 413, as Flask would say it


class AlexaEdge:
    """WSGI middleware: requests for ``/alexa`` to ``endpoint``, every other to ``app`` (Flask)."""

    def __init__(self, app: WSGIApp, endpoint: AlexaEndpoint, max_body: int, logger: logging.Logger) -> None:
        self.app = app
        self.endpoint = endpoint
        self.max_body = max_body
        self.logger = logger  # Flask's app logger: where Flask logs an unhandled exception

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return _send(start_response, 405, error_body("method not allowed"), [("Allow", "POST")])
        headers = {name: value for name, key in ((CERT_URL_HEADER, _CERT_URL_KEY), (SIGNATURE_HEADER, _SIGNATURE_KEY))
                   if (value := environ.get(key)) is not None}
        try:
            status, body = self.endpoint.serve(headers, lambda record: self.read_body(environ, record))
        except BodyRefused as refused:
            status, body = refused.status, error_body(refused.reason)
        except Exception as exc:  # a bug in the edge: recorded by observe_request, answered as Flask would
            self.logger.error("Exception on /alexa [POST]: %s", exception_summary(exc))  # never its message
            status, body = 500, error_body("internal server error")
        return _send(start_response, status, body)

    def read_body(self, environ: dict[str, Any], record: RequestRecord) -> bytes:
        """The whole body within ``max_body``; otherwise the refusal is noted on ``record`` and raised."""
        declared = environ.get("CONTENT_LENGTH")
        if declared:
            length = int(declared) if declared.isascii() and declared.isdecimal() else -1
            if length < 0:
                raise BodyRefused(record, 400, "bad request")
            if length > self.max_body:
                raise BodyRefused(record, 413, TOO_LARGE)
            body = environ["wsgi.input"].read(length) if length else b""  # read(0) may block on some servers
            if len(body) != length:  # the client went away mid-body (werkzeug's ClientDisconnected)
                raise BodyRefused(record, 400, "bad request")
            return body
        if "wsgi.input_terminated" in environ:  # chunked, de-chunked by the server
            body = environ["wsgi.input"].read(self.max_body + 1)  # one byte more tells "too large"
            if len(body) > self.max_body:
                raise BodyRefused(record, 413, TOO_LARGE)
            return body
        return b""  # no length and a stream nobody ends: never read it (werkzeug's safe fallback)


class BodyRefused(Exception):
    """The body could not be read: recorded as a refusal, answered with ``status``."""

    def __init__(self, record: RequestRecord, status: int, reason: str) -> None:
        super().__init__(reason)
        record.reject(status, reason)
        self.status, self.reason = status, reason


def _send(start_response: Callable[..., Any], status: int, body: bytes,
          extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    """Werkzeug's spelling of the status line, so the edge and Flask answer alike."""
    start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Error').upper()}",
                   [("Content-Type", JSON_MIMETYPE), ("Content-Length", str(len(body))), *(extra or [])])
    return [body]
