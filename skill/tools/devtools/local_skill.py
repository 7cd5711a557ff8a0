"""The whole skill on this machine, with nothing from Amazon: app, signing PKI, Alexa APIs.

``local_skill()`` builds the real app (``create_app``) with a throwaway PKI's root as its only
trust root (what ``ALEXA_CA_FILE`` does in a deployment) and a certificate fetcher that serves
the PKI's chain instead of S3, a temporary SQLite store, and a loopback stand-in for the Alexa
APIs it calls (timers, reminders, the device's time zone). Every request the returned
``LocalAlexa`` sends is signed and fully verified.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, unquote, urlsplit

from ...config import REPO_ROOT, Config
from ...conversation.alexa_api import REMINDERS_PATH, TIMERS_PATH
from ...conversation.locales import DEFAULT_LOCALE, fallback_locale, load_models
from ...runtime.app import create_app
from ...runtime.assemble import Words
from ...runtime.snapshot import source_hash
from .alexa import LocalAlexa
from .pki import CERT_URL, LocalPKI

LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-00000000c4a7"


class _AlexaApiHandler(BaseHTTPRequestHandler):
    """Answers like the Alexa timers, reminders and settings APIs; records every call first."""

    api: LocalAlexaApi

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        api, path = self.api, urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        authorization = self.headers.get("Authorization")
        api.received.append({"method": method, "path": self.path, "body": body, "authorization": authorization,
                             "headers": dict(self.headers)})
        time.sleep(api.delay)
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Bearer" or not token.strip():
            return self._answer(401, {"code": "UNAUTHORIZED", "message": "no bearer token"})
        failure = api.failure(path)
        if failure is not None:
            return self._answer(failure, {"code": "ERROR", "message": "as the stand-in was told"})
        if api.raw_answer is not None:
            return self._answer(200, api.raw_answer)
        with api.lock:  # handler threads share the reminders
            status, answer = api.route(method, path, body)
        self._answer(status, answer)

    def _answer(self, status: int, body: object) -> None:
        """JSON, or nothing for None, or these exact bytes."""
        answer = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
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
class LocalAlexaApi:
    """A loopback stand-in for the Alexa APIs the skill calls (timers, reminders, the device's
    time zone), for tests and ``backtwitch chat``. It remembers every call (``received``), every
    timer (``timers``) and the reminders as they stand (``reminders``, by alertToken). To try
    failures: ``status`` answers every call with that status, ``fail`` only paths starting with
    a prefix (``{"/v1/alerts/reminders": 429}``), ``delay`` answers late, ``raw_answer`` answers
    those bytes instead of JSON. Use as ``with LocalAlexaApi() as api:`` or start()/stop()."""

    timers: list[dict[str, Any]] = field(default_factory=list)
    reminders: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    time_zone: str = "America/New_York"
    time_zones: dict[str, str] = field(default_factory=dict)  # device id -> zone, over time_zone
    status: int = 200
    fail: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0
    raw_answer: bytes | None = None
    endpoint: str = ""  # the apiEndpoint to put in requests, once started
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> str:
        """Serve on a free loopback port; returns the apiEndpoint to put in requests."""
        handler = type("AlexaApiHandler", (_AlexaApiHandler,), {"api": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        # A short poll, so stop() returns at once rather than after serve_forever's 0.5 s default.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        host, port = cast(tuple[str, int], self.server.server_address[:2])  # AF_INET: (host, port)
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> LocalAlexaApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def failure(self, path: str) -> int | None:
        """The status this path is told to fail with: the longest matching ``fail`` prefix, else ``status``."""
        prefixes = [prefix for prefix in self.fail if path.startswith(prefix)]
        if prefixes:
            return self.fail[max(prefixes, key=len)]
        return None if self.status == 200 else self.status

    def route(self, method: str, path: str, body: Any) -> tuple[int, object]:
        """(status, answer) as the real API gives them for a call that got through."""
        if method in ("POST", "PUT") and not isinstance(body, dict):
            return 400, {"code": "INVALID_REQUEST", "message": "the body is not a JSON object"}
        if (method, path) == ("POST", TIMERS_PATH):
            self.timers.append(body)
            return 200, {"id": str(uuid.uuid4()), "status": "ON", "duration": body.get("duration")}
        if path == REMINDERS_PATH:
            if method == "GET":
                return 200, {"totalCount": str(len(self.reminders)), "alerts": list(self.reminders.values())}
            if method == "POST":
                token, now = str(uuid.uuid4()), _alexa_time()
                self.reminders[token] = {**body, "alertToken": token, "status": "ON", "version": "1",
                                         "createdTime": now, "updatedTime": now}
                return 200, _reminder_answer(self.reminders[token])
        if path.startswith(REMINDERS_PATH + "/"):
            token = unquote(path.removeprefix(REMINDERS_PATH + "/"))
            known = self.reminders.get(token)
            if known is None:
                return 404, {"code": "NOT_FOUND", "message": "no such alert"}
            if method == "GET":
                return 200, known
            if method == "PUT":
                kept = {name: known[name] for name in ("alertToken", "status", "createdTime")}
                self.reminders[token] = {**body, **kept, "version": str(int(known["version"]) + 1),
                                         "updatedTime": _alexa_time()}
                return 200, _reminder_answer(self.reminders[token])
            if method == "DELETE":
                del self.reminders[token]
                return 200, None
        zone = re.fullmatch(r"/v2/devices/([^/]+)/settings/System\.timeZone", path)
        if zone and method == "GET":
            return 200, self.time_zones.get(unquote(zone.group(1)), self.time_zone)
        return 404, {"code": "NOT_FOUND", "message": f"the stand-in has no {method} {path}"}


def _reminder_answer(reminder: dict[str, Any]) -> dict[str, Any]:
    """What Alexa answers to a create or an update."""
    answer = {name: reminder[name] for name in ("alertToken", "createdTime", "updatedTime", "status", "version")}
    return {**answer, "href": f"{REMINDERS_PATH}/{quote(reminder['alertToken'], safe='')}"}


def _alexa_time() -> str:
    """Alexa's timestamps: UTC with milliseconds, "2024-05-01T09:30:00.000Z"."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def local_skill(locale: str = DEFAULT_LOCALE, content_dir: Path | None = None, model_dir: Path | None = None,
                user_id: str | None = None, device: str | None = None) -> Iterator[tuple[LocalAlexa, LocalAlexaApi]]:
    """A LocalAlexa talking to a freshly built app; everything is gone when the block ends.
    ``device`` names a profile in ``envelopes/devices/`` (``echo_show_8`` draws the screens)."""
    model_dir = Path(model_dir or REPO_ROOT / "interaction_model")
    models = load_models(model_dir)
    pki = LocalPKI()
    api = LocalAlexaApi()
    _quiet_logging()
    with tempfile.TemporaryDirectory(prefix="backtwitch-chat-") as scratch:
        config = _config(Path(scratch), pki, Path(content_dir or REPO_ROOT / "content"), model_dir)
        client = create_app(config, _words(config.content_dir, model_dir)).test_client()

        def post(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            response = client.post("/alexa", data=body, headers={**headers, "Content-Type": "application/json"})
            return response.status_code, response.get_json(silent=True) or {}

        with api:
            model = models[fallback_locale(locale, models)]
            yield LocalAlexa(post, pki, model, locale, LOCAL_SKILL_ID, user_id, api.endpoint, device), api


def _words(content_dir: Path, model_dir: Path) -> Words:
    """The words of these sources, read and checked once per process: every script, chat and
    test builds a fresh app, and reading the words was most of that. Keyed by the hash of every
    source file (runtime/snapshot.py), so an edited file is read again."""
    key = source_hash(content_dir, model_dir)
    if key not in _WORDS:
        if len(_WORDS) >= 4:
            _WORDS.pop(next(iter(_WORDS)))
        _WORDS[key] = Words.load(content_dir, model_dir)
    return _WORDS[key]


_WORDS: dict[str, Words] = {}


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
