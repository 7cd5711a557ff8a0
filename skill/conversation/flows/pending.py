"""The pending follow-up: what the skill last offered or asked, which the next "yes", "no",
"more" or "next" acts on. One small frozen dataclass per kind; this module alone reads them from
and writes them to the session attributes (``{"kind": ..., field: value}``).

The session comes back from the device as JSON the skill wrote, but nothing guarantees that
(verification says who sent a request, not that its attributes are sane), so ``from_session``
returns None for a follow-up of unknown kind, a missing field or a field of the wrong type:
the turn is then answered as if nothing were pending, and the flows read fields unchecked.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar


class Kind(StrEnum):
    MORE = "more"
    OFFER = "offer"
    CAUSE = "cause"
    ANYTHING_ELSE = "anything_else"
    ROUTINE = "routine"
    TIMER_OFFER = "timer_offer"
    RESUME_OFFER = "resume_offer"
    SCREENING = "screening"
    OUTCOME_MORE = "outcome_more"
    NOTES_OFFER = "notes_offer"
    DELETE_DATA = "delete_data"
    REMINDER_OFFER = "reminder_offer"
    REMINDER_CONFIRM = "reminder_confirm"
    DELETE_REMINDERS = "delete_reminders"


@dataclass(frozen=True)
class MoreOfTopic:
    """More items of a topic remain; "yes" or "more" says them from ``next``."""
    kind: ClassVar[Kind] = Kind.MORE
    topic: str
    next: int
    then: str | None = None  # the topic whose follow-up ends this one (after the emergency signs)


@dataclass(frozen=True)
class Offer:
    """"Yes" opens ``topic`` (a topic id, or the routine's id); ``no_ends``: "no" says goodbye."""
    kind: ClassVar[Kind] = Kind.OFFER
    topic: str
    then: str | None = None
    no_ends: bool = False


@dataclass(frozen=True)
class NextCause:
    """"Yes" tells about ``cause``, the next one in the list."""
    kind: ClassVar[Kind] = Kind.CAUSE
    cause: str


@dataclass(frozen=True)
class AnythingElse:
    """"Anything else?": "no" ends, "yes" asks what."""
    kind: ClassVar[Kind] = Kind.ANYTHING_ELSE


@dataclass(frozen=True)
class RoutineNext:
    """In the relief routine at ``step``/``part``: "yes" or "next" goes on."""
    kind: ClassVar[Kind] = Kind.ROUTINE
    step: int
    part: int


@dataclass(frozen=True)
class TimerOffer:
    """"Yes" sets a timer for ``step``'s hold."""
    kind: ClassVar[Kind] = Kind.TIMER_OFFER
    step: int


@dataclass(frozen=True)
class ResumeOffer:
    """"Yes" picks the routine up where the saved progress left it."""
    kind: ClassVar[Kind] = Kind.RESUME_OFFER


@dataclass(frozen=True)
class ScreeningQuestion:
    """The red-flag question ``question`` waits for its answer."""
    kind: ClassVar[Kind] = Kind.SCREENING
    question: str


@dataclass(frozen=True)
class OutcomeMore:
    """The rest of the check's outcome, then the ``closing`` ("notes" or "relief")."""
    kind: ClassVar[Kind] = Kind.OUTCOME_MORE
    rest: tuple[str, ...]
    closing: str
    answers: dict[str, Any]


@dataclass(frozen=True)
class NotesOffer:
    """"Yes" sends the appointment notes card with ``answers``."""
    kind: ClassVar[Kind] = Kind.NOTES_OFFER
    answers: dict[str, Any]


@dataclass(frozen=True)
class DeleteData:
    """"Yes" deletes what is stored about this user."""
    kind: ClassVar[Kind] = Kind.DELETE_DATA


@dataclass(frozen=True)
class ReminderOffer:
    """"Yes" sets up a reminder for ``habit``; afterwards ``then`` (a topic id, or the routine's
    id) asks its follow-up question, as it would have without the offer."""

    kind: ClassVar[Kind] = Kind.REMINDER_OFFER
    habit: str
    then: str | None = None
    asked: bool = False  # the time (or the hours) was asked once: a yes takes the usual one


@dataclass(frozen=True)
class ReminderConfirm:
    """"Yes" creates ``habit``'s reminder at these hours and minute (weekdays only or daily):
    Amazon's rule, a reminder only after a yes in the same session."""

    kind: ClassVar[Kind] = Kind.REMINDER_CONFIRM
    habit: str
    hours: tuple[int, ...]
    minute: int = 0
    weekdays_only: bool = False
    then: str | None = None


@dataclass(frozen=True)
class DeleteReminders:
    """"Yes" deletes every reminder this skill has set for the user."""

    kind: ClassVar[Kind] = Kind.DELETE_REMINDERS


FollowUp = (MoreOfTopic | Offer | NextCause | AnythingElse | RoutineNext | TimerOffer | ResumeOffer
            | ScreeningQuestion | OutcomeMore | NotesOffer | DeleteData | ReminderOffer | ReminderConfirm
            | DeleteReminders)
Pending = FollowUp | None

# What "more" or "next" carries on outside the routine (the MoreIntent handler), and what "next"
# leaves to the routine when a routine is in the session.
CONTINUED_BY_MORE = (MoreOfTopic, NextCause, Offer)
NEXT_MEANS_ROUTINE = (RoutineNext, TimerOffer, ResumeOffer, AnythingElse)

_CLASSES: dict[str, type] = {cls.kind.value: cls for cls in FollowUp.__args__}  # type: ignore[attr-defined]


def follow_up_key(pending: Pending) -> str:
    """A short name for what is awaited ("screening-emergency", "reminder_confirm", ""), for
    screen tokens: a touch on a screen drawn for another question must not answer this one."""
    if pending is None:
        return ""
    if isinstance(pending, ScreeningQuestion):
        return f"{pending.kind.value}-{pending.question}"
    return pending.kind.value


def to_session(follow_up: FollowUp) -> dict[str, Any]:
    """The session form: the kind and every field, leaving out optional ones at their default."""
    written: dict[str, Any] = {"kind": follow_up.kind.value}
    for spec in fields(follow_up):
        value = getattr(follow_up, spec.name)
        if spec.default is MISSING or value != spec.default:
            written[spec.name] = list(value) if isinstance(value, tuple) else value
    return written


def from_session(raw: Any) -> Pending:
    """The follow-up in ``raw`` when the skill could have written it, else None."""
    if type(raw) is not dict or type(raw.get("kind")) is not str or raw["kind"] not in _CLASSES:
        return None
    cls = _CLASSES[raw["kind"]]
    values: dict[str, Any] = {}
    for spec in fields(cls):
        if spec.name not in raw:
            if spec.default is MISSING:
                return None
            continue
        value = raw[spec.name]
        if not _FIELD_CHECKS[spec.name](value) and not (spec.default is None and value is None):
            return None
        values[spec.name] = tuple(value) if spec.name in ("rest", "hours") else value
    return cls(**values)


def screening_answer_ok(answer: Any) -> bool:
    """An answer the check could have recorded: a word, or a duration in days."""
    if type(answer) is str:
        return answer in {"yes", "no", "unsure", "unknown"}
    return type(answer) in (int, float) and math.isfinite(answer) and 0 <= answer <= 365_000


def _text(value: Any) -> bool:
    return type(value) is str


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value < 10_000


_FIELD_CHECKS = {
    "topic": _text, "then": _text, "cause": _text, "question": _text, "closing": _text,
    "next": _count, "step": _count, "part": _count,
    "no_ends": lambda value: type(value) is bool,
    "weekdays_only": lambda value: type(value) is bool,
    "asked": lambda value: type(value) is bool,
    "habit": _text,
    "minute": lambda value: type(value) is int and 0 <= value < 60,
    "hours": lambda value: (type(value) is list and 0 < len(value) <= 24
                            and all(type(hour) is int and 0 <= hour < 24 for hour in value)),
    "rest": lambda value: type(value) is list and all(type(item) is str for item in value),
    "answers": lambda value: type(value) is dict and all(type(key) is str and screening_answer_ok(answer)
                                                         for key, answer in value.items()),
}
