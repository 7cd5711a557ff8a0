"""The artefacts agree: interaction model, handlers and content name the same things, and the
model keeps the platform's rules (shared/docs/alexa-platform.md, "Interaction model").

Each test collects every problem it finds and fails once, listing them, so one run shows the
whole picture rather than the first mismatch.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from skill import build
from skill.config import REPO_ROOT
from skill.content import load_content
from skill.slots import SlotCatalog

MODEL_PATH = REPO_ROOT / "interaction_model" / "en-US.json"
MODEL = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
INTENTS = {intent["name"]: intent for intent in MODEL["intents"]}
CUSTOM_INTENTS = sorted(name for name in INTENTS if not name.startswith("AMAZON."))
SLOT_TYPES = {slot_type["name"]: slot_type for slot_type in MODEL.get("types", [])}
CAUSE_VALUES = SLOT_TYPES["CAUSE"]["values"]
CONTENT = load_content(REPO_ROOT / "content").for_locale("en-US")
CATALOG = SlotCatalog.from_model(MODEL_PATH)

REQUIRED_BUILT_INS = [
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.RepeatIntent",
]
WAKE_WORDS = {"alexa", "amazon", "echo", "computer"}
LAUNCH_WORDS = {"ask", "tell", "open", "launch", "start", "begin", "load", "run", "resume", "play", "use", "talk", "enable"}
FORBIDDEN_INVOCATION_WORDS = WAKE_WORDS | LAUNCH_WORDS | {"skill", "app"}
MIN_SAMPLES = 20
SLOT_REFERENCE = re.compile(r"\{(\w+)\}")
# A word, a possessive/contracted word, or one letter of a spelled abbreviation ("a. l. s.").
WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[a-z]\.")
NAME = re.compile(r"[A-Za-z_]+")


def words_of(value: dict) -> list[str]:
    """A slot value's canonical name and all its synonyms."""
    return [value["name"]["value"], *value["name"].get("synonyms", [])]


def normal(utterance: str) -> str:
    """How Alexa compares utterances: case, spacing and abbreviation periods don't matter."""
    return " ".join(utterance.lower().replace(".", " ").split())


def slot_types_of(intent: dict) -> dict[str, str]:
    return {slot["name"]: slot["type"] for slot in intent.get("slots", [])}


def expansions(intent: dict, sample: str) -> list[str]:
    """The sample with each custom-typed slot filled by every value and synonym of its type."""
    variants = [sample]
    for slot_name, slot_type in slot_types_of(intent).items():
        reference = "{" + slot_name + "}"
        if slot_type in SLOT_TYPES and reference in sample:
            fillers = [word for value in SLOT_TYPES[slot_type]["values"] for word in words_of(value)]
            variants = [variant.replace(reference, filler) for variant in variants for filler in fillers]
    return variants


def utterance_problems(sample: str) -> list[str]:
    """What is wrong with one sample's characters, if anything (slot references excepted)."""
    text = SLOT_REFERENCE.sub("slot", sample)
    if text != text.strip() or "  " in text:
        return ["leading, trailing or double spaces"]
    problems = []
    tokens = text.split(" ")
    bad = [token for token in tokens if not WORD.fullmatch(token)]
    if bad:
        problems.append(f"characters other than lower-case letters, spaces, apostrophes and abbreviation periods: {bad}")
    if re.search(r"\d", text):
        problems.append("digits (spell numbers out)")
    for index, token in enumerate(tokens):
        if token.endswith(".") and WORD.fullmatch(token):
            neighbours = tokens[max(0, index - 1):index] + tokens[index + 1:index + 2]
            if not any(re.fullmatch(r"[a-z]\.", n) for n in neighbours):
                problems.append(f"period in {token!r}, which is not part of a spelled abbreviation like 'a. l. s.'")
    return problems


# --- handlers and the model ------------------------------------------------------------------

def test_every_intent_in_the_model_has_a_handler():
    unhandled = sorted(set(INTENTS) - build.handled_intents(CATALOG))
    assert not unhandled, f"intents in {MODEL_PATH.name} that no handler answers by name (users would hit the fallback): {unhandled}"


def test_every_intent_a_handler_names_is_in_the_model():
    unknown = sorted(build.handled_intents(CATALOG) - set(INTENTS))
    assert not unknown, f"handlers answer intents that {MODEL_PATH.name} never sends: {unknown}"


# --- slot values and content -----------------------------------------------------------------

def test_every_cause_slot_value_has_a_cause_in_content():
    missing = sorted(value["id"] for value in CAUSE_VALUES if CONTENT.cause(value["id"]) is None)
    assert not missing, f"CAUSE slot value ids with no cause in content/en-US/causes.yaml: {missing}"


def test_every_content_cause_has_a_slot_value():
    ids = {value["id"] for value in CAUSE_VALUES}
    missing = sorted(cause.id for cause in CONTENT.causes if cause.id not in ids)
    assert not missing, f"causes in content/en-US/causes.yaml that no CAUSE slot value can reach: {missing}"


def test_every_synonym_of_a_cause_maps_to_exactly_one_id():
    ids_by_word: dict[str, set[str]] = defaultdict(set)
    for value in CAUSE_VALUES:
        for word in words_of(value):
            ids_by_word[normal(word)].add(value["id"])
    ambiguous = {word: sorted(ids) for word, ids in ids_by_word.items() if len(ids) > 1}
    assert not ambiguous, f"CAUSE words that belong to more than one value id: {ambiguous}"
    misread = {word: CATALOG.lookup("CAUSE", word) for word, ids in ids_by_word.items()
               if CATALOG.lookup("CAUSE", word) not in ids}
    assert not misread, f"the skill's own synonym lookup resolves these CAUSE words to the wrong id: {misread}"


def test_every_cause_slot_value_has_an_id():
    missing = [value["name"]["value"] for value in CAUSE_VALUES if not value.get("id")]
    assert not missing, f"CAUSE values without an id (content is keyed by id): {missing}"


# --- topics ------------------------------------------------------------------------------------

def test_every_topic_intent_answers_with_a_topic_in_content():
    missing = {intent: topic for intent, topic in build.TOPIC_INTENTS.items() if topic not in CONTENT.topics}
    assert not missing, f"build.TOPIC_INTENTS names topics missing from content/en-US/topics.yaml: {missing}"


def test_every_topic_intent_is_in_the_model():
    missing = sorted(set(build.TOPIC_INTENTS) - set(INTENTS))
    assert not missing, f"build.TOPIC_INTENTS names intents missing from {MODEL_PATH.name}: {missing}"


def test_every_follow_up_offer_points_to_a_topic_or_the_routine():
    targets = set(CONTENT.topics) | {CONTENT.routine.id}
    broken = {topic.id: topic.offer for topic in CONTENT.topics.values() if topic.offer not in targets}
    assert not broken, f"follow-up offers (topic -> offered topic) pointing at no topic; 'yes' would do nothing: {broken}"
    assert CONTENT.routine.offer in CONTENT.topics, f"the routine's follow-up offers {CONTENT.routine.offer!r}, no topic"


# --- invocation name ---------------------------------------------------------------------------

def test_the_invocation_name_is_back_twitch_helper():
    assert MODEL["invocationName"] == "back twitch helper"


def test_the_invocation_name_follows_the_platform_rules():
    name = MODEL["invocationName"]
    words = name.split(" ")
    assert re.fullmatch(r"[a-z]+(?:'s)?(?: [a-z]+(?:'s)?)+", name), (
        f"invocation name {name!r} must be two or more words of lower-case letters separated by single spaces")
    forbidden = sorted(set(words) & FORBIDDEN_INVOCATION_WORDS)
    assert not forbidden, f"invocation name {name!r} contains wake, launch or 'skill'/'app' words: {forbidden}"


# --- intents, slots and samples ---------------------------------------------------------------

def test_every_required_built_in_intent_is_in_the_model():
    missing = [name for name in REQUIRED_BUILT_INS if name not in INTENTS]
    assert not missing, f"{MODEL_PATH.name} lacks required built-in intents: {missing}"


def test_custom_intent_slot_and_type_names_are_letters_and_underscores():
    names = [*CUSTOM_INTENTS, *SLOT_TYPES]
    names += [slot["name"] for name in CUSTOM_INTENTS for slot in INTENTS[name].get("slots", [])]
    bad = [name for name in names if not NAME.fullmatch(name)]
    assert not bad, f"custom names may only use letters and underscores (no AMAZON. prefix): {bad}"


def test_every_slot_refers_to_a_slot_type_in_the_model_or_a_built_in():
    unknown = {f"{intent['name']}.{slot['name']}": slot["type"] for intent in MODEL["intents"]
               for slot in intent.get("slots", [])
               if slot["type"] not in SLOT_TYPES and not slot["type"].startswith("AMAZON.")}
    assert not unknown, f"slots whose type is neither defined in the model nor built in: {unknown}"


@pytest.mark.parametrize("intent_name", CUSTOM_INTENTS)
def test_each_custom_intent_has_at_least_twenty_samples(intent_name):
    samples = INTENTS[intent_name].get("samples", [])
    assert len(samples) >= MIN_SAMPLES, f"{intent_name} has {len(samples)} sample utterances; give it at least {MIN_SAMPLES}"


@pytest.mark.parametrize("intent_name", sorted(INTENTS))
def test_each_sample_uses_only_allowed_characters(intent_name):
    problems = {sample: found for sample in INTENTS[intent_name].get("samples", [])
                if (found := utterance_problems(sample))}
    assert not problems, f"{intent_name} has samples Alexa's model build would reject: {problems}"


def test_slot_values_and_synonyms_use_only_allowed_characters():
    problems = {word: found for slot_type in SLOT_TYPES.values() for value in slot_type["values"]
                for word in words_of(value) if (found := utterance_problems(word))}
    assert not problems, f"slot values or synonyms with characters Alexa would reject: {problems}"


@pytest.mark.parametrize("intent_name", sorted(INTENTS))
def test_each_sample_only_uses_slots_of_its_intent(intent_name):
    intent = INTENTS[intent_name]
    slots = set(slot_types_of(intent))
    unknown = {sample: sorted(set(SLOT_REFERENCE.findall(sample)) - slots) for sample in intent.get("samples", [])
               if set(SLOT_REFERENCE.findall(sample)) - slots}
    assert not unknown, f"{intent_name} samples name slots the intent doesn't have (it has {sorted(slots)}): {unknown}"


def test_no_sample_appears_twice_in_one_intent():
    repeated = {}
    for name, intent in INTENTS.items():
        seen = [normal(sample) for sample in intent.get("samples", [])]
        dupes = sorted({sample for sample in seen if seen.count(sample) > 1})
        if dupes:
            repeated[name] = dupes
    assert not repeated, f"samples listed twice in the same intent: {repeated}"


def test_no_sample_belongs_to_two_intents():
    owners: dict[str, set[str]] = defaultdict(set)
    for name, intent in INTENTS.items():
        for sample in intent.get("samples", []):
            owners[normal(sample)].add(name)
    shared = {sample: sorted(names) for sample, names in owners.items() if len(names) > 1}
    assert not shared, f"samples in more than one intent (Alexa can't tell which is meant): {shared}"


def test_no_sample_belongs_to_two_intents_once_causes_are_filled_in():
    owners: dict[str, set[str]] = defaultdict(set)
    for name, intent in INTENTS.items():
        for sample in intent.get("samples", []):
            for utterance in expansions(intent, sample):
                owners[normal(utterance)].add(name)
    shared = {utterance: sorted(names) for utterance, names in owners.items() if len(names) > 1}
    assert not shared, (
        "with {cause} filled by a CAUSE value or synonym, these utterances belong to more than one intent: "
        f"{shared}")


def test_the_utterance_checks_catch_what_they_should():
    """Guards the helpers above: a check that never fails proves nothing."""
    assert utterance_problems("is it a. l. s.") == []
    assert utterance_problems("is it lou gehrig's disease") == []
    assert utterance_problems("what about {cause}") == []
    assert utterance_problems("I have 2 twitches")
    assert utterance_problems("is it serious?")
    assert utterance_problems("see dr. reyes")
    assert utterance_problems("twitching  in my back")
    cause_intent = INTENTS["CauseIntent"]
    assert "about coffee" in expansions(cause_intent, "about {cause}")
    assert len(expansions(cause_intent, "{cause}")) == sum(len(words_of(v)) for v in CAUSE_VALUES)
