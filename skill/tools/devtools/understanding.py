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

Words are compared without accents ("que" matches a sample's "qué", "si" the value "sí"), and
sent as typed. The locale picks the language of the built-in phrases and of the spoken forms of
numbers, durations and times (English for en-*, Spanish for es-*); without one, the language the
model's samples are written in.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...conversation.locales import intents_of, slot_types_of, words_of
from ...conversation.slots import ENGLISH, SPANISH, fold, words_language
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
# The same for Spanish, in the forms people use with Alexa: the familiar commands Amazon's own
# examples use ("repite") and the usted ones ("repita"), since the skill says usted.
SPANISH_BUILT_IN_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": ("sí", "sí por favor", "claro", "claro que sí", "por supuesto", "vale", "de acuerdo",
                         "está bien", "bueno", "okey", "ok", "dale", "adelante", "sí claro", "órale", "va"),
    "AMAZON.NoIntent": ("no", "no gracias", "ahora no", "no por ahora", "para nada", "mejor no", "no quiero",
                        "de ninguna manera"),
    "AMAZON.StopIntent": ("para", "pare", "detente", "deténgase", "basta", "alto", "salir", "sal", "adiós",
                          "hasta luego", "eso es todo", "cállate", "silencio", "termina", "terminar", "apágate"),
    "AMAZON.CancelIntent": ("cancela", "cancele", "cancelar", "cancela eso", "olvídalo", "olvídelo", "déjalo",
                            "no importa"),
    "AMAZON.HelpIntent": ("ayuda", "ayúdame", "ayúdeme", "necesito ayuda", "qué puedo decir"),
    "AMAZON.RepeatIntent": ("repite", "repita", "repítelo", "repítalo", "otra vez", "dilo otra vez", "dígalo otra vez",
                            "qué dijiste", "qué dijo", "cómo", "perdón", "de nuevo"),
    "AMAZON.NextIntent": ("siguiente", "el siguiente", "próximo", "salta", "sáltalo", "omitir"),
    "AMAZON.PreviousIntent": ("anterior", "el anterior", "atrás", "regresa", "regrese", "vuelve atrás",
                              "vuelva atrás"),
    "AMAZON.PauseIntent": ("pausa", "pon pausa", "espera", "espere", "un momento"),
    "AMAZON.ResumeIntent": ("continúa", "continúe", "continuar", "sigue", "siga", "reanuda", "reanude"),
    "AMAZON.StartOverIntent": ("empieza de nuevo", "empiece de nuevo", "vuelve a empezar", "vuelva a empezar",
                               "desde el principio", "reinicia", "comienza de nuevo"),
    "AMAZON.MoreIntent": ("más", "dime más", "dígame más", "cuéntame más", "cuénteme más"),
    "AMAZON.NavigateHomeIntent": ("inicio", "ve al inicio", "vaya al inicio", "menú principal"),
}
BUILT_IN_PHRASES_BY_LANGUAGE = {ENGLISH: BUILT_IN_PHRASES, SPANISH: SPANISH_BUILT_IN_PHRASES}


def built_in_phrases(language: str) -> dict[str, tuple[str, ...]]:
    """What people say for Alexa's built-in intents in `language` (ENGLISH or SPANISH)."""
    return BUILT_IN_PHRASES_BY_LANGUAGE.get(language, BUILT_IN_PHRASES)


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
    text: str  # as normal() gives it, accents kept
    pattern: re.Pattern[str]  # matches the folded words (no accents)
    slots: tuple[str, ...]
    literal_words: int
    key: str = ""  # the text folded: what typed words are compared with


@dataclass(frozen=True)
class Elicitation:
    """The skill asked for this slot of this intent (Dialog.ElicitSlot)."""

    intent: str
    slot: str


SPELLED_LETTER = re.compile(r"(?<![a-z])([a-z])\.\s?(?=[a-z]\.)")
LAST_SPELLED_LETTER = re.compile(r"(?<![a-z])([a-z])\.(?![a-z])")
# Letters with accents (Latin-1's lower-case letters: "á", "ñ", "ü"...) are letters too; other
# characters, "¿" and "¡" among them, are spaces. No other scripts' digits: "٣" is not a number here.
NOT_A_WORD = re.compile(r"[^a-z0-9' \u00df-\u00f6\u00f8-\u00ff]")
SLOT_REFERENCE_PART = re.compile(r"(\{\w+\})")
# Words that tell the language of a model's samples (unaccented), when no locale is given.
LANGUAGE_MARKERS = {
    ENGLISH: frozenset("the is my what it how i to and why do can you of".split()),
    SPANISH: frozenset("que el la los las es mi por de una un y se lo como me esta".split()),
}


def normal(text: str) -> str:
    """Lower case, spelled abbreviations joined ("a. l. s." -> "als"), punctuation as spaces,
    accents kept ("¿Qué?" -> "qué"; `fold` takes them off for comparing).
    (Patterns compiled once: the NLU evaluation normalises a few hundred thousand strings.)"""
    text = unicodedata.normalize("NFC", text).lower().replace("\u2019", "'")
    text = SPELLED_LETTER.sub(r"\1", text)
    text = LAST_SPELLED_LETTER.sub(r"\1", text)
    return " ".join(NOT_A_WORD.sub(" ", text).split())


def model_language(model: dict[str, Any]) -> str:
    """The language a model's samples are written in: SPANISH when more of their words are
    Spanish function words than English ones, else ENGLISH."""
    counts = dict.fromkeys(LANGUAGE_MARKERS, 0)
    for intent in intents_of(model).values():
        for sample in intent.get("samples", []):
            for word in fold(sample.lower()).split():
                for language, markers in LANGUAGE_MARKERS.items():
                    counts[language] += word in markers
    return SPANISH if counts[SPANISH] > counts[ENGLISH] else ENGLISH


def understanding_for(model: dict[str, Any], locale: str | None = None) -> Understanding:
    """One Understanding per model and locale per process: it is read-only once built, and the
    transcripts, the chat tests and the dispatcher's replay each build a LocalAlexa per script."""
    key = (hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest(), locale)
    if key not in _UNDERSTANDINGS:
        if len(_UNDERSTANDINGS) >= 16:
            _UNDERSTANDINGS.pop(next(iter(_UNDERSTANDINGS)))
        _UNDERSTANDINGS[key] = Understanding(model, locale)
    return _UNDERSTANDINGS[key]


class Understanding:
    """Intent and slot recognition for one locale's interaction model."""

    def __init__(self, model: dict[str, Any], locale: str | None = None):
        self.locale = locale
        self.language = words_language(locale) if locale else model_language(model)
        self.spoken_locale = locale or ("es-US" if self.language == SPANISH else "en-US")
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
        self.literal = {sample.key: sample for sample in self.samples if not sample.slots}
        self.one_slot = {sample.key: sample for sample in self.samples if len(sample.slots) == 1}

    def _compile(self) -> Iterator[Sample]:
        phrases_of = built_in_phrases(self.language)
        for name, intent in self.intents.items():
            phrases = [*intent.get("samples", []), *phrases_of.get(name, ())]
            for text in dict.fromkeys(normal_sample(p) for p in phrases):
                yield _sample(name, text)

    def understand(self, utterance: str, elicit: Elicitation | None = None) -> Heard:
        """The intent and slots Alexa would send for `utterance` (see the module docstring)."""
        text = Typed(normal(utterance))
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

    def _elicited(self, text: Typed, elicit: Elicitation | None, strict: bool) -> Heard | None:
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

    def _exact(self, text: Typed) -> Heard | None:
        sample = self.literal.get(text.key)
        return Heard(sample.intent, {}, "sample", sample.text) if sample else None

    def _with_slots(self, text: Typed, strict: bool) -> Heard | None:
        candidates = [s for s in self.samples if s.slots and (strict or s.literal_words)]
        for sample in sorted(candidates, key=lambda s: -s.literal_words):
            heard = self._match(sample, text, strict)
            if heard is not None:
                return heard
        return None

    def _near(self, text: Typed) -> Heard | None:
        """The most similar sample: literal ones as typed, one-slot ones with a known value as {slot}."""
        best: tuple[float, Heard] | None = None
        for candidate, fill in [(text.key, None), *self._skeletons(text)]:
            pool = self.literal if fill is None else self.one_slot
            cutoff = NEAR_MATCH_CUTOFF if fill is None else SKELETON_CUTOFF
            for match in difflib.get_close_matches(candidate, list(pool), n=1, cutoff=cutoff):
                sample = pool[match]
                if fill is not None and (sample.slots[0] != fill.name or fill.name not in self.slot_types[sample.intent]):
                    continue
                score = difflib.SequenceMatcher(None, candidate, match).ratio()
                if best is None or score > best[0]:
                    best = (score, Heard(sample.intent, {fill.name: fill} if fill else {}, "near match", sample.text))
        return best[1] if best else None

    def _skeletons(self, text: Typed) -> Iterator[tuple[str, SlotFill]]:
        """The words (folded) with one known custom slot value replaced by each slot of that type;
        the slot holds the value's words as typed."""
        padded = f" {text.key} "
        for slot_name, slot_type in self.custom_slots.items():
            found = [word for word in self.values.get(slot_type, {}) if f" {word} " in padded]
            for word in found:
                if any(word != longer and f" {word} " in f" {longer} " for longer in found):
                    continue  # "sure" inside "not sure": only the whole value is a value
                value_id, value_name = self.values[slot_type][word]
                at = padded.index(f" {word} ")
                skeleton = padded.replace(f" {word} ", f" {{{slot_name}}} ", 1).strip()
                yield skeleton, SlotFill(slot_name, text[at:at + len(word)], slot_type, value_id, value_name)

    def _fallback(self) -> Heard:
        return Heard("AMAZON.FallbackIntent", {}, "no match")

    # -- matching one sample ---------------------------------------------------------------

    def _match(self, sample: Sample, text: Typed, strict: bool) -> Heard | None:
        match = sample.pattern.fullmatch(text.key)
        if match is None:
            return None
        slots = {}
        for name in sample.slots:
            slot = self._fill(sample.intent, name, text[match.start(name):match.end(name)], strict)
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
        words = str(words)
        if slot_type == "AMAZON.NUMBER":
            value = number_value(words, self.spoken_locale)
            return SlotFill(name, value or "?", slot_type) if value or not strict else None
        if slot_type == "AMAZON.DURATION":
            value = duration_value(words, self.spoken_locale)
            return SlotFill(name, value or words, slot_type) if value or not strict else None
        if slot_type == "AMAZON.TIME":
            value = time_value(words, self.spoken_locale)
            return SlotFill(name, value or words, slot_type) if value or elicited else None
        if slot_type.startswith("AMAZON."):
            return SlotFill(name, words, slot_type)
        known = self.values.get(slot_type, {}).get(fold(words))
        if known is None:
            return None if strict else SlotFill(name, words, slot_type)
        return SlotFill(name, words, slot_type, value_id=known[0], value_name=known[1])


def normal_sample(sample: str) -> str:
    """A sample normalised like typed words, keeping its {slot} references."""
    parts = SLOT_REFERENCE_PART.split(sample)
    return " ".join(" ".join(part.split()) if SLOT_REFERENCE.fullmatch(part) else normal(part) for part in parts).strip()


class Typed(str):
    """Typed words after normal(), accents kept, with `key`, the same words folded (no accents):
    one character for one, so a match in `key` is the same stretch of the words as typed."""

    key: str

    def __new__(cls, text: str) -> Typed:
        typed = super().__new__(cls, text)
        typed.key = fold(text)
        return typed


def _sample(intent: str, text: str) -> Sample:
    slots: list[str] = []
    pieces = []
    key = fold(text)
    for token in key.split(" "):
        reference = SLOT_REFERENCE.fullmatch(token)
        if reference:
            slots.append(reference.group(1))
            pieces.append(f"(?P<{reference.group(1)}>.+?)")
        else:
            pieces.append(re.escape(token))
    literal_words = len(text.split(" ")) - len(slots)
    return Sample(intent, text, re.compile(" ".join(pieces)), tuple(slots), literal_words, key)


def _value_lookup(types: dict[str, dict[str, Any]]) -> dict[str, dict[str, tuple[str, str]]]:
    """Slot type -> normalised word -> (value id, canonical name)."""
    lookup: dict[str, dict[str, tuple[str, str]]] = {}
    for type_name, slot_type in types.items():
        table = lookup.setdefault(type_name, {})
        for value in slot_type.get("values", []):
            value_id = value.get("id") or value["name"]["value"]
            for word in words_of(value):
                table.setdefault(fold(normal(word)), (value_id, value["name"]["value"]))
    return lookup


# --------------------------------------------------------------------------- the skill's name

# How people open a skill or ask it something in one go, per language (after "alexa"). English
# as the chat has always read it (devtools/alexa.py); Spanish: "abre ...", "pídele a ... que ...",
# "pregúntale a ... si ...", "dile a ... que ...", "usa ... para ...".
LAUNCH_WORDS = {
    ENGLISH: r"open|launch|start|begin|load|run|play|use|talk to",
    SPANISH: r"abre|abra|abrir|inicia|inicie|iniciar|empieza|empiece|comienza|comience|lanza|ejecuta|usa|use|activa|"
             r"active|arranca|pon|habla con|hable con|hablar con|quiero hablar con",
}
ONE_SHOT_WORDS = {
    ENGLISH: r"ask|tell",
    SPANISH: r"pide a|pídele a|pidele a|pida a|pídale a|pidale a|pregunta a|pregúntale a|preguntale a|pregunte a|"
             r"pregúntele a|preguntele a|dile a|di a|dígale a|digale a|usa|use",
}
ONE_SHOT_JOINERS = {
    ENGLISH: r"to|about|for|if|whether",
    SPANISH: r"que|si|sobre|acerca de|para|por",
}


def invocation_parts(utterance: str, invocation: str, language: str = ENGLISH) -> tuple[bool, str | None]:
    """(is a launch phrase, the request words of a one-shot) for a skill's invocation name.

    Spanish is compared without accents; a joiner is dropped ("pídele a ... que me ayude" ->
    "me ayude") except a question word ("pregúntale a ... qué es la ela" keeps "qué es la ela",
    and "por qué" stays whole)."""
    if language != SPANISH:
        text = " ".join(re.sub(r"[^a-z' ]", " ", utterance.lower()).split())
        text = re.sub(r"^alexa ", "", text)
        name = re.escape(invocation)
        if re.fullmatch(rf"(?:{LAUNCH_WORDS[ENGLISH]}) (?:the )?{name}(?: skill)?", text):
            return True, None
        one_shot = re.fullmatch(rf"(?:{ONE_SHOT_WORDS[ENGLISH]}) {name} (?:(?:{ONE_SHOT_JOINERS[ENGLISH]}) )?(?P<rest>.+)",
                                text)
        return False, one_shot.group("rest") if one_shot else None
    typed = Typed(re.sub(r"^alexa ", "", normal(utterance)))
    name = re.escape(fold(normal(invocation)))
    launch, one_shot_words, joiners = (fold(words) for words in (
        LAUNCH_WORDS[SPANISH], ONE_SHOT_WORDS[SPANISH], ONE_SHOT_JOINERS[SPANISH]))
    if re.fullmatch(rf"(?:{launch}) (?:(?:la |el )?(?:skill|habilidad) )?{name}", typed.key):
        return True, None
    found = re.fullmatch(rf"(?:{one_shot_words}) {name} (?:(?P<joiner>{joiners}) )?(?P<rest>.+)", typed.key)
    if found is None:
        return False, None
    joiner = found.group("joiner")
    said = typed[found.start("joiner"):found.end("joiner")] if joiner else ""
    if joiner and (said != joiner or (joiner == "por" and found.group("rest").split()[0] == "que")):
        return False, typed[found.start("joiner"):]  # "qué ...", "por qué ...": part of the question
    return False, typed[found.start("rest"):]


_UNDERSTANDINGS: dict[tuple[str, str | None], Understanding] = {}
