"""Spanish understanding (es-US, es-MX, es-ES): the words the skill reads back from slots
(skill/conversation/slots.py), the times the reminders say (flows/reminders.py), the offline
stand-in for Alexa's understanding and the built-in slot values it sends (devtools/understanding.py,
devtools/spoken.py), and the NLU evaluation's Spanish training and normalisation
(validation/nlu_eval.py). English behaviour is checked alongside: it must not change.

Self-contained: a tiny Spanish model here, not interaction_model/es-US.json, so these rules are
held whatever the real samples say.
"""
from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from ask_sdk_model import Slot

from skill.conversation.flows import reminders as flow
from skill.conversation.slots import ENGLISH, SlotCatalog, fold, number_value, parse_duration_days, words_language
from skill.conversation.slots import SPANISH as SPANISH_LANGUAGE
from skill.tools.devtools import spoken
from skill.tools.devtools.understanding import (
    BUILT_IN_PHRASES,
    SPANISH_BUILT_IN_PHRASES,
    Elicitation,
    Understanding,
    built_in_phrases,
    invocation_parts,
    model_language,
    normal,
)
from skill.tools.validation import nlu_eval
from skill.tools.validation.nlu_eval import Annotation, load_annotations, sample_overlaps, training_phrases

SPANISH_LOCALES = ("es-US", "es-MX", "es-ES")
needs_sklearn = pytest.mark.skipif(not nlu_eval.sklearn_available(),
                                   reason="scikit-learn is not installed: pip install -e '.[test]'")


def intent(name: str, samples: list[str], slots: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    return {"name": name, "samples": samples, **({"slots": [{"name": n, "type": t} for n, t in slots]} if slots else {})}


def spanish_model() -> dict[str, Any]:
    """A tiny es model in the shape of interaction_model/en-US.json: the same intent, slot and id names."""
    return {"interactionModel": {"languageModel": {
        "invocationName": "ayudante de espalda",
        "intents": [
            intent("WhyTwitchingIntent", ["por qué me tiembla la espalda", "qué hace que me brinque un músculo de la espalda",
                                          "por qué se me mueve la espalda sola", "a qué se debe el temblor de la espalda"]),
            intent("AlsIntent", ["qué es la ela", "es ela", "podría ser ela"]),
            intent("CauseIntent", ["puede el {cause} causarlo", "será por el {cause}", "háblame del {cause}"],
                   (("cause", "CAUSE"),)),
            intent("EmergencyIntent", ["no siento las piernas", "me duele el pecho", "no puedo respirar", "mi mamá se desmayó"]),
            intent("ScreeningIntent", ["revisa mis síntomas", "es grave", "me tiembla desde hace {duration}",
                                       "me tiembla {duration_phrase}", "llevo {duration} así"],
                   (("duration", "AMAZON.DURATION"), ("duration_phrase", "DURATION_PHRASE"), ("weakness", "YES_NO"))),
            intent("SetReminderIntent", ["recuérdame estirar a las {time}", "ponme un recordatorio para {habit}",
                                         "recuérdame las pausas de {from_time} a {to_time}"],
                   (("habit", "HABIT"), ("time", "AMAZON.TIME"), ("from_time", "AMAZON.TIME"), ("to_time", "AMAZON.TIME"))),
            intent("GoToStepIntent", ["ve al paso {number}", "ir al paso {number}"], (("number", "AMAZON.NUMBER"),)),
            *(intent(f"AMAZON.{name}Intent", []) for name in (
                "Yes", "No", "Stop", "Cancel", "Help", "Repeat", "Next", "Previous", "Pause", "Resume", "StartOver",
                "More", "NavigateHome")),
            intent("AMAZON.FallbackIntent", ["pon música", "qué tiempo hace", "cuéntame un chiste"]),
        ],
        "types": [
            {"name": "CAUSE", "values": [
                {"id": "caffeine", "name": {"value": "café", "synonyms": ["cafeína", "bebidas energéticas"]}},
                {"id": "stress", "name": {"value": "estrés", "synonyms": ["ansiedad", "nervios"]}}]},
            {"name": "YES_NO", "values": [
                {"id": "yes", "name": {"value": "sí", "synonyms": ["claro"]}},
                {"id": "no", "name": {"value": "no", "synonyms": ["para nada"]}},
                {"id": "unsure", "name": {"value": "no sé", "synonyms": ["no estoy seguro", "no estoy segura", "quizás"]}}]},
            {"name": "DURATION_PHRASE", "values": [
                {"id": "P1D", "name": {"value": "desde ayer", "synonyms": ["desde anoche"]}}]},
            {"name": "HABIT", "values": [
                {"id": "stretch", "name": {"value": "estiramientos", "synonyms": ["estirar"]}},
                {"id": "water", "name": {"value": "agua", "synonyms": ["tomar agua"]}}]},
        ],
    }}}


def english_model() -> dict[str, Any]:
    return {"interactionModel": {"languageModel": {
        "invocationName": "back twitch helper",
        "intents": [
            intent("WhyTwitchingIntent", ["why is my back twitching", "what makes my back twitch"]),
            intent("GoToStepIntent", ["go to step {number}"], (("number", "AMAZON.NUMBER"),)),
            *(intent(f"AMAZON.{name}Intent", []) for name in ("Yes", "No", "Next", "Stop")),
            intent("AMAZON.FallbackIntent", ["play some music"]),
        ],
        "types": [],
    }}}


SPANISH = Understanding(spanish_model(), "es-US")


# --------------------------------------------------------------------------- the language of a locale

@pytest.mark.parametrize("locale, language", [
    ("es-US", "es"), ("es-MX", "es"), ("es-ES", "es"), ("es-AR", "es"), ("en-US", "en"), ("en-GB", "en"),
    ("fr-FR", "en"), (None, "en"), ("", "en")])
def test_the_locale_picks_the_language_of_the_word_rules(locale, language):
    assert words_language(locale) == language


def test_folding_takes_accents_off_one_character_for_one():
    assert fold("¿Qué pasa mañana, Ñandú? Pingüino") == "¿Que pasa manana, Nandu? Pinguino"
    assert fold("que\u0301") == "que"  # a decomposed accent is composed first
    text = "qué músculo"
    assert len(fold(text)) == len(text)
    assert fold("why is my back twitching") == "why is my back twitching"


# --------------------------------------------------------------------------- slots.py: numbers

def number_slot(value: str) -> Slot:
    return Slot(name="number", value=value)


@pytest.mark.parametrize("words, number", [
    ("cuatro", 4), ("Cuatro", 4), ("cuarto", 4), ("la cuarta", 4), ("paso cuatro", 4), ("el paso cuatro", 4),
    ("el cuarto paso", 4), ("al paso 4", 4), ("séptimo", 7), ("septimo", 7), ("décimo", 10), ("primer", 1),
    ("primero", 1), ("tercer paso", 3), ("diez", 10), ("once", 11), ("cero", 0), ("4", 4)])
def test_a_step_number_said_in_spanish_is_read(words, number):
    for locale in SPANISH_LOCALES:
        assert number_value(number_slot(words), locale) == number, (words, locale)
    assert number_value(number_slot(words)) == number  # without a locale: English, then Spanish


@pytest.mark.parametrize("words", ["el último", "la última", "muchos", "paso", "?", "cuatro cinco"])
def test_spanish_words_that_are_no_single_number_are_none(words):
    assert number_value(number_slot(words), "es-US") is None


def test_english_numbers_read_as_before_and_spanish_words_are_not_english():
    for words, number in (("four", 4), ("step four", 4), ("fourth", 4), ("zero", 0), ("10", 10)):
        assert number_value(number_slot(words), "en-US") == number
        assert number_value(number_slot(words)) == number
    assert number_value(number_slot("cuatro"), "en-GB") is None
    assert number_value(number_slot("four"), "es-MX") is None


# --------------------------------------------------------------------------- slots.py: durations

@pytest.mark.parametrize("words, days", [
    ("tres semanas", 21), ("unas tres semanas", 21), ("hace tres semanas", 21), ("desde hace tres semanas", 21),
    ("unos días", 3), ("unos pocos días", 3), ("varios días", 4), ("hace dos meses", 60), ("un par de semanas", 14),
    ("más de dos semanas", 14), ("una semana", 7), ("una semana y media", 10.5), ("como un mes", 30),
    ("medio año", 182.5), ("un año", 365), ("una quincena", 14), ("3 semanas", 21), ("desde ayer", 1), ("ayer", 1),
    ("desde anoche", 1), ("desde antier", 2), ("desde anteayer", 2), ("desde hoy", 0.5), ("desde esta mañana", 0.5),
    ("desde esta manana", 0.5), ("desde la semana pasada", 7), ("desde el mes pasado", 30),
    ("desde el año pasado", 365), ("desde el fin de semana", 3), ("desde el fin de semana pasado", 5),
    ("Hace Dos Días", 2), ("P3W", 21), ("PXW", 21)])
def test_a_duration_said_in_spanish_is_read_in_days(words, days):
    for locale in SPANISH_LOCALES:
        assert parse_duration_days(words, locale) == pytest.approx(days), (words, locale)
    assert parse_duration_days(words) == pytest.approx(days)


@pytest.mark.parametrize("words", ["hace poco", "no sé", "mucho tiempo", "", "   "])
def test_spanish_words_that_are_no_duration_are_none(words):
    assert parse_duration_days(words, "es-US") is None


def test_english_durations_read_as_before_and_spanish_ones_only_in_spanish():
    for words, days in (("about three weeks", 21), ("a few days", 3), ("since yesterday", 1), ("half a week", 3.5)):
        assert parse_duration_days(words, "en-US") == pytest.approx(days)
        assert parse_duration_days(words) == pytest.approx(days)
    assert parse_duration_days("tres semanas", "en-US") is None
    assert parse_duration_days("three weeks", "es-US") is None


# --------------------------------------------------------------------------- slots.py: the catalog

def test_slot_words_match_with_or_without_accents_and_spanish_question_marks():
    catalog = SlotCatalog.from_model_data(spanish_model())
    for heard, value_id in (("sí", "yes"), ("si", "yes"), ("Sí", "yes"), ("¿sí?", None), ("¡Sí!", None),
                            ("no sé", "unsure"), ("no se", "unsure"), ("No sé", "unsure"), ("quizás", "unsure"),
                            ("quizas", "unsure"), ("no estoy seguro", "unsure"), ("no estoy segura", "unsure"),
                            ("para nada", "no"), ("no", "no"), ("café", None), ("maybe", None)):
        assert catalog.lookup("YES_NO", heard) == value_id, heard
    assert catalog.lookup("YES_NO", "¡sí") == "yes"  # an opening mark alone is dropped
    assert catalog.lookup("CAUSE", "cafe") == "caffeine" and catalog.lookup("CAUSE", "Cafeína") == "caffeine"
    assert catalog.lookup("CAUSE", "estres") == "stress"


def test_an_unaccented_spelling_that_two_values_share_names_neither():
    model = spanish_model()
    model["interactionModel"]["languageModel"]["types"].append({"name": "WORDS", "values": [
        {"id": "year", "name": {"value": "año"}}, {"id": "other", "name": {"value": "ano"}}]})
    catalog = SlotCatalog.from_model_data(model)
    assert catalog.lookup("WORDS", "año") == "year" and catalog.lookup("WORDS", "ano") == "other"
    assert catalog.lookup("WORDS", "AÑO") == "year"
    model["interactionModel"]["languageModel"]["types"][-1]["values"][1]["name"]["value"] = "anó"
    assert SlotCatalog.from_model_data(model).lookup("WORDS", "ano") is None


# --------------------------------------------------------------------------- reminders: times said

@pytest.mark.parametrize("at, words", [
    (time(0), "las doce de la noche"), (time(1), "la una de la madrugada"),
    (time(5, 45), "las cinco y cuarenta y cinco de la madrugada"), (time(6, 15), "las seis y cuarto de la mañana"),
    (time(9), "las nueve de la mañana"), (time(11, 5), "las once y cinco de la mañana"), (time(12), "las doce del mediodía"),
    (time(12, 30), "las doce y media de la tarde"), (time(13), "la una de la tarde"),
    (time(13, 30), "la una y media de la tarde"), (time(16), "las cuatro de la tarde"), (time(19), "las siete de la tarde"),
    (time(19, 21), "las siete y veintiuno de la tarde"),
    (time(20), "las ocho de la noche"), (time(21, 30), "las nueve y media de la noche"),
    (time(22, 40), "las diez y cuarenta de la noche")])
def test_a_reminder_time_is_said_in_spanish_words_with_its_article_and_part_of_the_day(at, words):
    for locale in SPANISH_LOCALES:
        assert flow.said_time(at, locale) == words


def test_english_reminder_times_are_said_as_before():
    assert [flow.said_time(at) for at in (time(12), time(19), time(7, 30), time(0))] == ["noon", "7 PM", "7:30 AM", "12 AM"]
    assert flow.said_time(time(19), "en-GB") == "7 PM"


def test_reminder_lists_and_hours_use_the_languages_words():
    water = flow.Schedule((10, 13, 16))
    assert flow.times_words(water, "es-MX") == "las diez de la mañana, la una de la tarde y las cuatro de la tarde"
    assert flow.times_words(water) == "10 AM, 1 PM and 4 PM"
    breaks = flow.Schedule(tuple(range(10, 17)), weekdays_only=True)
    assert flow.hours_words(breaks, "es-ES") == {"start": "las nueve de la mañana", "end": "las cinco de la tarde"}
    assert flow.hours_words(breaks) == {"start": "9 AM", "end": "5 PM"}


class FakeContent:
    """What flows/reminders.py reads of a LocaleContent: the locale, the phrases, `say`."""

    def __init__(self, locale: str, phrases: dict[str, str]):
        self.locale = locale
        self.reminders = {"phrases": phrases}

    def say(self, text: str, **values: str) -> str:
        return text.format_map(values)


SPANISH_PHRASES = {
    "confirm_hourly": "¿Le recuerdo hacer una pausa cada hora entre {start} y {end}, de lunes a viernes?",
    "confirm_times": "¿Le recuerdo tomar agua todos los días a {times}?",
    "confirm_daily": "¿Programo un recordatorio de {habit} todos los días a {time}?",
    "list_item_other": "Uno que dice: {words}",
    "list_item_daily": "{habit} todos los días a {time}.",
}


def test_the_reminder_questions_and_list_say_spanish_times_from_the_contents_locale():
    content: Any = FakeContent("es-US", SPANISH_PHRASES)
    stretch = flow.Habit("stretch", "estiramiento", "recordatorios de estiramiento", "Hora de estirar.", flow.DAILY,
                         time(19), time(19))
    assert flow.confirm_question(content, stretch, flow.daily_schedule(time(13, 30))) == (
        "¿Programo un recordatorio de estiramiento todos los días a la una y media de la tarde?")
    breaks = flow.Habit("breaks", "pausa activa", "", "", flow.HOURLY, time(9), time(17))
    assert flow.confirm_question(content, breaks, flow.hourly_schedule(time(9), time(17))) == (
        "¿Le recuerdo hacer una pausa cada hora entre las nueve de la mañana y las cinco de la tarde, de lunes a viernes?")
    water = flow.Habit("water", "agua", "", "", flow.TIMES, time(10), time(16), (time(10), time(13), time(16)))
    assert flow.confirm_question(content, water, flow.times_schedule(water)) == (
        "¿Le recuerdo tomar agua todos los días a las diez de la mañana, la una de la tarde y las cuatro de la tarde?")
    silent = {"alertInfo": {"spokenInfo": {"content": [{"locale": "es-US", "text": ""}]}}}
    assert flow.describe(content, silent, {}) == "Uno que dice: nada"
    said = {"alertInfo": {"spokenInfo": {"content": [{"locale": "es-US", "text": "Hora de estirar."}]}},
            "trigger": {"recurrence": {"recurrenceRules": ["FREQ=DAILY;BYHOUR=20;BYMINUTE=0;BYSECOND=0"]}}}
    assert flow.describe(content, said, {"stretch": stretch}) == "Estiramiento todos los días a las ocho de la noche."
    english: Any = FakeContent("en-US", {"list_item_other": "One that says: {words}"})
    assert flow.describe(english, silent, {}) == "One that says: nothing"


def test_nine_to_five_said_in_spanish_is_read_as_the_working_day():
    start, end = (flow.heard_time(spoken.time_value(words, "es-US")) for words in ("nueve", "cinco"))
    habit = flow.Habit("breaks", "pausa", "", "", flow.HOURLY, time(9), time(17))
    assert flow.sitting_hours(start, end, habit) == (time(9), time(17))
    heard = SPANISH.understand("recuérdame las pausas de nueve a cinco")
    assert (heard.slots["from_time"].value, heard.slots["to_time"].value) == ("09:00", "05:00")


# --------------------------------------------------------------------------- spoken.py: built-in slot values

@pytest.mark.parametrize("words, digits", [
    ("cuatro", "4"), ("Cuatro", "4"), ("cero", "0"), ("una", "1"), ("quince", "15"), ("dieciséis", "16"), ("dieciseis", "16"),
    ("veintiuno", "21"), ("veintidós", "22"), ("treinta y cinco", "35"), ("cien", "100"), ("ciento cinco", "105"),
    ("doscientos", "200"), ("mil", "1000"), ("dos mil veintiséis", "2026"), ("7", "7")])
def test_spanish_numbers_arrive_as_digits(words, digits):
    assert spoken.number_value(words, "es-US") == digits


@pytest.mark.parametrize("words", ["cuarto", "y cinco", "treinta y", "treinta y diez", "mucho", "four"])
def test_spanish_words_that_are_no_number_have_no_number_value(words):
    assert spoken.number_value(words, "es-MX") is None


@pytest.mark.parametrize("words, iso", [
    ("tres semanas", "P3W"), ("unos días", "PXD"), ("unas semanas", "PXW"), ("varios meses", "PXM"), ("hace dos meses", "P2M"),
    ("desde hace dos meses", "P2M"), ("desde ayer", "P1D"), ("Desde ayer", "P1D"), ("desde anoche", "P1D"),
    ("desde antier", "P2D"), ("desde la semana pasada", "P1W"), ("desde el mes pasado", "P1M"),
    ("desde el año pasado", "P1Y"), ("un par de semanas", "P2W"), ("un par de días", "P2D"), ("una semana", "P1W"),
    ("un mes", "P1M"), ("un año", "P1Y"), ("un ano", "P1Y"), ("unos tres días", "P3D"), ("como dos semanas", "P2W"),
    ("más o menos un mes", "P1M"), ("una quincena", "P2W"), ("treinta y cinco días", "P35D"),
    ("una semana y dos días", "P1W2D"), ("diez minutos", "PT10M"), ("dos horas", "PT2H"), ("hace 3 semanas", "P3W")])
def test_spanish_durations_arrive_as_iso_8601(words, iso):
    for locale in SPANISH_LOCALES:
        assert spoken.duration_value(words, locale) == iso


@pytest.mark.parametrize("words", ["ayer por la tarde", "hace poco", "mucho tiempo", "una semana y media", "three weeks"])
def test_spanish_words_that_are_no_duration_have_no_duration_value(words):
    assert spoken.duration_value(words, "es-US") is None


@pytest.mark.parametrize("words, value", [
    ("a las siete de la tarde", "19:00"), ("siete de la tarde", "19:00"), ("a las nueve y media", "09:30"),
    ("al mediodía", "12:00"), ("al mediodia", "12:00"), ("mediodía", "12:00"), ("a medianoche", "00:00"),
    ("a la medianoche", "00:00"), ("las doce de la noche", "00:00"), ("la una de la tarde", "13:00"),
    ("a la una", "01:00"), ("las doce del mediodía", "12:00"), ("a las siete y cuarto de la mañana", "07:15"),
    ("las ocho menos cuarto", "07:45"), ("las ocho menos diez de la noche", "19:50"), ("cuarto para las ocho", "07:45"),
    ("diez para las nueve", "08:50"), ("siete treinta", "07:30"), ("siete cuarenta y cinco", "07:45"),
    ("seis y cero cinco", "06:05"), ("a las 7:30", "07:30"), ("19:30", "19:30"), ("1930", "19:30"),
    ("a las 7 p. m.", "19:00"), ("a las 7 pm", "19:00"), ("las diecinueve horas", "19:00"), ("veinte treinta", "20:30"),
    ("a las siete en punto", "07:00"), ("las nueve de la noche", "21:00"), ("las dos de la madrugada", "02:00"),
    ("las dos de la noche", "02:00"), ("a eso de las nueve", "09:00"), ("sobre las diez", "10:00"),
    ("a las nueve esta noche", "21:00"), ("a las ocho en la mañana", "08:00"), ("a las cinco por la tarde", "17:00"),
    ("siete", "07:00")])
def test_spanish_time_words_arrive_as_a_24_hour_clock(words, value):
    for locale in SPANISH_LOCALES:
        assert spoken.time_value(words, locale) == value, (words, locale)


@pytest.mark.parametrize("words, code", [
    ("por la noche", "NI"), ("en la noche", "NI"), ("esta noche", "NI"), ("la noche", "NI"), ("todas las noches", "NI"),
    ("en la mañana", "MO"), ("por la mañana", "MO"), ("por la manana", "MO"), ("en las mañanas", "MO"),
    ("por la tarde", "AF"), ("en la tarde", "AF"), ("esta tarde", "AF")])
def test_a_part_of_the_day_said_in_spanish_arrives_as_its_code(words, code):
    assert spoken.time_value(words, "es-MX") == code


@pytest.mark.parametrize("words", ["mañana", "tarde", "más tarde", "las diecinueve de la tarde", "las nueve y", "cuando pueda",
                                   "seven pm"])
def test_spanish_words_that_are_no_time_of_day_have_no_time_value(words):
    assert spoken.time_value(words, "es-ES") is None


def test_english_built_in_values_are_read_as_before_by_default():
    assert (spoken.number_value("four"), spoken.duration_value("three weeks"), spoken.time_value("seven thirty pm")) == (
        "4", "P3W", "19:30")
    assert spoken.time_value("the evening", "en-GB") == "EV"
    assert (spoken.number_value("cuatro"), spoken.duration_value("tres semanas"), spoken.time_value("a las siete")) == (
        None, None, None)


# --------------------------------------------------------------------------- understanding.py

@pytest.mark.parametrize("words, intent", [
    ("sí", "AMAZON.YesIntent"), ("Sí.", "AMAZON.YesIntent"), ("si", "AMAZON.YesIntent"), ("claro que sí", "AMAZON.YesIntent"),
    ("vale", "AMAZON.YesIntent"), ("no", "AMAZON.NoIntent"), ("no gracias", "AMAZON.NoIntent"), ("ahora no", "AMAZON.NoIntent"),
    ("siguiente", "AMAZON.NextIntent"), ("anterior", "AMAZON.PreviousIntent"), ("atrás", "AMAZON.PreviousIntent"),
    ("repite", "AMAZON.RepeatIntent"), ("repita", "AMAZON.RepeatIntent"), ("otra vez", "AMAZON.RepeatIntent"),
    ("ayuda", "AMAZON.HelpIntent"), ("ayúdeme", "AMAZON.HelpIntent"), ("para", "AMAZON.StopIntent"),
    ("adiós", "AMAZON.StopIntent"), ("cancela", "AMAZON.CancelIntent"), ("olvídalo", "AMAZON.CancelIntent"),
    ("continúa", "AMAZON.ResumeIntent"), ("continua", "AMAZON.ResumeIntent"), ("continúe", "AMAZON.ResumeIntent"),
    ("pausa", "AMAZON.PauseIntent"), ("espere", "AMAZON.PauseIntent"), ("empieza de nuevo", "AMAZON.StartOverIntent"),
    ("empiece de nuevo", "AMAZON.StartOverIntent"), ("más", "AMAZON.MoreIntent"), ("mas", "AMAZON.MoreIntent"),
    ("dígame más", "AMAZON.MoreIntent"), ("menú principal", "AMAZON.NavigateHomeIntent"),
    ("¿por qué me tiembla la espalda?", "WhyTwitchingIntent"), ("Por que me tiembla la espalda", "WhyTwitchingIntent"),
    ("qué es la ELA", "AlsIntent"), ("que es la e. l. a.", "AlsIntent"), ("¿Qué es la E.L.A.?", "AlsIntent"),
    ("por que me tiembla la espada", "WhyTwitchingIntent"),  # a typo: the nearest sample
    ("no siento las piernas", "EmergencyIntent"), ("cuál es la capital de francia", "AMAZON.FallbackIntent"),
    ("yes", "AMAZON.FallbackIntent")])
def test_spanish_words_become_the_intent_the_model_and_alexas_built_ins_give_them(words, intent):
    assert SPANISH.understand(words).intent == intent


def test_a_spanish_slot_value_is_matched_without_accents_and_sent_as_typed():
    heard = SPANISH.understand("¿Puede el café causarlo?")
    slot = heard.slots["cause"]
    assert (heard.intent, slot.value, slot.value_id, slot.value_name, heard.sample) == (
        "CauseIntent", "café", "caffeine", "café", "puede el {cause} causarlo")
    plain = SPANISH.understand("puede el cafe causarlo").slots["cause"]
    assert (plain.value, plain.value_id) == ("cafe", "caffeine")
    near = SPANISH.understand("puede el estrés causarlos")  # near match around a known value
    assert (near.intent, near.how, near.slots["cause"].value, near.slots["cause"].value_id) == (
        "CauseIntent", "near match", "estrés", "stress")
    unknown = SPANISH.understand("será por el colchón").slots["cause"]
    assert (unknown.value, unknown.value_id) == ("colchón", None)


def test_spanish_built_in_slot_values_arrive_as_alexa_sends_them():
    heard = SPANISH.understand("me tiembla desde hace tres semanas")
    assert (heard.intent, heard.slots["duration"].value) == ("ScreeningIntent", "P3W")
    since = SPANISH.understand("me tiembla desde ayer")
    assert (since.slots["duration_phrase"].value_id, since.slots["duration_phrase"].value) == ("P1D", "desde ayer")
    assert SPANISH.understand("llevo un par de semanas así").slots["duration"].value == "P2W"
    step = SPANISH.understand("ve al paso cuatro")
    assert (step.intent, step.slots["number"].value) == ("GoToStepIntent", "4")
    remind = SPANISH.understand("recuérdame estirar a las siete de la tarde")
    assert (remind.intent, remind.slots["time"].value) == ("SetReminderIntent", "19:00")
    answer = SPANISH.understand("por la noche", Elicitation("SetReminderIntent", "time"))
    assert (answer.slots["time"].value, answer.how) == ("NI", "elicited slot, raw words")
    answer = SPANISH.understand("unos días", Elicitation("ScreeningIntent", "duration"))
    assert answer.slots["duration"].value == "PXD"
    yes = SPANISH.understand("sí", Elicitation("ScreeningIntent", "weakness"))
    assert yes.intent == "AMAZON.YesIntent"  # the model has no slot samples here, so Alexa's built-in wins


def test_the_language_comes_from_the_locale_or_else_from_the_samples():
    assert model_language(spanish_model()) == SPANISH_LANGUAGE and model_language(english_model()) == ENGLISH
    guessed = Understanding(spanish_model())
    assert guessed.language == SPANISH_LANGUAGE and guessed.understand("sí").intent == "AMAZON.YesIntent"
    assert guessed.understand("ve al paso cuatro").slots["number"].value == "4"
    for locale in SPANISH_LOCALES:
        assert Understanding(spanish_model(), locale).language == SPANISH_LANGUAGE
    english = Understanding(english_model())
    assert english.language == ENGLISH
    assert [english.understand(w).intent for w in ("yes", "next", "sí", "siguiente")] == [
        "AMAZON.YesIntent", "AMAZON.NextIntent", "AMAZON.FallbackIntent", "AMAZON.FallbackIntent"]
    assert english.understand("go to step four").slots["number"].value == "4"
    assert built_in_phrases(ENGLISH) is BUILT_IN_PHRASES and built_in_phrases(SPANISH_LANGUAGE) is SPANISH_BUILT_IN_PHRASES


def test_every_built_in_intent_with_english_phrases_has_spanish_ones():
    assert set(SPANISH_BUILT_IN_PHRASES) == set(BUILT_IN_PHRASES)
    spanish = [normal(p) for phrases in SPANISH_BUILT_IN_PHRASES.values() for p in phrases]
    assert len(spanish) == len(set(map(fold, spanish))), "a phrase in two built-in intents"


def test_normal_keeps_accents_and_drops_spanish_marks():
    assert normal("¿Qué es la E.L.A.?") == "qué es la ela"
    assert normal("¡Sí, por favor!") == "sí por favor"
    assert normal("What's ALS?") == "what's als"
    assert normal("paso ٣ o ³") == "paso o"  # other scripts' digits are not numbers here


@pytest.mark.parametrize("words, parts", [
    ("abre ayudante de espalda", (True, None)), ("Alexa, abra ayudante de espalda", (True, None)),
    ("abre la skill ayudante de espalda", (True, None)), ("abre ayúdante de espalda", (True, None)),
    ("pídele a ayudante de espalda que me ayude con la espalda", (False, "me ayude con la espalda")),
    ("pregúntale a ayudante de espalda si es grave", (False, "es grave")),
    ("pregúntale a ayudante de espalda qué es la ELA", (False, "qué es la ela")),
    ("pregúntale a ayudante de espalda por qué me tiembla la espalda", (False, "por qué me tiembla la espalda")),
    ("pregunte a ayudante de espalda por el café", (False, "el café")),
    ("usa ayudante de espalda para revisar mis síntomas", (False, "revisar mis síntomas")),
    ("qué es la ela", (False, None))])
def test_the_skills_spanish_name_opens_it_or_carries_a_one_shot_request(words, parts):
    assert invocation_parts(words, "ayudante de espalda", SPANISH_LANGUAGE) == parts


def test_the_skills_english_name_is_read_as_the_chat_always_read_it():
    assert invocation_parts("open the back twitch helper skill", "back twitch helper") == (True, None)
    assert invocation_parts("Alexa, ask back twitch helper if it is serious", "back twitch helper") == (False, "it is serious")
    assert invocation_parts("abre back twitch helper", "back twitch helper") == (False, None)


# --------------------------------------------------------------------------- nlu_eval.py

def test_the_matcher_reads_words_without_accents():
    assert nlu_eval.normal("¿Qué es la E.L.A.?") == "que es la ela"
    assert nlu_eval.normal("Mañana me tiembla") == "manana me tiembla"
    assert nlu_eval.normal("is it a. l. s.") == "is it als"


def test_spanish_training_uses_spanish_built_in_phrases_and_slot_examples():
    phrases = training_phrases(spanish_model(), "es-US")
    texts = {(p.intent, p.text) for p in phrases}
    assert ("AMAZON.YesIntent", "si") in texts and ("AMAZON.RepeatIntent", "repite") in texts
    assert ("AMAZON.YesIntent", "yes") not in texts
    assert ("ScreeningIntent", "me tiembla desde hace tres semanas") in texts
    assert ("GoToStepIntent", "ve al paso cuatro") in texts
    assert ("SetReminderIntent", "recuerdame estirar a las siete de la tarde") in texts
    assert {p.text for p in training_phrases(spanish_model())} == {p.text for p in phrases}  # language from the samples
    english = {p.text for p in training_phrases(english_model(), "en-US")}
    assert "yes" in english and "si" not in english


def test_every_spanish_slot_example_is_a_value_the_chat_sends():
    assert {spoken.duration_value(e, "es-US") is not None for e in nlu_eval.SPANISH_DURATION_EXAMPLES} == {True}
    assert {spoken.number_value(e, "es-US") is not None for e in nlu_eval.SPANISH_NUMBER_EXAMPLES} == {True}
    assert {spoken.time_value(e, "es-US") is not None for e in nlu_eval.SPANISH_TIME_EXAMPLES} == {True}
    assert set(nlu_eval.BUILT_IN_EXAMPLES[SPANISH_LANGUAGE]) == set(nlu_eval.BUILT_IN_EXAMPLES[ENGLISH])


def test_spanish_held_out_utterances_may_carry_accents_and_english_ones_may_not(tmp_path):
    rows = '- {utterance: "qué es la ela", intent: AlsIntent}\n- {utterance: "me tiembla desde hace tres semanas", ' \
           'intent: ScreeningIntent, slots: {duration: P3W}}\n- {utterance: "¿es grave?", intent: ScreeningIntent}\n'
    spanish = tmp_path / "es-MX.yaml"
    spanish.write_text(rows, encoding="utf-8")
    annotations, problems = load_annotations(spanish)
    assert [a.utterance for a in annotations] == ["qué es la ela", "me tiembla desde hace tres semanas", "¿es grave?"]
    assert len(problems) == 1 and "'¿es grave?': lower-case words and single spaces only, accents allowed" in problems[0]
    english = tmp_path / "en-US.yaml"
    english.write_text('- {utterance: "is it als", intent: AlsIntent}\n- {utterance: "qué es", intent: AlsIntent}\n',
                       encoding="utf-8")
    assert len(load_annotations(english)[1]) == 1
    assert load_annotations(english, "es-US")[1] == []  # the locale, when given, rules


def test_a_held_out_spanish_utterance_is_a_sample_with_or_without_accents():
    held_out = [Annotation("que es la ela", "AlsIntent", line=1),
                Annotation("por que me tiembla la espalda", "WhyTwitchingIntent", line=2),
                Annotation("me tiembla desde hace dos semanas", "ScreeningIntent", line=3),
                Annotation("llevo mucho así", "ScreeningIntent", line=4),
                Annotation("ve al paso siete", "GoToStepIntent", line=5)]
    problems = sample_overlaps(held_out, spanish_model(), "es-US.yaml", "es-US")
    assert [p.split(": ")[1] for p in problems] == ["line 1", "line 2", "line 3", "line 5"]


def test_the_gates_and_thresholds_are_the_same_for_spanish():
    assert (nlu_eval.MIN_ACCURACY, nlu_eval.CONFIDENCE_THRESHOLD) == (0.92, 0.30)
    held_out = [Annotation("no siento las piernas", "EmergencyIntent", line=1)]
    report = nlu_eval.evaluate(spanish_model(), held_out, "es-US", "es-US.yaml",
                               matcher=FixedMatcher({"no siento las piernas": "AMAZON.FallbackIntent"}))
    assert report.min_accuracy == nlu_eval.MIN_ACCURACY
    assert "es-US: EmergencyIntent not recognised: 'no siento las piernas'" in "\n".join(report.failures())


class FixedMatcher:
    def __init__(self, answers: dict[str, str]):
        self.answers = answers

    def predict(self, utterances: list[str]) -> list[nlu_eval.Prediction]:
        return [nlu_eval.Prediction(self.answers[u], 0.9, self.answers[u]) for u in utterances]


@needs_sklearn
def test_a_spanish_matcher_places_accented_and_unaccented_words_alike():
    matcher = nlu_eval.Matcher(training_phrases(spanish_model(), "es-US"))
    assert matcher.threshold == nlu_eval.CONFIDENCE_THRESHOLD
    accented, plain = matcher.predict(["¿qué es la ela?", "que es la ela"])
    assert accented == plain and accented.intent == "AlsIntent"
    slots = nlu_eval.evaluate(spanish_model(), [Annotation("recuérdame estirar a las ocho de la noche", "SetReminderIntent",
                                                           (nlu_eval.ExpectedSlot("time", "20:00"),), line=1)],
                              "es-US", "es-US.yaml", matcher=FixedMatcher({"recuérdame estirar a las ocho de la noche":
                                                                           "SetReminderIntent"})).score_slots()
    assert (slots.slots_checked, slots.slots_right) == (1, 1)
