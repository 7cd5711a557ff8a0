"""The interaction model against Alexa's rules (shared/docs/alexa-platform.md, "Interaction model").

Each rule is a function model -> [(key, problem)], so `backtwitch validate`, the tests and the
package command run the same code, and a broken model is caught before Amazon's model build
rejects it, or, worse, accepts it and sends people's words to the wrong intent.

A model does not say its language, so the rules know the words of every language the skill
speaks (English and Spanish): the lower-case letters a sample may use (Spanish adds á é í ó ú ü
ñ), the launch words an invocation name may not hold, and the negations of the answer types.
None of one language's additions occurs in the other's models. The store's example phrases are
checked with the listing's locale, whose launch phrases they must use ("Alexa, open ...",
"Alexa, abre ...").
"""
from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from ...conversation.locales import DEFAULT_LOCALE, Problem, intents_of, language_model, language_of, slot_types_of, words_of

REQUIRED_BUILT_INS = (
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.FallbackIntent",
)
WAKE_WORDS = {"alexa", "amazon", "echo", "computer"}
LAUNCH_WORDS = {"ask", "tell", "open", "launch", "start", "begin", "load", "run", "resume", "play", "use", "talk", "enable",
                # Spanish: abre, pídele a, pregúntale a, dile a, inicia, empieza...
                "abre", "abrir", "pide", "pídele", "pidele", "pregunta", "pregúntale", "preguntale", "dile", "inicia",
                "iniciar", "empieza", "comienza", "lanza", "ejecuta", "carga", "activa", "habilita", "usa", "juega",
                "habla", "pon"}
FORBIDDEN_INVOCATION_WORDS = WAKE_WORDS | LAUNCH_WORDS | {"skill", "app", "aplicación"}
MIN_SAMPLES = 20  # house rule: fewer samples and Alexa misroutes everyday phrasings
SLOT_REFERENCE = re.compile(r"\{(\w+)\}")
LETTERS = "a-záéíóúüñ"  # English a-z; Spanish adds the accented vowels, ü and ñ
# A word, a possessive/contracted word, a hyphenated word, or one letter of a spelled abbreviation ("a. l. s.").
WORD = re.compile(rf"[{LETTERS}]+(?:['-][{LETTERS}]+)*|[{LETTERS}]\.")
NAME = re.compile(r"[A-Za-z_]+")

ModelRule = Callable[[dict[str, Any]], list[Problem]]


def normal(utterance: str) -> str:
    """How Alexa compares utterances: case, spacing and abbreviation periods don't matter."""
    return " ".join(utterance.lower().replace(".", " ").split())


def utterance_problems(sample: str) -> list[str]:
    """What is wrong with one sample's characters, if anything (slot references excepted)."""
    text = SLOT_REFERENCE.sub("slot", sample)
    if text != text.strip() or "  " in text or not text:
        return ["empty, or leading, trailing or double spaces"]
    problems = []
    tokens = text.split(" ")
    bad = [token for token in tokens if not WORD.fullmatch(token) and not re.search(r"\d", token)]
    if bad:
        problems.append(f"characters other than lower-case letters, spaces, apostrophes, hyphens and abbreviation periods: {bad}")
    if re.search(r"\d", text):
        problems.append("digits (spell numbers out)")
    for index, token in enumerate(tokens):
        if token.endswith(".") and WORD.fullmatch(token):
            neighbours = tokens[max(0, index - 1):index] + tokens[index + 1:index + 2]
            if not any(re.fullmatch(rf"[{LETTERS}]\.", n) for n in neighbours):
                problems.append(f"period in {token!r}, which is not part of a spelled abbreviation like 'a. l. s.'")
    return problems


def expansions(model: dict[str, Any], intent: dict[str, Any], sample: str) -> list[str]:
    """The sample with each custom-typed slot filled by every value and synonym of its type."""
    types = slot_types_of(model)
    variants = [sample]
    for slot in intent.get("slots", []):
        reference = "{" + slot["name"] + "}"
        if slot["type"] in types and reference in sample:
            fillers = [word for value in types[slot["type"]].get("values", []) for word in words_of(value)]
            variants = [variant.replace(reference, filler) for variant in variants for filler in fillers]
    return variants


# --------------------------------------------------------------------------- the rules

def invocation_name(model: dict[str, Any]) -> list[Problem]:
    """Two or more lower-case words; no wake word, launch word, "skill" or "app"."""
    name = language_model(model).get("invocationName", "")
    problems = []
    if not re.fullmatch(rf"[{LETTERS}]+(?:'s)?(?: [{LETTERS}]+(?:'s)?)+", name):
        problems.append(("invocationName", f"{name!r} must be two or more words of lower-case letters, single spaces"))
    forbidden = sorted(set(name.split(" ")) & FORBIDDEN_INVOCATION_WORDS)
    if forbidden:
        problems.append(("invocationName", f"{name!r} contains wake, launch or 'skill'/'app' words: {forbidden}"))
    return problems


def required_built_ins(model: dict[str, Any]) -> list[Problem]:
    intents = intents_of(model)
    return [("intents", f"required built-in intent {name} is missing") for name in REQUIRED_BUILT_INS if name not in intents]


def names(model: dict[str, Any]) -> list[Problem]:
    """Custom intent, slot and slot type names: letters and underscores, no AMAZON. prefix."""
    problems = []
    for name, intent in intents_of(model).items():
        if not name.startswith("AMAZON.") and not NAME.fullmatch(name):
            problems.append((f"intents.{name}", "a custom intent name may only use letters and underscores"))
        for slot in intent.get("slots", []):
            if not NAME.fullmatch(slot["name"]):
                problems.append((f"intents.{name}.slots.{slot['name']}", "a slot name may only use letters and underscores"))
    for type_name in slot_types_of(model):
        if not NAME.fullmatch(type_name):
            problems.append((f"types.{type_name}", "a custom slot type name may only use letters and underscores (no AMAZON.)"))
    return problems


def slot_types_exist(model: dict[str, Any]) -> list[Problem]:
    """Every slot's type is defined in the model or is one of Alexa's built-in types."""
    types = slot_types_of(model)
    return [(f"intents.{name}.slots.{slot['name']}", f"type {slot['type']!r} is neither defined in the model nor built in")
            for name, intent in intents_of(model).items() for slot in intent.get("slots", [])
            if slot["type"] not in types and not slot["type"].startswith("AMAZON.")]


def sample_characters(model: dict[str, Any]) -> list[Problem]:
    """Samples, slot values and synonyms: only what Alexa's model build accepts."""
    problems = [(f"intents.{name}.samples", f"{sample!r}: {'; '.join(found)}")
                for name, intent in intents_of(model).items() for sample in intent.get("samples", [])
                if (found := utterance_problems(sample))]
    problems += [(f"types.{type_name}.values", f"{word!r}: {'; '.join(found)}")
                 for type_name, slot_type in slot_types_of(model).items() for value in slot_type.get("values", [])
                 for word in words_of(value) if (found := utterance_problems(word))]
    return problems


def slot_references(model: dict[str, Any]) -> list[Problem]:
    """Every {Slot} in a sample is a slot of that intent."""
    problems = []
    for name, intent in intents_of(model).items():
        slots = {slot["name"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            unknown = sorted(set(SLOT_REFERENCE.findall(sample)) - slots)
            if unknown:
                problems.append((f"intents.{name}.samples", f"{sample!r} names slots {name} doesn't have: {unknown}"))
    return problems


def no_slot_only_samples(model: dict[str, Any]) -> list[Problem]:
    """An intent sample that is nothing but a slot ("{duration}") catches any words at all:
    "what's the weather in paris" would start the check. Such forms belong in the slot's own
    `samples`, which Alexa uses only after the skill asks for that slot."""
    return [(f"intents.{name}.samples", f"{sample!r} is only a slot; put it in the slot's samples instead")
            for name, intent in intents_of(model).items() for sample in intent.get("samples", [])
            if SLOT_REFERENCE.fullmatch(sample.strip())]


def slot_samples(model: dict[str, Any]) -> list[Problem]:
    """A slot's samples name that slot, and only slots of the intent, in characters Alexa accepts."""
    problems = []
    for name, intent in intents_of(model).items():
        slot_names = {slot["name"] for slot in intent.get("slots", [])}
        for slot in intent.get("slots", []):
            key = f"intents.{name}.slots.{slot['name']}.samples"
            for sample in slot.get("samples", []):
                found = utterance_problems(sample)
                references = set(SLOT_REFERENCE.findall(sample))
                if slot["name"] not in references:
                    found.append(f"does not name {{{slot['name']}}}")
                if references - slot_names:
                    found.append(f"names slots {name} doesn't have: {sorted(references - slot_names)}")
                problems += [(key, f"{sample!r}: {'; '.join(found)}")] if found else []
    return problems


NEGATIONS = frozenset({"no", "not", "never", "without", "don't", "isn't", "aren't", "haven't", "none",
                       "sin", "nunca", "ningún", "ninguna", "ninguno", "nada", "tampoco", "ni"})
ARTICLES = re.compile(r"^(?:a|an|un|una|unos|unas|el|la|los|las) ")


def negated_symptom_words(model: dict[str, Any]) -> list[Problem]:
    """In an answer type (values yes and no), a symptom word under yes ("numbness") needs its
    negation under no ("no numbness"): when only the last words are caught, "no numbness"
    must not resolve to yes."""
    types = slot_types_of(model)
    plain_yes = set(_synonyms(types.get("YES_NO", {}), "yes"))
    problems = []
    for type_name, slot_type in types.items():
        no = _synonyms(slot_type, "no")
        for word in _synonyms(slot_type, "yes"):
            core = ARTICLES.sub("", word)
            if word in plain_yes or word == "yes" or not no:
                continue
            if not any(n.endswith(f" {core}") and NEGATIONS & set(n[:-len(core)].split()) for n in no):
                problems.append((f"types.{type_name}.values.yes", f"{word!r} is a symptom word under yes with no negated form "
                                 f"(such as 'no {core}' or 'not {core}') under no"))
    return problems


def _synonyms(slot_type: dict[str, Any], value_id: str) -> list[str]:
    return [normal(word) for value in slot_type.get("values", []) if value.get("id") == value_id for word in words_of(value)]


def enough_samples(model: dict[str, Any]) -> list[Problem]:
    """Each custom intent has at least MIN_SAMPLES sample utterances."""
    return [(f"intents.{name}.samples", f"{len(intent.get('samples', []))} sample utterances; give it at least {MIN_SAMPLES}")
            for name, intent in intents_of(model).items()
            if not name.startswith("AMAZON.") and len(intent.get("samples", [])) < MIN_SAMPLES]


def samples_once_per_intent(model: dict[str, Any]) -> list[Problem]:
    """A repeated sample is harmless to Alexa but always a copy-and-paste slip."""
    problems = []
    for name, intent in intents_of(model).items():
        seen = [normal(sample) for sample in intent.get("samples", [])]
        for repeated in sorted({sample for sample in seen if seen.count(sample) > 1}):
            problems.append((f"intents.{name}.samples", f"{repeated!r} is listed more than once"))
    return problems


def samples_in_one_intent(model: dict[str, Any]) -> list[Problem]:
    """No utterance in two intents: Alexa could not tell which is meant."""
    owners: dict[str, set[str]] = defaultdict(set)
    for name, intent in intents_of(model).items():
        for sample in intent.get("samples", []):
            owners[normal(sample)].add(name)
    return [("intents", f"{sample!r} is a sample of more than one intent: {sorted(names)}")
            for sample, names in owners.items() if len(names) > 1]


def expanded_samples_in_one_intent(model: dict[str, Any]) -> list[Problem]:
    """Still no utterance in two intents once custom slots are filled with their values.

    Each intent's expansions form one set and the sets are intersected pairwise (in C): a model
    fills in tens of thousands of utterances, too many to file one by one under their owners."""
    fillers = {type_name: [normal(word) for value in slot_type.get("values", []) for word in words_of(value)]
               for type_name, slot_type in slot_types_of(model).items()}
    expanded: dict[str, set[str]] = {}
    direct: dict[str, set[str]] = defaultdict(set)  # already reported by samples_in_one_intent
    for name, intent in intents_of(model).items():
        references = [(normal("{" + slot["name"] + "}"), fillers[slot["type"]])
                      for slot in intent.get("slots", []) if slot["type"] in fillers]
        expanded[name] = set()
        for sample in intent.get("samples", []):
            direct[normal(sample)].add(name)
            expanded[name].update(_normal_expansions(model, intent, sample, references))
    owners: dict[str, set[str]] = defaultdict(set)
    for first, second in combinations(expanded, 2):
        for utterance in expanded[first] & expanded[second]:
            owners[utterance] |= {first, second}
    return [("intents", f"{utterance!r} (a slot value filled in) belongs to more than one intent: {sorted(names)}")
            for utterance, names in sorted(owners.items()) if names != direct.get(utterance)]


def _normal_expansions(model: dict[str, Any], intent: dict[str, Any], sample: str,
                       references: list[tuple[str, list[str]]]) -> list[str]:
    """``normal`` of every expansion of ``sample``, filling normalised values into the normalised
    sample (tens of thousands of strings per model, so normalised once each) whenever every slot
    reference stands as a word of its own; otherwise the exact, slower way."""
    variants = [normal(sample)]
    words = variants[0].split(" ")
    if any(reference in variants[0] and reference not in words for reference, _ in references):
        return [normal(utterance) for utterance in expansions(model, intent, sample)]
    for reference, values in references:
        if reference in words:
            variants = [variant.replace(reference, value) for variant in variants for value in values]
    return variants


def synonyms_unambiguous(model: dict[str, Any]) -> list[Problem]:
    """Within a slot type, a word names one value only, or entity resolution is a coin toss."""
    problems = []
    for type_name, slot_type in slot_types_of(model).items():
        ids_by_word: dict[str, set[str]] = defaultdict(set)
        for value in slot_type.get("values", []):
            for word in words_of(value):
                ids_by_word[normal(word)].add(value.get("id") or value["name"]["value"])
        problems += [(f"types.{type_name}.values", f"{word!r} belongs to more than one value: {sorted(ids)}")
                     for word, ids in ids_by_word.items() if len(ids) > 1]
    return problems


def dialog_slots_exist(model: dict[str, Any]) -> list[Problem]:
    """The dialog model names intents and slots the language model has, with the same types."""
    intents = intents_of(model)
    problems = []
    for dialog_intent in model["interactionModel"].get("dialog", {}).get("intents", []):
        name = dialog_intent.get("name")
        if name not in intents:
            problems.append((f"dialog.intents.{name}", "no such intent in the language model"))
            continue
        slot_types = {slot["name"]: slot["type"] for slot in intents[name].get("slots", [])}
        for slot in dialog_intent.get("slots", []):
            if slot.get("name") not in slot_types:
                problems.append((f"dialog.intents.{name}.slots.{slot.get('name')}", f"{name} has no such slot"))
            elif slot.get("type") != slot_types[slot["name"]]:
                problems.append((f"dialog.intents.{name}.slots.{slot['name']}",
                                 f"type {slot.get('type')!r} differs from the language model's {slot_types[slot['name']]!r}"))
    return problems


def dialog_prompts_exist(model: dict[str, Any]) -> list[Problem]:
    """Every prompt id the dialog model refers to is defined under interactionModel.prompts."""
    defined = {prompt.get("id") for prompt in model["interactionModel"].get("prompts", [])}
    return [(key, f"prompt {prompt_id!r} is not defined in prompts") for key, prompt_id in _prompt_references(model)
            if prompt_id not in defined]


def _prompt_references(model: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for intent in model["interactionModel"].get("dialog", {}).get("intents", []):
        key = f"dialog.intents.{intent.get('name')}"
        found += [(f"{key}.prompts.{kind}", pid) for kind, pid in (intent.get("prompts") or {}).items()]
        for slot in intent.get("slots", []):
            slot_key = f"{key}.slots.{slot.get('name')}"
            found += [(f"{slot_key}.prompts.{kind}", pid) for kind, pid in (slot.get("prompts") or {}).items()]
            found += [(f"{slot_key}.validations", v["prompt"]) for v in slot.get("validations", []) if "prompt" in v]
    return found


MODEL_RULES: tuple[ModelRule, ...] = (
    invocation_name,
    required_built_ins,
    names,
    slot_types_exist,
    sample_characters,
    slot_references,
    no_slot_only_samples,
    slot_samples,
    negated_symptom_words,
    enough_samples,
    samples_once_per_intent,
    samples_in_one_intent,
    expanded_samples_in_one_intent,
    synonyms_unambiguous,
    dialog_slots_exist,
    dialog_prompts_exist,
)


def model_problems(model: dict[str, Any]) -> list[Problem]:
    """Every rule's problems with one locale's model.

    Remembered per model text: `backtwitch package` checks the models `validate` has just
    checked, and eight models take about a second.
    """
    return list(_problems_of(json.dumps(model, sort_keys=True, ensure_ascii=False)))


@functools.lru_cache(maxsize=16)
def _problems_of(text: str) -> tuple[Problem, ...]:
    model = json.loads(text)
    return tuple(problem for rule in MODEL_RULES for problem in rule(model))


@dataclass(frozen=True)
class LaunchPhrases:
    """How a language opens a skill and asks it something in a store example phrase."""

    open: str  # "Alexa, <open> <name>"
    ask: str  # the one named in messages: "Alexa, <ask> <name> <a sample utterance>"
    asks: str  # every launch phrase that takes a request (a regular expression)
    connectors: str  # words allowed between the name and the request (a regular expression)


LAUNCH_PHRASES = {
    "en": LaunchPhrases("open", "ask", "ask|tell", "to|about|for|if|whether"),
    # "Alexa, pregúntale a <name> por qué ...", "Alexa, pídele a <name> que ...", "Alexa, dile a <name> que ..."
    "es": LaunchPhrases("abre", "pregúntale a", "(?:pregúntale|pregunta|pídele|pide|dile) a", "que|si|sobre|acerca de|por"),
}


def example_phrase_problems(phrases: list[str], model: dict[str, Any], locale: str = DEFAULT_LOCALE) -> list[str]:
    """Store example phrases (Amazon's certification rules): the first has the wake word, a launch
    phrase and the invocation name ("Alexa, open <name>", or "Alexa, ask|tell <name> ...", in
    Spanish "Alexa, abre <name>", "Alexa, pregúntale a <name> ..."); every phrase with a request
    matches a sample utterance, so it works as written."""
    launch = LAUNCH_PHRASES.get(language_of(locale), LAUNCH_PHRASES[language_of(DEFAULT_LOCALE)])
    name = language_model(model)["invocationName"]
    samples = {normal(s) for intent in intents_of(model).values() for s in intent.get("samples", [])}
    problems = []
    for index, phrase in enumerate(phrases):
        words = normal(re.sub(r"[^\w' ]|[\d_]", " ", phrase))
        if index == 0 and words != f"alexa {launch.open} {name}" and not _requests_of(words, name, launch) & samples:
            problems.append(f"the first must be 'Alexa, {launch.open} {name}' or "
                            f"'Alexa, {launch.ask} {name} <a sample utterance>', got {phrase!r}")
        elif index > 0 and not _requests_of(words, name, launch) & samples:
            problems.append(f"{phrase!r} must be 'Alexa, {launch.ask} {name} <a sample utterance>'")
    return problems


def _requests_of(words: str, invocation: str, launch: LaunchPhrases) -> set[str]:
    """The request after the launch phrase and the name, with and without a leading connecting
    word ("ask ... about causes": "causes"; "pregúntale a ... por qué ...": "por qué ...", a sample)."""
    match = re.fullmatch(rf"alexa (?:{launch.asks}) {re.escape(invocation)} (.+)", words)
    if not match:
        return set()
    request = match.group(1)
    return {request, re.sub(rf"^(?:{launch.connectors}) ", "", request)}
