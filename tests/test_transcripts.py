"""Transcripts in tests/transcripts/ are played through `backtwitch chat --script`: every intent
of the model is said at least once, every locale has one, and a wrong expectation fails."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from skill.tools.chat import TranscriptError, parse_transcript, run_transcript
from skill.tools.cli import main
from skill.config import REPO_ROOT
from skill.conversation.locales import intents_of, load_models

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))
MODELS = load_models(REPO_ROOT / "interaction_model")


# Each transcript is played once per test process: the coverage test below reads the same runs
# (xdist_group keeps these tests in one process).
played = functools.cache(run_transcript)
transcripts = pytest.mark.xdist_group("transcripts")


@transcripts
@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_the_transcript_plays_as_written(path):
    result = played(path)
    assert result.turns > 0
    assert not result.failures, "\n".join(result.failures)


@transcripts
def test_the_transcripts_say_every_intent_of_the_model():
    said: set[str] = set()
    for path in TRANSCRIPTS:
        said |= played(path).intents
    missing = sorted(set(intents_of(MODELS["en-US"])) - said)
    assert not missing, f"no transcript makes Alexa send these intents: {missing}"


def test_every_locale_has_a_transcript():
    named = {parse_transcript(path)[0] for path in TRANSCRIPTS}
    assert set(MODELS) - {"en-US"} <= named, f"locales without a transcript: {sorted(set(MODELS) - named - {'en-US'})}"


def test_a_wrong_expectation_fails_naming_the_line_and_what_was_heard(tmp_path):
    script = tmp_path / "wrong.txt"
    script.write_text("> open back twitch helper\n< Goodbye forever\n< [closed]\n< [intent] HelpIntent\n")
    failures = run_transcript(script).failures
    assert len(failures) == 3
    assert failures[0].startswith(f"{script}:2: expected [the reply contains] 'Goodbye forever'; Alexa said: ")
    assert "Welcome to Back Twitch Helper" in failures[0]
    assert failures[1].startswith(f"{script}:3: expected [closed] ''; the microphone stayed open")
    assert failures[2].startswith(f"{script}:4: expected [intent] 'HelpIntent'; understood as ['LaunchRequest']")


def test_reminder_checks_see_what_the_turn_set_and_how_many_alexa_holds(tmp_path):
    script = tmp_path / "reminders.txt"
    script.write_text("\n".join([
        "> open back twitch helper", "< [reminders] 0",
        "> set a water reminder", "> yes", "> yes",
        "< [reminder] FREQ=DAILY;BYHOUR=13", "< [reminder] Time for a glass of water", "< [reminders] 1",
        "< [reminder] BYHOUR=19", "< [reminders] 2",
        "> what reminders do i have", "< [reminder] glass of water",
    ]) + "\n")
    failures = run_transcript(script).failures
    assert [failure.split(": ", 1)[1].split(";")[0] for failure in failures] == [
        "expected [reminder] 'BYHOUR=19'", "expected [reminders] '2'", "expected [reminder] 'glass of water'"]
    assert "Alexa holds 1 reminders" in failures[1] and "reminders set or changed: []" in failures[2]


def test_the_command_exits_1_on_a_failed_expectation_and_0_when_all_hold(tmp_path, capsys):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("> open back twitch helper\n< Welcome\n< [open]\n")
    bad.write_text("> open back twitch helper\n< [closed]\n")
    assert main(["chat", "--script", str(good)]) == 0
    assert main(["chat", "--script", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "good.txt: 1 turns, 0 failed expectations" in captured.out
    assert f"FAIL {bad}:2: expected [closed]" in captured.err


def test_the_locale_option_overrides_the_transcripts_own(tmp_path):
    script = tmp_path / "uk.txt"
    script.write_text("@locale en-US\n> open back twitch helper\n< call nine nine nine\n")
    assert run_transcript(script, locale="en-GB").failures == []
    assert run_transcript(script).failures


@pytest.mark.parametrize("text, problem", [
    ("hello\n", "a line must start with '>', '<', '#', '@locale' or '@device'"),
    ("< Welcome\n", "an expectation before anything was said"),
    ("> hi\n< [colour] red\n", "unknown check [colour]"),
    ("> hi\n< [card]\n", "[card] needs a value"),
    ("> hi\n@locale en-GB\n", "@locale must come before the first turn"),
    ("> hi\n< [reminders] some\n", "[reminders] needs a number"),
])
def test_a_malformed_transcript_is_refused_with_its_line(tmp_path, text, problem):
    script = tmp_path / "broken.txt"
    script.write_text(text)
    with pytest.raises(TranscriptError, match=r"broken\.txt:\d+: " + problem.replace("[", r"\[").replace("]", r"\]")):
        parse_transcript(script)


def test_a_screen_expectation_fails_on_a_speaker_and_holds_on_a_show(tmp_path):
    script = tmp_path / "screen.txt"
    script.write_text("> open back twitch helper\n< [screen] Is this serious?\n")
    on_speaker = run_transcript(script)
    assert len(on_speaker.failures) == 1 and "[screen]" in on_speaker.failures[0]
    script.write_text("@device echo_show_8\n> open back twitch helper\n< [screen] Is this serious?\n"
                      "> touch is this serious?\n< [screen] [question] | Symptom check\n")
    assert run_transcript(script).failures == []
    script.write_text("@device echo_dot\n> open back twitch helper\n< [no-screen]\n")
    assert run_transcript(script).failures == []
