"""The WSGI edge (skill/runtime/edge.py): every request for /alexa is answered there, every other by Flask.

Each branch is driven directly through the app's WSGI callable with hand-made environs, as a
WSGI server would call it: answered, refused, too large (declared or chunked), cut short,
other methods, other paths, and a crash inside the endpoint.
"""
from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from skill.tools.devtools.conversation import fixture, now_iso
from support.pki import TestPKI, signed_headers
from skill.runtime.app import MAX_BODY_BYTES
from skill.runtime.edge import AlexaEdge

Answer = tuple[str, dict[str, str], bytes]


def environ_for(body: bytes, headers: dict[str, str] | None = None, method: str = "POST", path: str = "/alexa",
                **extra: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
    }
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in (headers or {}).items()})
    environ.update(extra)
    return {key: value for key, value in environ.items() if value is not None}


def call(app: Flask, environ: dict[str, Any]) -> Answer:
    seen: list[Any] = []
    body = b"".join(app.wsgi_app(environ, lambda status, headers, exc_info=None: seen.append((status, headers))))
    status, headers = seen[0]
    return status, dict(headers), body


def launch(pki: TestPKI) -> tuple[bytes, dict[str, str]]:
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    body = json.dumps(envelope).encode()
    return body, signed_headers(pki, body)


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "skill.requests"]


def test_the_edge_is_the_apps_wsgi_callable(app: Flask) -> None:
    assert isinstance(app.wsgi_app, AlexaEdge)


def test_a_signed_request_is_answered(app: Flask, pki: TestPKI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    status, headers, body = call(app, environ_for(*launch(pki)))
    assert status == "200 OK" and headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body)) and "Welcome" in json.loads(body)["response"]["outputSpeech"]["ssml"]
    [line] = request_lines(caplog)
    assert line["type"] == "LaunchRequest" and line["outcome"] == "answered"


@pytest.mark.parametrize("headers", [{}, {"Signature-256": "AAAA"}], ids=["unsigned", "bad signature"])
def test_an_unverified_request_is_400_with_a_reason(app: Flask, pki: TestPKI, headers: dict[str, str]) -> None:
    body, _ = launch(pki)
    status, _, answer = call(app, environ_for(body, headers))
    assert status == "400 BAD REQUEST" and set(json.loads(answer)) == {"error"}


def test_a_declared_body_over_the_limit_is_413_and_observed(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    environ = environ_for(b"{}", CONTENT_LENGTH=str(MAX_BODY_BYTES + 1))
    assert call(app, environ) == ("413 REQUEST ENTITY TOO LARGE", {"Content-Type": "application/json", "Content-Length": "37"},
                                  b'{"error":"request entity too large"}\n')
    [line] = request_lines(caplog)
    assert line["outcome"] == "rejected" and line["status"] == 413


def test_a_chunked_body_within_the_limit_is_answered(app: Flask, pki: TestPKI) -> None:
    """A server that de-chunks (gunicorn) says so with wsgi.input_terminated and no length."""
    body, headers = launch(pki)
    environ = environ_for(body, headers, CONTENT_LENGTH=None, HTTP_TRANSFER_ENCODING="chunked",
                          **{"wsgi.input_terminated": True})
    assert call(app, environ)[0] == "200 OK"


def test_a_chunked_body_that_grows_past_the_limit_is_413(app: Flask) -> None:
    environ = environ_for(b"x" * (MAX_BODY_BYTES + 10), CONTENT_LENGTH=None, HTTP_TRANSFER_ENCODING="chunked",
                          **{"wsgi.input_terminated": True})
    status, _, body = call(app, environ)
    assert status == "413 REQUEST ENTITY TOO LARGE" and json.loads(body) == {"error": "request entity too large"}


def test_a_body_with_no_length_from_a_server_that_does_not_terminate_it_is_read_as_empty(app: Flask) -> None:
    """werkzeug's safe fallback: never read an unbounded stream."""
    status, _, body = call(app, environ_for(b"{}" * 10, CONTENT_LENGTH=None))
    assert status == "400 BAD REQUEST" and "error" in json.loads(body)


@pytest.mark.parametrize("terminated", [False, True], ids=["length-limited stream", "server-terminated stream"])
def test_a_body_cut_short_is_400_bad_request(app: Flask, pki: TestPKI, caplog: pytest.LogCaptureFixture,
                                              terminated: bool) -> None:
    caplog.set_level(logging.INFO)
    body, headers = launch(pki)
    environ = environ_for(body[:50], headers, CONTENT_LENGTH=str(len(body)),
                          **({"wsgi.input_terminated": True} if terminated else {}))
    assert call(app, environ)[0::2] == ("400 BAD REQUEST", b'{"error":"bad request"}\n')
    [line] = request_lines(caplog)
    assert line["outcome"] == "rejected" and line["reason"] == "bad request"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
def test_other_methods_on_the_endpoint_are_405_json(app: Flask, method: str) -> None:
    status, headers, body = call(app, environ_for(b"", method=method))
    assert status == "405 METHOD NOT ALLOWED" and headers["Allow"] == "POST"
    assert json.loads(body) == {"error": "method not allowed"}


@pytest.mark.parametrize(("path", "expected"), [("/healthz", "200 OK"), ("/metrics", "200 OK"), ("/nowhere", "404 NOT FOUND"),
                                                ("/alexa/", "404 NOT FOUND")])
def test_every_other_path_is_flasks(app: Flask, path: str, expected: str) -> None:
    assert call(app, environ_for(b"", method="GET", path=path))[0] == expected


def test_a_crash_inside_the_endpoint_is_500_json_and_logged_by_type_only(
        app: Flask, pki: TestPKI, caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def serve(self, headers: dict[str, str], read_body: Callable[..., bytes]) -> tuple[int, bytes]:
            raise KeyError("amzn1.ask.account.CANARY")

    app.wsgi_app.endpoint = Broken()  # type: ignore[attr-defined]
    assert call(app, environ_for(*launch(pki)))[0::2] == ("500 INTERNAL SERVER ERROR", b'{"error":"internal server error"}\n')
    assert "Exception on /alexa [POST]: KeyError at" in caplog.text and "CANARY" not in caplog.text
