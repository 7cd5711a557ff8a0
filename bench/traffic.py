"""The benchmark's traffic: real Alexa requests from whole conversations, freshly signed.

Conversations are played once against an in-process app (verification off) so every turn
carries the session state a real Alexa would send at that point; the recorded envelopes are
then re-stamped and signed with the benchmark's PKI right before each load phase, because
the server refuses requests more than 150 s old.

The mix per user: a launch, questions, a yes and a no to follow-ups, the whole red-flag
screening (five turns that store nothing), the relief routine's first moves (which save
progress), stop, and the SessionEndedRequest that follows.
"""
from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.tools.devtools.conversation import SKILL_ID, Conversation, now_iso
from skill.tools.devtools.pki import LocalPKI
from skill.runtime.app import create_app
from skill.config import Config

Envelope = dict[str, Any]


def _one_visit(conversation: Conversation) -> None:
    conversation.launch()
    conversation.ask("WhyTwitchingIntent")
    conversation.ask("AMAZON.YesIntent")
    conversation.ask("IsItSeriousIntent")
    conversation.ask("AMAZON.NoIntent")
    for slot, value in (("duration", "P3W"), ("weakness", "no"), ("numbness", "no"), ("widespread", "no")):
        conversation.ask("ScreeningIntent", **{slot: value})
    conversation.ask("AMAZON.NoIntent")
    conversation.ask("ReliefIntent")
    conversation.ask("AMAZON.NextIntent")
    conversation.ask("AMAZON.StopIntent")
    conversation.end()


# What a real device adds to every request: an API endpoint and its access token (a JWT of
# about 900 characters), its interfaces, and on a screen device the viewport.
_ACCESS_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ." + "A" * 780 + ".signature-part"
_VIEWPORT = {"experiences": [{"arcMinuteWidth": 246, "arcMinuteHeight": 144, "canRotate": False,
                              "canResize": False}], "mode": "HUB", "shape": "RECTANGLE", "pixelWidth": 1024,
             "pixelHeight": 600, "dpi": 160, "currentPixelWidth": 1024, "currentPixelHeight": 600,
             "touch": ["SINGLE"], "keyboard": ["DIRECTION"], "video": {"codecs": ["H_264_42", "H_264_41"]}}


class Device(Conversation):
    """A conversation from an Echo Dot or, with ``screen``, an Echo Show: real-sized envelopes."""

    def __init__(self, post: Callable[[bytes], tuple[int, dict[str, Any]]], screen: bool) -> None:
        super().__init__(post)
        self.screen = screen

    def _envelope(self, template: str, in_session: bool = True) -> Envelope:
        envelope = super()._envelope(template, in_session)
        system = envelope["context"]["System"]
        system.update(apiEndpoint="https://api.amazonalexa.com", apiAccessToken=_ACCESS_TOKEN)
        system["device"]["supportedInterfaces"] = (
            {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}} if self.screen else {})
        envelope["context"]["AudioPlayer"] = {"playerActivity": "IDLE"}
        envelope["context"]["Extensions"] = {"available": {"aplext:backstack:10": {}}}
        if self.screen:
            envelope["context"]["Viewport"] = _VIEWPORT
        return envelope


def record_conversations(users: int = 8) -> list[Envelope]:
    """Every envelope the users send in one visit each, in the order they were sent."""
    with tempfile.TemporaryDirectory(prefix="bench-record-") as directory, _quiet("skill.runtime.app"):
        config = Config(skill_id=SKILL_ID, verify_signatures=False, verify_timestamps=False,
                        database_url=f"sqlite:///{Path(directory) / 'record.db'}", log_level="WARNING")
        client = create_app(config).test_client()
        recorded: list[Envelope] = []

        def post(body: bytes) -> tuple[int, dict[str, Any]]:
            recorded.append(json.loads(body))
            response = client.post("/alexa", data=body, headers={"Content-Type": "application/json"})
            if response.status_code != 200:
                raise RuntimeError(f"recording failed: {response.status_code} {response.data[:200]!r}")
            return response.status_code, response.get_json()

        for user in range(users):
            _one_visit(Device(post, screen=user % 2 == 1))
    return recorded


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence the recording app's "verification is off" warnings: only it is unverified."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    signature: str


def sign_all(pki: LocalPKI, envelopes: list[Envelope]) -> list[SignedRequest]:
    """Fresh timestamps and request ids, then the Signature-256 of the exact bytes sent."""
    signed = []
    now = now_iso()
    for envelope in envelopes:
        envelope["request"].update(timestamp=now, requestId=f"amzn1.echo-api.request.{uuid.uuid4()}")
        body = json.dumps(envelope, separators=(",", ":")).encode()
        signed.append(SignedRequest(body, pki.sign(body)))
    return signed


def write_for_wrk(requests: list[SignedRequest], path: Path) -> Path:
    """One line per request, ``<signature>\\t<body>``, as bench/alexa.lua reads them."""
    path.write_bytes(b"".join(r.signature.encode() + b"\t" + r.body + b"\n" for r in requests))
    return path


def headers_for(request: SignedRequest, cert_url: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "SignatureCertChainUrl": cert_url,
            "Signature-256": request.signature}

