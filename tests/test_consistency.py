"""The shipped artefacts agree and keep the platform's rules, in every locale.

The rules live in the product (skill/tools/validation/), where `backtwitch validate` runs them too;
here each rule is one test per locale, so a failure names the rule and the locale. Each rule
is shown to fail on a deliberately broken copy in tests/test_validation.py.
"""
from __future__ import annotations

import pytest

from skill.conversation import build
from skill.config import REPO_ROOT
from support import repository
from skill.conversation.locales import load_models
from skill.conversation.slots import SlotCatalogs
from skill.tools.validation import consistency
from skill.tools.validation.model import MODEL_RULES

MODELS = load_models(REPO_ROOT / "interaction_model")
CONTENT = repository.content()
LOCALES = sorted(MODELS)


def test_every_content_locale_has_a_model_and_every_model_content():
    assert sorted(CONTENT.locales) == LOCALES == ["en-AU", "en-CA", "en-GB", "en-IN", "en-US", "es-ES", "es-MX", "es-US"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("rule", MODEL_RULES, ids=lambda rule: rule.__name__)
def test_the_model_keeps_each_platform_rule(rule, locale):
    problems = rule(MODELS[locale])
    assert not problems, f"{locale} model breaks {rule.__name__}: {problems}"


@pytest.mark.parametrize("locale", LOCALES)
def test_handlers_and_the_model_name_the_same_intents(locale):
    assert consistency.handlers_and_intents(MODELS[locale]) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_custom_intent_has_a_name_free_decision(locale):
    assert consistency.name_free_decided(MODELS[locale]) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_values_topics_and_screening_slots_match_content(locale):
    assert consistency.model_and_content_checks(MODELS[locale], CONTENT.for_locale(locale)) == []


def test_every_follow_up_offer_points_to_a_topic_or_the_routine():
    content = CONTENT.for_locale("en-US")
    targets = set(content.topics) | {content.routine.id}
    broken = {topic.id: topic.offer for topic in content.topics.values() if topic.offer not in targets}
    assert not broken, f"follow-up offers (topic -> offered topic) pointing at no topic; 'yes' would do nothing: {broken}"
    assert content.routine.offer in content.topics, f"the routine's follow-up offers {content.routine.offer!r}, no topic"


def test_the_invocation_name_is_one_per_language():
    names = {locale: model["interactionModel"]["languageModel"]["invocationName"] for locale, model in MODELS.items()}
    assert {locale: name for locale, name in names.items() if locale.startswith("en-")} == {
        locale: "back twitch helper" for locale in names if locale.startswith("en-")}
    assert {locale: name for locale, name in names.items() if locale.startswith("es-")} == {
        "es-US": "espasmos de espalda", "es-MX": "espasmos de espalda", "es-ES": "espasmos de espalda"}


def test_the_skills_own_synonym_lookup_agrees_with_the_model_in_every_locale():
    """Without entity resolution the skill resolves slot words itself, per locale."""
    catalogs = SlotCatalogs.from_models(MODELS)
    for locale, model in MODELS.items():
        catalog = catalogs.for_locale(locale)
        for slot_type in model["interactionModel"]["languageModel"]["types"]:
            for value in slot_type["values"]:
                for word in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                    assert catalog.lookup(slot_type["name"], word) == value["id"], (locale, slot_type["name"], word)


def test_topic_intents_are_answered_name_free():
    assert set(build.TOPIC_INTENTS) <= build.NAME_FREE_INTENTS
