"""`backtwitch validate`: the repository passes, and each rule fails with a clear message on a
copy of the repository broken in exactly one way (file, key and problem named, exit status 1)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.tools.cli import main
from skill.config import REPO_ROOT
from skill.conversation.reply import to_ssml
from skill.tools.validation import validate_repository
from skill.tools.validation.model import utterance_problems
from skill.tools.validation.speech import closing_question, heard_text, ssml_problems, word_count, word_problems


class Repo:
    """A copy of content/ and interaction_model/ to break one thing in.

    Only en-US unless ``all_locales`` (then the English locales): a broken en-US text or model
    is found the same way in one locale, at a fraction of the cost (the other English locales
    are built from en-US and checked again). Spanish has its own tests
    (tests/test_spanish_locales.py).
    """

    def __init__(self, root: Path, all_locales: bool = False):
        self.content = root / "content"
        self.models = root / "interaction_model"
        others = shutil.ignore_patterns("es-*") if all_locales else shutil.ignore_patterns(
            "en-AU*", "en-CA*", "en-GB*", "en-IN*", "es-*")
        shutil.copytree(REPO_ROOT / "content", self.content, ignore=others)
        shutil.copytree(REPO_ROOT / "interaction_model", self.models, ignore=others)
        self.model_path = self.models / "en-US.json"

    def edit_yaml(self, relative: str, change: Callable[[dict[str, Any]], Any]) -> Path:
        path = self.content / relative if not relative.startswith("overrides/") else self.models / relative
        data = yaml.safe_load(path.read_text()) if path.exists() else {}
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return path

    def edit_model(self, change: Callable[[dict[str, Any]], Any]) -> Path:
        model = json.loads(self.model_path.read_text())
        change(model)
        self.model_path.write_text(json.dumps(model, indent=2))
        return self.model_path

    def problems(self, render=to_ssml) -> str:
        report = validate_repository(self.content, self.models, render)
        assert not report.ok, "the broken copy passed validation"
        return "\n".join(report.problems)


@pytest.fixture
def repo(tmp_path: Path, request: pytest.FixtureRequest) -> Repo:
    """en-US only, unless the test is marked ``all_locales``."""
    return Repo(tmp_path, all_locales=request.node.get_closest_marker("all_locales") is not None)


def intent(model: dict[str, Any], name: str) -> dict[str, Any]:
    return next(i for i in model["interactionModel"]["languageModel"]["intents"] if i["name"] == name)


def slot_type(model: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in model["interactionModel"]["languageModel"]["types"] if t["name"] == name)


def remove_intent(model: dict[str, Any], name: str) -> None:
    intents = model["interactionModel"]["languageModel"]["intents"]
    intents.remove(intent(model, name))


# --- the repository itself ------------------------------------------------------------------

def test_the_repository_passes_every_check():
    report = validate_repository(REPO_ROOT / "content", REPO_ROOT / "interaction_model")
    assert report.ok, "\n".join(report.problems)
    assert report.locales == ["en-US", "en-AU", "en-CA", "en-GB", "en-IN", "es-US", "es-ES", "es-MX"]
    assert report.samples > 3000 and report.texts > 1500 and report.replies > 700


def test_the_command_passes_on_the_repository_as_make_test_runs_it():
    """The real console entry point in a fresh process, exactly as `backtwitch validate`."""
    done = subprocess.run([sys.executable, "-m", "skill.tools.cli", "validate"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: 8 locales")


def test_the_command_exits_1_and_names_the_file_key_and_problem(repo, capsys):
    path = repo.edit_yaml("en-US/common.yaml", lambda d: d["phrases"].pop("goodbye"))
    assert main(["validate", "--content", str(repo.content), "--model", str(repo.models)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: phrases: 'goodbye' is a required property" in err
    assert "1 problem found" in err


# --- content --------------------------------------------------------------------------------

def test_content_against_its_schema(repo):
    path = repo.edit_yaml("en-US/topics.yaml", lambda d: d["topics"]["prevention"].update(chunk_size="three"))
    assert f"{path}: topics.prevention.chunk_size: 'three' is not of type 'integer'" in repo.problems()


def test_content_that_is_not_yaml(repo):
    path = repo.content / "en-US" / "causes.yaml"
    path.write_text("causes: [unclosed\n")
    assert f"{path}: (file): not valid YAML" in repo.problems()


def test_a_problem_in_en_us_is_reported_once_not_for_every_locale(repo):
    repo.edit_yaml("en-US/common.yaml", lambda d: d["phrases"].update(goodbye="Bye {username}."))
    problems = repo.problems().splitlines()
    assert len([p for p in problems if "undeclared placeholder {username}" in p]) == 1


@pytest.mark.all_locales
def test_an_override_of_a_key_en_us_does_not_have(repo):
    path = repo.edit_yaml("en-GB/overrides.yaml", lambda d: d["common"].update(phrases={"goodby": "Cheerio."}))
    assert f"{path}: common.phrases.goodby: en-US has no 'goodby' here, so this override changes nothing" in repo.problems()


@pytest.mark.all_locales
def test_an_override_of_a_list_item_id_en_us_does_not_have(repo):
    path = repo.edit_yaml("en-GB/overrides.yaml", lambda d: d.update(causes={"causes": [{"id": "tea", "name": "tea"}]}))
    assert f"{path}: causes.causes: en-US has no item with id 'tea'" in repo.problems()


@pytest.mark.all_locales
def test_an_override_word_that_never_occurs(repo):
    path = repo.edit_yaml("en-GB/overrides.yaml", lambda d: d["words"].update(colour="colour"))
    assert f"{path}: words.colour: never occurs in the content, so it replaces nothing" in repo.problems()


@pytest.mark.all_locales
def test_an_override_that_breaks_the_schema_names_the_override_file(repo):
    path = repo.edit_yaml("en-AU/overrides.yaml", lambda d: d["common"]["locale"].update(emergency_number=""))
    assert f"{path}: common.locale.emergency_number: '' should be non-empty" in repo.problems()


@pytest.mark.all_locales
def test_a_broken_locale_does_not_hide_problems_elsewhere(repo):
    """One locale's bad override is reported, and every other locale is still fully checked."""
    overlay = repo.edit_yaml("en-AU/overrides.yaml", lambda d: d["words"].update(colour="colour"))
    causes = repo.edit_yaml("en-US/causes.yaml", lambda d: d["causes"][1].update(card="x" * 8001))
    problems = repo.problems()
    assert f"{overlay}: words.colour: never occurs" in problems
    assert f"{causes}: causes.1.card: card text is 8001 characters" in problems
    assert "content doesn't" not in problems  # en-AU's content exists; it is only broken


@pytest.mark.all_locales
def test_a_locale_directory_holds_only_its_overrides(repo):
    (repo.content / "en-IN" / "common.yaml").write_text("phrases: {}\n")
    assert f"{repo.content / 'en-IN'}: (directory): only overrides.yaml is read here; not read: ['common.yaml']" in repo.problems()


# --- the interaction model: platform rules --------------------------------------------------

@pytest.mark.parametrize("name, problem", [
    ("twitch", "must be two or more words"),
    ("Back Twitch Helper", "must be two or more words"),
    ("open twitch helper", "contains wake, launch or 'skill'/'app' words: ['open']"),
    ("back twitch skill", "contains wake, launch or 'skill'/'app' words: ['skill']"),
])
def test_the_invocation_name(repo, name, problem):
    path = repo.edit_model(lambda m: m["interactionModel"]["languageModel"].update(invocationName=name))
    assert f"{path}: invocationName: {name!r} {problem}" in repo.problems()


@pytest.mark.parametrize("sample, problem", [
    ("i have 2 twitches", "digits (spell numbers out)"),
    ("is it serious?", "characters other than lower-case letters"),
    ("Is It Serious", "characters other than lower-case letters"),
    ("see dr. reyes", "characters other than lower-case letters"),
    ("low vitamin b. levels", "period in 'b.', which is not part of a spelled abbreviation"),
    ("twitching  in my back", "double spaces"),
])
def test_the_characters_of_a_sample(repo, sample, problem):
    path = repo.edit_model(lambda m: intent(m, "HowLongIntent")["samples"].append(sample))
    assert f"{path}: intents.HowLongIntent.samples: {sample!r}: " in repo.problems()
    assert problem in repo.problems()


def test_the_characters_of_a_slot_synonym(repo):
    path = repo.edit_model(lambda m: slot_type(m, "CAUSE")["values"][0]["name"]["synonyms"].append("gym!"))
    assert f"{path}: types.CAUSE.values: 'gym!': characters other than" in repo.problems()


def test_a_slot_reference_the_intent_does_not_have(repo):
    path = repo.edit_model(lambda m: intent(m, "CauseIntent")["samples"].append("what about {causes}"))
    assert f"{path}: intents.CauseIntent.samples: 'what about {{causes}}' names slots CauseIntent doesn't have: ['causes']" \
        in repo.problems()


def test_an_utterance_in_two_intents(repo):
    path = repo.edit_model(lambda m: intent(m, "HowLongIntent")["samples"].append("is it serious"))
    assert f"{path}: intents: 'is it serious' is a sample of more than one intent: ['HowLongIntent', 'IsItSeriousIntent']" \
        in repo.problems()


def test_an_utterance_in_two_intents_once_slot_values_are_filled_in(repo):
    path = repo.edit_model(lambda m: intent(m, "HowLongIntent")["samples"].append("about coffee"))
    assert (f"{path}: intents: 'about coffee' (a slot value filled in) belongs to more than one intent: "
            "['CauseIntent', 'HowLongIntent']") in repo.problems()


@pytest.mark.parametrize("intent_name, sample", [("ScreeningIntent", "{emergency_signs}"), ("CauseIntent", "{cause}"),
                                                  ("ScreeningIntent", " {duration} ")])
def test_a_sample_that_is_only_a_slot(repo, intent_name, sample):
    path = repo.edit_model(lambda m: intent(m, intent_name)["samples"].append(sample))
    assert f"{path}: intents.{intent_name}.samples: {sample!r} is only a slot; put it in the slot's samples instead" \
        in repo.problems()


def test_a_slot_sample_that_does_not_name_its_slot(repo):
    def change(model: dict[str, Any]) -> None:
        slot = next(s for s in intent(model, "ScreeningIntent")["slots"] if s["name"] == "weakness")
        slot["samples"].append("i have {numbness}")
    path = repo.edit_model(change)
    assert f"{path}: intents.ScreeningIntent.slots.weakness.samples: 'i have {{numbness}}': does not name {{weakness}}" \
        in repo.problems()


@pytest.mark.parametrize("type_name, word", [("NUMBNESS_ANSWER", "numbness"), ("WEAKNESS_ANSWER", "a weak grip"),
                                             ("WIDESPREAD_ANSWER", "everywhere")])
def test_a_symptom_word_under_yes_needs_its_negation_under_no(repo, type_name, word):
    core = word.removeprefix("a ")

    def change(model: dict[str, Any]) -> None:
        no = next(v for v in slot_type(model, type_name)["values"] if v["id"] == "no")["name"]["synonyms"]
        no[:] = [n for n in no if not n.endswith(core)]
    path = repo.edit_model(change)
    assert (f"{path}: types.{type_name}.values.yes: {word!r} is a symptom word under yes with no negated form "
            f"(such as 'no {core}' or 'not {core}') under no") in repo.problems()


def test_a_negated_symptom_word_resolves_to_no_in_every_answer_type():
    from skill.conversation.slots import SlotCatalog
    catalog = SlotCatalog.from_model_data(json.loads((REPO_ROOT / "interaction_model" / "en-US.json").read_text()))
    for type_name, words in {"NUMBNESS_ANSWER": ["no numbness", "not numb", "no tingling"],
                             "WEAKNESS_ANSWER": ["no weakness", "not weak", "none of that"],
                             "WIDESPREAD_ANSWER": ["not everywhere", "just my back", "none of those"]}.items():
        for words_said in words:
            assert catalog.lookup(type_name, words_said) == "no", f"{words_said!r} in {type_name}"


def test_a_required_built_in_intent(repo):
    path = repo.edit_model(lambda m: remove_intent(m, "AMAZON.NavigateHomeIntent"))
    problems = repo.problems()
    assert f"{path}: intents: required built-in intent AMAZON.NavigateHomeIntent is missing" in problems


def test_custom_names(repo):
    def rename(model: dict[str, Any]) -> None:
        slot_type(model, "CAUSE")["name"] = "CAUSE-2"
        intent(model, "CauseIntent")["slots"][0]["type"] = "CAUSE-2"
    path = repo.edit_model(rename)
    assert f"{path}: types.CAUSE-2: a custom slot type name may only use letters and underscores" in repo.problems()


def test_a_slot_type_that_does_not_exist(repo):
    path = repo.edit_model(lambda m: intent(m, "CauseIntent")["slots"][0].update(type="CAUSES"))
    assert f"{path}: intents.CauseIntent.slots.cause: type 'CAUSES' is neither defined in the model nor built in" \
        in repo.problems()


def test_too_few_samples(repo):
    path = repo.edit_model(lambda m: intent(m, "BfsIntent").update(samples=intent(m, "BfsIntent")["samples"][:5]))
    assert f"{path}: intents.BfsIntent.samples: 5 sample utterances; give it at least 20" in repo.problems()


def test_a_sample_listed_twice_in_one_intent(repo):
    path = repo.edit_model(lambda m: intent(m, "BfsIntent")["samples"].append("what is benign fasciculation syndrome"))
    assert f"{path}: intents.BfsIntent.samples: 'what is benign fasciculation syndrome' is listed more than once" \
        in repo.problems()


def test_a_synonym_of_two_values(repo):
    path = repo.edit_model(lambda m: slot_type(m, "CAUSE")["values"][0]["name"]["synonyms"].append("coffee"))
    assert f"{path}: types.CAUSE.values: 'coffee' belongs to more than one value: ['caffeine', 'muscle_fatigue']" \
        in repo.problems()


def test_a_dialog_slot_the_intent_does_not_have(repo):
    def add(model: dict[str, Any]) -> None:
        model["interactionModel"]["dialog"]["intents"][0]["slots"].append(
            {"name": "pain_level", "type": "AMAZON.NUMBER", "elicitationRequired": False, "confirmationRequired": False,
             "prompts": {}})
    path = repo.edit_model(add)
    assert f"{path}: dialog.intents.ScreeningIntent.slots.pain_level: ScreeningIntent has no such slot" in repo.problems()


def test_a_dialog_intent_the_model_does_not_have(repo):
    path = repo.edit_model(lambda m: m["interactionModel"]["dialog"]["intents"][0].update(name="CheckIntent"))
    assert f"{path}: dialog.intents.CheckIntent: no such intent in the language model" in repo.problems()


def test_a_dialog_prompt_that_is_not_defined(repo):
    def refer(model: dict[str, Any]) -> None:
        slots = model["interactionModel"]["dialog"]["intents"][0]["slots"]
        next(s for s in slots if s["name"] == "duration")["prompts"] = {"elicitation": "Elicit.Slot.duration"}
    path = repo.edit_model(refer)
    assert (f"{path}: dialog.intents.ScreeningIntent.slots.duration.prompts.elicitation: prompt 'Elicit.Slot.duration' "
            "is not defined in prompts") in repo.problems()


@pytest.mark.all_locales
def test_a_problem_only_in_a_generated_locale_names_its_override_file(repo):
    path = repo.edit_yaml("overrides/en-GB.yaml", lambda d: d["samples"]["EmergencyIntent"]["add"].append("call 999"))
    assert f"{path} (en-GB model): intents.EmergencyIntent.samples: 'call 999': digits (spell numbers out)" in repo.problems()


@pytest.mark.parametrize("change, problem", [
    (lambda d: d["samples"].update(ShoeIntent={"add": ["buy shoes"]}), "samples.ShoeIntent: no such intent in en-US.json"),
    (lambda d: d["samples"]["EmergencyIntent"].update(remove=["call nine one two"]),
     "samples.EmergencyIntent.remove: 'call nine one two' is not in en-US.json"),
    (lambda d: d["samples"]["EmergencyIntent"]["add"].append("call an ambulance"),
     "samples.EmergencyIntent.add: 'call an ambulance' is already in en-US.json"),
    (lambda d: d["synonyms"]["CAUSE"].update(tea={"add": ["builder's tea"]}), "synonyms.CAUSE.tea: no value with that id"),
    (lambda d: d.update(sample={}), "(top level): Additional properties are not allowed ('sample' was unexpected)"),
])
@pytest.mark.all_locales
def test_a_model_override_that_does_not_fit_en_us(repo, change, problem):
    path = repo.edit_yaml("overrides/en-GB.yaml", change)
    assert f"{path}: {problem}" in repo.problems()


# --- model, handlers and content agree ------------------------------------------------------

def test_an_intent_no_handler_answers(repo):
    samples = [f"tell me about shoes number {word}" for word in "abcdefghijklmnopqrstuvwxyz"[:20]]
    path = repo.edit_model(lambda m: m["interactionModel"]["languageModel"]["intents"].append(
        {"name": "ShoeIntent", "slots": [], "samples": samples}))
    problems = repo.problems()
    assert f"{path}: intents.ShoeIntent: no handler answers it by name, so people would hit the fallback" in problems
    assert f"{path}: intents.ShoeIntent: not in build.NAME_FREE_INTENTS or NOT_NAME_FREE_INTENTS" in problems


def test_a_handled_intent_the_model_never_sends(repo):
    path = repo.edit_model(lambda m: remove_intent(m, "DeleteDataIntent"))
    problems = repo.problems()
    assert f"{path}: intents: a handler answers DeleteDataIntent, which the model never sends" in problems
    assert f"{path}: intents: build names DeleteDataIntent for name-free decisions, but the model lacks it" in problems


def test_a_cause_slot_value_without_content(repo):
    path = repo.edit_model(lambda m: slot_type(m, "CAUSE")["values"][0].update(id="gym"))
    problems = repo.problems()
    assert f"{path}: types.CAUSE.values.gym: no cause with this id in content (causes.yaml)" in problems
    assert f"{path}: types.CAUSE: content cause 'muscle_fatigue' has no slot value, so nobody can ask about it" in problems


def test_a_topic_intent_missing_from_the_model(repo):
    path = repo.edit_model(lambda m: remove_intent(m, "ExampleIntent"))
    assert f"{path}: intents.ExampleIntent: build.TOPIC_INTENTS names it, but the model lacks it" in repo.problems()


def test_a_screening_question_whose_slot_the_model_lacks(repo):
    def drop(model: dict[str, Any]) -> None:
        screening = intent(model, "ScreeningIntent")
        screening["slots"] = [s for s in screening["slots"] if s["name"] != "widespread"]
        screening["samples"] = [s for s in screening["samples"] if "{widespread}" not in s]
        model["interactionModel"]["dialog"]["intents"][0]["slots"].pop()
    path = repo.edit_model(drop)
    assert f"{path}: intents.ScreeningIntent.slots: no slot 'widespread' for question 'widespread'" in repo.problems()


@pytest.mark.all_locales
def test_a_content_locale_without_a_model(repo):
    (repo.models / "overrides" / "en-CA.yaml").unlink()
    assert f"{repo.models / 'overrides' / 'en-CA.yaml'}: (file): missing: content has locale en-CA, the model doesn't" \
        in repo.problems()


@pytest.mark.all_locales
def test_a_model_locale_without_content(repo):
    shutil.rmtree(repo.content / "en-IN")
    assert f"{repo.content / 'en-IN' / 'overrides.yaml'}: (file): missing: the model has locale en-IN, content doesn't" \
        in repo.problems()


def test_a_store_example_phrase_that_matches_no_sample(repo):
    path = repo.edit_yaml("en-US/store.yaml", lambda d: d["store"]["example_phrases"].__setitem__(
        2, "Alexa, ask back twitch helper to dance"))
    assert (f"{path}: store.example_phrases: 'Alexa, ask back twitch helper to dance' must be "
            "'Alexa, ask back twitch helper <a sample utterance>'") in repo.problems()


# --- every text through the real renderer ---------------------------------------------------

def test_a_text_too_long_to_speak(repo):
    path = repo.edit_yaml("en-US/common.yaml", lambda d: d["phrases"].update(sure_what="Sure. " * 1400))
    assert f"{path}: phrases.sure_what: speech is" in repo.problems() and "over the 8000 limit" in repo.problems()


def test_a_card_too_long_to_show(repo):
    path = repo.edit_yaml("en-US/causes.yaml", lambda d: d["causes"][1].update(card="x" * 8001))
    assert f"{path}: causes.1.card: card text is 8001 characters, over 8000" in repo.problems()


def test_a_composed_reply_over_the_limit_names_the_reply(repo):
    repo.edit_yaml("en-US/topics.yaml", lambda d: d["topics"]["als"].update(intro="Very rarely. " * 700))
    assert f"{repo.content / 'en-US'}: composed reply topics.als (from item 1): speech: speech is" in repo.problems()


# --- replies short enough to hear ---------------------------------------------------------------

def test_a_text_over_ninety_words(repo):
    path = repo.edit_yaml("en-US/common.yaml", lambda d: d["phrases"].update(sure_what="Sure. " * 100))
    assert f"{path}: phrases.sure_what: 100 words, over the 90-word limit for a reply" in repo.problems()


def test_a_text_over_sixty_words_before_its_closing_question(repo):
    path = repo.edit_yaml("en-US/common.yaml", lambda d: d["phrases"].update(
        what_else="Okay. " * 61 + "What else would you like to know?"))
    problems = repo.problems()
    assert f"{path}: phrases.what_else: 61 words before its closing question, over the 60-word limit" in problems
    assert f"{path}: phrases.what_else: 67 words" not in problems, "67 words in all is within 90"


def test_a_composed_reply_over_sixty_words_before_its_question_counts_the_disclaimer(repo):
    """46 words of answer are fine alone; after the 17-word disclaimer a first-time user hears 63."""
    repo.edit_yaml("en-US/topics.yaml", lambda d: d["topics"]["als"].update(
        intro="Very rarely. " + "Twitching alone is rare. " * 11))
    problems = repo.problems()
    assert (f"{repo.content / 'en-US'}: composed reply topics.als (from item 1): speech: 63 words before its closing "
            "question, over the 60-word limit") in problems
    assert "topics.als.intro" not in problems


def test_a_composed_reply_over_ninety_words_in_all(repo):
    def change(data: dict[str, Any]) -> None:
        example = data["topics"]["example"]
        example["items"][1]["speech"] = "Small habits add up. " * 12
        example["follow_up"]["ask"] = "Would you like to hear " + "more and " * 20 + "more?"
    repo.edit_yaml("en-US/topics.yaml", change)
    assert (f"{repo.content / 'en-US'}: composed reply topics.example (from item 2): speech: 94 words, over the "
            "90-word limit for a reply") in repo.problems()


def test_a_timed_stretch_with_more_than_forty_five_words_of_instruction(repo):
    """The hold's cues are not counted; the part's own instruction (heading and speech) is."""
    path = repo.edit_yaml("en-US/routine.yaml", lambda d: d["routine"]["steps"][2]["parts"][0].update(
        speech="Lie down. " * 22))
    problems = repo.problems()
    assert f"{path}: routine.steps.2.parts.0.speech: 47 words of instruction for a timed part, over the 45-word limit" \
        in problems
    assert (f"{repo.content / 'en-US'}: composed reply routine.steps.2 (part 1): speech: 47 words of instruction "
            "for a timed part, over the 45-word limit") in problems


def test_words_are_counted_as_a_listener_hears_them():
    ssml = ('<speak>Call <sub alias="triple zero">000</sub>, or <sub alias="one one one">111</sub> in New Zealand. '
            '<break time="400ms"/> Is it <say-as interpret-as="characters">ALS</say-as>? Very rarely. '
            'Salt &amp; vinegar, 10-hour days, don\'t. Shall I go on? Say yes.</speak>')
    heard = heard_text(ssml)
    assert heard.startswith("Call triple zero , or one one one in New Zealand. Is it ALS ? Very rarely.")
    assert word_count("Salt & vinegar, 10-hour days, don't.") == 7
    assert closing_question(heard) == " Shall I go on? Say yes."
    assert word_problems(ssml) == []
    assert word_problems("<speak>" + "Word. " * 58 + "Is that all? Shall I go on?</speak>") == [
        "61 words before its closing question, over the 60-word limit"]


@pytest.mark.parametrize("broken, problem", [
    (lambda segments, pronounce: to_ssml(segments, pronounce).replace("<speak>", "<speak><blink/>"),
     "unsupported SSML tag <blink>"),
    (lambda segments, pronounce: to_ssml(segments, pronounce).replace("</speak>", '<break time="11s"/></speak>'),
     "break of 11s is over 10 s"),
    (lambda segments, pronounce: to_ssml(segments, pronounce).replace("&amp;", "&"), "SSML is not well-formed XML"),
])
def test_rendered_ssml_is_checked(repo, broken, problem):
    """A renderer that breaks the rules (swapped in for the real one) is caught on every text."""
    problems = repo.problems(render=broken)
    assert f"{repo.content / 'en-US' / 'common.yaml'}: phrases." in problems and problem in problems


# --- the checkers themselves ----------------------------------------------------------------

def test_the_ssml_checker_rejects_what_alexa_rejects():
    assert ssml_problems('<speak>Hello <break time="400ms"/> there.</speak>') == []
    assert ssml_problems('<speak><amazon:effect name="whispered">hi</amazon:effect></speak>') == []
    assert ssml_problems('<speak><sub alias="triple zero">000</sub></speak>') == []
    assert ssml_problems("<speak>a</speak><speak>b</speak>")
    assert ssml_problems("<speak>salt & vinegar</speak>")
    assert ssml_problems('<speak><break time="11s"/></speak>') == ["break of 11s is over 10 s"]
    assert ssml_problems("<speak><blink>hi</blink></speak>") == ["unsupported SSML tag <blink>"]
    assert ssml_problems('<speak><break time="eleven"/></speak>') == ["unreadable break time 'eleven'"]
    assert ssml_problems("<p>no speak root</p>") == ["SSML root is <p>, not <speak>"]


def test_the_utterance_checker_accepts_what_alexa_accepts():
    assert utterance_problems("is it a. l. s.") == []
    assert utterance_problems("is it lou gehrig's disease") == []
    assert utterance_problems("what about {cause}") == []
    assert utterance_problems("a follow-up question") == []
