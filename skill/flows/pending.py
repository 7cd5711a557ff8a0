"""The pending follow-up: what the skill last offered or asked, kept in the session between turns.

Every kind and the fields it carries are listed here once. The session comes back from the
device as JSON the skill wrote, but nothing guarantees that (verification says who sent a
request, not that its attributes are sane), so a follow-up is read through ``well_formed``:
one of unknown kind, with a missing field or a field of the wrong type, is dropped, and the
turn is answered as if nothing were pending. The flows then read fields without re-checking.
"""
from __future__ import annotations

import math
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    MORE = "more"  # more items of a topic remain
    OFFER = "offer"  # "yes" opens a topic (or the routine)
    CAUSE = "cause"  # "yes" tells the next cause
    ANYTHING_ELSE = "anything_else"  # "no" ends, "yes" asks what
    ROUTINE = "routine"  # "yes" or "next" goes on in the relief routine
    TIMER_OFFER = "timer_offer"  # "yes" sets the step's timer
    RESUME_OFFER = "resume_offer"  # "yes" picks up saved progress
    SCREENING = "screening"  # a red-flag question waits for its answer
    OUTCOME_MORE = "outcome_more"  # the rest of the check's outcome
    NOTES_OFFER = "notes_offer"  # "yes" sends the appointment notes card
    DELETE_DATA = "delete_data"  # "yes" deletes what is stored


def _text(value: Any) -> bool:
    return type(value) is str


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value < 10_000


def _flag(value: Any) -> bool:
    return type(value) is bool


def _texts(value: Any) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _answers(value: Any) -> bool:
    return type(value) is dict and all(type(key) is str and screening_answer_ok(answer) for key, answer in value.items())


# kind -> (required fields, optional fields), each field -> its check
FIELDS: dict[Kind, tuple[dict[str, Any], dict[str, Any]]] = {
    Kind.MORE: ({"topic": _text, "next": _count}, {"then": _text}),
    Kind.OFFER: ({"topic": _text}, {"then": _text, "no_ends": _flag}),
    Kind.CAUSE: ({"cause": _text}, {}),
    Kind.ANYTHING_ELSE: ({}, {}),
    Kind.ROUTINE: ({"step": _count, "part": _count}, {}),
    Kind.TIMER_OFFER: ({"step": _count}, {}),
    Kind.RESUME_OFFER: ({}, {}),
    Kind.SCREENING: ({"question": _text}, {}),
    Kind.OUTCOME_MORE: ({"rest": _texts, "closing": _text, "answers": _answers}, {}),
    Kind.NOTES_OFFER: ({"answers": _answers}, {}),
    Kind.DELETE_DATA: ({}, {}),
}
KINDS = frozenset(kind.value for kind in Kind)


def well_formed(raw: Any) -> dict[str, Any] | None:
    """``raw`` when it is a follow-up this skill could have written, else None."""
    if type(raw) is not dict or type(raw.get("kind")) is not str or raw["kind"] not in KINDS:
        return None
    required, optional = FIELDS[Kind(raw["kind"])]
    for name, check in required.items():
        if name not in raw or not check(raw[name]):
            return None
    for name, check in optional.items():
        if name in raw and not check(raw[name]):
            return None
    return raw


def screening_answer_ok(answer: Any) -> bool:
    """An answer the check could have recorded: a word, or a duration in days."""
    if type(answer) is str:
        return answer in {"yes", "no", "unsure", "unknown"}
    return type(answer) in (int, float) and math.isfinite(answer) and 0 <= answer <= 365_000
