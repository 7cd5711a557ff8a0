"""Name-free interaction: may Alexa hand "why is my back twitching?" to us when nobody said our name?

Alexa asks candidate skills with a CanFulfillIntentRequest before choosing one. Saying YES
for what we only half answer would route people to a skill that then fumbles, and saying YES
to an emergency would take a life-or-death request away from Alexa's own answer; so the rules
here are deliberately narrow. Plain Python, no ASK types: the handler turns the verdict into
the response.

Per platform semantics: YES = we understand every slot and answer the request in full;
MAYBE = we understand the intent and would complete it by asking for more in a conversation;
NO = anything else.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..slots import parse_duration_days

YES, NO, MAYBE = "YES", "NO", "MAYBE"


@dataclass(frozen=True)
class HeardSlot:
    """One filled slot of the request: its type, the words, and the value id they resolve to."""

    slot_type: str
    heard: str
    value_id: str | None


@dataclass(frozen=True)
class SlotVerdict:
    can_understand: str
    can_fulfill: str


@dataclass(frozen=True)
class Verdict:
    can_fulfill: str
    slots: dict[str, SlotVerdict] = field(default_factory=dict)


def judge(intent_name: str, slots: dict[str, HeardSlot], answered: frozenset[str]) -> Verdict:
    """The verdict for one intent with its filled slots; `answered` lists the intents we answer
    in full without a session (anything else, built-ins included, is NO)."""
    verdicts = {name: _slot_verdict(slot, intent_name in answered) for name, slot in slots.items()}
    if intent_name not in answered:
        return Verdict(NO, verdicts)
    if intent_name == "CauseIntent":
        return Verdict(_cause(verdicts), verdicts)
    understood = all(v.can_understand == YES for v in verdicts.values())
    return Verdict(YES if understood else MAYBE, verdicts)


def _cause(verdicts: dict[str, SlotVerdict]) -> str:
    """A known cause: YES. No cause named: MAYBE (we'd ask which). A cause we have no notes on: NO."""
    cause = verdicts.get("cause")
    if cause is None:
        return MAYBE
    return YES if cause.can_understand == YES else NO


def _slot_verdict(slot: HeardSlot, intent_answered: bool) -> SlotVerdict:
    understood = understands(slot)
    fulfil = YES if intent_answered and understood == YES else NO
    return SlotVerdict(understood, fulfil)


def understands(slot: HeardSlot) -> str:
    """YES for a value of our catalog (or a readable duration or number), NO otherwise."""
    if slot.slot_type == "AMAZON.DURATION":
        return YES if parse_duration_days(slot.value_id or slot.heard) is not None else NO
    if slot.slot_type == "AMAZON.NUMBER":
        return YES if slot.heard.strip().isdigit() else NO
    if slot.slot_type.startswith("AMAZON."):
        return MAYBE
    return YES if slot.value_id else NO
