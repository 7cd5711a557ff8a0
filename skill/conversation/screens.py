"""The screen for each reply: the flows build those that need their knowledge (a routine step
with its countdown, the outcome, the emergency, the welcome); ``screen_for`` builds every other
one from the reply and the follow-up it waits for. Every word comes from content: the reply's
own texts and ``common.screen`` (titles, button labels, hint chips, duration choices).
"""
from __future__ import annotations

import re
from dataclasses import replace

from .content import Item, LocaleContent, Topic
from .flows.pending import (
    AnythingElse,
    DeleteData,
    DeleteReminders,
    MoreOfTopic,
    NextCause,
    NotesOffer,
    Offer,
    OutcomeMore,
    Pending,
    ReminderConfirm,
    ReminderOffer,
    ResumeOffer,
    RoutineNext,
    ScreeningQuestion,
    TimerOffer,
)
from .reply import Reply, Segment
from .screen import Action, Button, Countdown, Kind, Screen

DURATION_QUESTION = "duration"


def screen_for(content: LocaleContent, reply: Reply, pending: Pending) -> Screen:
    """The reply's own screen, else one made from what it waits for, else an answer screen."""
    if reply.screen is not None:
        return reply.screen
    if isinstance(pending, ScreeningQuestion):
        question = content.screening.question(pending.question)
        if question is not None:
            return question_screen(content, question.id, content.say(question.ask))
    if isinstance(pending, (RoutineNext, TimerOffer)) and 1 <= pending.step <= content.routine.total:
        step = content.routine.step(pending.step)
        part = pending.part if isinstance(pending, RoutineNext) else step.part_count
        if 1 <= part <= step.part_count:
            return routine_screen(content, pending.step, part, timer_offer=isinstance(pending, TimerOffer))
    return answer_screen(content, reply, pending)


def answer_screen(content: LocaleContent, reply: Reply, pending: Pending) -> Screen:
    """Title and short text (the card's, else what was said), then yes/no for an offer, or the
    hint chips when nothing is waiting for an answer."""
    labels = content.screen["buttons"]
    title = reply.card_title or content.screen["title"]
    text = reply.card_text or spoken_text(content, reply.speech)
    if isinstance(pending, YES_NO_FOLLOW_UPS):
        return Screen(Kind.ANSWER, title, text,
                      buttons=(Button(labels["yes"], Action.YES), Button(labels["no"], Action.NO)))
    return Screen(Kind.ANSWER, title, text, hints=hint_chips(content))


YES_NO_FOLLOW_UPS = (MoreOfTopic, Offer, NextCause, AnythingElse, TimerOffer, ResumeOffer,
                     OutcomeMore, NotesOffer, DeleteData, ReminderOffer, ReminderConfirm, DeleteReminders)
"""Follow-ups that a "yes" or a "no" answers."""


def topic_screen(content: LocaleContent, reply: Reply, pending: Pending, topic: Topic, items: tuple[Item, ...],
                 start: int) -> Screen:
    """A topic's turn: the short (card) words of the items being said now, not the whole topic
    that the Alexa app's card lists; the topic's card or what was said when it has no items."""
    if items:
        text = " ".join(content.say(item.card) for item in items)
    elif start == 0 and topic.card:
        text = content.say(topic.card)
    else:
        text = spoken_text(content, reply.speech)
    return replace(answer_screen(content, reply, pending), title=topic.title, text=text)


def short_answer_screen(content: LocaleContent, reply: Reply, pending: Pending, title: str, text: str) -> Screen:
    """An answer screen with its own title and short text (a cause's card, not its full speech)."""
    return replace(answer_screen(content, reply, pending), title=title, text=text)


def welcome_screen(content: LocaleContent, text_key: str) -> Screen:
    """The welcome or help screen: the skill's name, one line on what to ask, the hint chips."""
    return Screen(Kind.ANSWER, content.say(content.screen["title"]), content.say(content.screen[text_key]),
                  hints=hint_chips(content))


def hint_chips(content: LocaleContent) -> tuple[Button, ...]:
    return tuple(Button(hint["label"], Action.INTENT, hint["intent"]) for hint in content.screen["hints"])


def question_screen(content: LocaleContent, question_id: str, asked: str) -> Screen:
    """A screening question in large text; yes / no / not sure, or the duration choices."""
    labels = content.screen["buttons"]
    if question_id == DURATION_QUESTION:
        buttons = [Button(choice["label"], Action.DAYS, f"{choice['days']:g}") for choice in content.screen["durations"]]
    else:
        buttons = [Button(labels["yes"], Action.YES), Button(labels["no"], Action.NO)]
    buttons.append(Button(labels["unsure"], Action.UNSURE))
    return Screen(Kind.QUESTION, content.say(content.screen["check_title"]), asked, buttons=tuple(buttons))


def routine_screen(content: LocaleContent, number: int, part: int, countdown: Countdown | None = None,
                   timer_offer: bool = False) -> Screen:
    """Step N of the routine: its title, the instruction for the part the voice is on, the
    guard-rail line, progress, back / repeat / next (back / yes / no / next when a timer is
    offered), and the hold's countdown if one is running."""
    routine = content.routine
    step = routine.step(number)
    lines = [step.card]
    if step.parts:
        lines.append(step.parts[part - 1].card)
    labels = content.screen["buttons"]
    buttons: tuple[Button, ...]
    if timer_offer:  # "Shall I set a timer? Say yes or no, or next to go on without one."
        buttons = (Button(labels["back"], Action.BACK), Button(labels["yes"], Action.YES),
                   Button(labels["no"], Action.NO), Button(labels["next"], Action.NEXT))
    else:
        buttons = (Button(labels["back"], Action.BACK), Button(labels["repeat"], Action.REPEAT),
                   Button(labels["next"], Action.NEXT))
    return Screen(
        Kind.ROUTINE, step.title, " ".join(lines),
        note=content.say(step.safety.card) if step.safety else "",
        buttons=buttons,
        progress=(number, routine.total),
        progress_label=content.say(content.screen["step"], number=str(number), total=str(routine.total)),
        countdown=countdown,
    )


def outcome_screen(content: LocaleContent, actions: list[str], said: list[Segment], pending: Pending) -> Screen:
    """The check's outcome: what to do first, in the cards' short words. The person's answers
    are not listed here: a screen is seen by whoever is in the room."""
    labels = content.screen["buttons"]
    buttons = (Button(labels["yes"], Action.YES), Button(labels["no"], Action.NO)) if pending else ()
    return Screen(Kind.OUTCOME, content.say(content.screen["outcome_title"]), spoken_text(content, said[-1:]),
                  lines=tuple(actions), buttons=buttons)


def answers_screen(content: LocaleContent, title: str, answers: list[str], said: list[Segment]) -> Screen:
    """The answers, shown only after the person asked for them (the notes they agreed to)."""
    return Screen(Kind.OUTCOME, title, spoken_text(content, said[:1]), lines=tuple(answers),
                  lines_title=content.say(content.screen["answers_title"]), hints=hint_chips(content))


def with_answers(content: LocaleContent, screen: Screen, answers: list[str]) -> Screen:
    """The same screen (its question or offer and buttons) with the answers listed above it:
    shown because the person asked to see them."""
    return replace(screen, kind=Kind.OUTCOME, lines=tuple(answers),
                   lines_title=content.say(content.screen["answers_title"]))


def emergency_screen(content: LocaleContent) -> Screen:
    """The number in very large text and what to do; nothing else to read or touch."""
    number = content.values["emergency_number"]  # "000, or 111 in New Zealand": the text says it all
    return Screen(Kind.EMERGENCY, content.say(content.screen["emergency_title"]), content.say(content.screen["call"]),
                  big=" / ".join(re.findall(r"\d+", number)) or number)


def spoken_text(content: LocaleContent, segments: list[Segment]) -> str:
    """What the segments say, as written: no pauses, numbers as digits ("call 911")."""
    return " ".join(" ".join(segment.split()) for segment in segments if isinstance(segment, str) and segment.strip())
