"""Handlers for the questions people ask: each picks a topic or cause and lets the flow speak."""
from __future__ import annotations

from ..flows.answers import cause_reply, topic_reply, which_cause_reply
from ..flows.pending import Pending
from ..reply import Reply
from ..slots import SlotCatalog, SlotCatalogs, heard_value, resolved_id, slot_of
from .base import IntentHandler, Turn


class TopicHandler(IntentHandler):
    """One intent answered by one content topic (why, is it serious, relief, ...)."""

    def __init__(self, intent_name: str, topic_id: str):
        self.intent_names = (intent_name,)
        self.topic_id = topic_id

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return topic_reply(turn.content, turn.content.topics[self.topic_id], opening=turn.opening())


class CauseHandler(IntentHandler):
    """"Can coffee cause it?": the cause slot, resolved to a content id, or a gentle re-ask."""

    intent_names = ("CauseIntent",)

    def __init__(self, catalog: SlotCatalogs | SlotCatalog):
        self.catalog = catalog

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        intent = turn.handler_input.request_envelope.request.intent
        slot = slot_of(intent, "cause")
        cause = turn.content.cause(resolved_id(slot, "CAUSE", self.catalog.for_locale(turn.content.locale)) or "")
        if cause is None:
            reply, pending = which_cause_reply(turn.content, heard_value(slot))
            reply.speech = [*turn.opening(), *reply.speech]
            return reply, pending
        return cause_reply(turn.content, cause, opening=turn.opening())
