"""The ASGI edge (skill/runtime/asgi.py), which the default worker serves: the same answers as the
WSGI edge (tests/test_edge.py) for every branch, driven directly through its ASGI callable with
hand-made scopes and message sequences, as uvicorn calls it: answered, refused, too large
(declared or chunked), cut short by a client that leaves, too slow, other methods, other paths
(Flask through a2wsgi), and a crash inside the endpoint.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from support.pki import TestPKI, signed_headers

from skill.runtime import asgi
from skill.runtime.app import MAX_BODY_BYTES
from skill.runtime.asgi import AsgiEdge
from skill.tools.devtools.conversation import fixture, now_iso

Answer = tuple[int, dict[str, str], bytes]


def scope_for(headers: dict[str, str] | None = None, method: str = "POST", path: str = "/alexa",
              raw: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    pairs = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), *pairs, *(raw or [])],
            "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000)}


def call(edge: AsgiEdge, scope: dict[str, Any], chunks: list[bytes] | None = None, *,
         leave: bool = False, stall: bool = False) -> Answer:
    """One request: its body in ``chunks``; ``leave``: the client goes away after them;
    ``stall``: it stops sending after them and never finishes."""
    messages: list[dict[str, Any]] = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks or []]
    if not (leave or stall):
        messages.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        if stall:
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(edge(scope, receive, send))
    start, *bodies = sent
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], headers, b"".join(message.get("body", b"") for message in bodies)


@pytest.fixture
def edge(app: Flask) -> AsgiEdge:
    return AsgiEdge.around(app, threads=2)


def launch(pki: TestPKI) -> tuple[bytes, dict[str, str]]:
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    body = json.dumps(envelope).encode()
    return body, signed_headers(pki, body)


def with_length(headers: dict[str, str], body: bytes) -> dict[str, str]:
    return {**headers, "Content-Length": str(len(body))}


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "skill.requests"]


def test_only_an_app_built_by_create_app_can_be_served() -> None:
    with pytest.raises(TypeError, match="create_app"):
        AsgiEdge.around(Flask(__name__), threads=1)


def test_a_signed_request_is_answered_in_one_or_many_chunks(edge: AsgiEdge, pki: TestPKI,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body, headers = launch(pki)
    for chunks in ([body], [body[:10], body[10:500], body[500:]]):
        status, answer_headers, answer = call(edge, scope_for(with_length(headers, body)), chunks)
        assert status == 200 and answer_headers["content-type"] == "application/json"
        assert answer_headers["content-length"] == str(len(answer))
        assert json.loads(answer)["response"]["outputSpeech"]["ssml"].startswith("<speak>")
    assert [line["outcome"] for line in request_lines(caplog)] == ["answered", "answered"]


@pytest.mark.parametrize("headers", [{}, {"Signature-256": "AAAA"}], ids=["unsigned", "bad signature"])
def test_an_unverified_request_is_400_with_a_reason(edge: AsgiEdge, pki: TestPKI, headers: dict[str, str]) -> None:
    body, _ = launch(pki)
    status, _, answer = call(edge, scope_for(with_length(headers, body)), [body])
    assert status == 400 and set(json.loads(answer)) == {"error"}


def test_a_repeated_signature_header_is_joined_as_a_wsgi_server_would_and_refused(edge: AsgiEdge, pki: TestPKI) -> None:
    body, headers = launch(pki)
    raw = [(b"signature-256", headers["Signature-256"].encode())]  # a second copy of a valid signature
    status, _, answer = call(edge, scope_for(with_length(headers, body), raw=raw), [body])
    assert status == 400 and set(json.loads(answer)) == {"error"}


def test_a_declared_body_over_the_limit_is_413_closes_and_is_observed(edge: AsgiEdge,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    status, headers, body = call(edge, scope_for({"Content-Length": str(MAX_BODY_BYTES + 1)}))
    assert (status, body) == (413, b'{"error":"request entity too large"}\n')
    assert headers["connection"] == "close"  # the rest of the body is never read
    [line] = request_lines(caplog)
    assert line["outcome"] == "rejected" and line["status"] == 413


@pytest.mark.parametrize("length", ["-1", "12x", "１２"], ids=["negative", "not a number", "not ascii"])
def test_a_bad_content_length_is_400(edge: AsgiEdge, length: str) -> None:
    assert call(edge, scope_for({"Content-Length": length}), [b"{}"])[0::2] == (400, b'{"error":"bad request"}\n')


def test_a_chunked_body_within_the_limit_is_answered(edge: AsgiEdge, pki: TestPKI) -> None:
    body, headers = launch(pki)
    chunks = [body[i:i + 100] for i in range(0, len(body), 100)]
    assert call(edge, scope_for({**headers, "Transfer-Encoding": "chunked"}), chunks)[0] == 200


def test_a_chunked_body_that_grows_past_the_limit_is_413(edge: AsgiEdge) -> None:
    chunks = [b"x" * 20_000] * 4
    status, headers, body = call(edge, scope_for({"Transfer-Encoding": "chunked"}), chunks)
    assert (status, json.loads(body), headers["connection"]) == (413, {"error": "request entity too large"}, "close")


def test_a_client_that_leaves_mid_body_is_400_bad_request(edge: AsgiEdge, pki: TestPKI,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body, headers = launch(pki)
    assert call(edge, scope_for(with_length(headers, body)), [body[:50]], leave=True)[0::2] == (
        400, b'{"error":"bad request"}\n')
    [line] = request_lines(caplog)
    assert line["outcome"] == "rejected" and line["reason"] == "bad request"


def test_a_body_that_stops_arriving_is_408_after_the_body_timeout(edge: AsgiEdge, pki: TestPKI,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asgi, "BODY_SECONDS", 0.2)
    body, headers = launch(pki)
    status, answer_headers, answer = call(edge, scope_for(with_length(headers, body)), [body[:50]], stall=True)
    assert (status, answer, answer_headers["connection"]) == (408, b'{"error":"request timeout"}\n', "close")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
def test_other_methods_on_the_endpoint_are_405_json(edge: AsgiEdge, method: str) -> None:
    status, headers, body = call(edge, scope_for(method=method))
    assert status == 405 and headers["allow"] == "POST" and json.loads(body) == {"error": "method not allowed"}


@pytest.mark.parametrize(("path", "expected"), [("/healthz", 200), ("/metrics", 200), ("/privacy", 200),
                                                ("/nowhere", 404), ("/alexa/", 404)])
def test_every_other_path_is_flasks(edge: AsgiEdge, path: str, expected: int) -> None:
    status, headers, body = call(edge, scope_for(method="GET", path=path))
    assert status == expected
    if path == "/healthz":
        assert json.loads(body) == {"status": "ok", "store": "ok"}


def test_a_crash_inside_the_endpoint_is_500_json_and_logged_by_type_only(
        edge: AsgiEdge, pki: TestPKI, caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def serve(self, headers: dict[str, str], read_body: Callable[..., bytes]) -> tuple[int, bytes]:
            raise KeyError("amzn1.ask.account.CANARY")

    edge.endpoint = Broken()  # type: ignore[assignment]
    body, headers = launch(pki)
    assert call(edge, scope_for(with_length(headers, body)), [body])[0::2] == (500, b'{"error":"internal server error"}\n')
    assert "Exception on /alexa [POST]: KeyError at" in caplog.text and "CANARY" not in caplog.text


def test_the_endpoint_runs_off_the_event_loop(edge: AsgiEdge, pki: TestPKI) -> None:
    """The skill blocks on the store and the Alexa APIs; the loop must stay free for other connections."""
    threads: list[str] = []
    serve = edge.endpoint.serve

    def recording(headers: dict[str, str], read_body: Callable[..., bytes]) -> tuple[int, bytes]:
        import threading
        threads.append(threading.current_thread().name)
        return serve(headers, read_body)

    edge.endpoint.serve = recording  # type: ignore[method-assign]
    body, headers = launch(pki)
    assert call(edge, scope_for(with_length(headers, body)), [body])[0] == 200
    assert threads and threads[0].startswith("alexa")
