"""The one conversation driver: real envelopes built from the JSON samples in ``envelopes/``,
posted (signed or not, as the ``post`` given decides), the session and user carried from turn
to turn. Tests and the benchmark's traffic drive it by intent; ``LocalAlexa`` (alexa.py), the
chat and the transcripts drive it by words."""
from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .understanding import Heard

FIXTURES = Path(__file__).parent / "envelopes"
DEVICES = FIXTURES / "devices"
RENDER_DOCUMENT = "Alexa.Presentation.APL.RenderDocument"
USER_EVENT = "Alexa.Presentation.APL.UserEvent"
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
class Exchange:
    """One request sent, or one thing a person said (or didn't), and what came back."""

    status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    utterance: str = ""  # LocalAlexa: the words said
    request_type: str | None = None
    heard: Heard | None = None  # LocalAlexa: how the words were understood
    name_free: str | None = None  # LocalAlexa: the skill's CanFulfillIntent verdict
    notes: list[str] = field(default_factory=list)
    replayed: str | None = None  # the reprompt Alexa says again after a silence (no request sent)

    @property
    def response(self) -> dict[str, Any]:
        return self.body.get("response") or {}

    @property
    def ssml(self) -> str:
        """What Alexa says: the skill's speech, or the reprompt said again after a silence."""
        if self.replayed is not None:
            return self.replayed
        return (self.response.get("outputSpeech") or {}).get("ssml", "")

    @property
    def speech(self) -> str:
        return spoken(self.ssml)

    @property
    def reprompt_ssml(self) -> str:
        return ((self.response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", "")

    @property
    def reprompt(self) -> str:
        return spoken(self.reprompt_ssml)

    @property
    def ends_session(self) -> bool | None:
        return self.response.get("shouldEndSession")

    @property
    def microphone_open(self) -> bool:
        return self.replayed is not None or self.ends_session is False

    @property
    def card(self) -> dict[str, Any] | None:
        return self.response.get("card")

    @property
    def directives(self) -> list[dict[str, Any]]:
        return self.response.get("directives") or []

    @property
    def session_attributes(self) -> dict[str, Any]:
        return self.body.get("sessionAttributes") or {}

    def directive(self, kind: str) -> dict[str, Any] | None:
        """The first directive of type ``kind`` in the response, if any."""
        return next((directive for directive in self.directives if directive.get("type") == kind), None)

    @property
    def screen(self) -> dict[str, Any] | None:
        """What the reply's RenderDocument shows (its ``screen`` datasource), with its token."""
        rendered = self.directive(RENDER_DOCUMENT)
        if rendered is None:
            return None
        return {**rendered["datasources"]["screen"], "token": rendered.get("token")}


# What conversations sent (user ids and slot values), for checks that no log line holds them
# (tests/conftest.py clears it before each test and scans the test's log records after).
SENT_PRIVATE: set[str] = set()


class Conversation:
    """One user on one device talking to the skill: builds each envelope from the samples in
    ``envelopes/``, posts it, and carries the session (id, attributes) while the skill keeps the
    microphone open, as Alexa does. A new Conversation with the same user_id is a later visit.

    ``ask``/``launch``/``end`` are the intent-level shortcuts; ``request`` sends any request
    (LocalAlexa sends what it heard through it). ``granted`` permission scopes and the
    ``api_endpoint`` go into ``context.System`` as Alexa puts them there.

    ``device`` names a profile in ``envelopes/devices/`` (``echo_show_8``, ``echo_dot``) merged
    into every envelope's context; on a screen device the token of the document last rendered is
    sent back in ``context["Alexa.Presentation.APL"]`` and ``touch`` presses one of its buttons."""

    def __init__(self, post: Callable[[bytes], tuple[int, dict[str, Any]]], user_id: str | None = None,
                 locale: str = "en-US", skill_id: str = SKILL_ID, device: str | None = None):
        self.post = post
        self.user_id = user_id or f"amzn1.ask.account.{uuid.uuid4().hex}"
        SENT_PRIVATE.add(self.user_id)
        self.locale = locale
        self.skill_id = skill_id
        self.session_id: str | None = None
        self.attributes: dict[str, Any] = {}
        self.granted: set[str] = set()
        self.api_endpoint: str | None = None
        self.sent: list[dict[str, Any]] = []
        self.last: Exchange | None = None
        self.device = json.loads((DEVICES / f"{device}.json").read_text()) if device else None
        self.on_screen: str | None = None  # the token of the document the device shows

    def _envelope(self, template: str, in_session: bool = True) -> dict[str, Any]:
        envelope = copy.deepcopy(fixture(template))
        system = envelope["context"]["System"]
        system["application"]["applicationId"] = self.skill_id
        system["user"] = self._user()
        if self.device is not None:
            _merge_device(envelope["context"], self.device, self.on_screen)
        if self.api_endpoint:
            system["apiEndpoint"] = self.api_endpoint
            system.setdefault("apiAccessToken", "test-access-token")
        if "session" in envelope and in_session:
            new = self.session_id is None
            if new:
                self.session_id = f"amzn1.echo-api.session.{uuid.uuid4().hex}"
                self.attributes = {}
            envelope["session"].update(new=new, sessionId=self.session_id, attributes=self.attributes,
                                       application=system["application"], user=system["user"])
        else:
            envelope.pop("session", None)
        envelope["request"].update(requestId=f"amzn1.echo-api.request.{uuid.uuid4().hex}", timestamp=now_iso())
        if "locale" in envelope["request"]:
            envelope["request"]["locale"] = self.locale
        return envelope

    def _user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"userId": self.user_id}
        if self.granted:
            user["permissions"] = {"scopes": {scope: {"status": "GRANTED"} for scope in sorted(self.granted)}}
        return user

    def send(self, envelope: dict[str, Any], exchange: Exchange | None = None) -> Exchange:
        """Post the envelope; the session goes on only while the skill keeps listening."""
        self.sent.append(envelope)
        exchange = exchange or Exchange()
        exchange.request_type = envelope["request"].get("type")
        exchange.status, exchange.body = self.post(json.dumps(envelope).encode())
        self.last = exchange
        rendered = exchange.directive(RENDER_DOCUMENT)
        if rendered is not None:
            self.on_screen = rendered.get("token")
        if "session" in envelope:
            if exchange.status == 200 and exchange.ends_session is False:
                self.attributes = exchange.session_attributes
            else:
                self.session_id = None
        return exchange

    def request(self, request: dict[str, Any], new_session: bool = False, in_session: bool = True,
                exchange: Exchange | None = None) -> Exchange:
        """Any request (its type, intent, dialog state...) in this conversation's envelope;
        ``new_session`` starts a new session first, ``in_session=False`` sends none at all
        (CanFulfillIntentRequest)."""
        if new_session:
            self.session_id = None
        envelope = self._envelope("intent_request.json", in_session)
        envelope["request"] = {**request, **{key: envelope["request"][key] for key in ("requestId", "timestamp", "locale")}}
        return self.send(envelope, exchange)

    def launch(self) -> Exchange:
        self.session_id = None
        return self.send(self._envelope("launch_request.json"))

    def ask(self, intent: str, **slots: str | dict[str, Any]) -> Exchange:
        envelope = self._envelope("intent_request.json")
        envelope["request"]["intent"] = {"name": intent, "confirmationStatus": "NONE", "slots": _slots(slots, self.skill_id)}
        SENT_PRIVATE.update(str(value.get("value", "") if isinstance(value, dict) else value) for value in slots.values())
        return self.send(envelope)

    def touch(self, *arguments: str, token: str | None = None) -> Exchange:
        """Press a button on the screen: the UserEvent its SendEvent sends, with the on-screen token."""
        return self.request({"type": USER_EVENT, "token": token or self.on_screen or "",
                             "arguments": list(arguments), "source": {"type": "TouchWrapper", "handler": "Press"},
                             "components": {}})

    def end(self, reason: str = "USER_INITIATED") -> Exchange:
        envelope = self._envelope("session_ended_request.json")
        envelope["request"]["reason"] = reason
        return self.send(envelope)


def _merge_device(context: dict[str, Any], device: dict[str, Any], on_screen: str | None) -> None:
    """A device profile's System.device, Viewport(s), and the on-screen document's token."""
    context["System"]["device"] = copy.deepcopy(device["System"]["device"])
    for key in ("Viewport", "Viewports"):
        if key in device:
            context[key] = copy.deepcopy(device[key])
    if on_screen and "Alexa.Presentation.APL" in context["System"]["device"]["supportedInterfaces"]:
        context["Alexa.Presentation.APL"] = {"token": on_screen, "version": "AplRenderer-2024.2",
                                             "componentsVisibleOnScreen": []}


def _slots(values: dict[str, str | dict[str, Any]], skill_id: str) -> dict[str, Any]:
    """Slots as Alexa sends them; a dict value may carry `id` for an entity-resolution match."""
    slots = {}
    for name, value in values.items():
        if isinstance(value, dict):
            slot = {"name": name, "value": value["value"], "confirmationStatus": "NONE"}
            if "id" in value:
                slot["resolutions"] = {"resolutionsPerAuthority": [{
                    "authority": f"amzn1.er-authority.echo-sdk.{skill_id}.CAUSE",
                    "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": value["value"], "id": value["id"]}}],
                }]}
            elif value.get("no_match"):
                slot["resolutions"] = {"resolutionsPerAuthority": [{
                    "authority": f"amzn1.er-authority.echo-sdk.{skill_id}.CAUSE",
                    "status": {"code": "ER_SUCCESS_NO_MATCH"},
                }]}
            slots[name] = slot
        else:
            slots[name] = {"name": name, "value": value, "confirmationStatus": "NONE"}
    return slots
