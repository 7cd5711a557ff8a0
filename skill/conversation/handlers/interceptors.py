"""Work every request needs, kept out of the handlers: content, follow-up state, visits, repeat."""
from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type
from ask_sdk_model import Response

from ...persistence import StoreError, user_id_of
from ..content import Content
from ..flows.pending import from_session

log = logging.getLogger(__name__)

HEARD_DISCLAIMER = "heard_disclaimer"  # persistent, per user
DISCLAIMER_DUE = "disclaimer_due"  # session: the disclaimer has not been said yet
DISCLAIMER_SPOKEN = "disclaimer_spoken"  # request: this reply says it
TOUCHED = "touched"  # request attribute: this IntentRequest stands for a touch (handlers/touch.py)
# Requests that start no conversation: nothing is read from or written to the store for them
# (a CanFulfillIntentRequest must have no side effects and leave no session state).
NOT_A_VISIT = frozenset({"SessionEndedRequest", "CanFulfillIntentRequest"})


class BindContentInterceptor(AbstractRequestInterceptor):
    """Give handlers the content of the request's locale (the default locale when unknown)."""

    def __init__(self, content: Content):
        self.content = content

    def process(self, handler_input: HandlerInput) -> None:
        locale = getattr(handler_input.request_envelope.request, "locale", None)
        handler_input.attributes_manager.request_attributes["content"] = self.content.for_locale(locale)


class PendingFollowUpInterceptor(AbstractRequestInterceptor):
    """Move the pending follow-up out of the session so a stale one never outlives its question.

    Handlers that ask a new question set a new one; Repeat puts the same one back. One the
    skill could not have written is dropped here (flows/pending.py); handlers see it typed.
    """

    def process(self, handler_input: HandlerInput) -> None:
        if handler_input.request_envelope.session is None:
            return
        session = handler_input.attributes_manager.session_attributes
        handler_input.attributes_manager.request_attributes["pending"] = from_session(session.pop("pending", None))


class DisclaimerDueInterceptor(AbstractRequestInterceptor):
    """At the start of each session, note whether this user still needs to hear the disclaimer.

    Only the fact that the disclaimer was heard is stored: no health information. A failing
    store must never cost the user their answer, so errors are logged and the disclaimer is
    treated as due (the safe side).
    """

    def process(self, handler_input: HandlerInput) -> None:
        envelope = handler_input.request_envelope
        session = envelope.session
        if session is None or not session.new or get_request_type(handler_input) in NOT_A_VISIT:
            return
        manager = handler_input.attributes_manager
        heard = False
        if user_id_of(envelope) is not None:
            try:
                heard = bool(manager.persistent_attributes.get(HEARD_DISCLAIMER))
            except StoreError as exc:
                log.warning("store unavailable, carrying on without it: %s", exc)
        if not heard:
            manager.session_attributes[DISCLAIMER_DUE] = True


class DisclaimerHeardInterceptor(AbstractResponseInterceptor):
    """Remember, once, that the user has heard the disclaimer, so later visits are shorter."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        manager = handler_input.attributes_manager
        if not manager.request_attributes.get(DISCLAIMER_SPOKEN) or user_id_of(handler_input.request_envelope) is None:
            return
        try:
            manager.persistent_attributes[HEARD_DISCLAIMER] = True
            manager.save_persistent_attributes()
        except StoreError as exc:
            log.warning("store unavailable, disclaimer will be repeated next time: %s", exc)


class RememberReplyInterceptor(AbstractResponseInterceptor):
    """Keep the last spoken reply in the session so "repeat" can say it again word for word."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        if handler_input.request_envelope.session is None or response is None or response.output_speech is None:
            return
        request = handler_input.request_envelope.request
        if get_request_type(handler_input) == "IntentRequest" and \
                getattr(getattr(request, "intent", None), "name", None) == "AMAZON.RepeatIntent":
            return  # (read field by field: an odd envelope may have no intent)
        reprompt = response.reprompt.output_speech.ssml if response.reprompt and response.reprompt.output_speech else None
        handler_input.attributes_manager.session_attributes["last_reply"] = {
            "speech": response.output_speech.ssml,
            "reprompt": reprompt,
        }
