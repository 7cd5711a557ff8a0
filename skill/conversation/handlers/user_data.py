""""Delete my data": after a spoken confirmation, remove everything stored for the user.

What is stored is small (whether the disclaimer was heard, where the relief routine got to),
but the user can have it gone by voice at any time; disabling the skill does the same
(SkillDisabledHandler). A failing store is said plainly rather than claiming success.
"""
from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput

from ...persistence import StoreError
from ..flows.answers import ask
from ..flows.pending import DeleteData, Pending
from ..reply import Reply
from .base import IntentHandler, Turn
from .routine import ROUTINE_KEY, intent_is, pending_of

log = logging.getLogger(__name__)



class DeleteDataHandler(IntentHandler):
    """"Delete my data": say what would go, and ask to confirm."""

    intent_names = ("DeleteDataIntent",)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        reply, _ = ask(turn.content, "delete_data_confirm", "delete_data_confirm_reprompt")
        return reply, DeleteData()


class DeleteDataAnswerHandler(IntentHandler):
    """"Yes" deletes everything stored for this user; "no" keeps it."""

    dispatch_keys = ("AMAZON.YesIntent", "AMAZON.NoIntent")

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (intent_is(handler_input, *self.dispatch_keys)
                and isinstance(pending_of(handler_input), DeleteData))

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        if intent_is(turn.handler_input, "AMAZON.NoIntent"):
            return ask(turn.content, "delete_data_kept", "what_else_reprompt")
        try:
            turn.handler_input.attributes_manager.delete_persistent_attributes()
        except StoreError as exc:
            log.warning("could not delete a user's data: %s", exc)
            return Reply(speech=[turn.content.phrase("delete_data_failed")]), None
        turn.session.pop(ROUTINE_KEY, None)
        return Reply(speech=[turn.content.phrase("delete_data_done")]), None
