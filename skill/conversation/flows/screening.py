"""Pure logic of the red-flag check: which question comes next, what an answer means, and what
the rule table (from content) says about a set of answers. No ASK types here.

State kept in the session between turns (never stored per user):
  {"answers": {question id: "yes" | "no" | "unsure" | days (number) | "unknown"},
   "retries": {question id: count}}
The question being asked is the pending follow-up ScreeningQuestion (flows/pending.py). After
the outcome, session-only follow-ups carry what is left to say: OutcomeMore (the rest, then the
closing, "notes" or "relief") and NotesOffer ("yes" sends the notes card, "no" doesn't).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..content import LocaleContent, Question, Rule, Screening, Text
from ..reply import Reply, Segment, heard_words
from ..screens import answers_screen, emergency_screen, outcome_screen, question_screen
from .pending import AnythingElse, NotesOffer, Offer, OutcomeMore, Pending, ScreeningQuestion, screening_answer_ok

YES, NO, UNSURE = "yes", "no", "unsure"
UNKNOWN = "unknown"
DURATION = "duration"
MAX_DURATION_RETRIES = 1
MAX_WORDS_BEFORE_QUESTION = 60  # what a listener can take in before being asked something


@dataclass
class ScreeningState:
    answers: dict[str, Any] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_session(cls, raw: object) -> ScreeningState:
        if not isinstance(raw, dict):
            return cls()
        answers, retries = raw.get("answers"), raw.get("retries")
        answers = answers if isinstance(answers, dict) else {}
        retries = retries if isinstance(retries, dict) else {}
        return cls({key: value for key, value in answers.items() if type(key) is str and screening_answer_ok(value)},
                   {key: value for key, value in retries.items() if type(key) is str and type(value) is int})

    def to_session(self) -> dict[str, Any]:
        return {"answers": self.answers, "retries": self.retries}


def next_question(screening: Screening, state: ScreeningState) -> Question | None:
    return next((q for q in screening.questions if q.id not in state.answers), None)


def record(state: ScreeningState, question: Question, answer: str | float | None) -> bool:
    """Store the answer to the question that was asked; False when it must be asked again.

    Only the pending question is ever passed here, so a stray answer can't change another one.
    At the emergency gate an answer can only escalate: once "yes" or "not sure" is recorded,
    a later "no" does not clear it. A duration that is "not sure" or can't be read is asked
    again once (with examples); after that it is left "unknown", which the rule table treats
    as the longer band, so the user isn't stuck.
    """
    if question.id == DURATION:
        if isinstance(answer, (int, float)) and not isinstance(answer, bool) and answer >= 0:
            _set(state, DURATION, float(answer))
            return True
        state.retries[DURATION] = state.retries.get(DURATION, 0) + 1
        if state.retries[DURATION] > MAX_DURATION_RETRIES:
            _set(state, DURATION, UNKNOWN)
            return True
        return False
    if answer not in (YES, NO, UNSURE):
        return False
    if question.gate and state.answers.get(question.id) in (YES, UNSURE) and answer == NO:
        return True  # never clears an emergency
    _set(state, question.id, answer)
    return True


def _set(state: ScreeningState, question_id: str, answer: Any) -> None:
    """Record an answer as the most recent one (what "change my last answer" changes)."""
    state.answers.pop(question_id, None)
    state.answers[question_id] = answer


def last_answered(screening: Screening, state: ScreeningState) -> Question | None:
    """The question answered most recently, if any."""
    for question_id in reversed(list(state.answers)):
        question = screening.question(question_id)
        if question is not None:
            return question
    return None


def needs_emergency_care(screening: Screening, state: ScreeningState) -> bool:
    """A yes to a gate question, or not being sure, ends the check with emergency advice."""
    return any(state.answers.get(gate) in (YES, UNSURE) for gate in screening.gate_ids)


def rule_applies(rule: Rule, answers: dict[str, Any]) -> bool:
    for key, condition in rule.when.items():
        if key == "duration_days":
            if not _duration_matches(condition, answers.get(DURATION)):
                return False
        elif answers.get(key) not in condition:
            return False
    return True


def _duration_matches(condition: Any, days: Any) -> bool:
    if condition == UNKNOWN:
        return days == UNKNOWN
    if not isinstance(days, (int, float)):
        return False
    return days >= condition.get("at_least", 0) and ("under" not in condition or days < condition["under"])


def evaluate(rules: tuple[Rule, ...], answers: dict[str, Any]) -> list[Rule]:
    """Every applying rule, most urgent first; a combination drops the findings it outranks."""
    applying = [rule for rule in rules if rule_applies(rule, answers)]
    outranked = {target for rule in applying for target in rule.outranks}
    findings = [rule for rule in applying if rule.id not in outranked]
    return sorted(findings, key=lambda rule: -rule.urgency)


# --------------------------------------------------------------------------- replies


def question_reply(content: LocaleContent, question: Question, lead: list[Segment]) -> tuple[Reply, Pending]:
    ask = content.say(question.ask)
    reply = Reply(speech=[*lead, ask], reprompt=[content.say(question.reprompt)],
                  screen=question_screen(content, question.id, ask))
    return reply, ScreeningQuestion(question.id)


def advance(content: LocaleContent, state: ScreeningState, lead: list[Segment]) -> tuple[Reply, Pending, bool]:
    """The next step of the check: emergency advice, the next question, or the outcome.

    Returns (reply, pending, finished): a finished check has nothing left in the session.
    """
    screening = content.screening
    if needs_emergency_care(screening, state):
        if not any(state.answers.get(gate) == YES for gate in screening.gate_ids):
            lead = [*lead, content.say(screening.texts["emergency_unsure"])]
        return emergency_reply(content, lead), None, True
    question = next_question(screening, state)
    if question is not None:
        reply, pending = question_reply(content, question, lead)
        return reply, pending, False
    reply, pending = outcome_reply(content, state)
    return Reply(speech=[*lead, *reply.speech], reprompt=reply.reprompt, screen=reply.screen), pending, True


def emergency_reply(content: LocaleContent, lead: list[Segment] | None = None) -> Reply:
    """Emergency advice and nothing else: no self-care talk, the session ends."""
    texts = content.screening.texts
    return Reply(
        speech=[*(lead or []), content.say(texts["emergency_advice"])],
        card_title=content.say(texts["emergency_card_title"]),
        card_text=content.say(texts["emergency_card"]),
        screen=emergency_screen(content),
    )


def outcome_reply(content: LocaleContent, state: ScreeningState) -> tuple[Reply, Pending]:
    """What the answers point to: every finding's action first (most urgent first), then what
    "not sure" was counted as, what the findings may point to, and the safety net. Said in
    chunks the ear can take; the closing question offers the notes card after a red flag, the
    relief routine after none."""
    screening = content.screening
    texts = screening.texts
    findings = evaluate(screening.rules, state.answers)
    if findings:
        parts = [content.say(texts["outcome_intro"]), *(content.say(rule.action) for rule in findings)]
    else:
        parts = [content.say(texts["reassurance_intro"]), content.say(screening.reassurance["says"]),
                 content.say(screening.reassurance["action"])]
    if findings:
        parts.append(content.say(texts["not_a_diagnosis"]))
    unsure = [q for q in screening.questions if state.answers.get(q.id) == UNSURE]  # an unknown duration has its own rule
    if unsure:
        parts.append(_unsure_note(content, unsure))
    parts += list(dict.fromkeys(content.say(rule.says) for rule in findings))
    parts.append(content.say(texts["safety_net"]))
    return outcome_chunk(content, parts, "notes" if findings else "relief", state.answers)


def outcome_chunk(content: LocaleContent, parts: list[str], closing: str, answers: dict[str, Any]) -> tuple[Reply, Pending]:
    """As many parts as fit in MAX_WORDS_BEFORE_QUESTION (at least one), then either "shall I
    go on?" or the closing question. The last part, the safety net, is always said."""
    texts = content.screening.texts
    said, rest = _fit(parts, content.pronounce)
    if rest:
        question = content.say(texts["outcome_more"])
        pending: Pending = OutcomeMore(tuple(rest), closing, answers)
        reprompt = question
    elif closing == "notes":
        question = content.say(texts["notes_offer"])
        pending = NotesOffer(answers)
        reprompt = content.say(texts["notes_offer_reprompt"])
    else:
        question = reprompt = content.say(texts["outcome_offer"])
        pending = Offer(content.routine.id, no_ends=True)
    speech: list[Segment] = [*said, question]
    screen = outcome_screen(content, recommendation(content, answers), speech, pending)
    return Reply(speech=speech, reprompt=[reprompt], screen=screen), pending


def recommendation(content: LocaleContent, answers: dict[str, Any]) -> list[str]:
    """What the answers call for, in the cards' short words, most urgent first."""
    screening = content.screening
    cards: list[Text] = [rule.card for rule in evaluate(screening.rules, answers)] or [screening.reassurance["card"]]
    return list(dict.fromkeys(content.say(card) for card in cards))


def _fit(parts: list[str], pronounce: Mapping[str, str]) -> tuple[list[str], list[str]]:
    taken: list[str] = []
    count = 0
    for index, part in enumerate(parts):
        count += heard_words([part], pronounce)
        if taken and count > MAX_WORDS_BEFORE_QUESTION:
            return taken, parts[index:]
        taken.append(part)
    return taken, []


def notes_reply(content: LocaleContent, answers: dict[str, Any], send: bool) -> tuple[Reply, Pending]:
    """The answer to "shall I put notes in your Alexa app?": the card only after a yes."""
    texts = content.screening.texts
    question = content.say(texts["after_notes"])
    speech: list[Segment] = [content.say(texts["notes_sent" if send else "notes_declined"]),
                             content.say(texts["describe_symptoms"]), question]
    reply = Reply(speech=speech, reprompt=[content.say(texts["after_notes_reprompt"])])
    if send:
        state = ScreeningState.from_session({"answers": answers})
        reply.card_title = content.say(texts["notes_card_title"])
        reply.card_text = appointment_notes(content, state, evaluate(content.screening.rules, state.answers))
        reply.card_standard = True
        reply.screen = answers_screen(content, reply.card_title, answer_lines(content, answers, every=True), speech)
    return reply, AnythingElse()


def answer_lines(content: LocaleContent, answers: dict[str, Any], every: bool = False) -> list[str]:
    """ "Weakness or shrinking muscles: not sure" for each answered question (each question, ``every``)."""
    screening = content.screening
    return [f"{question.card_label}: {answer_text(screening, answers.get(question.id))}"
            for question in screening.questions if every or question.id in answers]


def answers_said(content: LocaleContent, answers: dict[str, Any]) -> str:
    """The answers so far as one spoken text, a short sentence each."""
    listed = " ".join(f"{line}." for line in answer_lines(content, answers))
    return content.say(content.screening.texts["answers_so_far"], answer_list=listed)


def follow_up_again(content: LocaleContent, pending: OutcomeMore | NotesOffer, lead: list[Segment]) -> Reply:
    """The question an outcome follow-up waits for, asked again after ``lead``."""
    texts = content.screening.texts
    if isinstance(pending, OutcomeMore):
        question = reprompt = content.say(texts["outcome_more"])
    else:
        question, reprompt = content.say(texts["notes_offer"]), content.say(texts["notes_offer_reprompt"])
    speech: list[Segment] = [*lead, question]
    return Reply(speech=speech, reprompt=[reprompt],
                 screen=outcome_screen(content, recommendation(content, pending.answers), speech, pending))


def _unsure_note(content: LocaleContent, unsure: list[Question]) -> str:
    texts = content.screening.texts
    labels = [q.card_label.lower() for q in unsure]
    joined = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {content.say(texts['list_and'])} {labels[-1]}"
    pronoun = texts["unsure_pronoun_one"] if len(labels) == 1 else texts["unsure_pronoun_many"]
    return content.say(texts["unsure_note"], unsure_list=joined, unsure_pronoun=content.say(pronoun))


def appointment_notes(content: LocaleContent, state: ScreeningState, findings: list[Rule]) -> str:
    """The card a user can show their doctor: each answer, then the recommendation."""
    screening = content.screening
    lines = [content.say(screening.texts["notes_card_answers"]) + ":"]
    for question in screening.questions:
        lines.append(f"- {question.card_label}: {answer_text(screening, state.answers.get(question.id))}")
    lines += ["", content.say(screening.texts["notes_card_recommendation"]) + ":"]
    cards: list[Text] = [rule.card for rule in findings] or [screening.reassurance["card"]]
    lines += [f"- {content.say(card)}" for card in cards]
    return "\n".join(lines)


def answer_text(screening: Screening, answer: Any) -> str:
    """An answer as said and written, in the locale's words: \"yes\", \"not sure\", \"21 days\"."""
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        if answer < 1:
            return str(screening.texts["duration_under_a_day"])
        if answer == 1:
            return str(screening.texts["duration_one_day"])
        return str(screening.texts["duration_days"]).replace("{number}", f"{answer:g}")
    if answer == UNKNOWN:
        return screening.answer_words[UNSURE]
    return screening.answer_words.get(str(answer), "-")
