"""The gunicorn worker the service runs by default: gunicorn's master, uvicorn's event loop.

gunicorn stays what manages the processes (preload, worker restarts, timeouts, signals, the
configuration in infra/gunicorn.conf.py). Inside each worker, uvicorn parses HTTP in C
(httptools, over uvloop) and keeps every connection as a coroutine: about a quarter of the CPU
per request of gunicorn's own Python parser under gevent, and a slow or idle client costs a
coroutine, never a thread (skill/runtime/asgi.py runs the skill itself in a small thread pool).

uvicorn's parser has no limits of its own on the request head, which gunicorn's has
(``limit_request_line``, ``limit_request_fields``, ``limit_request_field_size``): this worker
applies gunicorn's settings to uvicorn's protocol, and caps the whole head, so a client cannot
grow a header without end.
"""
from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker

from .asgi import AsgiEdge

log = logging.getLogger(__name__)


class HeadLimits:
    """gunicorn's request-head limits; set from the worker's configuration before it serves."""

    line = 4094
    fields = 100
    field_size = 8190

    @classmethod
    def head_bytes(cls) -> int:
        return cls.line + cls.fields * (cls.field_size + 4) + 4


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head over gunicorn's limits with 431 (414 for
    the request line) and closing the connection, as gunicorn does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_bytes = 0  # bytes received since the current request's head began
        self.in_head = True
        self.refusal: tuple[int, str] | None = None  # set by a parser callback that found the head too large

    def data_received(self, data: bytes) -> None:
        if self.in_head:
            self.head_bytes += len(data)
            if self.head_bytes > HeadLimits.head_bytes():
                self.refuse(431, "request header fields too large")
                return
        super().data_received(data)

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > HeadLimits.line:
            self.refusal = (414, "request line too long")
            raise ValueError(self.refusal[1])  # the parser stops; uvicorn then calls send_400_response
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= HeadLimits.fields or len(name) + len(value) > HeadLimits.field_size:
            self.refusal = (431, "request header fields too large")
            raise ValueError(self.refusal[1])
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_head = True  # what comes next on this connection is the next request's head
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self.refusal is None:
            super().send_400_response(msg)
        else:
            self.refuse(*self.refusal)

    def refuse(self, status: int, reason: str) -> None:
        body = f'{{"error":"{reason}"}}\n'.encode()
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                             b"connection: close\r\n\r\n%s" % (status, reason.title().encode(), len(body), body))
        self.transport.close()


class SkillWorker(UvicornWorker):
    """``worker_class = "skill.runtime.worker.SkillWorker"`` (infra/gunicorn.conf.py's default)."""

    CONFIG_KWARGS = {
        "loop": "uvloop",
        "http": LimitedHttpToolsProtocol,
        "interface": "asgi3",
        "lifespan": "off",
        "proxy_headers": False,  # nothing here reads the client's address
        "server_header": False,
        "access_log": False,  # the app writes one JSON line per Alexa request (skill/observability.py)
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.limit_concurrency = self.cfg.worker_connections  # then 503, as gevent's pool would queue
        HeadLimits.line = self.cfg.limit_request_line or HeadLimits.line
        HeadLimits.fields = self.cfg.limit_request_fields or HeadLimits.fields
        HeadLimits.field_size = self.cfg.limit_request_field_size or HeadLimits.field_size

    async def _serve(self) -> None:
        flask_app: Any = self.wsgi  # what gunicorn loaded: skill.runtime.app:create_app()
        self.wsgi: Any = AsgiEdge.around(flask_app, threads=self.cfg.threads)
        await super()._serve()
