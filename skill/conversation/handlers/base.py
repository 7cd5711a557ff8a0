"""What every handler shares: a Turn (this request's content, session and pending follow-up)."""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import IntentRequest, Response

from ..apl import directives as screen_directives
from ..apl import supports_apl
from ..content import LocaleContent
from ..flows.pending import Pending, follow_up_key, to_session
from ..reply import Reply, Segment, render
from ..screens import screen_for
from .interceptors import DISCLAIMER_DUE, DISCLAIMER_SPOKEN, TOUCHED


def intent_name(handler_input: HandlerInput) -> str | None:
    """The intent of an IntentRequest, else None.

    What ``ask_sdk_core.utils.is_intent_name(name)`` compares, read once instead of through a
    fresh closure per name and handler: every request asks a dozen handlers.  An
    IntentRequest without an intent (or with a name that is not text) names none, and is
    answered like an unknown intent rather than failing as ``is_intent_name`` would.
    """
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest):
        return None
    name = getattr(request.intent, "name", None)
    return name if isinstance(name, str) else None


class Turn:
    """One request seen from a handler: bound by the interceptors, written back on respond()."""

    def __init__(self, handler_input: HandlerInput):
        self.handler_input = handler_input
        request_attributes = handler_input.attributes_manager.request_attributes
        self.content: LocaleContent = request_attributes["content"]
        self.pending: Pending = request_attributes.get("pending")
        self.request_attributes = request_attributes
        self.session = handler_input.attributes_manager.session_attributes

    def opening(self) -> list[Segment]:
        """The disclaimer, once, before the first answer a new user hears (however they arrive)."""
        if not self.session.pop(DISCLAIMER_DUE, False):
            return []
        self.request_attributes[DISCLAIMER_SPOKEN] = True
        return [self.content.phrase("disclaimer")]

    def respond(self, reply: Reply, pending: Pending = None) -> Response:
        if pending and not reply.ends_session:
            self.session["pending"] = to_session(pending)
        if supports_apl(self.handler_input.request_envelope):
            reply.directives.extend(screen_directives(screen_for(self.content, reply, pending), follow_up_key(pending)))
        if self.request_attributes.get(TOUCHED):  # Alexa takes dialog directives only for an IntentRequest
            reply.directives = [d for d in reply.directives if not str(getattr(d, "object_type", "")).startswith("Dialog.")]
        return render(reply, self.handler_input.response_builder, self.content.pronounce)


class RequestTypeHandler(AbstractRequestHandler):
    """Handles every request of one ``request_type`` (LaunchRequest, SessionEndedRequest...);
    the dispatcher (``skill/runtime/dispatch.py``) asks it about no other."""

    request_type: str = ""

    @property
    def dispatch_keys(self) -> tuple[str, ...]:
        return (self.request_type,)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type(self.request_type)(handler_input)


class IntentHandler(AbstractRequestHandler):
    """Handles the listed intents; subclasses implement `answer`.

    A subclass that overrides ``can_handle`` should also list in ``dispatch_keys`` every
    intent name (or, for other requests, request type) it can ever say yes to: the
    dispatcher (``skill/runtime/dispatch.py``) then skips it for any other request without asking.
    Left ``None``, it is asked for every request.
    """

    intent_names: tuple[str, ...] = ()
    dispatch_keys: tuple[str, ...] | None = None

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in self.intent_names

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn(handler_input)
        reply, pending = self.answer(turn)
        return turn.respond(reply, pending)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        raise NotImplementedError
