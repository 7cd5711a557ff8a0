"""`backtwitch nlu-eval`: every locale's model passes the gates on its held-out utterances, and
the evaluator counts, gates and exports correctly (a tiny hand-made model and fixed predictions).

The real-model test trains one matcher per locale; `nlu_eval.matcher_for` keeps it for the rest
of the session, so the CLI test on the same model costs nothing more.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.tools.cli import main
from skill.config import REPO_ROOT
from skill.conversation.locales import load_model, model_locales
from skill.tools.validation import nlu_eval
from skill.tools.validation.model import expansions
from skill.tools.validation.nlu_eval import (EMERGENCY, FALLBACK, Annotation, ExpectedSlot, LocaleReport, Prediction,
                                       annotation_problems, evaluate, export_annotation_set, load_annotations,
                                       sample_overlaps, training_phrases)

MODEL_DIR = REPO_ROOT / "interaction_model"
LOCALES = model_locales(MODEL_DIR)
needs_sklearn = pytest.mark.skipif(not nlu_eval.sklearn_available(), reason="scikit-learn is not installed: pip install -e '.[test]'")


# --------------------------------------------------------------------------- the real model

# One test process trains en-US's matcher once for the gates and the command test (make test:
# --dist loadgroup); the other locales' gates spread over the processes (a group of all eight
# would keep one process busy for over a minute).
trained_matchers = pytest.mark.xdist_group("trained-matchers")


@needs_sklearn
@pytest.mark.parametrize("locale", [pytest.param(locale, marks=trained_matchers if locale == "en-US" else ())
                                    for locale in LOCALES])
def test_every_locale_passes_the_gates(locale: str) -> None:
    report = nlu_eval.evaluate_locale(load_model(MODEL_DIR, locale), MODEL_DIR, locale)
    if not report.ok:
        pytest.fail("\n" + report.render(), pytrace=False)


def test_the_held_out_files_cover_what_they_must() -> None:
    """en-US: 300+ in-domain utterances, every custom intent at least 8 times, the built-ins
    people use inside the skill, 40+ emergencies and 60+ out-of-domain ones; every other locale
    60+ in-domain and 20+ out-of-domain. A file trimmed below this would score an easier test."""
    for locale in LOCALES:
        annotations, problems = load_annotations(nlu_eval.annotations_path(MODEL_DIR, locale))
        assert not problems, problems
        counts = Counter(a.intent for a in annotations)
        in_domain = sum(n for intent, n in counts.items() if intent != FALLBACK)
        if locale != "en-US":
            assert in_domain >= 60 and counts[FALLBACK] >= 20, (locale, in_domain, counts[FALLBACK])
            assert counts[EMERGENCY] >= 5, locale
            continue
        assert in_domain >= 300 and counts[FALLBACK] >= 60 and counts[EMERGENCY] >= 40, counts
        custom = [name for name in nlu_eval.intents_of(load_model(MODEL_DIR, locale)) if not name.startswith("AMAZON.")]
        assert {name: counts[name] for name in custom if counts[name] < 8} == {}
        built_ins = ["Help", "Stop", "Cancel", "Repeat", "Next", "Previous", "StartOver", "Pause", "Resume", "Yes", "No"]
        assert [name for name in built_ins if counts[f"AMAZON.{name}Intent"] < 5] == []


def test_the_held_out_files_fit_their_models() -> None:
    for locale in LOCALES:
        path = nlu_eval.annotations_path(MODEL_DIR, locale)
        annotations, _ = load_annotations(path)
        model = load_model(MODEL_DIR, locale)
        assert annotation_problems(annotations, model, path) == []
        assert export_annotation_set(annotations, model, path)[1] == []


# --------------------------------------------------------------------------- a tiny model

def tiny_model(fallback_samples: tuple[str, ...] = ("play some music", "what's the weather")) -> dict[str, Any]:
    intent = lambda name, samples, slots=(): {"name": name, "samples": list(samples),  # noqa: E731
                                              **({"slots": [{"name": n, "type": t} for n, t in slots]} if slots else {})}
    return {"interactionModel": {"languageModel": {
        "invocationName": "back twitch helper",
        "intents": [
            intent("WhyTwitchingIntent", ["why is my back twitching", "why does my back twitch", "what makes my back twitch",
                                          "why do back muscles twitch", "why is there a twitch in my back"]),
            intent("CauseIntent", ["can {cause} cause it", "is it the {cause}", "tell me about {cause}"], [("cause", "CAUSE")]),
            intent("EmergencyIntent", ["i can't feel my legs", "i have chest pain", "my mom collapsed", "i can't breathe",
                                       "i can't pee"]),
            intent("ScreeningIntent", ["start the check", "check my symptoms", "it has been twitching for {duration}",
                                       "twitching for {duration}"], [("duration", "AMAZON.DURATION")]),
            intent("GoToStepIntent", ["go to step {number}", "step {number}"], [("number", "AMAZON.NUMBER")]),
            intent("AMAZON.StopIntent", ["stop", "goodbye", "that's all"]),
            intent("AMAZON.FallbackIntent", list(fallback_samples)),
        ],
        "types": [{"name": "CAUSE", "values": [
            {"id": "caffeine", "name": {"value": "caffeine", "synonyms": ["coffee", "espresso"]}},
            {"id": "stress", "name": {"value": "stress", "synonyms": ["anxiety"]}},
        ]}],
    }}}


class FixedMatcher:
    """Stands in for the trained matcher: answers what each utterance was given."""

    def __init__(self, answers: dict[str, str]):
        self.answers = answers

    def predict(self, utterances: list[str]) -> list[Prediction]:
        return [Prediction(self.answers[u], 0.9, self.answers[u]) for u in utterances]


def annotations(*rows: tuple[str, str]) -> list[Annotation]:
    return [Annotation(utterance, intent, line=n) for n, (utterance, intent) in enumerate(rows, start=1)]


def test_accuracy_recall_and_false_accepts_are_counted_right() -> None:
    held_out = annotations(("how come my back flickers", "WhyTwitchingIntent"), ("what sets off these twitches", "WhyTwitchingIntent"),
                           ("is caffeine behind it", "CauseIntent"), ("my dad fainted", EMERGENCY),
                           ("turn on the lights", FALLBACK), ("what's the football score", FALLBACK))
    answers = {"how come my back flickers": "WhyTwitchingIntent", "what sets off these twitches": "CauseIntent",
               "is caffeine behind it": "CauseIntent", "my dad fainted": EMERGENCY,
               "turn on the lights": FALLBACK, "what's the football score": "WhyTwitchingIntent"}
    report = evaluate(tiny_model(), held_out, "en-US", "held-out.yaml", matcher=FixedMatcher(answers))
    assert report.accuracy == pytest.approx(3 / 4)
    assert report.recall() == {"WhyTwitchingIntent": (1, 2), "CauseIntent": (1, 1), EMERGENCY: (1, 1), FALLBACK: (1, 2)}
    assert [o.annotation.utterance for o in report.false_accepts] == ["what's the football score"]
    assert [(o.annotation.intent, o.prediction.intent) for o in report.confusions] == [("WhyTwitchingIntent", "CauseIntent")]
    assert report.failures() == ["en-US: in-domain accuracy 75.0% is below 92%"]
    text = report.render()
    assert "WhyTwitchingIntent -> CauseIntent (0.90): 'what sets off these twitches'" in text
    assert "\"what's the football score\" -> WhyTwitchingIntent (0.90)" in text
    assert report.summary().startswith("en-US: in-domain accuracy 75.0% (3/4), out-of-domain false accepts 1/2, emergency misses 0/1")


def test_a_missed_emergency_and_an_out_of_domain_screening_fail_the_gates() -> None:
    held_out = annotations(*[(f"why is my back twitching {n}", "WhyTwitchingIntent") for n in ("now", "again", "today")],
                           ("my husband passed out", EMERGENCY), ("check the oven timer", FALLBACK), ("call my brother", FALLBACK))
    answers = {a.utterance: a.intent for a in held_out}
    answers.update({"my husband passed out": FALLBACK, "check the oven timer": "ScreeningIntent", "call my brother": EMERGENCY})
    report = evaluate(tiny_model(), held_out, "en-GB", "held-out.yaml", matcher=FixedMatcher(answers))
    assert report.failures() == [
        "en-GB: in-domain accuracy 75.0% is below 92%",
        "en-GB: EmergencyIntent not recognised: 'my husband passed out' -> AMAZON.FallbackIntent (0.90)",
        "en-GB: out-of-domain utterance lands in ScreeningIntent: 'check the oven timer'",
        "en-GB: out-of-domain utterance lands in EmergencyIntent: 'call my brother'",
    ]
    assert not report.ok


def test_an_utterance_that_is_also_a_sample_is_reported() -> None:
    held_out = annotations(("can espresso cause it", "CauseIntent"), ("twitching for three weeks", "ScreeningIntent"),
                           ("go to step four", "GoToStepIntent"), ("what's the weather", FALLBACK),
                           ("can sugar cause it", "CauseIntent"), ("twitching for a while now", "ScreeningIntent"))
    problems = sample_overlaps(held_out, tiny_model(), "held-out.yaml")
    assert [p.split(": ")[2] for p in problems] == [repr(u) for u in ("can espresso cause it", "twitching for three weeks",
                                                                      "go to step four", "what's the weather")]
    assert "held-out utterance is also a sample of CauseIntent; the evaluation would be optimistic" in problems[0]
    report = evaluate(tiny_model(), held_out[:1], "en-US", "held-out.yaml", matcher=FixedMatcher({"can espresso cause it": "CauseIntent"}))
    assert report.accuracy == 1.0 and report.failures() == problems[:1]


def reminder_model() -> dict[str, Any]:
    """The tiny model with an intent whose samples are mostly AMAZON.TIME slots."""
    model = tiny_model()
    time_slots = [{"name": name, "type": "AMAZON.TIME"} for name in ("time", "from_time", "to_time")]
    model["interactionModel"]["languageModel"]["intents"].append(
        {"name": "SetReminderIntent", "slots": time_slots,
         "samples": ["remind me to stretch at {time}", "at {time}", "{time}", "{from_time} to {to_time}"]})
    return model


def test_a_time_slot_overlaps_only_with_words_that_are_a_time() -> None:
    """A sample such as "{time}" or "{from_time} to {to_time}" is an overlap only for a time of
    day, not for every held-out utterance (or every one with "to" in it)."""
    held_out = annotations(("seven thirty pm", "SetReminderIntent"), ("from eight to four", "SetReminderIntent"),
                           ("eight to four", "SetReminderIntent"), ("the evening", "SetReminderIntent"),
                           ("at half past seven", "SetReminderIntent"), ("remind me to stretch at noon", "SetReminderIntent"),
                           ("why is my back twitching so much", "WhyTwitchingIntent"), ("talk to me", FALLBACK),
                           ("how do i get to the station", FALLBACK), ("at the weekend", FALLBACK))
    problems = sample_overlaps(held_out, reminder_model(), "held-out.yaml")
    assert [p.split(": ")[2] for p in problems] == [repr(u) for u in (
        "seven thirty pm", "eight to four", "the evening", "at half past seven", "remind me to stretch at noon")]


def test_time_annotations_are_a_24_hour_clock_or_a_part_of_the_day(tmp_path: Path) -> None:
    path = tmp_path / "en-US.yaml"
    path.write_text("\n".join([
        '- {utterance: "remind me to stretch at seven thirty pm", intent: SetReminderIntent, slots: {time: "19:30"}}',
        '- {utterance: "in the evening", intent: SetReminderIntent, slots: {time: EV}}',
        '- {utterance: "at seven thirty", intent: SetReminderIntent, slots: {time: 19:30}}',
        '- {utterance: "at seven", intent: SetReminderIntent, slots: {time: seven}}',
        '- {utterance: "eight to four", intent: SetReminderIntent, slots: {from_time: "08:00", to_time: "24:00"}}',
    ]) + "\n")
    loaded, problems = load_annotations(path)
    assert problems == []
    found = annotation_problems(loaded, reminder_model(), path)
    assert [line.split(": ")[1] for line in found] == ["line 3", "line 4", "line 5"]
    assert "AMAZON.TIME values are \"HH:MM\" on a 24-hour clock, in quotes (YAML reads 19:00 unquoted as a number), " \
           "or MO, AF, EV, NI; not '1170'" in found[0]
    assert found[2].endswith("not '24:00'")


def test_time_slots_are_trained_with_spoken_times() -> None:
    texts = {p.text for p in training_phrases(reminder_model()) if p.intent == "SetReminderIntent"}
    assert {"at seven pm", "remind me to stretch at nine in the morning", "the evening"} <= texts
    assert {nlu_eval.time_value(example) is not None for example in nlu_eval.TIME_EXAMPLES} == {True}


def test_every_filled_sample_of_the_real_model_is_caught_as_an_overlap() -> None:
    """`sample_overlaps` fills in only samples that could give a held-out utterance; none that
    does is skipped, wherever its slots stand (start, middle, end, several)."""
    model = load_model(MODEL_DIR, "en-US")
    held_out, owners = [], []
    for name, intent in nlu_eval.intents_of(model).items():
        for sample in intent.get("samples", [])[::7]:
            filled = expansions(model, intent, sample)[-1]
            if "{" not in filled:
                held_out.append(Annotation(filled, name, line=len(held_out) + 1))
                owners.append(name)
    problems = sample_overlaps(held_out, model, "held-out.yaml")
    assert len(held_out) > 100 and len(problems) == len(held_out)
    assert len({owner for owner in owners}) > 10


def test_training_phrases_fill_every_slot_and_weigh_each_sample_once() -> None:
    phrases = training_phrases(tiny_model())
    cause = [p for p in phrases if p.intent == "CauseIntent"]
    assert {p.text for p in cause if p.text.startswith("can ")} == {f"can {w} cause it" for w in
                                                                     ("caffeine", "coffee", "espresso", "stress", "anxiety")}
    assert sum(p.weight for p in cause) == pytest.approx(3)
    assert "go to step four" in {p.text for p in phrases if p.intent == "GoToStepIntent"}
    assert "it has been twitching for three weeks" in {p.text for p in phrases}
    assert {p.text for p in phrases if p.intent == "AMAZON.YesIntent"} == set()  # not in the model, not trained
    assert {p.intent for p in phrases if p.text == "play some music"} == {FALLBACK}


@needs_sklearn
def test_the_matcher_places_plain_phrasings_and_falls_back_on_nonsense() -> None:
    model = tiny_model()
    matcher = nlu_eval.Matcher(training_phrases(model))
    predictions = matcher.predict(["why is my lower back twitching", "could coffee cause this", "my mother collapsed",
                                   "xyzzy plugh"])
    assert [p.intent for p in predictions[:3]] == ["WhyTwitchingIntent", "CauseIntent", EMERGENCY]
    assert predictions[3].intent == FALLBACK
    again = nlu_eval.Matcher(training_phrases(model)).predict(["could coffee cause this"])[0]
    assert again.confidence == predictions[1].confidence  # deterministic


def test_export_has_the_annotation_set_shape() -> None:
    held_out = [
        Annotation("is espresso behind it", "CauseIntent", (ExpectedSlot("cause", "caffeine"),), 1),
        Annotation("is my latte habit behind it", "CauseIntent", (ExpectedSlot("cause", "caffeine", "latte habit"),), 2),
        Annotation("twitching for about three weeks now", "ScreeningIntent", (ExpectedSlot("duration", "P3W"),), 3),
        Annotation("jump to step two", "GoToStepIntent", (ExpectedSlot("number", "2"),), 4),
        Annotation("play the radio", FALLBACK, (), 5),
    ]
    body, problems = export_annotation_set(held_out, tiny_model())
    assert problems == []
    assert body == {"data": [
        {"inputs": {"utterance": "is espresso behind it"},
         "expected": [{"intent": {"name": "CauseIntent", "slots": {"cause": {"value": "espresso"}}}}]},
        {"inputs": {"utterance": "is my latte habit behind it"},
         "expected": [{"intent": {"name": "CauseIntent", "slots": {"cause": {"value": "latte habit"}}}}]},
        {"inputs": {"utterance": "twitching for about three weeks now"},
         "expected": [{"intent": {"name": "ScreeningIntent", "slots": {"duration": {"value": "P3W"}}}}]},
        {"inputs": {"utterance": "jump to step two"},
         "expected": [{"intent": {"name": "GoToStepIntent", "slots": {"number": {"value": "2"}}}}]},
        {"inputs": {"utterance": "play the radio"}, "expected": [{"intent": {"name": FALLBACK}}]},
    ]}
    _, problems = export_annotation_set([Annotation("is my latte habit behind it", "CauseIntent", (ExpectedSlot("cause", "caffeine"),), 7)],
                                        tiny_model(), "held-out.yaml")
    assert problems == ["held-out.yaml: line 7: 'is my latte habit behind it': slot cause: no synonym of caffeine is in the "
                        "utterance; write {id: caffeine, words: ...} with the words said"]


def test_annotation_files_are_checked_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "en-US.yaml"
    path.write_text("\n".join([
        "# a comment",
        '- {utterance: "why does it twitch", intent: WhyTwitchingIntent}',
        '- {utterance: "Why Does It Twitch?", intent: WhyTwitchingIntent}',
        '- {utterance: "why does it twitch", intent: WhyTwitchingIntent}',
        '- {utterance: "i meant no", intent: ChangeAnswerIntent, slots: {answer: no}}',
        '- {utterance: "hello", intent: GreetingIntent}',
        '- {utterance: "can tea cause it", intent: CauseIntent, slots: {cause: tea}}',
        '- {utterance: "step two", intent: GoToStepIntent, slots: {number: two, size: 3}}',
        '- {utterance: "can coffee cause it", intent: CauseIntent, slots: {cause: {id: caffeine, words: latte}}}',
        "- just a string",
    ]) + "\n")
    loaded, problems = load_annotations(path)
    assert problems == [
        f"{path}: line 3: 'Why Does It Twitch?': lower-case words and single spaces only, apostrophes allowed "
        "(no digits, punctuation or wake words)",
        f"{path}: line 4: 'why does it twitch': also on line 2",
        f"{path}: line 5: 'i meant no': slot answer: YAML reads a bare yes/no as true/false: write \"yes\" or \"no\" in quotes",
        f"{path}: line 10: an item needs a string `utterance` and a string `intent`",
    ]
    assert annotation_problems(loaded, tiny_model(), path) == [
        f"{path}: line 5: 'i meant no': intent ChangeAnswerIntent is not in the model",
        f"{path}: line 6: 'hello': intent GreetingIntent is not in the model",
        f"{path}: line 7: 'can tea cause it': slot cause: 'tea' is not a value id of CAUSE ['caffeine', 'stress']",
        f"{path}: line 8: 'step two': slot number: AMAZON.NUMBER values are digits, not 'two'",
        f"{path}: line 8: 'step two': GoToStepIntent has no slot 'size'",
        f"{path}: line 9: 'can coffee cause it': slot cause: the words 'latte' are not in the utterance",
    ]


# --------------------------------------------------------------------------- the command

def write_tiny_repo(root: Path, rows: list[dict[str, Any]]) -> Path:
    model_dir = root / "interaction_model"
    (model_dir / "nlu").mkdir(parents=True)
    (model_dir / "en-US.json").write_text(json.dumps(tiny_model()))
    (model_dir / "nlu" / "en-US.yaml").write_text(yaml.safe_dump(rows, sort_keys=False))
    return model_dir


PASSING_ROWS = [
    {"utterance": "why is my lower back twitching", "intent": "WhyTwitchingIntent"},
    {"utterance": "could coffee cause this", "intent": "CauseIntent", "slots": {"cause": "caffeine"}},
    {"utterance": "my mother collapsed", "intent": EMERGENCY},
    {"utterance": "xyzzy plugh", "intent": FALLBACK},
]


@needs_sklearn
def test_the_command_passes_fails_and_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_dir = write_tiny_repo(tmp_path / "good", PASSING_ROWS)
    assert main(["nlu-eval", "--model", str(model_dir)]) == 0
    out = capsys.readouterr().out
    assert "en-US: in-domain accuracy 100.0% (3/3), out-of-domain false accepts 0/1, emergency misses 0/1" in out
    assert "nlu-eval: ok: en-US passes the gates" in out

    failing = write_tiny_repo(tmp_path / "bad", [*PASSING_ROWS, {"utterance": "purple monkey dishwasher", "intent": EMERGENCY}])
    assert main(["nlu-eval", "--model", str(failing), "--locale", "en-US"]) == 1
    captured = capsys.readouterr()
    assert "EmergencyIntent not recognised: 'purple monkey dishwasher'" in captured.out
    assert "nlu-eval: en-US failed the gates" in captured.err

    assert main(["nlu-eval", "--model", str(model_dir), "--export", str(tmp_path / "export")]) == 0
    body = json.loads((tmp_path / "export" / "en-US.json").read_text())
    assert body["data"][1] == {"inputs": {"utterance": "could coffee cause this"},
                               "expected": [{"intent": {"name": "CauseIntent", "slots": {"cause": {"value": "coffee"}}}}]}
    assert "ask smapi update-annotations-for-nlu-annotation-sets" in capsys.readouterr().out


def test_the_command_without_scikit_learn_or_with_an_unknown_locale_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = write_tiny_repo(tmp_path, PASSING_ROWS)
    monkeypatch.setattr(nlu_eval, "sklearn_available", lambda: False)
    assert main(["nlu-eval", "--model", str(model_dir)]) == 2
    assert "pip install -e '.[test]'" in capsys.readouterr().err
    assert main(["nlu-eval", "--model", str(model_dir), "--export", str(tmp_path / "out")]) == 0  # no scikit-learn needed
    assert main(["nlu-eval", "--model", str(model_dir), "--locale", "fr-FR"]) == 2
    assert "no such locale" in capsys.readouterr().err


def test_the_command_refuses_to_export_a_file_that_does_not_fit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_dir = write_tiny_repo(tmp_path, [{"utterance": "hello there", "intent": "GreetingIntent"}])
    assert main(["nlu-eval", "--model", str(model_dir), "--export", str(tmp_path / "out")]) == 1
    assert "intent GreetingIntent is not in the model" in capsys.readouterr().err
    assert not (tmp_path / "out" / "en-US.json").exists()


@needs_sklearn
@trained_matchers
def test_the_command_on_the_repository_exits_as_the_gates_say(capsys: pytest.CaptureFixture[str]) -> None:
    report = nlu_eval.evaluate_locale(load_model(MODEL_DIR, "en-US"), MODEL_DIR, "en-US")
    assert main(["nlu-eval", "--locale", "en-US"]) == (0 if report.ok else 1)
    assert report.summary() in capsys.readouterr().out


def test_report_of_an_unreadable_file_is_a_failure(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "en-US.yaml").write_text("utterance: not a list\n")
    report = nlu_eval.evaluate_locale(tiny_model(), tmp_path, "en-US")
    assert isinstance(report, LocaleReport) and not report.ok
    assert "must be a list" in report.failures()[0]
