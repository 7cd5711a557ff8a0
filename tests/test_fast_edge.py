"""The lean WSGI edge (skill/fast_edge.py) answers POST /alexa exactly as the Flask route does.

Each case goes once through the app (fast edge) and once straight to Flask's own WSGI
callable behind it, against two apps with fresh stores, and the status line, headers and
body must match byte for byte.
"""
from __future__ import annotations

import io
import json
import sys
from typing import Any, Callable

import pytest

from conversation import fixture, now_iso
from pki import TestPKI, signed_headers
from skill.fast_edge import FastAlexaEdge


def _environ(body: bytes, headers: dict[str, str], method: str = "POST", **extra: str) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": "/alexa", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
    }
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    environ.update(extra)
    return environ


def _call(wsgi: Callable, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: list[Any] = []
    body = b"".join(wsgi(environ, lambda status, headers, exc_info=None: seen.append((status, headers))))
    status, headers = seen[0]
    return status, [(name, value) for name, value in headers], body


def _launch() -> bytes:
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    return json.dumps(envelope).encode()


CASES: dict[str, Callable[[TestPKI], tuple[bytes, dict[str, str]]]] = {
    "answered": lambda pki: (body := _launch(), signed_headers(pki, body)),
    "unsigned": lambda pki: (_launch(), {}),
    "bad signature": lambda pki: (_launch(), signed_headers(pki, b"something else")),
    "empty body": lambda pki: (b"", {}),
    "not json": lambda pki: (body := b"{not json", signed_headers(pki, body)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_edge_answers_like_flask(case: str, make_app: Callable, pki: TestPKI) -> None:
    body, headers = CASES[case](pki)
    fast_app = make_app()
    slow_app = make_app(database_url="sqlite:///:memory:")
    assert isinstance(fast_app.wsgi_app, FastAlexaEdge)
    fast = _call(fast_app.wsgi_app, _environ(body, headers))
    slow = _call(slow_app.wsgi_app.fallback, _environ(body, headers))
    assert fast == slow


@pytest.mark.parametrize("extra", [
    {"REQUEST_METHOD": "GET"},
    {"CONTENT_LENGTH": str(64 * 1024 + 1)},
    {"CONTENT_LENGTH": ""},
    {"HTTP_TRANSFER_ENCODING": "chunked"},
    {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"},
])
def test_unusual_requests_go_to_flask(extra: dict[str, str], make_app: Callable) -> None:
    app = make_app()
    seen: list[dict[str, Any]] = []
    edge = app.wsgi_app
    edge.fallback = lambda environ, start_response: seen.append(environ) or [b""]
    edge(_environ(b"{}", {}, **extra), lambda *args: None)
    assert len(seen) == 1
