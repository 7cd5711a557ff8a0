"""Alexa's side of a conversation, offline: typed words in, signed request envelopes out.

``LocalAlexa`` does what the Alexa service does between a person and this skill: recognises
the invocation ("open back twitch helper", "ask back twitch helper ..."), understands the words
with the interaction model (understanding.py), asks CanFulfillIntentRequest first when the
skill wasn't named, builds the request envelope, signs the raw body with a throwaway PKI and
sends it, then keeps the session, its attributes, the user, an open dialog (Dialog.ElicitSlot)
and a pending permission question (Connections.SendRequest AskFor: timers or reminders) for the
next turn. The skill sees exactly what it would see
from Amazon, so the real verification, routing and rendering all run.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...conversation.alexa_api import REMINDERS_SCOPE, TIMERS_SCOPE
from ...conversation.locales import language_model
from .conversation import Conversation, Exchange
from .pki import LocalPKI
from .understanding import Elicitation, Heard, SlotFill, invocation_parts, understanding_for

Post = Callable[[bytes, dict[str, str]], tuple[int, dict[str, Any]]]
APL_INTERFACE = "Alexa.Presentation.APL"
# What Alexa's voice permission question asks for each scope: "may Back Twitch Helper set timers?".
PERMISSION_WORDS = {TIMERS_SCOPE: "set timers", REMINDERS_SCOPE: "set reminders"}


@dataclass
class Session:
    """What Alexa remembers of an open session besides its id and attributes (the
    Conversation carries those): an open dialog and the reprompt to say after a silence."""

    elicit: Elicitation | None = None
    updated_intent: dict[str, Any] | None = None
    reprompt: str = ""
    reprompt_heard: bool = False


class LocalAlexa:
    """One person on one device talking to the skill; a session lives until the skill ends it."""

    def __init__(self, post: Post, pki: LocalPKI, model: dict[str, Any], locale: str, skill_id: str,
                 user_id: str | None = None, api_endpoint: str | None = None, device: str | None = None):
        self.pki = pki  # signs each request as it is sent
        self.conversation = Conversation(lambda body: post(body, self.pki.signed_headers(body)), user_id, locale, skill_id,
                                         device)
        self.conversation.api_endpoint = api_endpoint
        self.understanding = understanding_for(model, locale)
        self.dialog_intents = {i["name"] for i in model["interactionModel"].get("dialog", {}).get("intents", [])}
        self.session: Session | None = None
        self.permission_token: str | None = None  # an AskFor is waiting for the person's yes or no
        self.permission_scope: str = TIMERS_SCOPE  # ... for this scope (the directive's permissionScope)
        self.invocation = language_model(model)["invocationName"]
        self.screen: dict[str, Any] | None = None  # what the device shows now (Exchange.screen), for touches

    @property
    def locale(self) -> str:
        return self.conversation.locale

    @property
    def skill_id(self) -> str:
        return self.conversation.skill_id

    @property
    def draws_screens(self) -> bool:
        """Whether the device profile says it can draw APL (only then does the skill send screens)."""
        device = (self.conversation.device or {}).get("System", {}).get("device", {})
        return APL_INTERFACE in device.get("supportedInterfaces", {})

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Every envelope sent, oldest first."""
        return self.conversation.sent

    # -- what the person does --------------------------------------------------------------

    def say(self, utterance: str) -> Exchange:
        """Route the words as Alexa would: permission answer, launch, one-shot, in session, name-free."""
        if self.permission_token is not None:
            return self._permission_answer(utterance)
        launch, one_shot = self._invocation(utterance)
        if launch:
            return self._send(Exchange(utterance=utterance), {"type": "LaunchRequest"}, new_session=True)
        if one_shot is not None:
            return self._intent(Exchange(utterance=utterance), self.understanding.understand(one_shot), new_session=True)
        if self.session is not None:
            heard = self.understanding.understand(utterance, self.session.elicit)
            return self._intent(Exchange(utterance=utterance), heard, new_session=False)
        return self._name_free(utterance)

    def silence(self) -> Exchange:
        """Nothing said: Alexa says the reprompt once, then ends the session."""
        said = Exchange(utterance="(silence)")
        if self.session is None:
            said.notes.append("no session is open: Alexa is not listening")
            return said
        if not self.session.reprompt_heard:
            self.session.reprompt_heard = True
            said.replayed = self.session.reprompt
            return said
        return self.end_session("EXCEEDED_MAX_REPROMPTS", said)

    def touch(self, *arguments: str) -> Exchange:
        """A finger on a button of the screen: the UserEvent its SendEvent sends. It goes through
        the session like words (or opens one, as Alexa does for a touch after the session ended),
        so an open dialog and the reprompt are carried on from the reply it gets."""
        if self.session is None:
            self.session = Session()
        said = self.conversation.touch(*arguments)
        self._after(said)
        return said

    def end_session(self, reason: str, said: Exchange | None = None) -> Exchange:
        """The session ends without the skill ending it: Alexa sends SessionEndedRequest."""
        said = said or Exchange(utterance=f"(session ends: {reason})")
        if self.session is None:
            return said
        said.notes.append(f"Alexa ends the session: SessionEndedRequest ({reason})")
        return self._send(said, {"type": "SessionEndedRequest", "reason": reason}, new_session=False)

    # -- routing -----------------------------------------------------------------------------

    def _invocation(self, utterance: str) -> tuple[bool, str | None]:
        """(is a launch phrase, the request words of a one-shot) for this skill's invocation name,
        in the locale's language ("open ...", "abre ...")."""
        return invocation_parts(utterance, self.invocation, self.understanding.language)

    def _name_free(self, utterance: str) -> Exchange:
        """No session and no name: ask the skill whether it can take this, then maybe send it."""
        heard = self.understanding.understand(utterance)
        said = Exchange(utterance=utterance, heard=heard)
        request: dict[str, Any] = {"type": "CanFulfillIntentRequest", "intent": _intent_json(heard, self.skill_id, None)}
        self.conversation.request(request, in_session=False, exchange=said)
        verdict = (said.response.get("canFulfillIntent") or {}).get("canFulfill")
        if said.status != 200 or verdict not in ("YES", "MAYBE"):
            said.name_free = verdict or "NO"
            said.notes.append(f"Alexa would not pick {self.invocation} for this (name-free: {said.name_free}); "
                              f"say 'open {self.invocation}' or 'ask {self.invocation} ...'")
            return said
        said = self._intent(said, heard, new_session=True)
        said.name_free = verdict
        return said

    def _intent(self, said: Exchange, heard: Heard, new_session: bool) -> Exchange:
        said.heard = heard
        session = None if new_session else self.session
        continuing = session is not None and session.elicit is not None and session.elicit.intent == heard.intent
        base = session.updated_intent if continuing and session is not None else None
        request: dict[str, Any] = {"type": "IntentRequest", "intent": _intent_json(heard, self.skill_id, base)}
        if heard.intent in self.dialog_intents:
            request["dialogState"] = "IN_PROGRESS" if continuing else "STARTED"
        return self._send(said, request, new_session)

    def _permission_answer(self, utterance: str) -> Exchange:
        """Alexa asked "may Back Twitch Helper set timers?" (or reminders, whatever scope the
        AskFor named): a yes grants that scope from now on; the answer comes back as
        Connections.Response with the AskFor's token."""
        heard = self.understanding.understand(utterance)
        accepted = heard.intent == "AMAZON.YesIntent"
        token, self.permission_token = self.permission_token, None
        scope = self.permission_scope
        if accepted:
            self.conversation.granted.add(scope)
        request = {"type": "Connections.Response", "name": "AskFor", "token": token,
                   "status": {"code": "200", "message": "OK"},
                   "payload": {"permissionScope": scope, "status": "ACCEPTED" if accepted else "DENIED",
                               "isCardThrown": False}}
        said = Exchange(utterance=utterance, heard=heard)
        said.notes.append(f"permission {'granted' if accepted else 'refused'}")
        return self._send(said, request, new_session=True)

    # -- sending -------------------------------------------------------------------------------

    def _send(self, said: Exchange, request: dict[str, Any], new_session: bool) -> Exchange:
        if new_session or self.session is None:
            self.session = Session()
        self.conversation.request(request, new_session=new_session, exchange=said)
        self._after(said)
        return said

    def _after(self, said: Exchange) -> None:
        """Carry the session on, or close it; note an elicitation or a permission question. The
        screen keeps the last document drawn; a session closed without a new one leaves none."""
        if said.screen is not None or self.conversation.session_id is None:
            self.screen = said.screen
        if self.conversation.session_id is None:
            self.session = None
        elif self.session is not None:
            self.session.reprompt_heard, self.session.reprompt = False, said.reprompt_ssml
            self.session.elicit, self.session.updated_intent = _elicitation(said.directives)
        for directive in said.directives:
            if directive.get("type") == "Connections.SendRequest" and directive.get("name") == "AskFor":
                self.permission_token = directive.get("token")
                self.permission_scope = (directive.get("payload") or {}).get("permissionScope") or TIMERS_SCOPE
                asks = PERMISSION_WORDS.get(self.permission_scope, f"use {self.permission_scope}")
                said.notes.append(f"Alexa asks: may {self.invocation} {asks}? (say yes or no)")


def _elicitation(directives: list[dict[str, Any]]) -> tuple[Elicitation | None, dict[str, Any] | None]:
    for directive in directives:
        if directive.get("type") == "Dialog.ElicitSlot":
            intent = directive.get("updatedIntent") or {}
            return Elicitation(intent.get("name", ""), directive.get("slotToElicit", "")), intent
    return None, None


def _intent_json(heard: Heard, skill_id: str, base: dict[str, Any] | None) -> dict[str, Any]:
    """The intent as Alexa sends it; in a dialog, the slots already filled come along."""
    slots = {name: {"name": name, "value": slot["value"], "confirmationStatus": "NONE"}
             for name, slot in ((base or {}).get("slots") or {}).items() if slot.get("value")}
    for name, fill in heard.slots.items():
        slots[name] = _slot_json(fill, skill_id)
    return {"name": heard.intent, "confirmationStatus": "NONE", "slots": slots}


def _slot_json(fill: SlotFill, skill_id: str) -> dict[str, Any]:
    slot: dict[str, Any] = {"name": fill.name, "value": fill.value, "confirmationStatus": "NONE"}
    if fill.custom:
        authority = f"amzn1.er-authority.echo-sdk.{skill_id}.{fill.slot_type}"
        if fill.value_id:
            resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_MATCH"},
                          "values": [{"value": {"name": fill.value_name, "id": fill.value_id}}]}
        else:
            resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
        slot["resolutions"] = {"resolutionsPerAuthority": [resolution]}
    return slot
