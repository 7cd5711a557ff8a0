"""The ASGI edge: ``POST /alexa`` for the event-loop worker (skill/runtime/worker.py).

The same rules as the WSGI edge (skill/runtime/edge.py), for a server that parses HTTP in C
(uvicorn's httptools) and keeps every connection as a coroutine, so a client that sends
nothing, or dribbles its headers or body, holds no thread:

- any other path goes to the Flask app (``/healthz``, ``/metrics``, the policy pages, 404s),
  through a2wsgi's thread pool;
- any other method on ``/alexa`` is a JSON 405;
- a ``Content-Length`` over the limit is 413 at once (and the connection closed, so the rest of
  the body is never read); a chunked body that grows past the limit is 413 too; a body that ends
  before its length, or whose client goes away, is 400; a body not complete within
  ``body_seconds`` is 408;
- the endpoint itself (verification, the skill, the store, the Alexa APIs) runs in a small thread
  pool: it blocks on the store and on remote calls, and the event loop must keep serving the
  worker's other connections meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from a2wsgi import WSGIMiddleware
from flask import Flask

from ..logsafe import exception_summary
from .edge import PATH, TOO_LARGE, AlexaEdge, BodyRefused
from .verify import CERT_URL_HEADER, SIGNATURE_HEADER
from .web import AlexaEndpoint, RequestRecord, error_body

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

BODY_SECONDS = 10.0  # Alexa sends the whole request at once; a body still arriving after this is a stuck client
_WANTED = {CERT_URL_HEADER.lower().encode(): CERT_URL_HEADER, SIGNATURE_HEADER.lower().encode(): SIGNATURE_HEADER}
_JSON = (b"content-type", b"application/json")
_CLOSE = (b"connection", b"close")


class AsgiEdge:
    """ASGI application: ``/alexa`` to ``endpoint`` in ``executor``, everything else to ``flask_app``."""

    def __init__(self, endpoint: AlexaEndpoint, flask_app: Flask, max_body: int, logger: logging.Logger,
                 threads: int) -> None:
        self.endpoint = endpoint
        self.max_body = max_body
        self.logger = logger
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="alexa")
        self.fallback = WSGIMiddleware(cast(Any, flask_app), workers=2)  # a2wsgi types environ as its own TypedDict

    @classmethod
    def around(cls, flask_app: Flask, threads: int) -> AsgiEdge:
        """The edge for a Flask app built by ``create_app`` (whose ``wsgi_app`` is the WSGI edge)."""
        edge = getattr(flask_app, "wsgi_app", None)
        if not isinstance(edge, AlexaEdge):
            raise TypeError("the event-loop worker serves skill.runtime.app:create_app() only")
        return cls(edge.endpoint, flask_app, edge.max_body, edge.logger, threads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.fallback(scope, receive, send)  # type: ignore[arg-type]
            return
        if scope["method"] != "POST":
            await _answer(send, 405, error_body("method not allowed"), (b"allow", b"POST"))
            return
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name in _WANTED:
                key = _WANTED[name]
                text = value.decode("latin-1")
                headers[key] = f"{headers[key]},{text}" if key in headers else text  # as a WSGI server joins them
        read = await self.read_body(scope, receive)
        try:
            status, body = await asyncio.get_running_loop().run_in_executor(
                self.executor, self.endpoint.serve, headers, read)
        except BodyRefused as refused:
            status, body = refused.status, error_body(refused.reason)
        except Exception as exc:  # a bug in the edge: recorded by observe_request, answered as Flask would
            self.logger.error("Exception on /alexa [POST]: %s", exception_summary(exc))  # never its message
            status, body = 500, error_body("internal server error")
        await _answer(send, status, body, *((_CLOSE,) if status in (408, 413) else ()))

    async def read_body(self, scope: Scope, receive: Receive) -> Callable[[RequestRecord], bytes]:
        """Read the body now (on the loop); the returned reader hands it to the endpoint, or notes the
        refusal on its record and raises, as the WSGI edge's reader does."""
        outcome = await self._read(scope, receive)

        def read(record: RequestRecord) -> bytes:
            if isinstance(outcome, bytes):
                return outcome
            raise BodyRefused(record, *outcome)

        return read

    async def _read(self, scope: Scope, receive: Receive) -> bytes | tuple[int, str]:
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not (declared.isascii() and declared.isdigit()):
                return 400, "bad request"
            if int(declared) > self.max_body:
                return 413, TOO_LARGE
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(BODY_SECONDS):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # the client went away mid-body
                        return 400, "bad request"
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:  # only a chunked body gets here: a declared length was checked
                        return 413, TOO_LARGE
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        except TimeoutError:
            return 408, "request timeout"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _answer(send: Send, status: int, body: bytes, *extra: tuple[bytes, bytes]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [_JSON, (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})

