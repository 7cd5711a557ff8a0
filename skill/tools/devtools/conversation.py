"""A small Alexa stand-in driven by intents (where ``LocalAlexa`` is driven by words): builds
real envelopes from the JSON samples in ``envelopes/``, posts them (signed or not, as the
``post`` given decides) and carries the session and user from turn to turn. The tests and the
benchmark's traffic use it."""
from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "envelopes"
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def spoken(ssml: str | None) -> str:
    """What a listener hears: SSML tags removed, entities unescaped, whitespace tidied."""
    if not ssml:
        return ""
    text = re.sub(r"<[^>]+>", " ", ssml)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


@dataclass
class Turn:
    status: int
    body: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        return self.body.get("response", {})

    @property
    def ssml(self) -> str:
        return (self.response.get("outputSpeech") or {}).get("ssml", "")

    @property
    def speech(self) -> str:
        return spoken(self.ssml)

    @property
    def reprompt(self) -> str:
        reprompt = self.response.get("reprompt") or {}
        return spoken((reprompt.get("outputSpeech") or {}).get("ssml"))

    @property
    def ends_session(self) -> bool | None:
        return self.response.get("shouldEndSession")

    @property
    def card(self) -> dict[str, Any] | None:
        return self.response.get("card")

    @property
    def session_attributes(self) -> dict[str, Any]:
        return self.body.get("sessionAttributes") or {}


# What conversations sent (user ids and slot values), for checks that no log line holds them
# (tests/conftest.py clears it before each test and scans the test's log records after).
SENT_PRIVATE: set[str] = set()


class Conversation:
    """One user talking to the skill; a new Conversation with the same user_id is a later visit."""

    def __init__(self, post: Callable[[bytes], tuple[int, dict[str, Any]]], user_id: str | None = None, locale: str = "en-US"):
        self.post = post
        self.user_id = user_id or f"amzn1.ask.account.{uuid.uuid4().hex}"
        SENT_PRIVATE.add(self.user_id)
        self.locale = locale
        self.session_id: str | None = None
        self.attributes: dict[str, Any] = {}
        self.last: Turn | None = None

    def _envelope(self, template: str) -> dict[str, Any]:
        envelope = copy.deepcopy(fixture(template))
        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4().hex}"
            self.attributes = {}
        if "session" in envelope:
            envelope["session"].update(new=new, sessionId=self.session_id, attributes=self.attributes)
            envelope["session"]["user"]["userId"] = self.user_id
        envelope["context"]["System"]["user"]["userId"] = self.user_id
        envelope["request"].update(requestId=f"amzn1.echo-api.request.{uuid.uuid4().hex}", timestamp=now_iso())
        if "locale" in envelope["request"]:
            envelope["request"]["locale"] = self.locale
        return envelope

    def send(self, envelope: dict[str, Any]) -> Turn:
        status, body = self.post(json.dumps(envelope).encode())
        turn = Turn(status, body)
        self.last = turn
        if status == 200 and "session" in envelope:
            if turn.ends_session is False:
                self.attributes = turn.session_attributes
            else:
                self.session_id = None
        return turn

    def launch(self) -> Turn:
        self.session_id = None
        return self.send(self._envelope("launch_request.json"))

    def ask(self, intent: str, **slots: str | dict[str, Any]) -> Turn:
        envelope = self._envelope("intent_request.json")
        envelope["request"]["intent"] = {"name": intent, "confirmationStatus": "NONE", "slots": _slots(slots)}
        SENT_PRIVATE.update(str(value.get("value", "") if isinstance(value, dict) else value) for value in slots.values())
        return self.send(envelope)

    def end(self, reason: str = "USER_INITIATED") -> Turn:
        envelope = self._envelope("session_ended_request.json")
        envelope["request"]["reason"] = reason
        return self.send(envelope)


def _slots(values: dict[str, str | dict[str, Any]]) -> dict[str, Any]:
    """Slots as Alexa sends them; a dict value may carry `id` for an entity-resolution match."""
    slots = {}
    for name, value in values.items():
        if isinstance(value, dict):
            slot = {"name": name, "value": value["value"], "confirmationStatus": "NONE"}
            if "id" in value:
                slot["resolutions"] = {"resolutionsPerAuthority": [{
                    "authority": f"amzn1.er-authority.echo-sdk.{SKILL_ID}.CAUSE",
                    "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": value["value"], "id": value["id"]}}],
                }]}
            elif value.get("no_match"):
                slot["resolutions"] = {"resolutionsPerAuthority": [{
                    "authority": f"amzn1.er-authority.echo-sdk.{SKILL_ID}.CAUSE",
                    "status": {"code": "ER_SUCCESS_NO_MATCH"},
                }]}
            slots[name] = slot
        else:
            slots[name] = {"name": name, "value": value, "confirmationStatus": "NONE"}
    return slots
