"""Answers CanFulfillIntentRequest: whether this skill can take a request made without its name.

No speech, no card, no session attributes and no store access: the interceptors that load or
save per-user state skip this request type (handlers/interceptors.py NOT_A_VISIT), and this
handler only reads the request. The decision itself is pure (flows/name_free.py).
"""
from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, Response
from ask_sdk_model.canfulfill import (
    CanFulfillIntent,
    CanFulfillIntentValues,
    CanFulfillSlot,
    CanFulfillSlotValues,
    CanUnderstandSlotValues,
)

from ..flows.name_free import HeardSlot, Verdict, judge
from ..slots import SlotCatalog, SlotCatalogs, heard_value, resolved_id
from .base import RequestTypeHandler


class CanFulfillHandler(RequestTypeHandler):
    """YES for the questions we answer in full, MAYBE/NO otherwise, with a verdict per slot."""

    request_type = "CanFulfillIntentRequest"

    def __init__(self, catalog: SlotCatalogs | SlotCatalog, answered: frozenset[str]):
        self.catalog = catalog
        self.answered = answered

    def handle(self, handler_input: HandlerInput) -> Response:
        """Only the canFulfillIntent field is set: no speech, no card, no shouldEndSession."""
        request = handler_input.request_envelope.request
        catalog = self.catalog.for_locale(getattr(request, "locale", None))
        intent: Intent | None = getattr(request, "intent", None)
        name = intent.name if intent is not None and intent.name else ""
        verdict = judge(name, heard_slots(intent, catalog), self.answered)
        handler_input.response_builder.set_can_fulfill_intent(as_response(verdict))
        return handler_input.response_builder.response


def heard_slots(intent: Intent | None, catalog: SlotCatalog) -> dict[str, HeardSlot]:
    """The request's filled slots, each with its type and the value id it resolves to."""
    if intent is None or not intent.slots:
        return {}
    found = {}
    for name, slot in intent.slots.items():
        heard = heard_value(slot)
        slot_type = catalog.type_of(intent.name, name)
        if heard is None or slot_type is None:
            continue
        value_id = resolved_id(slot, slot_type, catalog) if not slot_type.startswith("AMAZON.") else None
        found[name] = HeardSlot(slot_type, heard, value_id)
    return found


def as_response(verdict: Verdict) -> CanFulfillIntent:
    """The verdict in the SDK's types (slots left out when there are none)."""
    slots = {name: CanFulfillSlot(can_understand=CanUnderstandSlotValues(v.can_understand),
                                  can_fulfill=CanFulfillSlotValues(v.can_fulfill))
             for name, v in verdict.slots.items()}
    return CanFulfillIntent(can_fulfill=CanFulfillIntentValues(verdict.can_fulfill), slots=slots or None)
