"""The spoken red-flag check, run by the skill itself with Dialog.ElicitSlot so every word
comes from content and the check can stop at once for an emergency answer.

While a question is pending (see flows/screening.py), the state-gated handlers here take
"yes", "no", stray answers and the in-dialog commands (repeat, what do you mean, start over,
help, stop) before the generic handlers do.
"""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, IntentConfirmationStatus, Slot, SlotConfirmationStatus
from ask_sdk_model.dialog import ElicitSlotDirective

from ..content import LocaleContent, Question
from ..flows.answers import Pending, ask
from ..flows.screening import (
    DURATION,
    NO,
    PENDING_KIND,
    UNKNOWN,
    UNSURE,
    YES,
    ScreeningState,
    advance,
    emergency_reply,
    question_reply,
    record,
)
from ..reply import Reply, Segment
from ..slots import SlotCatalog, SlotCatalogs, heard_value, parse_duration_days, resolved_id, slot_of
from .base import IntentHandler, Turn, intent_name

SCREENING_INTENT = "ScreeningIntent"
SESSION_KEY = "screening"
GENERIC_ANSWER_TYPE = "YES_NO"
DURATION_PHRASE_SLOT = "duration_phrase"


def asked_question(handler_input: HandlerInput) -> str | None:
    """The screening question waiting for an answer in this turn, if any."""
    pending = handler_input.attributes_manager.request_attributes.get("pending")
    if isinstance(pending, dict) and pending.get("kind") == PENDING_KIND:
        return pending.get("question")
    return None


class ScreeningTurn:
    """Reads answers from the request and answers with the next step, as Turn does for topics."""

    def __init__(self, turn: Turn, catalog: SlotCatalogs | SlotCatalog):
        self.turn = turn
        self.catalog = catalog.for_locale(turn.content.locale)
        self.content: LocaleContent = turn.content
        self.state = ScreeningState.from_session(turn.session.get(SESSION_KEY))
        self.asked = self.content.screening.question(asked_question(turn.handler_input) or "")

    def respond(self, lead: list[Segment]):
        reply, pending, finished = advance(self.content, self.state, lead)
        return self.finish(reply, pending, finished)

    def ask_again(self, lead: list[Segment]):
        """Ask the pending question again (after a stray answer, "repeat", "what do you mean")."""
        question = self.asked or self._first_open_question()
        reply, pending = question_reply(self.content, question, lead)
        return self.finish(reply, pending, finished=False)

    def finish(self, reply: Reply, pending: Pending, finished: bool):
        if finished:
            self.turn.session.pop(SESSION_KEY, None)
        else:
            self.turn.session[SESSION_KEY] = self.state.to_session()
        if pending and pending.get("kind") == PENDING_KIND:
            question = self.content.screening.question(pending["question"])
            reply.directives.append(ElicitSlotDirective(updated_intent=self.updated_intent(), slot_to_elicit=question.slot))
        return self.turn.respond(reply, pending)

    def updated_intent(self) -> Intent:
        """ScreeningIntent with every slot, filled from the answers so far."""
        slots = {}
        for question in self.content.screening.questions:
            slots[question.slot] = Slot(name=question.slot, value=self._slot_value(question),
                                        confirmation_status=SlotConfirmationStatus.NONE)
        slots[DURATION_PHRASE_SLOT] = Slot(name=DURATION_PHRASE_SLOT, confirmation_status=SlotConfirmationStatus.NONE)
        return Intent(name=SCREENING_INTENT, slots=slots, confirmation_status=IntentConfirmationStatus.NONE)

    def _slot_value(self, question: Question) -> str | None:
        answer = self.state.answers.get(question.id)
        if answer is None or answer == UNKNOWN:
            return None
        if question.id == DURATION:
            return f"P{answer:g}D" if answer >= 1 else f"PT{round(answer * 24)}H"
        return self.content.screening.answer_words.get(answer)

    def _first_open_question(self) -> Question:
        questions = self.content.screening.questions
        return next((q for q in questions if q.id not in self.state.answers), questions[0])

    # -- reading answers ------------------------------------------------------------

    def take_slots(self, intent: Intent) -> bool:
        """Record every answer ScreeningIntent carries; False when the asked question got none it
        could read (the caller then asks again with a hint)."""
        found = self._answers_in(intent)
        asked = self.asked
        if asked is not None and asked.id not in found:
            self._reassign_plain_answer(found, asked)
        news = [question_id for question_id, value in found.items() if self.state.answers.get(question_id) != value]
        for question_id, value in found.items():
            accepted = record(self.state, self.content.screening.question(question_id), value)
            if asked is not None and question_id == asked.id and not accepted:
                return False
        if asked is not None and asked.id not in found and not news:
            return record(self.state, asked, None)  # Alexa only echoed earlier answers
        return True

    def _answers_in(self, intent: Intent) -> dict[str, str | float]:
        """Question id -> answer (an answer id, days, "unsure", or "" when unreadable)."""
        found: dict[str, str | float] = {}
        for question in self.content.screening.questions:
            if question.id == DURATION:
                value = self._duration_in(intent)
            else:
                slot = slot_of(intent, question.slot)
                slot_type = self.catalog.type_of(SCREENING_INTENT, question.slot) or GENERIC_ANSWER_TYPE
                value = (resolved_id(slot, slot_type, self.catalog) or "") if heard_value(slot) else None
            if value is not None:
                found[question.id] = value
        return found

    def _duration_in(self, intent: Intent) -> str | float | None:
        """AMAZON.DURATION's ISO value, or our phrase slot ("since last month"), or the raw words."""
        phrase_type = self.catalog.type_of(SCREENING_INTENT, DURATION_PHRASE_SLOT) or ""
        for slot in (slot_of(intent, DURATION), slot_of(intent, DURATION_PHRASE_SLOT)):
            heard = heard_value(slot)
            if heard is None:
                continue
            if self.catalog.lookup(GENERIC_ANSWER_TYPE, heard) == UNSURE:
                return UNSURE
            for text in (resolved_id(slot, phrase_type, self.catalog), heard):
                days = parse_duration_days(text)
                if days is not None:
                    return days
            return ""
        return None

    def _reassign_plain_answer(self, found: dict[str, str | float], asked: Question) -> None:
        """Alexa may put a plain "no" in another yes/no slot: it answers the question we asked."""
        for question_id in list(found):
            question = self.content.screening.question(question_id)
            heard = heard_value(slot_of(self.turn.handler_input.request_envelope.request.intent, question.slot))
            plain = self.catalog.lookup(GENERIC_ANSWER_TYPE, heard) if heard else None
            if plain is not None and question_id not in self.state.answers:
                del found[question_id]
                found[asked.id] = plain
                return

    def stray_lead(self) -> list[Segment]:
        texts = self.content.screening.texts
        key = "retry_duration" if self.asked is not None and self.asked.id == DURATION else "stray_answer"
        return [self.content.say(texts[key]), self.content.say(self.asked.hint)] if self.asked else []


class BareAnswerInterceptor(AbstractRequestInterceptor):
    """A bare "yes", "no" or "not sure" that matched ScreeningIntent's slot-only samples while no
    screening question is pending is really AMAZON.YesIntent / NoIntent (or no intent at all).

    The slot-only samples exist so Alexa can fill an elicited slot; outside the dialog a "yes"
    must answer whatever was offered, never start the check with "yes" at the emergency gate.
    """

    REPLACEMENT = {YES: "AMAZON.YesIntent", NO: "AMAZON.NoIntent", UNSURE: "AMAZON.FallbackIntent"}

    def __init__(self, catalog: SlotCatalogs | SlotCatalog):
        self.catalog = catalog

    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        intent = getattr(request, "intent", None)
        if intent is None or intent.name != SCREENING_INTENT or asked_question(handler_input) is not None:
            return
        heard = [heard_value(slot) for slot in (intent.slots or {}).values() if heard_value(slot)]
        catalog = self.catalog.for_locale(getattr(request, "locale", None))
        answers = {catalog.lookup(GENERIC_ANSWER_TYPE, words) for words in heard}
        if len(heard) == 1 and len(answers) == 1 and None not in answers:
            request.intent = Intent(name=self.REPLACEMENT[answers.pop()], slots={},
                                    confirmation_status=IntentConfirmationStatus.NONE)


class EmergencyHandler(IntentHandler):
    """"I can't feel my legs": emergency advice at once, from any point in any conversation."""

    intent_names = ("EmergencyIntent",)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        turn.session.pop(SESSION_KEY, None)
        return emergency_reply(turn.content), None


class ScreeningHandler(IntentHandler):
    """Starts, resumes or continues the check: "is this serious", one-shot answers, or an answer."""

    intent_names = (SCREENING_INTENT, "IsItSeriousIntent")
    ANSWERS = ("AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.FallbackIntent")
    dispatch_keys = (*intent_names, *ANSWERS)

    def __init__(self, catalog: SlotCatalogs | SlotCatalog):
        self.catalog = catalog

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if super().can_handle(handler_input):
            return True
        in_dialog = asked_question(handler_input) is not None
        return in_dialog and intent_name(handler_input) in self.ANSWERS

    def handle(self, handler_input: HandlerInput):
        screening = ScreeningTurn(Turn(handler_input), self.catalog)
        intent = handler_input.request_envelope.request.intent
        lead = self._opening(screening) if screening.asked is None else []
        if intent.name == SCREENING_INTENT:
            answered = screening.take_slots(intent)
        elif screening.asked is None:  # "is this serious?"
            answered = True
        elif intent.name in ("AMAZON.YesIntent", "AMAZON.NoIntent"):
            answered = record(screening.state, screening.asked, YES if intent.name == "AMAZON.YesIntent" else NO)
        else:  # a stray answer that Alexa could not match at all
            answered = record(screening.state, screening.asked, None)
        if not answered:
            return screening.ask_again(screening.stray_lead())
        if screening.asked is not None and screening.asked.id == DURATION \
                and screening.state.answers.get(DURATION) == UNKNOWN and screening.state.retries.get(DURATION):
            lead.append(screening.content.say(screening.content.screening.texts["duration_unknown"]))
        return screening.respond(lead)

    @staticmethod
    def _opening(screening: ScreeningTurn) -> list[Segment]:
        texts = screening.content.screening.texts
        started = bool(screening.state.answers)
        return [*screening.turn.opening(), screening.content.say(texts["resume" if started else "intro"])]


class ScreeningCommandHandler(IntentHandler):
    """Inside the check: repeat, what do you mean, start over, help, stop and cancel."""

    COMMANDS = {
        "AMAZON.RepeatIntent": "repeat",
        "ExplainQuestionIntent": "explain",
        "AMAZON.StartOverIntent": "start_over",
        "AMAZON.HelpIntent": "help",
        "AMAZON.StopIntent": "stop",
        "AMAZON.CancelIntent": "stop",
    }
    dispatch_keys = tuple(COMMANDS)

    def __init__(self, catalog: SlotCatalogs | SlotCatalog):
        self.catalog = catalog
        self.intent_names = tuple(self.COMMANDS)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return asked_question(handler_input) is not None and super().can_handle(handler_input)

    def handle(self, handler_input: HandlerInput):
        screening = ScreeningTurn(Turn(handler_input), self.catalog)
        command = self.COMMANDS[handler_input.request_envelope.request.intent.name]
        content, texts = screening.content, screening.content.screening.texts
        if command == "stop":
            return screening.finish(Reply(speech=[content.say(texts["stopped"])]), None, finished=True)
        if command == "start_over":
            screening.state = ScreeningState()
            return screening.respond([content.say(texts["restart"])])
        if command == "explain":
            return screening.ask_again([content.say(screening.asked.explain)])
        if command == "help":
            return screening.ask_again([content.say(texts["help"])])
        return screening.ask_again([])


class ExplainOutsideScreeningHandler(IntentHandler):
    """"What do you mean?" with no question pending: point to what can be asked."""

    intent_names = ("ExplainQuestionIntent",)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return ask(turn.content, "help", "help_reprompt")

