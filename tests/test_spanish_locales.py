"""Spanish for es-US, es-MX and es-ES: a second base locale (es-US, written out in full like en-US)
and two locales built from it.

First the machinery, on a copy of the repository with a made-up language "xx" whose base xx-XX is
en-US's content with one welcome changed: a second base loads beside en-US, its locales are that
base plus their overrides, problems name the right base and file, an unknown locale of a known
language gets that language's base. Then the repository's Spanish itself: every en-US key, id and
placeholder in es-US and nothing more, the screening's rules and the routine's timings identical,
each locale's emergency number said as digits, the model's intents, slots and value ids, and real
request envelopes answered in Spanish."""
from __future__ import annotations

import functools
import json
import re
import shutil
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import repository
from support.pki import poster

from skill.config import REPO_ROOT
from skill.conversation import locales
from skill.conversation.content import ContentError, collect_locales, load_content
from skill.conversation.locales import (
    ModelError,
    fallback_locale,
    intents_of,
    load_model,
    load_models,
    model_locales,
    slot_types_of,
    stray_models,
)
from skill.conversation.reply import to_ssml
from skill.runtime.policies import page_path
from skill.runtime.snapshot import source_files
from skill.tools.chat import espeak_voice
from skill.tools.cli import main
from skill.tools.devtools.conversation import Conversation
from skill.tools.package import COUNTRIES
from skill.tools.validation import consistency, validate_repository
from skill.tools.validation.model import example_phrase_problems, invocation_name, negated_symptom_words, utterance_problems

CONTENT_DIR, MODEL_DIR = REPO_ROOT / "content", REPO_ROOT / "interaction_model"
FILES = ("causes", "common", "policies", "reminders", "routine", "screening", "store", "topics")
SPANISH = ("es-US", "es-MX", "es-ES")
XX_WELCOME = "Xx welcome to the helper."


# =========================================================================== the machinery

@pytest.fixture
def xx(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    """content/ and interaction_model/ with en-US, a made-up base xx-XX (en-US's words, one
    welcome changed, a review in every file) and xx-YY built from it; en-GB for a derived English."""
    monkeypatch.setitem(locales.BASE_LOCALES, "xx", "xx-XX")
    content, models = tmp_path / "content", tmp_path / "interaction_model"
    shutil.copytree(CONTENT_DIR / "en-US", content / "en-US")
    shutil.copytree(CONTENT_DIR / "en-GB", content / "en-GB")
    (content / "xx-XX").mkdir()
    for stem in FILES:
        data = yaml.safe_load((CONTENT_DIR / "en-US" / f"{stem}.yaml").read_text(encoding="utf-8"))
        data["meta"]["review"] = "checked against en-US key by key"
        if stem == "common":
            data["phrases"]["welcome_first"] = XX_WELCOME
        _dump(content / "xx-XX" / f"{stem}.yaml", data)
    (content / "xx-YY").mkdir()
    _dump(content / "xx-YY" / "overrides.yaml", {
        "meta": {"source": "test", "reviewed": "2026-12-03", "review": "checked"},
        "common": {"locale": {"emergency_number": "112"}, "pronounce": {"112": "one one two"}}})
    (models / "overrides").mkdir(parents=True)
    shutil.copy(MODEL_DIR / "en-US.json", models / "en-US.json")
    shutil.copy(MODEL_DIR / "en-US.json", models / "xx-XX.json")
    shutil.copy(MODEL_DIR / "overrides" / "en-GB.yaml", models / "overrides" / "en-GB.yaml")
    _dump(models / "overrides" / "xx-YY.yaml", {"samples": {"EmergencyIntent": {"add": ["call one one two"]}}})
    return content, models


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _edit(path: Path, change: Any) -> Path:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    _dump(path, data)
    return path


def test_a_second_base_loads_beside_en_us_and_its_locales_are_that_base_plus_overrides(xx):
    content = load_content(xx[0])
    assert list(content.locales) == ["en-US", "en-GB", "xx-XX", "xx-YY"]
    assert content.for_locale("xx-XX").phrase("welcome_first") == XX_WELCOME
    assert content.for_locale("xx-YY").phrase("welcome_first") == XX_WELCOME, "xx-YY is xx-XX plus its overrides"
    assert content.for_locale("xx-YY").values["emergency_number"] == "112"
    assert content.for_locale("en-GB").phrase("welcome_first") != XX_WELCOME, "English locales stay en-US plus theirs"
    assert content.for_locale("en-US").values["emergency_number"] == "911"


def test_an_unknown_locale_gets_its_languages_base_and_an_unknown_language_en_us(xx):
    content = load_content(xx[0])
    assert content.for_locale("xx-ZZ").locale == "xx-XX"
    assert content.for_locale("fr-FR").locale == "en-US"
    assert content.for_locale(None).locale == "en-US"
    assert content.for_locale("en-NZ").locale == "en-US"
    assert fallback_locale("es-AR", ["en-US", "es-US", "es-MX"]) == "es-US"
    assert fallback_locale("es-AR", ["en-US"]) == "en-US", "without its base, the default"
    assert fallback_locale("es-MX", ["en-US", "es-US", "es-MX"]) == "es-MX"


def test_an_override_of_a_key_the_base_lacks_names_that_base(xx):
    path = _edit(xx[0] / "xx-YY" / "overrides.yaml", lambda d: d["common"].update(phrases={"goodby": "Bye."}))
    _, problems = collect_locales(xx[0])
    assert problems == [f"{path}: common.phrases.goodby: xx-XX has no 'goodby' here, so this override changes nothing"]


def test_a_problem_in_the_second_base_names_its_file_and_leaves_the_others_valid(xx):
    path = _edit(xx[0] / "xx-XX" / "topics.yaml", lambda d: d["topics"]["prevention"].update(chunk_size="three"))
    valid, problems = collect_locales(xx[0])
    assert problems == [f"{path}: topics.prevention.chunk_size: 'three' is not of type 'integer'"]
    assert sorted(valid) == ["en-GB", "en-US"], "a locale whose base is broken is not checked further"


def test_every_file_of_another_language_says_what_was_reviewed(xx):
    causes = _edit(xx[0] / "xx-XX" / "causes.yaml", lambda d: d["meta"].pop("review"))
    overrides = _edit(xx[0] / "xx-YY" / "overrides.yaml", lambda d: d["meta"].pop("review"))
    _, problems = collect_locales(xx[0])
    assert f"{causes}: meta.review: missing: every xx content file says what was checked, against what, and when" \
        in problems
    _edit(causes, lambda d: d["meta"].update(review="checked"))
    _, problems = collect_locales(xx[0])
    assert problems == [f"{overrides}: meta.review: missing: every xx content file says what was checked, against what, "
                        "and when"]


def test_a_locale_without_a_base_is_named_with_the_reason(xx):
    (xx[0] / "zz-ZZ").mkdir()
    (xx[0] / "zz-ZZ" / "overrides.yaml").write_text("meta: {source: x, reviewed: '2026-12-03'}\n")
    shutil.rmtree(xx[0] / "xx-XX")
    _, problems = collect_locales(xx[0])
    assert any(p.startswith(f"{xx[0] / 'zz-ZZ'}: (directory): no base locale for the language 'zz'") for p in problems)
    assert f"{xx[0] / 'xx-XX'}: missing: xx-YY is xx-XX plus {xx[0] / 'xx-YY' / 'overrides.yaml'}" in problems


def test_a_model_is_its_languages_base_plus_its_overrides(xx):
    models = xx[1]
    assert model_locales(models) == ["en-US", "en-GB", "xx-XX", "xx-YY"]
    yy = intents_of(load_model(models, "xx-YY"))["EmergencyIntent"]["samples"]
    xx_samples = intents_of(load_model(models, "xx-XX"))["EmergencyIntent"]["samples"]
    assert "call one one two" in yy and "call one one two" not in xx_samples
    _dump(models / "overrides" / "xx-YY.yaml", {"samples": {"NoSuchIntent": {"add": ["hello there"]}}})
    with pytest.raises(ModelError) as raised:
        load_model(models, "xx-YY")
    assert raised.value.problems == [f"{models / 'overrides' / 'xx-YY.yaml'}: samples.NoSuchIntent: no such intent in xx-XX.json"]
    (models / "xx-XX.json").unlink()
    with pytest.raises(ModelError) as raised:
        load_model(models, "xx-YY")
    assert raised.value.problems == [f"{models / 'xx-XX.json'}: (file): missing: xx-YY is xx-XX.json plus "
                                     f"{models / 'overrides' / 'xx-YY.yaml'}"]


def test_a_model_file_nothing_reads_is_reported(xx):
    shutil.copy(xx[1] / "en-US.json", xx[1] / "en-ZZ.json")  # en-ZZ has no overrides/en-ZZ.yaml
    assert stray_models(xx[1]) == [f"{xx[1] / 'en-ZZ.json'}: (file): not read: en-ZZ is not a base locale "
                                   "(en-US, es-US, xx-XX); a locale other than its language's base is that base plus "
                                   "overrides/en-ZZ.yaml"]


def test_built_models_are_written_current_and_a_stale_one_is_reported(xx, capsys):
    """`backtwitch models` writes <locale>.json for each locale built from overrides; editing its
    base afterwards (or the copy itself) makes validate report the copy as stale."""
    assert main(["models", "--model", str(xx[1])]) == 0
    assert sorted(p.name for p in xx[1].glob("*.json")) == ["en-GB.json", "en-US.json", "xx-XX.json", "xx-YY.json"]
    assert json.loads((xx[1] / "xx-YY.json").read_text()) == load_model(xx[1], "xx-YY")
    assert stray_models(xx[1]) == []
    base = json.loads((xx[1] / "xx-XX.json").read_text())
    base["interactionModel"]["languageModel"]["invocationName"] = "other helper"
    (xx[1] / "xx-XX.json").write_text(json.dumps(base))
    assert stray_models(xx[1]) == [f"{xx[1] / 'xx-YY.json'}: (file): stale: not what xx-XX.json plus overrides/"
                                   "xx-YY.yaml build; `backtwitch models` writes it again (never edit it by hand)"]
    assert main(["models", "--model", str(xx[1])]) == 0 and stray_models(xx[1]) == []
    assert "wrote" in capsys.readouterr().out


def test_the_repositorys_built_models_are_current():
    """interaction_model/es-ES.json, es-MX.json (and the English ones) are what their sources build."""
    assert stray_models(MODEL_DIR) == []
    assert {p.stem for p in MODEL_DIR.glob("*.json")} >= {"es-US", "es-MX", "es-ES"}


def test_the_snapshot_hashes_every_base_model(xx):
    names = [path.name for path in source_files(*xx)]
    assert "en-US.json" in names and "xx-XX.json" in names and "xx-YY.yaml" in names


def test_validate_names_a_bases_problem_once_at_the_base_and_a_locales_at_its_override(xx):
    content, models = xx
    shutil.rmtree(content / "en-GB")
    (models / "overrides" / "en-GB.yaml").unlink()
    base = _edit(content / "xx-XX" / "causes.yaml", lambda d: d["causes"][1].update(card="x" * 8001))
    overrides = _edit(content / "xx-YY" / "overrides.yaml",
                      lambda d: d.update(causes={"causes": [{"id": d_id(content), "card": "y" * 8002}]}))
    report = validate_repository(content, models)
    assert [p for p in report.problems if "8001 characters" in p] == [
        f"{base}: causes.1.card: card text is 8001 characters, over 8000"], "once, at the base, not again for xx-YY"
    assert f"{overrides}: causes.causes.0.card (merged over xx-XX): card text is 8002 characters, over 8000" \
        in report.problems
    assert report.locales == ["en-US", "xx-XX", "xx-YY"]


def d_id(content: Path) -> str:
    """The id of the first cause (the override changes that one)."""
    return yaml.safe_load((content / "xx-XX" / "causes.yaml").read_text(encoding="utf-8"))["causes"][0]["id"]


def test_content_answer_words_must_be_understood_by_the_locales_model(xx):
    _edit(xx[0] / "xx-XX" / "screening.yaml", lambda d: d["screening"]["answer_words"].update(unsure="blorp"))
    problems = consistency.answer_words_resolve(load_model(xx[1], "xx-XX"), load_content(xx[0]).for_locale("xx-XX"))
    assert ("types.YES_NO.values.unsure", "content's answer word 'blorp' (screening.answer_words.unsure) is not a word "
            "of this value, so it would not be understood as 'unsure'") in problems


def test_the_fake_base_answers_real_envelopes_and_an_unknown_locale_of_its_language(xx, make_app, pki):
    post = poster(make_app(content_dir=xx[0], model_dir=xx[1]), pki)
    assert XX_WELCOME in Conversation(post, locale="xx-XX").launch().speech
    assert XX_WELCOME in Conversation(post, locale="xx-ZZ").launch().speech
    assert XX_WELCOME not in Conversation(post, locale="en-US").launch().speech
    emergency = Conversation(post, locale="xx-YY").ask("EmergencyIntent")
    assert '<sub alias="one one two">112</sub>' in emergency.ssml and emergency.ends_session is True


def test_a_policy_page_of_another_language_is_served_under_its_locale(xx, make_app):
    app = make_app(content_dir=xx[0], model_dir=xx[1])
    assert page_path("en-GB", "privacy") == "privacy" and page_path("es-MX", "terms") == "es-MX/terms"
    for path in ("/privacy", "/terms", "/xx-XX/privacy", "/xx-YY/terms"):
        response = app.test_client().get(path)
        assert response.status_code == 200, path
    assert 'lang="xx-YY"' in app.test_client().get("/xx-YY/terms").get_data(as_text=True)
    assert app.test_client().get("/en-GB/privacy").status_code == 404, "English locales share /privacy"


def test_spanish_platform_words_and_letters():
    assert utterance_problems("por qué me tiembla la espalda") == []
    assert utterance_problems("¿es grave?")
    assert utterance_problems("tengo espasmos desde hace 3 días")
    model = {"interactionModel": {"languageModel": {"invocationName": "espasmos de espalda", "intents": [], "types": [
        {"name": "YES_NO", "values": [{"id": "yes", "name": {"value": "sí"}}, {"id": "no", "name": {"value": "no"}}]},
        {"name": "NUMBNESS_ANSWER", "values": [
            {"id": "yes", "name": {"value": "sí", "synonyms": ["entumecimiento", "un hormigueo"]}},
            {"id": "no", "name": {"value": "no", "synonyms": ["sin entumecimiento"]}}]}]}}}
    assert invocation_name(model) == []
    assert negated_symptom_words(model) == [("types.NUMBNESS_ANSWER.values.yes", "'un hormigueo' is a symptom word under "
                                             "yes with no negated form (such as 'no hormigueo' or 'not hormigueo') under no")]
    model["interactionModel"]["languageModel"]["invocationName"] = "abre espasmos"
    assert invocation_name(model)[-1][1].endswith("contains wake, launch or 'skill'/'app' words: ['abre']")
    model["interactionModel"]["languageModel"]["intents"] = [{"name": "WhyIntent", "samples": ["por qué me tiembla"]}]
    model["interactionModel"]["languageModel"]["invocationName"] = "espasmos de espalda"
    assert example_phrase_problems(["Alexa, abre espasmos de espalda", "Alexa, pregúntale a espasmos de espalda por qué "
                                    "me tiembla"], model, "es-US") == []
    assert example_phrase_problems(["Alexa, open espasmos de espalda"], model, "es-MX") == [
        "the first must be 'Alexa, abre espasmos de espalda' or 'Alexa, pregúntale a espasmos de espalda <a sample "
        "utterance>', got 'Alexa, open espasmos de espalda'"]


def test_each_spanish_locale_is_listed_in_its_country_and_read_by_a_spanish_voice():
    assert {locale: COUNTRIES[locale] for locale in SPANISH} == {"es-US": ["US"], "es-MX": ["MX"], "es-ES": ["ES"]}
    assert [espeak_voice(locale) for locale in ("es-US", "es-MX", "es-ES", "es-AR")] == ["es-419", "es-419", "es", "es-419"]
    assert [espeak_voice(locale) for locale in ("en-US", "en-CA", "en-GB", "en-IN")] == ["en-us", "en-us", "en-gb", "en-gb"]


# =========================================================================== the repository's Spanish

def raw(locale: str, stem: str) -> dict[str, Any]:
    return yaml.safe_load((CONTENT_DIR / locale / f"{stem}.yaml").read_text(encoding="utf-8"))


# Keys whose values are identifiers, numbers or rules, never words: identical in every language.
IDENTIFIERS = frozenset({"id", "offer", "slot", "items_from", "intent", "outranks", "when", "offers", "at", "times",
                         "from", "to", "placeholders", "policy_host"})
# Per-locale tables (their keys are written forms or names, their values each language's own).
PER_LANGUAGE = frozenset({"pronounce"})
SEQUENCES = frozenset({"example_phrases", "keywords", "paragraphs"})  # lists whose length is the language's choice


def structure(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(key path, kind, value) for everything a language must keep: a text is ("text", its
    placeholders), an identifier ("same", the value), a number or flag ("same", the value)."""
    last = path.rsplit(".", 1)[-1]
    if last in IDENTIFIERS:
        yield path, "same", node
    elif last in PER_LANGUAGE:
        yield path, "table", None
    elif last == "meta":
        yield path, "meta", sorted(set(node) - {"review"})
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from structure(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list) and (last in SEQUENCES or all(isinstance(item, str) for item in node)):
        yield path, "text", placeholders(node)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            key = item.get("id", index) if isinstance(item, dict) else index
            yield from structure(item, f"{path}[{key}]")
    elif isinstance(node, str):
        yield path, "text", placeholders(node)
    else:
        yield path, "same", node


def placeholders(text: str | list[str]) -> frozenset[str]:
    texts = [text] if isinstance(text, str) else text
    return frozenset(name for t in texts for _, name, _, _ in string.Formatter().parse(t) if name)


@pytest.mark.parametrize("stem", FILES)
def test_es_us_has_every_key_id_and_placeholder_of_en_us_and_nothing_more(stem):
    english, spanish = dict((path, (kind, v)) for path, kind, v in structure(raw("en-US", stem))), \
        dict((path, (kind, v)) for path, kind, v in structure(raw("es-US", stem)))
    assert sorted(set(english) - set(spanish)) == [], f"content/es-US/{stem}.yaml lacks these en-US keys"
    assert sorted(set(spanish) - set(english)) == [], f"content/es-US/{stem}.yaml has keys en-US doesn't"
    differ = [f"{path}: en-US {english[path]} / es-US {spanish[path]}" for path in english if english[path] != spanish[path]]
    assert not differ, f"content/es-US/{stem}.yaml: identifiers, numbers and placeholders must be en-US's:\n" + "\n".join(differ)


@pytest.mark.parametrize("stem", FILES)
def test_every_spanish_file_says_what_was_reviewed(stem):
    assert raw("es-US", stem)["meta"].get("review"), f"content/es-US/{stem}.yaml: meta.review"
    for locale in ("es-MX", "es-ES"):
        overrides = yaml.safe_load((CONTENT_DIR / locale / "overrides.yaml").read_text(encoding="utf-8"))
        assert overrides["meta"].get("review"), f"content/{locale}/overrides.yaml: meta.review"


CONTENT = repository.content  # read (and checked) on first use, once per process


@pytest.mark.parametrize("locale", SPANISH)
def test_the_red_flag_table_says_the_same_actions_at_the_same_urgency(locale):
    english, spanish = CONTENT().for_locale("en-US").screening, CONTENT().for_locale(locale).screening
    assert spanish is not english and CONTENT().for_locale(locale).locale == locale
    assert [(r.id, r.when, r.urgency, r.outranks) for r in spanish.rules] == \
           [(r.id, r.when, r.urgency, r.outranks) for r in english.rules]
    assert [(q.id, q.slot, q.gate) for q in spanish.questions] == [(q.id, q.slot, q.gate) for q in english.questions]
    assert spanish.gate_ids == english.gate_ids == {"emergency", "emergency_sudden"}


@pytest.mark.parametrize("locale", SPANISH)
def test_topics_causes_and_routine_keep_their_ids_offers_and_timings(locale):
    english, spanish = CONTENT().for_locale("en-US"), CONTENT().for_locale(locale)
    assert [(t.id, t.emergency, t.offer, t.chunk_size, len(t.items)) for t in spanish.topics.values()] == \
           [(t.id, t.emergency, t.offer, t.chunk_size, len(t.items)) for t in english.topics.values()]
    assert [c.id for c in spanish.causes] == [c.id for c in english.causes]
    assert _routine_shape(spanish.routine) == _routine_shape(english.routine)


def _routine_shape(routine: Any) -> Any:
    return json.loads(json.dumps(_numbers_and_ids(routine), default=str))


def _numbers_and_ids(node: Any) -> Any:
    """The routine's ids, step and part counts, hold seconds, beats' pauses, timer minutes."""
    if isinstance(node, (list, tuple)):
        return [_numbers_and_ids(item) for item in node]
    if hasattr(node, "__dataclass_fields__"):
        return {name: _numbers_and_ids(getattr(node, name)) for name in node.__dataclass_fields__
                if name in ("id", "steps", "parts", "hold", "pacing", "timer", "beats", "seconds", "repeat",
                            "pause_seconds", "minutes") or name.endswith("_id")}
    return node if isinstance(node, (int, float, bool)) or node is None else "text"


DIGITS = {"0": "cero", "1": "uno", "2": "dos", "3": "tres", "4": "cuatro", "5": "cinco", "6": "seis", "7": "siete",
          "8": "ocho", "9": "nueve"}
NUMBERS = {"es-US": "911", "es-MX": "911", "es-ES": "112"}
CARE = {"es-US": "médico de cabecera", "es-MX": "médico familiar", "es-ES": "médico de familia"}
EMERGENCY_ROOM = {"es-US": "sala de emergencias", "es-MX": "urgencias", "es-ES": "urgencias"}


@pytest.mark.parametrize("locale", SPANISH)
def test_each_locale_has_its_emergency_number_said_digit_by_digit_and_its_care_words(locale):
    content = CONTENT().for_locale(locale)
    number = NUMBERS[locale]
    assert content.values["emergency_number"] == number
    spoken = content.pronounce[number]
    assert spoken.replace(",", " ").split() == [DIGITS[digit] for digit in number], f"{locale} says {number} as {spoken!r}"
    assert CARE[locale] in content.values["care_provider"]
    every_text = " ".join(_filled(text, content.values) for text in _texts(content))
    # The emergency department is named only where English names one (today nowhere): in each locale's own words.
    wrong = {word for other, word in EMERGENCY_ROOM.items() if word != EMERGENCY_ROOM[locale]}
    wrong |= {word for other, word in CARE.items() if other != locale and word not in CARE[locale]}
    assert not [word for word in wrong if re.search(rf"\b{word}\b", every_text)], f"{locale} uses another locale's words"
    others = {n for other, n in NUMBERS.items() if n != number}
    ssml = to_ssml([content.phrase("disclaimer")], content.pronounce)
    assert f'<sub alias="{spoken}">{number}</sub>' in ssml and not any(f">{n}<" in ssml for n in others)


def _texts(content: Any) -> list[Any]:
    """The phrases, the screening's texts and rules, and every topic's words (texts or variation lists)."""
    found = [*content.phrases.values(), *content.screening.texts.values()]
    found += [text for rule in content.screening.rules for text in (rule.says, rule.action, rule.card)]
    for topic in content.topics.values():
        found += [topic.intro, *(item.speech for item in topic.items), *(item.card for item in topic.items),
                  topic.outro or "", topic.more or ""]
    return [text for text in found if text]


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def _filled(text: Any, values: dict[str, str]) -> str:
    """Every variation, the locale's values filled in and other placeholders left empty."""
    return " ".join(t.format_map(_Blank(values)) for t in ([text] if isinstance(text, str) else text))


def test_es_mx_and_es_es_are_es_us_plus_their_overrides():
    assert {"es-US", "es-MX", "es-ES"} <= set(CONTENT().locales)
    for locale in ("es-MX", "es-ES"):
        assert sorted(p.name for p in (CONTENT_DIR / locale).iterdir()) == ["overrides.yaml"]
    assert sorted(p.name for p in (CONTENT_DIR / "es-US").iterdir()) == sorted(f"{stem}.yaml" for stem in FILES)
    assert CONTENT().for_locale("es-AR").locale == "es-US", "another Spanish locale gets es-US, not en-US"


@functools.cache
def models() -> dict[str, dict[str, Any]]:
    return load_models(MODEL_DIR)


def _slot_shape(model: dict[str, Any]) -> dict[str, Any]:
    return {name: sorted((slot["name"], slot["type"]) for slot in intent.get("slots", []))
            for name, intent in intents_of(model).items()}


def _dialog_shape(model: dict[str, Any]) -> set[tuple[str, tuple[str, ...]]]:
    dialog = model["interactionModel"].get("dialog", {}).get("intents", [])
    return {(intent["name"], tuple(slot["name"] for slot in intent.get("slots", []))) for intent in dialog}


@pytest.mark.parametrize("locale", SPANISH)
def test_the_spanish_model_has_every_intent_slot_and_value_id_of_en_us(locale):
    english, spanish = models()["en-US"], models()[locale]
    assert _slot_shape(spanish) == _slot_shape(english)
    for type_name, slot_type in slot_types_of(english).items():
        ids = sorted(value.get("id") for value in slot_type.get("values", []))
        assert sorted(value.get("id") for value in slot_types_of(spanish)[type_name].get("values", [])) == ids, type_name
    for name, intent in intents_of(spanish).items():
        if not name.startswith("AMAZON."):
            assert len(intent.get("samples", [])) >= 20, f"{locale} {name}: {len(intent.get('samples', []))} samples"
    assert _dialog_shape(spanish) == _dialog_shape(english)
    assert spanish["interactionModel"]["languageModel"]["invocationName"] != "back twitch helper"


def test_es_us_is_a_full_model_and_the_others_are_overrides_of_it():
    assert (MODEL_DIR / "es-US.json").is_file()
    assert {"es-MX", "es-ES"} <= {p.stem for p in (MODEL_DIR / "overrides").glob("*.yaml")}
    assert stray_models(MODEL_DIR) == []


# --- real envelopes through the skill ------------------------------------------------------

def _spoken(ssml: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r'<sub alias="([^"]*)">[^<]*</sub>', r"\1", ssml)).split())


@pytest.mark.parametrize("locale", ["es-US", "es-ES"])
def test_a_launch_welcomes_in_spanish_with_the_disclaimer_and_the_local_number(talk, locale):
    content = CONTENT().for_locale(locale)
    turn = talk(locale=locale).launch()
    assert content.phrase("welcome_first")[:25] in turn.speech
    assert "no consejo médico" in turn.speech or "no es consejo médico" in turn.speech, "the disclaimer, first time"
    assert f'<sub alias="{content.pronounce[NUMBERS[locale]]}">{NUMBERS[locale]}</sub>' in turn.ssml
    assert turn.ends_session is False and turn.reprompt


@pytest.mark.parametrize("locale", ["es-US", "es-ES"])
def test_a_cause_question_is_answered_with_the_spanish_cause(talk, locale):
    content = CONTENT().for_locale(locale)
    cause = content.causes[0]
    values = slot_types_of(models()[locale])["CAUSE"]["values"]
    words = next(value["name"]["value"] for value in values if value["id"] == cause.id)
    conversation = talk(locale=locale)
    conversation.launch()
    turn = conversation.ask("CauseIntent", cause=words)
    variations = [cause.full] if isinstance(cause.full, str) else cause.full
    assert any(" ".join(text.split())[:30] in turn.speech for text in variations), turn.speech
    assert turn.ends_session is False


@pytest.mark.parametrize("locale", ["es-US", "es-ES"])
def test_the_emergency_answer_gives_the_number_and_says_to_use_a_phone(talk, locale):
    content = CONTENT().for_locale(locale)
    turn = talk(locale=locale).ask("EmergencyIntent")
    number = NUMBERS[locale]
    assert f'<sub alias="{content.pronounce[number]}">{number}</sub>' in turn.ssml
    assert "teléfono" in turn.speech
    others = [n for n in NUMBERS.values() if n != number]
    assert not any(f">{n}</sub>" in turn.ssml for n in others), f"{locale} heard another locale's number"
    assert number in turn.card["content"]
    assert turn.ends_session is True


@pytest.mark.parametrize("locale", ["es-US", "es-ES"])
def test_the_relief_routine_starts_at_its_first_step_in_spanish(talk, locale):
    content = CONTENT().for_locale(locale)
    step = content.routine.steps[0]
    conversation = talk(locale=locale)
    conversation.launch()
    turn = conversation.ask("ReliefIntent")
    assert step.title in turn.speech
    variations = [step.speech] if isinstance(step.speech, str) else step.speech
    assert any(" ".join(text.split())[:25] in _spoken(turn.ssml) for text in variations), turn.speech
    assert turn.ends_session is False and turn.session_attributes.get("routine")
    assert "Step 1" not in turn.speech, "English must not leak into a Spanish routine"


def test_the_spanish_policy_pages_are_served_in_spanish(app):
    for locale in SPANISH:
        page = app.test_client().get(f"/{locale}/privacy").get_data(as_text=True)
        assert f'lang="{locale}"' in page and CONTENT().for_locale(locale).policies["privacy"]["title"] in page
    assert 'lang="en-US"' in app.test_client().get("/privacy").get_data(as_text=True)


def test_a_broken_spanish_file_does_not_stop_english(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    (content / "es-US" / "causes.yaml").write_text("causes: [unclosed\n")
    valid, problems = collect_locales(content)
    assert {"en-US", "en-GB"} <= set(valid) and not {"es-US", "es-MX", "es-ES"} & set(valid)
    assert problems and all(str(content / "es-US" / "causes.yaml") in p for p in problems)
    with pytest.raises(ContentError):
        load_content(content)


# The whole repository validating with the Spanish locales: tests/test_validation.py
# (test_the_repository_passes_every_check); each Spanish listing, its country and its policy
# pages in the package: tests/test_package.py, on the package that module builds once.


def test_an_unknown_spanish_locale_is_answered_in_spanish_and_understood_with_spanish_words(talk):
    cause = CONTENT().for_locale("es-US").causes[0]
    values = slot_types_of(models()["es-US"])["CAUSE"]["values"]
    words = next(value["name"]["value"] for value in values if value["id"] == cause.id)
    turn = talk(locale="es-AR").ask("CauseIntent", cause=words)
    variations = [cause.full] if isinstance(cause.full, str) else cause.full
    assert any(" ".join(text.split())[:30] in turn.speech for text in variations), turn.speech
    assert talk(locale="fr-FR").launch().speech.startswith("Welcome"), "another language still gets en-US"
