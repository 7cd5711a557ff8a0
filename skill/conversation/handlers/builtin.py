"""Launch, session end, and Alexa's built-in intents (yes, no, more, repeat, help, stop...)."""
from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from ...logsafe import exception_summary
from ...persistence import StoreError
from ..apl import directives as screen_directives
from ..apl import supports_apl
from ..flows.answers import ask, continue_pending, decline_pending, goodbye, welcome
from ..flows.pending import CONTINUED_BY_MORE, Pending, follow_up_key, to_session
from ..reply import Reply, heard_text, replayable
from ..screens import screen_for, welcome_screen
from .base import IntentHandler, RequestTypeHandler, Turn

log = logging.getLogger(__name__)


class LaunchHandler(RequestTypeHandler):
    """"Alexa, open back twitch helper": a full welcome the first time, a short one after."""

    request_type = "LaunchRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn(handler_input)
        reply, pending = welcome(turn.content, turn.opening())
        return turn.respond(reply, pending)


class SessionEndedHandler(RequestTypeHandler):
    """The session closed (user silent, said stop elsewhere, or an error): nothing may be spoken."""

    request_type = "SessionEndedRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        error = getattr(request, "error", None)
        if error is not None:
            kind = getattr(error.object_type, "value", error.object_type)
            # The type only: Alexa's message may quote the reply or what was said.
            log.warning("session ended with error: %s", kind if isinstance(kind, str) and kind.isidentifier() else "other")
        return handler_input.response_builder.response


class SkillDisabledHandler(RequestTypeHandler):
    """The user disabled the skill: forget everything stored for them."""

    request_type = "AlexaSkillEvent.SkillDisabled"

    def handle(self, handler_input: HandlerInput) -> Response:
        try:
            handler_input.attributes_manager.delete_persistent_attributes()
        except StoreError as exc:
            log.error("could not delete data for a disabled skill: %s", exception_summary(exc))
            raise
        return handler_input.response_builder.response


class YesHandler(IntentHandler):
    """"Yes" answers whatever was just offered; with nothing pending it asks what they'd like."""

    intent_names = ("AMAZON.YesIntent",)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return continue_pending(turn.content, turn.pending) or ask(turn.content, "yes_without_question", "launch_reprompt")


class NoHandler(IntentHandler):
    intent_names = ("AMAZON.NoIntent",)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return decline_pending(turn.content, turn.pending)


class MoreHandler(IntentHandler):
    """"More" / "next" carry on with the list being read; otherwise say there's no more."""

    intent_names = ("AMAZON.MoreIntent", "AMAZON.NextIntent")

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        if isinstance(turn.pending, CONTINUED_BY_MORE):
            continued = continue_pending(turn.content, turn.pending)
            if continued:
                return continued
        reply, pending = ask(turn.content, "what_else", "what_else_reprompt")
        reply.speech.insert(0, turn.content.phrase("nothing_more"))
        return reply, pending


class RepeatHandler(IntentHandler):
    """Say the last reply again, word for word, keeping the same follow-up pending.

    The last reply comes back from the client in the session attributes: it is said again
    only as ``replayable`` rebuilds it (SSML the renderer could have written); anything else
    counts as nothing to repeat.
    """

    intent_names = ("AMAZON.RepeatIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn(handler_input)
        last = turn.session.get("last_reply")
        speech = replayable(last.get("speech")) if isinstance(last, dict) else None
        reprompt = replayable(last.get("reprompt") or speech) if isinstance(last, dict) else None
        if speech is None or reprompt is None:
            reply, pending = ask(turn.content, "nothing_to_repeat", "what_else_reprompt")
            return turn.respond(reply, pending)
        if turn.pending:
            turn.session["pending"] = to_session(turn.pending)
        builder = handler_input.response_builder.speak(speech).ask(reprompt)
        if supports_apl(handler_input.request_envelope):  # the screen of what is said again
            screen = screen_for(turn.content, Reply(speech=[heard_text(speech)]), turn.pending)
            for directive in screen_directives(screen, follow_up_key(turn.pending)):
                builder.add_directive(directive)
        return builder.set_should_end_session(False).response


class HelpHandler(IntentHandler):
    intent_names = ("AMAZON.HelpIntent",)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        reply, pending = ask(turn.content, "help", "help_reprompt")
        reply.screen = welcome_screen(turn.content, "help")
        return reply, pending


class StopHandler(IntentHandler):
    intent_names = ("AMAZON.StopIntent", "AMAZON.CancelIntent")

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return goodbye(turn.content), None


class NavigateHomeHandler(IntentHandler):
    """"Go home", or "start over" with no check or routine running: back to the start."""

    intent_names = ("AMAZON.NavigateHomeIntent", "AMAZON.StartOverIntent")

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return welcome(turn.content, turn.opening())


class FallbackHandler(IntentHandler):
    intent_names = ("AMAZON.FallbackIntent",)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return ask(turn.content, "fallback", "fallback_reprompt")


class UnknownIntentHandler(AbstractRequestHandler):
    """An intent this code doesn't know (an older or newer model): answer like Fallback."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        log.warning("no handler for an intent outside this model")  # its name may be anything
        turn = Turn(handler_input)
        return turn.respond(*ask(turn.content, "fallback", "fallback_reprompt"))


class OtherRequestHandler(AbstractRequestHandler):
    """Any other request type: silent acknowledgement for events, a spoken pointer in a session."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        envelope = handler_input.request_envelope
        log.info("unhandled request type %s", envelope.request.object_type)  # one of the SDK's own
        if envelope.session is None:
            return handler_input.response_builder.response
        turn = Turn(handler_input)
        return turn.respond(*ask(turn.content, "fallback", "fallback_reprompt"))
