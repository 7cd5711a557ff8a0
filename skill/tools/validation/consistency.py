"""The artefacts agree: interaction model, handlers and content name the same things.

Each check returns (key, problem) pairs for one locale: an intent nobody handles sends people
to the fallback, a slot value id without content can't be answered, a locale with content but
no model (or the reverse) can't be published.
"""
from __future__ import annotations

from typing import Any

from ...conversation import build
from ...conversation.content import LocaleContent
from ...conversation.locales import Problem, intents_of, slot_types_of
from ...conversation.slots import SlotCatalog

ANSWER_IDS = {"yes", "no", "unsure"}  # the screening's rule table speaks in these ids


def handlers_and_intents(model: dict[str, Any]) -> list[Problem]:
    """Every model intent has a handler that names it, and every named intent is in the model."""
    handled = build.handled_intents(SlotCatalog.from_model_data(model))
    intents = set(intents_of(model))
    problems = [(f"intents.{name}", "no handler answers it by name, so people would hit the fallback")
                for name in sorted(intents - handled)]
    problems += [("intents", f"a handler answers {name}, which the model never sends") for name in sorted(handled - intents)]
    return problems


def topics_and_intents(model: dict[str, Any], content: LocaleContent) -> list[Problem]:
    """Each topic intent of build.TOPIC_INTENTS is in the model and has its topic in content."""
    intents = intents_of(model)
    problems = [(f"intents.{intent}", f"build.TOPIC_INTENTS answers it with topic {topic!r}, which content lacks")
                for intent, topic in build.TOPIC_INTENTS.items() if topic not in content.topics]
    problems += [(f"intents.{intent}", "build.TOPIC_INTENTS names it, but the model lacks it")
                 for intent in build.TOPIC_INTENTS if intent not in intents]
    return problems


def causes_and_slot_values(model: dict[str, Any], content: LocaleContent) -> list[Problem]:
    """CAUSE value ids equal content cause ids, both ways, and every value has an id."""
    values = slot_types_of(model).get("CAUSE", {}).get("values", [])
    ids = {value.get("id") for value in values}
    problems = [("types.CAUSE.values", f"{value['name']['value']!r} has no id (content is keyed by id)")
                for value in values if not value.get("id")]
    problems += [(f"types.CAUSE.values.{value_id}", "no cause with this id in content (causes.yaml)")
                 for value_id in sorted(i for i in ids if i) if content.cause(value_id) is None]
    problems += [("types.CAUSE", f"content cause {cause.id!r} has no slot value, so nobody can ask about it")
                 for cause in content.causes if cause.id not in ids]
    return problems


def screening_slots(model: dict[str, Any], content: LocaleContent) -> list[Problem]:
    """Each screening question's slot is a ScreeningIntent slot; yes/no answer types carry the rule ids."""
    intent = intents_of(model).get("ScreeningIntent")
    if intent is None:
        return [("intents", "ScreeningIntent is missing, but content has a screening")]
    slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
    types = slot_types_of(model)
    problems = []
    for question in content.screening.questions:
        slot_type = slot_types.get(question.slot)
        if slot_type is None:
            problems.append(("intents.ScreeningIntent.slots", f"no slot {question.slot!r} for question {question.id!r}"))
        elif slot_type in types:
            missing = ANSWER_IDS - {value.get("id") for value in types[slot_type].get("values", [])}
            if missing:
                problems.append((f"types.{slot_type}.values", f"lacks the answer ids {sorted(missing)} the rules use"))
    return problems


def answer_words_resolve(model: dict[str, Any], content: LocaleContent) -> list[Problem]:
    """The words content uses for an answer (screening.answer_words: said back in a card, sent by
    a touch on "not sure", put back in a slot) are, in this locale's model, that answer in every
    answer type the questions use: a "no estoy seguro" button must mean unsure in Spanish too."""
    catalog = SlotCatalog.from_model_data(model)
    slot_types = {slot["name"]: slot["type"] for slot in intents_of(model).get("ScreeningIntent", {}).get("slots", [])}
    types = slot_types_of(model)
    answer_types = sorted({slot_types[q.slot] for q in content.screening.questions if slot_types.get(q.slot) in types
                           and ANSWER_IDS <= {value.get("id") for value in types[slot_types[q.slot]].get("values", [])}})
    return [(f"types.{type_name}.values.{answer}", f"content's answer word {words!r} (screening.answer_words.{answer}) "
             f"is not a word of this value, so it would not be understood as {answer!r}")
            for type_name in answer_types for answer, words in content.screening.answer_words.items()
            if catalog.lookup(type_name, words) != answer]


def name_free_decided(model: dict[str, Any]) -> list[Problem]:
    """Every custom intent is deliberately answered name-free or deliberately not."""
    custom = {name for name in intents_of(model) if not name.startswith("AMAZON.")}
    yes, no = build.NAME_FREE_INTENTS, build.NOT_NAME_FREE_INTENTS
    problems = [(f"intents.{name}", "not in build.NAME_FREE_INTENTS or NOT_NAME_FREE_INTENTS: decide whether "
                 "CanFulfillIntentRequest may claim it") for name in sorted(custom - yes - no)]
    problems += [("intents", f"build names {name} for name-free decisions, but the model lacks it")
                 for name in sorted((yes | no) - custom)]
    problems += [("intents", f"{name} is both answered and not answered name-free") for name in sorted(yes & no)]
    return problems


def model_checks(model: dict[str, Any]) -> list[Problem]:
    """The checks that need only the model (and the code)."""
    return [*handlers_and_intents(model), *name_free_decided(model)]


def model_and_content_checks(model: dict[str, Any], content: LocaleContent) -> list[Problem]:
    """The checks that compare one locale's model with its content."""
    return [*topics_and_intents(model, content), *causes_and_slot_values(model, content), *screening_slots(model, content),
            *answer_words_resolve(model, content)]
