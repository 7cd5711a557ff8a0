"""The last line of defence: any exception becomes a spoken apology and a log entry."""
from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from ...logsafe import exception_summary
from ...observability import note_skill_error
from ..apl import directives as screen_directives
from ..apl import supports_apl
from ..content import Content
from ..reply import Reply, render
from ..screens import screen_for

log = logging.getLogger(__name__)


class ApologiseOnErrorHandler(AbstractExceptionHandler):
    """Say sorry and keep listening, so one failure doesn't end the conversation."""

    def __init__(self, content: Content):
        self.content = content

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        envelope = handler_input.request_envelope
        # The type and where, never the message or a traceback: those quote slot values and attributes.
        log.error("error handling %s: %s", getattr(envelope.request, "object_type", "?"), exception_summary(exception))
        note_skill_error(exception)  # the request's log line and metrics say "error"
        if envelope.session is None or any(is_request_type(kind)(handler_input)
                                           for kind in ("SessionEndedRequest", "CanFulfillIntentRequest")):
            return handler_input.response_builder.response  # nothing may be spoken for these
        content = self.content.for_locale(getattr(envelope.request, "locale", None))
        reply = Reply(speech=[content.phrase("error")], reprompt=[content.phrase("error_reprompt")])
        if supports_apl(envelope):
            handler_input.response_builder.response.directives = None  # a failed handler's half-built screen
            reply.directives.extend(screen_directives(screen_for(content, reply, None)))
        return render(reply, handler_input.response_builder, content.pronounce)
