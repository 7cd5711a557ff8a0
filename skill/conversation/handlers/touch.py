"""A touch on the skill's screen is answered exactly as the words it stands for.

A button sends ``Alexa.Presentation.APL.UserEvent`` with ``[action, value]`` (``screen.Action``).
Before any handler is chosen, ``TouchInterceptor`` replaces that request with the IntentRequest
the same words would have produced: "Next" is ``AMAZON.NextIntent``, "Not sure" on a screening
question is ``ScreeningIntent`` with "not sure" in that question's slot, a duration choice is
``ScreeningIntent`` with its ``duration``, a hint chip is its intent. So the same flows, with
the same state rules, answer voice and touch, and "emergency" said mid-routine interrupts a
touch-driven routine as it does a spoken one.

A yes, no, not sure or duration touch answers only the question its screen was drawn for (the
token names it): a tap left from an earlier screen, or a double tap, answers nothing now. A
touch's reply carries no dialog directive (Alexa takes those only for an IntentRequest).

What arrives is untrusted: a token the skill never sent, an unknown action, a chip intent not
listed in content or a duration that is not a number is answered as speech nobody understood
(``AMAZON.FallbackIntent``), which replies helpfully and keeps the place.
"""
from __future__ import annotations

import math

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, IntentConfirmationStatus, IntentRequest, Slot, SlotConfirmationStatus
from ask_sdk_model.interfaces.alexa.presentation.apl import UserEvent

from ..apl import kind_of, waiting_of
from ..content import LocaleContent
from ..flows.pending import Pending, ScreeningQuestion, follow_up_key
from ..screen import Action
from ..screens import DURATION_QUESTION
from .interceptors import TOUCHED
from .screening import DURATION_PHRASE_SLOT, SCREENING_INTENT

FALLBACK = "AMAZON.FallbackIntent"
ANSWERS = (Action.YES, Action.NO, Action.UNSURE, Action.DAYS)  # answer the question on screen, or nothing
MAX_DAYS = 36_500

SAME_AS_SAYING = {
    Action.NEXT: "AMAZON.NextIntent",
    Action.BACK: "AMAZON.PreviousIntent",
    Action.REPEAT: "AMAZON.RepeatIntent",
    Action.YES: "AMAZON.YesIntent",
    Action.NO: "AMAZON.NoIntent",
}


class TouchInterceptor(AbstractRequestInterceptor):
    """Turns a UserEvent from the skill's own screen into the IntentRequest its words would be."""

    def process(self, handler_input: HandlerInput) -> None:
        envelope = handler_input.request_envelope
        event = envelope.request
        if not isinstance(event, UserEvent) or envelope.session is None:
            return  # Alexa sends touches in a session; one without is left to OtherRequestHandler
        attributes = handler_input.attributes_manager.request_attributes
        intent = touched_intent(attributes["content"], attributes.get("pending"), event.token, event.arguments)
        envelope.request = IntentRequest(request_id=event.request_id, timestamp=event.timestamp, locale=event.locale,
                                         intent=intent)
        attributes[TOUCHED] = True


def touched_intent(content: LocaleContent, pending: Pending, token: object, arguments: object) -> Intent:
    """The intent a touch stands for, given what the skill is waiting for; FallbackIntent if unknown."""
    action, value = _read(arguments)
    if kind_of(token) is None or action is None:
        return _intent(FALLBACK)
    if action in ANSWERS and waiting_of(token) != follow_up_key(pending):
        return _intent(FALLBACK)  # a touch left from an earlier screen answers nothing asked now
    if action in SAME_AS_SAYING:
        return _intent(SAME_AS_SAYING[action])
    if action is Action.UNSURE:
        return _not_sure(content, pending)
    if action is Action.DAYS:
        days = _days(value)
        duration = content.screening.question(DURATION_QUESTION)
        if days is None or duration is None:
            return _intent(FALLBACK)
        return _intent(SCREENING_INTENT, {duration.slot: f"P{days:g}D"})
    chips = {hint["intent"] for hint in content.screen["hints"]}
    return _intent(value) if value in chips else _intent(FALLBACK)


def _read(arguments: object) -> tuple[Action | None, str]:
    if not isinstance(arguments, list) or not arguments or not all(isinstance(item, str) for item in arguments):
        return None, ""
    try:
        action = Action(arguments[0])
    except ValueError:
        return None, ""
    return action, arguments[1] if len(arguments) > 1 else ""


def _not_sure(content: LocaleContent, pending: Pending) -> Intent:
    """"Not sure" said to the question on screen; with none pending, a bare "not sure"."""
    words = content.screening.answer_words["unsure"]
    question = content.screening.question(pending.question) if isinstance(pending, ScreeningQuestion) else None
    if question is None:
        return _intent(FALLBACK)
    slot = DURATION_PHRASE_SLOT if question.id == DURATION_QUESTION else question.slot
    return _intent(SCREENING_INTENT, {slot: words})


def _days(value: str) -> float | None:
    try:
        days = float(value)
    except ValueError:
        return None
    return days if math.isfinite(days) and 0 < days <= MAX_DAYS else None


def _intent(name: str, values: dict[str, str] | None = None) -> Intent:
    slots = {slot: Slot(name=slot, value=value, confirmation_status=SlotConfirmationStatus.NONE)
             for slot, value in (values or {}).items()}
    return Intent(name=name, slots=slots, confirmation_status=IntentConfirmationStatus.NONE)
