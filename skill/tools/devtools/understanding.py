"""An offline stand-in for Alexa's speech understanding: typed words -> intent and slots.

Built from the interaction model itself, so what works here is what the model says: sample
utterances with their {slot} references, custom slot types with synonyms (an entity-resolution
match carries the value id), AMAZON.NUMBER, AMAZON.DURATION and AMAZON.TIME spoken forms, and the phrases of
Alexa's built-in intents. It is deliberately simpler than Alexa, in one predictable order:

1. while the skill elicits a slot (Dialog.ElicitSlot), the reply is tried against that slot's
   own samples first (the model's slot `samples`, which Alexa uses after an ElicitSlot; the
   intent's samples naming the slot when it has none);
2. an utterance equal to a sample without slots (or a built-in phrase such as "yes");
3. a sample whose slots all hold values the model knows (most literal words wins);
4. a sample whose literal words all match around a slot holding unknown words (sent without
   an entity match, as Alexa sends "what about shoes"); an AMAZON.TIME slot only ever holds a
   time here, so "{from_time} to {to_time}" does not swallow every sentence with "to" in it;
5. the closest sample (difflib), if close enough: samples without slots as they are, and
   one-slot samples against the words with a known slot value replaced by its {slot};
6. while eliciting, the whole reply as the elicited slot's raw words;
7. AMAZON.FallbackIntent.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...conversation.locales import intents_of, slot_types_of, words_of
from .spoken import duration_value, number_value, time_value

NEAR_MATCH_CUTOFF = 0.8  # for the words as typed
SKELETON_CUTOFF = 0.75  # for the words with a slot value taken out, which are shorter
SLOT_REFERENCE = re.compile(r"\{(\w+)\}")
# What people say for Alexa's built-in intents (they have no samples in our model).
BUILT_IN_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": ("yes", "yeah", "yep", "sure", "okay", "ok", "yes please", "please do", "go ahead", "alright"),
    "AMAZON.NoIntent": ("no", "nope", "no thanks", "no thank you", "nah", "not now", "no way"),
    "AMAZON.StopIntent": ("stop", "quit", "exit", "goodbye", "bye", "off", "shut up", "be quiet", "that's all"),
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it", "cancel that"),
    "AMAZON.HelpIntent": ("help", "help me", "i need help"),
    "AMAZON.RepeatIntent": ("repeat", "again", "say it again", "what did you say", "pardon"),
    "AMAZON.NextIntent": ("next", "skip"),
    "AMAZON.PreviousIntent": ("previous", "back", "go back"),
    "AMAZON.PauseIntent": ("pause", "wait"),
    "AMAZON.ResumeIntent": ("resume", "continue"),
    "AMAZON.StartOverIntent": ("start over", "restart", "begin again"),
    "AMAZON.MoreIntent": ("more", "tell me more"),
    "AMAZON.NavigateHomeIntent": ("home", "go home", "main menu"),
}


@dataclass(frozen=True)
class SlotFill:
    """One slot as Alexa fills it: the value sent, and for custom types the entity match."""

    name: str
    value: str
    slot_type: str
    value_id: str | None = None
    value_name: str | None = None

    @property
    def custom(self) -> bool:
        return not self.slot_type.startswith("AMAZON.")


@dataclass(frozen=True)
class Heard:
    """What Alexa understood: the intent, its filled slots, and how it got there."""

    intent: str
    slots: dict[str, SlotFill] = field(default_factory=dict)
    how: str = "sample"
    sample: str | None = None


@dataclass(frozen=True)
class Sample:
    intent: str
    text: str
    pattern: re.Pattern[str]
    slots: tuple[str, ...]
    literal_words: int


@dataclass(frozen=True)
class Elicitation:
    """The skill asked for this slot of this intent (Dialog.ElicitSlot)."""

    intent: str
    slot: str


SPELLED_LETTER = re.compile(r"(?<![a-z])([a-z])\.\s?(?=[a-z]\.)")
LAST_SPELLED_LETTER = re.compile(r"(?<![a-z])([a-z])\.(?![a-z])")
NOT_A_WORD = re.compile(r"[^a-z0-9' ]")
SLOT_REFERENCE_PART = re.compile(r"(\{\w+\})")


def normal(text: str) -> str:
    """Lower case, spelled abbreviations joined ("a. l. s." -> "als"), punctuation as spaces.
    (Patterns compiled once: the NLU evaluation normalises a few hundred thousand strings.)"""
    text = text.lower().replace("\u2019", "'")
    text = SPELLED_LETTER.sub(r"\1", text)
    text = LAST_SPELLED_LETTER.sub(r"\1", text)
    return " ".join(NOT_A_WORD.sub(" ", text).split())


class Understanding:
    """Intent and slot recognition for one locale's interaction model."""

    def __init__(self, model: dict[str, Any]):
        self.intents = intents_of(model)
        self.slot_types = {name: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
                           for name, intent in self.intents.items()}
        self.values = _value_lookup(slot_types_of(model))
        self.custom_slots = {name: slot_type for slots in self.slot_types.values() for name, slot_type in slots.items()
                             if not slot_type.startswith("AMAZON.")}
        self.samples = list(self._compile())
        self.slot_samples = {(name, slot["name"]): [_sample(name, normal_sample(text)) for text in slot["samples"]]
                             for name, intent in self.intents.items() for slot in intent.get("slots", [])
                             if slot.get("samples")}
        self.literal = {sample.text: sample for sample in self.samples if not sample.slots}
        self.one_slot = {sample.text: sample for sample in self.samples if len(sample.slots) == 1}

    def _compile(self) -> Iterator[Sample]:
        for name, intent in self.intents.items():
            phrases = [*intent.get("samples", []), *BUILT_IN_PHRASES.get(name, ())]
            for text in dict.fromkeys(normal_sample(p) for p in phrases):
                yield _sample(name, text)

    def understand(self, utterance: str, elicit: Elicitation | None = None) -> Heard:
        """The intent and slots Alexa would send for `utterance` (see the module docstring)."""
        text = normal(utterance)
        if not text:
            return self._fallback()
        steps = (
            lambda: self._elicited(text, elicit, strict=True),
            lambda: self._exact(text),
            lambda: self._with_slots(text, strict=True),
            lambda: self._with_slots(text, strict=False),
            lambda: self._near(text),
            lambda: self._elicited(text, elicit, strict=False),
        )
        for step in steps:
            heard = step()
            if heard is not None:
                return heard
        return self._fallback()

    # -- the steps ------------------------------------------------------------------------

    def _elicited(self, text: str, elicit: Elicitation | None, strict: bool) -> Heard | None:
        if elicit is None or elicit.intent not in self.intents:
            return None
        if not strict:
            slot = self._fill(elicit.intent, elicit.slot, text, strict=False, elicited=True)
            return Heard(elicit.intent, {elicit.slot: slot}, "elicited slot, raw words") if slot else None
        samples = self.slot_samples.get((elicit.intent, elicit.slot)) or [
            sample for sample in self.samples if sample.intent == elicit.intent and elicit.slot in sample.slots]
        for sample in samples:
            if elicit.slot in sample.slots:
                heard = self._match(sample, text, strict=True)
                if heard is not None:
                    return Heard(heard.intent, heard.slots, "elicited slot", sample.text)
        return None

    def _exact(self, text: str) -> Heard | None:
        sample = self.literal.get(text)
        return Heard(sample.intent, {}, "sample", sample.text) if sample else None

    def _with_slots(self, text: str, strict: bool) -> Heard | None:
        candidates = [s for s in self.samples if s.slots and (strict or s.literal_words)]
        for sample in sorted(candidates, key=lambda s: -s.literal_words):
            heard = self._match(sample, text, strict)
            if heard is not None:
                return heard
        return None

    def _near(self, text: str) -> Heard | None:
        """The most similar sample: literal ones as typed, one-slot ones with a known value as {slot}."""
        best: tuple[float, Heard] | None = None
        for candidate, fill in [(text, None), *self._skeletons(text)]:
            pool = self.literal if fill is None else self.one_slot
            cutoff = NEAR_MATCH_CUTOFF if fill is None else SKELETON_CUTOFF
            for match in difflib.get_close_matches(candidate, list(pool), n=1, cutoff=cutoff):
                sample = pool[match]
                if fill is not None and (sample.slots[0] != fill.name or fill.name not in self.slot_types[sample.intent]):
                    continue
                score = difflib.SequenceMatcher(None, candidate, match).ratio()
                if best is None or score > best[0]:
                    best = (score, Heard(sample.intent, {fill.name: fill} if fill else {}, "near match", match))
        return best[1] if best else None

    def _skeletons(self, text: str) -> Iterator[tuple[str, SlotFill]]:
        """The words with one known custom slot value replaced by each slot of that type."""
        padded = f" {text} "
        for slot_name, slot_type in self.custom_slots.items():
            found = [word for word in self.values.get(slot_type, {}) if f" {word} " in padded]
            for word in found:
                if any(word != longer and f" {word} " in f" {longer} " for longer in found):
                    continue  # "sure" inside "not sure": only the whole value is a value
                value_id, value_name = self.values[slot_type][word]
                skeleton = padded.replace(f" {word} ", f" {{{slot_name}}} ", 1).strip()
                yield skeleton, SlotFill(slot_name, word, slot_type, value_id, value_name)

    def _fallback(self) -> Heard:
        return Heard("AMAZON.FallbackIntent", {}, "no match")

    # -- matching one sample ---------------------------------------------------------------

    def _match(self, sample: Sample, text: str, strict: bool) -> Heard | None:
        match = sample.pattern.fullmatch(text)
        if match is None:
            return None
        slots = {}
        for name in sample.slots:
            slot = self._fill(sample.intent, name, match.group(name), strict)
            if slot is None:
                return None
            slots[name] = slot
        return Heard(sample.intent, slots, "sample" if strict else "sample, unknown slot value", sample.text)

    def _fill(self, intent: str, name: str, words: str, strict: bool, elicited: bool = False) -> SlotFill | None:
        """The slot as Alexa sends it, or None when `strict` and the words are not a known value
        (for AMAZON.TIME also when they are no time, unless they answer the slot's elicitation)."""
        slot_type = self.slot_types[intent].get(name)
        if slot_type is None:
            return None
        if slot_type == "AMAZON.NUMBER":
            value = number_value(words)
            return SlotFill(name, value or "?", slot_type) if value or not strict else None
        if slot_type == "AMAZON.DURATION":
            value = duration_value(words)
            return SlotFill(name, value or words, slot_type) if value or not strict else None
        if slot_type == "AMAZON.TIME":
            value = time_value(words)
            return SlotFill(name, value or words, slot_type) if value or elicited else None
        if slot_type.startswith("AMAZON."):
            return SlotFill(name, words, slot_type)
        known = self.values.get(slot_type, {}).get(words)
        if known is None:
            return None if strict else SlotFill(name, words, slot_type)
        return SlotFill(name, words, slot_type, value_id=known[0], value_name=known[1])


def normal_sample(sample: str) -> str:
    """A sample normalised like typed words, keeping its {slot} references."""
    parts = SLOT_REFERENCE_PART.split(sample)
    return " ".join(" ".join(part.split()) if SLOT_REFERENCE.fullmatch(part) else normal(part) for part in parts).strip()


def _sample(intent: str, text: str) -> Sample:
    slots: list[str] = []
    pieces = []
    for token in text.split(" "):
        reference = SLOT_REFERENCE.fullmatch(token)
        if reference:
            slots.append(reference.group(1))
            pieces.append(f"(?P<{reference.group(1)}>.+?)")
        else:
            pieces.append(re.escape(token))
    literal_words = len(text.split(" ")) - len(slots)
    return Sample(intent, text, re.compile(" ".join(pieces)), tuple(slots), literal_words)


def _value_lookup(types: dict[str, dict[str, Any]]) -> dict[str, dict[str, tuple[str, str]]]:
    """Slot type -> normalised word -> (value id, canonical name)."""
    lookup: dict[str, dict[str, tuple[str, str]]] = {}
    for type_name, slot_type in types.items():
        table = lookup.setdefault(type_name, {})
        for value in slot_type.get("values", []):
            value_id = value.get("id") or value["name"]["value"]
            for word in words_of(value):
                table.setdefault(normal(word), (value_id, value["name"]["value"]))
    return lookup
