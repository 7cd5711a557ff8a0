"""The spoken red-flag check, run by the skill itself with Dialog.ElicitSlot so every word
comes from content and the check can stop at once for an emergency answer.

While a question is pending (see flows/screening.py), the state-gated handlers here take
"yes", "no", stray answers and the in-dialog commands (repeat, what do you mean, start over,
help, stop) before the generic handlers do.
"""
from __future__ import annotations

from typing import cast

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, IntentConfirmationStatus, Slot, SlotConfirmationStatus
from ask_sdk_model.dialog import ElicitSlotDirective

from ..content import LocaleContent, Question
from ..flows.answers import ask
from ..flows.pending import AnythingElse, NotesOffer, OutcomeMore, Pending, ScreeningQuestion
from ..flows.screening import (
    DURATION,
    NO,
    UNKNOWN,
    UNSURE,
    YES,
    ScreeningState,
    advance,
    answer_lines,
    answer_text,
    answers_said,
    emergency_reply,
    follow_up_again,
    last_answered,
    notes_reply,
    outcome_chunk,
    question_reply,
    record,
)
from ..reply import Reply, Segment
from ..screens import with_answers
from ..slots import SlotCatalog, SlotCatalogs, heard_value, parse_duration_days, resolved_id, slot_of
from .base import IntentHandler, Turn, intent_name

SCREENING_INTENT = "ScreeningIntent"
SESSION_KEY = "screening"
GENERIC_ANSWER_TYPE = "YES_NO"
DURATION_PHRASE_SLOT = "duration_phrase"


def asked_question(handler_input: HandlerInput) -> str | None:
    """The screening question waiting for an answer in this turn, if any."""
    pending = handler_input.attributes_manager.request_attributes.get("pending")
    return pending.question if isinstance(pending, ScreeningQuestion) else None


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

    def ask_again(self, lead: list[Segment], shown: list[str] | None = None):
        """Ask the pending question again (after a stray answer, "repeat", "what do you mean");
        ``shown``: answers the person asked to see, listed above the question on a screen."""
        question = self.asked or self._first_open_question()
        reply, pending = question_reply(self.content, question, lead)
        if shown and reply.screen is not None:
            reply.screen = with_answers(self.content, reply.screen, shown)
        return self.finish(reply, pending, finished=False)

    def finish(self, reply: Reply, pending: Pending, finished: bool):
        if finished:
            self.turn.session.pop(SESSION_KEY, None)
        else:
            self.turn.session[SESSION_KEY] = self.state.to_session()
        if isinstance(pending, ScreeningQuestion):
            question = cast(Question, self.content.screening.question(pending.question))
            updated = self.updated_intent(question)
            reply.directives.append(ElicitSlotDirective(updated_intent=updated, slot_to_elicit=question.slot))
        return self.turn.respond(reply, pending)

    def updated_intent(self, eliciting: Question) -> Intent:
        """ScreeningIntent with every slot filled from the answers so far, except the one asked
        for: an old answer there (after "go back") would come back as if just said."""
        slots = {}
        for question in self.content.screening.questions:
            value = None if question.id == eliciting.id else self._slot_value(question)
            slots[question.slot] = Slot(name=question.slot, value=value, confirmation_status=SlotConfirmationStatus.NONE)
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

    def answer_to_asked(self, intent: Intent) -> str | float | None:
        """The answer to the pending question: what its own slot holds, else a bare answer
        ("yes", "no", "not sure") that arrived in other slots, else None (unreadable).

        Clients in dialog mode fill every slot whose type matches the words, and Alexa may put
        a bare "no" into another yes/no slot: either way it answers the question we asked.
        Values equal to an answer already recorded for their own question are echoes of the
        dialog's earlier turns and are left out.
        """
        asked = cast(Question, self.asked)  # called only with a question pending
        value = self._duration_in(intent) if asked.id == DURATION else self._answer_in(intent, asked)
        if value not in (None, ""):
            return value
        bare = self._bare_answer(intent, asked)
        if asked.id == DURATION:
            return UNSURE if bare == UNSURE else None
        return bare

    def take_one_shot(self, intent: Intent) -> None:
        """With no question pending ("my back has twitched for three weeks and my leg is numb"):
        record what the sentence tells about unanswered questions. The emergency gate is never
        answered this way, and a bare yes or no says nothing about a symptom."""
        for question in self.content.screening.questions:
            if question.gate or question.id in self.state.answers:
                continue
            value = self._duration_in(intent) if question.id == DURATION else self._answer_in(intent, question)
            if question.id != DURATION and self._is_bare(slot_of(intent, question.slot)):
                continue
            if value not in (None, "") and value != UNSURE:
                record(self.state, question, value)

    def _answer_in(self, intent: Intent, question: Question) -> str | None:
        """The answer id held by the question's own slot, "" when heard but unreadable."""
        slot = slot_of(intent, question.slot)
        if not heard_value(slot):
            return None
        slot_type = self.catalog.type_of(SCREENING_INTENT, question.slot) or GENERIC_ANSWER_TYPE
        return resolved_id(slot, slot_type, self.catalog) or ""

    def _bare_answer(self, intent: Intent, asked: Question) -> str | None:
        """One plain yes / no / not sure heard in the other slots, ignoring echoes; else None."""
        answers = set()
        for question in self.content.screening.questions:
            if question.id == asked.id:
                continue
            slots = (DURATION, DURATION_PHRASE_SLOT) if question.id == DURATION else (question.slot,)
            for name in slots:
                heard = heard_value(slot_of(intent, name))
                plain = self.catalog.lookup(GENERIC_ANSWER_TYPE, heard) if heard else None
                if heard is None or self._echoed(question, plain):
                    continue
                answers.add(plain)
        return answers.pop() if len(answers) == 1 and None not in answers else None

    def _echoed(self, question: Question, plain: str | None) -> bool:
        return plain is not None and self.state.answers.get(question.id) == plain

    def _is_bare(self, slot: Slot | None) -> bool:
        heard = heard_value(slot)
        return heard is not None and self.catalog.lookup(GENERIC_ANSWER_TYPE, heard) is not None

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

    def retry_lead(self, answer: str | float | None) -> list[Segment]:
        """Why the question is asked again, then how to answer it."""
        texts = self.content.screening.texts
        asked = cast(Question, self.asked)  # called only with a question pending
        if asked.id == DURATION:
            key = "duration_unsure" if answer == UNSURE else "retry_duration"
        else:
            key = "stray_answer"
        return [self.content.say(texts[key]), self.content.say(asked.hint)]


class BareAnswerInterceptor(AbstractRequestInterceptor):
    """A ScreeningIntent that carries nothing but one plain "yes", "no" or "not sure", while no
    screening question is pending, is an answer to whatever was offered: AMAZON.YesIntent,
    NoIntent, or no intent at all.

    The model has no slot-only samples, but a client can stay in dialog mode after the check
    and fill every yes/no slot with the words (Bespoken's virtual-alexa does), and Alexa may
    keep the dialog's context. Such a request must answer the offer, never start the check.
    """

    REPLACEMENT = {YES: "AMAZON.YesIntent", NO: "AMAZON.NoIntent", UNSURE: "AMAZON.FallbackIntent"}

    def __init__(self, catalog: SlotCatalogs | SlotCatalog):
        self.catalog = catalog

    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        intent = getattr(request, "intent", None)  # any request type may carry an "intent" key
        if not isinstance(intent, Intent) or intent.name != SCREENING_INTENT or asked_question(handler_input) is not None:
            return
        heard = [words for slot in (intent.slots or {}).values() if (words := heard_value(slot))]
        catalog = self.catalog.for_locale(getattr(request, "locale", None))
        answers = {catalog.lookup(GENERIC_ANSWER_TYPE, words) for words in heard}
        if heard and len(answers) == 1 and None not in answers:
            request.intent = Intent(name=self.REPLACEMENT[cast(str, answers.pop())], slots={},
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
        if screening.asked is None:  # "is this serious?", "check my symptoms", a one-shot
            opening = self._opening(screening)
            if intent.name == SCREENING_INTENT:
                screening.take_one_shot(intent)
            return screening.respond(opening)
        answer = self._answer(screening, intent)
        if not record(screening.state, screening.asked, answer):
            return screening.ask_again(screening.retry_lead(answer))
        lead: list[Segment] = []
        if screening.asked.id == DURATION and screening.state.answers.get(DURATION) == UNKNOWN:
            lead.append(screening.content.say(screening.content.screening.texts["duration_unknown"]))
        return screening.respond(lead)

    @staticmethod
    def _answer(screening: ScreeningTurn, intent: Intent) -> str | float | None:
        if intent.name == SCREENING_INTENT:
            return screening.answer_to_asked(intent)
        return {"AMAZON.YesIntent": YES, "AMAZON.NoIntent": NO}.get(intent.name)

    @staticmethod
    def _opening(screening: ScreeningTurn) -> list[Segment]:
        texts = screening.content.screening.texts
        started = bool(screening.state.answers)
        return [*screening.turn.opening(), screening.content.say(texts["resume" if started else "intro"])]


class OutcomeFollowUpHandler(IntentHandler):
    """After the outcome: "shall I go on?" (yes or more goes on; no skips to the safety net and
    the closing question) and "shall I put notes in your Alexa app?" (the card only after yes)."""

    intent_names = ("AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.MoreIntent", "AMAZON.NextIntent")

    def can_handle(self, handler_input: HandlerInput) -> bool:
        pending = handler_input.attributes_manager.request_attributes.get("pending")
        if not isinstance(pending, (OutcomeMore, NotesOffer)) or not super().can_handle(handler_input):
            return False
        return isinstance(pending, OutcomeMore) or intent_name(handler_input) in self.intent_names[:2]

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        pending = turn.pending
        said_no = intent_name(turn.handler_input) == "AMAZON.NoIntent"
        if isinstance(pending, NotesOffer):
            return notes_reply(turn.content, pending.answers, send=not said_no)
        assert isinstance(pending, OutcomeMore)  # can_handle let nothing else through
        parts = list(pending.rest[-1:] if said_no else pending.rest)
        closing = "notes" if pending.closing == "notes" else "relief"
        return outcome_chunk(turn.content, parts or [turn.content.say(turn.content.screening.texts["safety_net"])],
                             closing, pending.answers)


class ScreeningCommandHandler(IntentHandler):
    """Inside the check: repeat, what do you mean, go back, start over, help, stop and cancel."""

    COMMANDS = {
        "AMAZON.RepeatIntent": "repeat",
        "ExplainQuestionIntent": "explain",
        "AMAZON.PreviousIntent": "back",
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
        if command == "back":
            return change_answer(screening, None, None)
        if command == "explain":
            return screening.ask_again([content.say(cast(Question, screening.asked).explain)])
        if command == "help":
            return screening.ask_again([content.say(texts["help"])])
        return screening.ask_again([])


class ChangeAnswerHandler(IntentHandler):
    """"Change my last answer", "actually I do have numbness": the one explicit way to change an
    answer, which the reply names. Outside the check it says there is nothing to change."""

    intent_names = ("ChangeAnswerIntent",)

    def __init__(self, catalog: SlotCatalogs | SlotCatalog):
        self.catalog = catalog

    def handle(self, handler_input: HandlerInput):
        screening = ScreeningTurn(Turn(handler_input), self.catalog)
        if screening.asked is None and not screening.state.answers:
            return screening.turn.respond(*ask(screening.content, "no_check_to_change", "launch_reprompt"))
        intent = handler_input.request_envelope.request.intent
        target = screening.content.screening.question(
            resolved_id(slot_of(intent, "question"), "SCREENING_QUESTION", screening.catalog) or "")
        # A new answer counts only with the question it is for: a bare "actually yes" would
        # otherwise be one mishearing away from changing the emergency gate.
        answer = resolved_id(slot_of(intent, "answer"), GENERIC_ANSWER_TYPE, screening.catalog) if target else None
        return change_answer(screening, target, answer)


def change_answer(screening: ScreeningTurn, target: Question | None, answer: str | None):
    """Set `target` (default: the last answer) to `answer`, saying what changed, or ask it again
    when no new answer came with the request. The gate only escalates (flows.screening.record)."""
    content, texts = screening.content, screening.content.screening.texts
    target = target or last_answered(content.screening, screening.state)
    if target is None:  # nothing answered yet: the pending question is the first one
        return screening.ask_again([content.say(texts["nothing_to_change"])])
    old = screening.state.answers.get(target.id)
    words = {"question_label": target.card_label.lower(), "old_answer": answer_text(content.screening, old)}
    if answer is None or target.id == DURATION:
        screening.asked = target
        return screening.ask_again([content.say(texts["changing_answer"], **words)] if old is not None else [])
    record(screening.state, target, answer)
    new = screening.state.answers.get(target.id)
    key = "noted_answer" if old is None else "changed_answer" if new != old else "answer_unchanged"
    return screening.respond([content.say(texts[key], **words, new_answer=answer_text(content.screening, new))])


class PrivacyHandler(IntentHandler):
    """"Do you store my symptoms?": what is kept, what never is, how to delete it. Asked in the
    middle of the check, the pending question follows."""

    intent_names = ("PrivacyIntent",)

    def __init__(self, catalog: SlotCatalogs | SlotCatalog):
        self.catalog = catalog

    def handle(self, handler_input: HandlerInput):
        screening = ScreeningTurn(Turn(handler_input), self.catalog)
        privacy = screening.content.phrase("privacy")
        if screening.asked is not None:
            return screening.ask_again([privacy])
        reply, _ = ask(screening.content, "anything_else", "anything_else_reprompt", opening=[privacy])
        return screening.turn.respond(reply, AnythingElse())


class ShowAnswersHandler(IntentHandler):
    """"Show my answers": the check's answers so far, said and (on a screen) listed, then the
    question or offer that was waiting. The person asked, so a shared screen may show them;
    nothing else ever does (the outcome screen shows only the advice)."""

    intent_names = ("ShowAnswersIntent",)

    def __init__(self, catalog: SlotCatalogs | SlotCatalog):
        self.catalog = catalog

    def handle(self, handler_input: HandlerInput):
        screening = ScreeningTurn(Turn(handler_input), self.catalog)
        content, pending = screening.content, screening.turn.pending
        if screening.asked is not None or screening.state.answers:  # in the check, or left it for a moment
            answers = screening.state.answers
            lead: list[Segment] = [answers_said(content, answers)] if answers else []
            return screening.ask_again(lead, shown=answer_lines(content, answers))
        if isinstance(pending, (OutcomeMore, NotesOffer)):
            reply = follow_up_again(content, pending, [answers_said(content, pending.answers)])
            if reply.screen is not None:
                reply.screen = with_answers(content, reply.screen, answer_lines(content, pending.answers))
            return screening.turn.respond(reply, pending)
        texts = content.screening.texts
        reply = Reply(speech=[content.say(texts["no_answers_to_show"])],
                      reprompt=[content.say(texts["no_answers_to_show_reprompt"])])
        return screening.turn.respond(reply, None)


class ExplainOutsideScreeningHandler(IntentHandler):
    """"What do you mean?" with no question pending: point to what can be asked."""

    intent_names = ("ExplainQuestionIntent",)

    def answer(self, turn: Turn) -> tuple[Reply, Pending]:
        return ask(turn.content, "help", "help_reprompt")

