"""The emergency net: EmergencyIntent is reachable from every state of every conversation, and its
samples cover every emergency sign of shared/docs/safety.md in everyday words, first and third
person, in every locale."""
from __future__ import annotations

import re

import pytest

from skill.config import REPO_ROOT
from skill.conversation.reply import heard_text, word_count
from skill.conversation.locales import intents_of, load_models

MODELS = load_models(REPO_ROOT / "interaction_model")
# safety.md's emergency signs -> words that show a sample speaks of it (at least 3 samples each), per language.
SIGNS = {
    "en": {
        "saddle numbness": r"groin|between my legs|inner thigh|bottom|genital|private|wipe|saddle|butt",
        "bladder or bowel trouble": r"pee|urin|bladder|bowel|wet (my|him|her)self|poo|leak",
        "both legs weak or numb": r"legs",
        "back pain after a fall or accident": r"fell|fall|accident|crash",
        "stroke signs": r"stroke|droop|slurr|arm",
        "breathing or swallowing": r"breath|swallow",
        "chest pain": r"chest",
        "collapse": r"collaps|faint|passed out|unconscious|won't wake",
    },
    "es": {
        "saddle numbness": r"entrepierna|ingle|nalga|glúteo|genital|zona íntima|muslo|limpi|partes",
        "bladder or bowel trouble": r"orin|pipí|vejiga|intestino|hacer del baño|heces|popó|me hice|me sale",
        "both legs weak or numb": r"piernas",
        "back pain after a fall or accident": r"caí|caíd|accidente|choque|choqué",
        "stroke signs": r"derrame|embolia|ictus|cara|arrastr|brazo",
        "breathing or swallowing": r"respir|traga|tragar|aire",
        "chest pain": r"pecho",
        "collapse": r"desmay|desvanec|inconsciente|priv|no despierta|no reacciona",
    },
}
THIRD_PERSON = {
    "en": r"\b(he|she|his|her|husband|wife|mom|dad|mum|son|daughter|friend|partner|someone|somebody|father|mother)\b",
    "es": r"\b(él|ella|esposo|esposa|mamá|papá|madre|padre|hijo|hija|amigo|amiga|pareja|alguien|abuelo|abuela|marido|mujer)\b",
}
# What the emergency answer says about someone else making the call, and the local number.
ASK_SOMEONE = {"en": ("ask someone near you to call", "ask someone to call"), "es": ("pida a quien esté cerca que llame",)}
NUMBERS = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000", "en-IN": "112",
           "es-US": "911", "es-MX": "911", "es-ES": "112"}
NOT_SURE = {"en": "not sure", "es": "no estoy seguro"}


@pytest.mark.parametrize("locale", sorted(MODELS))
def test_the_emergency_intent_has_at_least_sixty_samples_covering_every_sign(locale):
    samples = intents_of(MODELS[locale])["EmergencyIntent"]["samples"]
    language = locale[:2]
    assert len(samples) >= 60, f"{locale}: only {len(samples)} emergency samples"
    for sign, words in SIGNS[language].items():
        matching = [s for s in samples if re.search(words, s)]
        assert len(matching) >= 3, f"{locale}: {sign} has {len(matching)} samples: {matching}"
    third = [s for s in samples if re.search(THIRD_PERSON[language], s)]
    assert len(third) >= 10, f"{locale}: only {len(third)} third-person samples"


def _top_level(c):
    c.launch()


def _after_topic(c):
    c.launch()
    c.ask("WhyTwitchingIntent")


def _at_question(answers):
    def reach(c):
        c.launch()
        c.ask("IsItSeriousIntent")
        for slot, value in answers:
            c.ask("ScreeningIntent", **{slot: value})
    return reach


def _after_outcome(c):
    _at_question([("emergency_signs", "no"), ("sudden_signs", "no"), ("duration", "P3D"), ("weakness", "no"), ("numbness", "no"),
                  ("widespread", "no")])(c)


def _in_routine(c):
    c.launch()
    c.ask("ReliefIntent")
    c.ask("AMAZON.NextIntent")


def _at_timer_offer(c):
    c.launch()
    c.ask("ReliefIntent")
    c.ask("GoToStepIntent", number="4")


def _paused_routine(c):
    c.launch()
    c.ask("ReliefIntent")
    c.ask("AMAZON.PauseIntent")


def _delete_confirmation(c):
    c.launch()
    c.ask("DeleteDataIntent")


def _one_shot(c):
    c.session_id = None


STATES = {
    "top level": _top_level,
    "after a topic": _after_topic,
    "at the gate": _at_question([]),
    "at the second gate question": _at_question([("emergency_signs", "no")]),
    "at how long": _at_question([("emergency_signs", "no"), ("sudden_signs", "no")]),
    "at weakness": _at_question([("emergency_signs", "no"), ("sudden_signs", "no"), ("duration", "P3W")]),
    "at widespread": _at_question([("emergency_signs", "no"), ("sudden_signs", "no"), ("duration", "P3W"),
                                   ("weakness", "no"), ("numbness", "yes")]),
    "at the notes offer": _at_question([("emergency_signs", "no"), ("sudden_signs", "no"), ("duration", "P3D"),
                                        ("weakness", "no"), ("numbness", "yes"), ("widespread", "no")]),
    "after the outcome": _after_outcome,
    "in the routine": _in_routine,
    "at the timer offer": _at_timer_offer,
    "routine paused": _paused_routine,
    "asked to confirm a deletion": _delete_confirmation,
    "one-shot, no session": _one_shot,
}


@pytest.mark.parametrize("state", list(STATES))
def test_an_emergency_is_answered_from_every_state(talk, state):
    conversation = talk()
    STATES[state](conversation)
    turn = conversation.ask("EmergencyIntent")
    assert turn.status == 200
    assert "call 911 now" in turn.speech and "I can't make the call for you" in turn.speech, turn.speech
    assert turn.ends_session is True and not turn.response.get("directives")
    assert turn.card and turn.card["title"] == "Emergency: call now"
    for self_care in ("stretch", "Step", "water", "relief routine"):
        assert self_care not in turn.speech, f"self-care talk after emergency advice: {turn.speech}"


@pytest.mark.parametrize("locale, number, said", [("en-GB", "999", "nine nine nine"), ("en-AU", "000", "triple zero"),
                                                  ("en-IN", "112", "one one two"), ("en-CA", "911", "nine one one")])
def test_the_emergency_answer_names_the_locales_number(talk, locale, number, said):
    conversation = talk(locale=locale)
    _at_question([("emergency_signs", "no")])(conversation)
    turn = conversation.ask("EmergencyIntent")
    assert f'<sub alias="{said}">{number}</sub>' in turn.ssml
    assert turn.ends_session is True


@pytest.mark.parametrize("locale", sorted(MODELS))
def test_the_emergency_answer_is_short_and_names_the_number_once(talk, locale):
    """Said at once after "not sure" at the gate: under 40 words, the local number exactly once."""
    language = locale[:2]
    conversation = talk(locale=locale)
    _at_question([])(conversation)
    turn = conversation.ask("ScreeningIntent", emergency_signs=NOT_SURE[language])
    assert turn.ends_session is True, turn.speech
    words = word_count(heard_text(turn.ssml))
    assert words <= 40, f"{words} words: {turn.speech}"
    assert turn.speech.count(NUMBERS[locale]) == 1, turn.speech
    assert any(words in turn.speech for words in ASK_SOMEONE[language]), turn.speech
