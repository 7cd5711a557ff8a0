"""The whole skill on this machine, with nothing from Amazon: app, signing PKI, Timers API.

``local_skill()`` builds the real app (``create_app``) with a throwaway PKI's root as its only
trust root (what ``ALEXA_CA_FILE`` does in a deployment) and a certificate fetcher that serves
the PKI's chain instead of S3, a temporary SQLite store, and a loopback stand-in for the Alexa
Timers API. Every request the returned ``LocalAlexa`` sends is signed and fully verified.
"""
from __future__ import annotations

import json
import logging
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from ...config import REPO_ROOT, Config
from ...conversation.locales import DEFAULT_LOCALE, load_models
from ...runtime.app import create_app
from .alexa import LocalAlexa
from .pki import CERT_URL, LocalPKI

LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-00000000c4a7"


class _TimersHandler(BaseHTTPRequestHandler):
    """POST /v1/alerts/timers with a bearer token: recorded, answered like the real API (or with
    the status and after the delay the stand-in is told to, to try failures)."""

    api: LocalTimersApi

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.api.received.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": body})
        time.sleep(self.api.delay)
        if self.path != "/v1/alerts/timers":
            return self._answer(404, {})
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            return self._answer(401, {})
        if self.api.status != 200:
            return self._answer(self.api.status, {"code": "ERROR", "message": "as the stand-in was told"})
        self.api.timers.append(body)
        self._answer(200, {"id": str(uuid.uuid4()), "status": "ON", "duration": body.get("duration")})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        answer = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the skill stopped waiting (its deadline), as it should

    def log_message(self, *args: object) -> None:
        """Quiet: the chat shows the timers it set."""


@dataclass
class LocalTimersApi:
    """A loopback stand-in for the Alexa Timers API: remembers every call (``received``) and
    every timer set (``timers``); ``status`` and ``delay`` make it fail or answer late."""

    timers: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    endpoint: str = ""  # the apiEndpoint to put in requests, once started
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        """Serve on a free loopback port; returns the apiEndpoint to put in requests."""
        handler = type("TimersHandler", (_TimersHandler,), {"api": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = cast(tuple[str, int], self.server.server_address[:2])  # AF_INET: (host, port)
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@contextmanager
def local_skill(locale: str = DEFAULT_LOCALE, content_dir: Path | None = None, model_dir: Path | None = None,
                user_id: str | None = None, device: str | None = None) -> Iterator[tuple[LocalAlexa, LocalTimersApi]]:
    """A LocalAlexa talking to a freshly built app; everything is gone when the block ends.
    ``device`` names a profile in ``envelopes/devices/`` (``echo_show_8`` draws the screens)."""
    model_dir = Path(model_dir or REPO_ROOT / "interaction_model")
    models = load_models(model_dir)
    pki = LocalPKI()
    timers = LocalTimersApi()
    _quiet_logging()
    with tempfile.TemporaryDirectory(prefix="backtwitch-chat-") as scratch:
        config = _config(Path(scratch), pki, Path(content_dir or REPO_ROOT / "content"), model_dir)
        client = create_app(config).test_client()

        def post(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            response = client.post("/alexa", data=body, headers={**headers, "Content-Type": "application/json"})
            return response.status_code, response.get_json(silent=True) or {}

        endpoint = timers.start()
        try:
            model = models.get(locale) or models[DEFAULT_LOCALE]
            yield LocalAlexa(post, pki, model, locale, LOCAL_SKILL_ID, user_id, endpoint, device), timers
        finally:
            timers.stop()


def _config(scratch: Path, pki: LocalPKI, content_dir: Path, model_dir: Path) -> Config:
    """Verification on, trusting only the throwaway root (as ALEXA_CA_FILE would), a scratch store."""
    root = scratch / "root.pem"
    root.write_bytes(pki.root_pem())
    chain = pki.chain_pem()
    return Config(skill_id=LOCAL_SKILL_ID, ca_file=str(root), cert_fetcher=lambda url: _chain(url, chain),
                  database_url=f"sqlite:///{scratch / 'chat.db'}", content_dir=content_dir, model_dir=model_dir,
                  log_level="WARNING")


def _chain(url: str, chain: bytes) -> bytes:
    """The certificate fetcher: our chain at Amazon's usual URL, nothing anywhere else."""
    if url != CERT_URL:
        raise OSError(f"HTTP 404 for {url}")
    return chain


def _quiet_logging() -> None:
    """Server log lines go to stderr, warnings only, so they never mix with the conversation."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
