"""Five locales from one source: each answers with its own emergency number and care words,
an unknown locale gets en-US, and the override machinery merges, replaces and refuses as designed."""
from __future__ import annotations

import json
import re

import pytest

from skill.config import REPO_ROOT
from support import repository
from skill.conversation.flows.answers import EMERGENCY_TOPIC, topic_reply
from skill.conversation.locales import apply_model_overrides, load_model, merge, replace_words
from skill.conversation.reply import to_ssml

# locale -> what the listener hears, as SSML (the card keeps the digits)
EMERGENCY = {
    "en-US": ['<sub alias="nine one one">911</sub>'],
    "en-CA": ['<sub alias="nine one one">911</sub>'],
    "en-GB": ['<sub alias="nine nine nine">999</sub>'],
    "en-AU": ['<sub alias="triple zero">000</sub>, or <sub alias="one one one">111</sub> in New Zealand'],
    "en-IN": ['<sub alias="one one two">112</sub>'],
}
CARD_NUMBER = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000, or 111 in New Zealand", "en-IN": "112"}
CONTENT = repository.content()


@pytest.mark.parametrize("locale", sorted(EMERGENCY))
def test_the_first_launch_disclaimer_gives_the_locales_own_emergency_number(talk, locale):
    turn = talk(locale=locale).launch()
    assert "not medical advice" in turn.speech
    for spoken in EMERGENCY[locale]:
        assert spoken in turn.ssml, f"{locale} first launch: {turn.ssml}"
    others = {number for other, numbers in EMERGENCY.items() if other != locale for number in numbers}
    heard = [number for number in others - set(EMERGENCY[locale]) if number in turn.ssml]
    assert not heard, f"{locale} heard another locale's number: {heard}"


@pytest.mark.parametrize("locale", sorted(EMERGENCY))
def test_the_emergency_intent_gives_the_locales_own_emergency_number(talk, locale):
    turn = talk(locale=locale).ask("EmergencyIntent")
    for spoken in EMERGENCY[locale]:
        assert spoken in turn.ssml, f"{locale} emergency: {turn.ssml}"
    assert f"Call {CARD_NUMBER[locale]} now" in turn.card["content"]
    assert turn.ends_session is True


def test_australia_says_both_triple_zero_and_new_zealands_111_as_two_numbers(talk):
    turn = talk(locale="en-AU").ask("EmergencyIntent")
    assert "call triple zero, or one one one in New Zealand" in spoken_aliases(turn.ssml)
    assert "triple zero, or one one one in New Zealand" in spoken_aliases(talk(locale="en-AU").launch().ssml)


def spoken_aliases(ssml: str) -> str:
    """The words said: aliases instead of written forms, tags gone."""
    return " ".join(re.sub(r"<[^>]+>", "", re.sub(r'<sub alias="([^"]*)">[^<]*</sub>', r"\1", ssml)).split())


def test_the_uk_hears_its_care_words_and_999_for_an_emergency(talk):
    conversation = talk(locale="en-GB")
    turn = conversation.ask("SeeDoctorIntent")
    assert 'See your <say-as interpret-as="characters">GP</say-as>' in turn.ssml
    sooner = conversation.ask("AMAZON.YesIntent")
    assert '<say-as interpret-as="characters">NHS</say-as> <sub alias="one one one">111</sub>' in sooner.ssml
    emergency = conversation.ask("EmergencyIntent")
    assert '<sub alias="nine nine nine">999</sub>' in emergency.ssml and "ask someone near you to call" in emergency.speech
    assert "A&amp;E" not in emergency.ssml, "chest pain and stroke signs go to 999, not A&E"


@pytest.mark.parametrize("locale, care", [("en-GB", "GP"), ("en-AU", "GP"), ("en-IN", "GP"), ("en-CA", "family doctor"),
                                          ("en-US", "primary care provider")])
def test_the_two_week_threshold_names_the_locales_first_contact(locale, care):
    content = CONTENT.for_locale(locale)
    first = content.say(content.topics["serious"].items[0].speech)
    assert f"consult your {care}." in first and "two weeks" in first


@pytest.mark.parametrize("locale", sorted(EMERGENCY))
def test_each_part_of_the_emergency_signs_names_the_locales_number_once(locale):
    content = CONTENT.for_locale(locale)
    topic = content.topics[EMERGENCY_TOPIC]
    for start in range(0, len(topic.items), topic.chunk_size):
        reply, _ = topic_reply(content, topic, start)
        ssml = to_ssml(reply.speech, content.pronounce)
        for spoken in EMERGENCY[locale]:
            assert ssml.count(spoken) == 1, f"{locale} emergency signs from item {start + 1}: {ssml}"
        assert "use your phone now to call" in ssml
    if locale == "en-IN":
        assert "108" in content.say(topic.outro)


def test_australia_says_heat_pack_not_heating_pad():
    content = CONTENT.for_locale("en-AU")
    step = content.routine.steps[3]
    said = content.say(step.speech) + content.say(step.safety.speech)
    assert "heat pack" in said and "heating pad" not in said


def test_an_unknown_locale_gets_us_english_content_and_slot_words(talk):
    turn = talk(locale="fr-FR").ask("CauseIntent", cause="too much coffee")
    assert "Caffeine and other stimulants" in turn.speech
    assert '<sub alias="nine one one">911</sub>' in talk(locale="de-DE").launch().ssml


def test_each_locale_resolves_slot_words_with_its_own_model(talk):
    """Without entity resolution the skill resolves the words itself, with the request locale's model."""
    assert "Caffeine and other stimulants" in talk(locale="en-GB").ask("CauseIntent", cause="builder's tea").speech
    assert "Sorry, I can't help with that one" in talk(locale="en-US").ask("CauseIntent", cause="builder's tea").speech


@pytest.mark.parametrize("locale, word", [("en-GB", "fibres"), ("en-AU", "fibres"), ("en-CA", "fibres"),
                                          ("en-IN", "fibres"), ("en-US", "fibers")])
def test_spelling_follows_the_locale(locale, word):
    assert word in CONTENT.for_locale(locale).say(CONTENT.for_locale(locale).topics["why_twitching"].intro)


def test_only_one_locale_per_language_is_written_out_in_full():
    """en-US for English, es-US for Spanish; every other locale is its base plus overrides.yaml,
    and its interaction_model/<locale>.json is the built copy (`backtwitch models`), never a source."""
    for locale_dir in (REPO_ROOT / "content").iterdir():
        if locale_dir.name not in ("en-US", "es-US"):
            assert [p.name for p in locale_dir.iterdir()] == ["overrides.yaml"], locale_dir
    models = REPO_ROOT / "interaction_model"
    built = sorted(p.stem for p in models.glob("*.json") if p.stem not in ("en-US", "es-US"))
    assert built == sorted(p.stem for p in (models / "overrides").glob("*.yaml"))
    for locale in built:
        assert json.loads((models / f"{locale}.json").read_text()) == load_model(models, locale), locale


# --- the override machinery ------------------------------------------------------------------

def test_merge_goes_deep_merges_lists_by_id_and_replaces_the_rest():
    base = {"a": {"b": 1, "c": [1, 2]}, "items": [{"id": "x", "t": "old", "k": 1}, {"id": "y", "t": "keep"}]}
    overlay = {"a": {"c": [3]}, "items": [{"id": "x", "t": "new"}]}
    merged, problems = merge(base, overlay)
    assert problems == []
    assert merged == {"a": {"b": 1, "c": [3]}, "items": [{"id": "x", "t": "new", "k": 1}, {"id": "y", "t": "keep"}]}
    assert base["items"][0]["t"] == "old", "the base is never changed"


def test_merge_refuses_keys_and_ids_the_base_lacks_except_in_open_tables():
    base = {"common": {"locale": {"n": "911"}, "phrases": {"bye": "Bye."}}}
    overlay = {"common": {"locale": {"nz": "111"}, "phrases": {"by": "Cheerio."}}}
    merged, problems = merge(base, overlay, open_tables=frozenset({("common", "locale")}))
    assert merged["common"]["locale"] == {"n": "911", "nz": "111"}
    assert problems == [("common.phrases.by", "en-US has no 'by' here, so this override changes nothing")]
    assert merge([{"id": "a"}], [{"id": "b"}])[1] == [("", "en-US has no item with id 'b'")]


def test_words_are_replaced_whole_keeping_case_and_never_in_identifiers():
    data = {"t": {"id": "fibers", "text": "Fibers and fibers, not fibersome.", "meta": {"source": "fibers"}}}
    replaced, problems = replace_words(data, {"fibers": "fibres", "color": "colour"})
    assert replaced == {"t": {"id": "fibers", "text": "Fibres and fibres, not fibersome.", "meta": {"source": "fibers"}}}
    assert problems == [("words.color", "never occurs in the content, so it replaces nothing")]


def test_a_generated_model_is_en_us_plus_its_overrides():
    us = load_model(REPO_ROOT / "interaction_model", "en-US")
    uk = load_model(REPO_ROOT / "interaction_model", "en-GB")
    samples = {i["name"]: i.get("samples", []) for i in uk["interactionModel"]["languageModel"]["intents"]}
    assert "call nine nine nine" in samples["EmergencyIntent"]
    us_samples = {i["name"]: i.get("samples", []) for i in us["interactionModel"]["languageModel"]["intents"]}
    assert samples["EmergencyIntent"][:len(us_samples["EmergencyIntent"])] == us_samples["EmergencyIntent"]
    assert {k: v for k, v in samples.items() if k != "EmergencyIntent"} == {
        k: v for k, v in us_samples.items() if k != "EmergencyIntent"}


def test_model_overrides_remove_then_add_and_report_what_does_not_fit():
    base = {"interactionModel": {"languageModel": {"invocationName": "back twitch helper", "intents": [
        {"name": "A", "samples": ["one", "two"]}], "types": [{"name": "T", "values": [
            {"id": "v", "name": {"value": "vee", "synonyms": ["v"]}}]}]}}}
    overrides = {"samples": {"A": {"remove": ["two"], "add": ["three"]}, "B": {"add": ["x"]}},
                 "synonyms": {"T": {"v": {"add": ["vi"]}, "w": {"add": ["x"]}}}}
    model, problems = apply_model_overrides(base, overrides)
    language = model["interactionModel"]["languageModel"]
    assert language["intents"][0]["samples"] == ["one", "three"]
    assert language["types"][0]["values"][0]["name"]["synonyms"] == ["v", "vi"]
    assert problems == [("samples.B", "no such intent in en-US.json"), ("synonyms.T.w", "no value with that id in en-US.json")]
    assert base["interactionModel"]["languageModel"]["intents"][0]["samples"] == ["one", "two"]


# --- saying numbers clearly ----------------------------------------------------------------

def test_a_listed_written_form_is_said_the_locales_way_and_only_as_a_whole_word():
    pronounce = {"000": "triple zero", "A&E": "A and E"}
    assert to_ssml(["Call 000, or go to A&E. 1000 steps."], pronounce) == (
        '<speak>Call <sub alias="triple zero">000</sub>, or go to <sub alias="A and E">A&amp;E</sub>. 1000 steps.</speak>')


def test_pronunciations_and_acronyms_never_nest():
    assert to_ssml(["Call NHS 111."], {"111": "one one one", "NHS": "N H S"}) == (
        '<speak>Call <sub alias="N H S">NHS</sub> <sub alias="one one one">111</sub>.</speak>')
    assert to_ssml(["ALS"]) == '<speak><say-as interpret-as="characters">ALS</say-as></speak>'
