"""`backtwitch chat --screen`: the chat through an Echo Show 8 prints what each reply puts on the
screen, and `touch LABEL` presses one of its buttons, typed or in a transcript."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from skill.conversation.apl import countdown_commands
from skill.conversation.screen import Countdown
from skill.tools.chat import countdown_text, screen_lines, take_turn
from skill.tools.cli import main
from skill.tools.devtools.conversation import Exchange
from skill.tools.devtools.local_skill import local_skill

DURATION_SCREEN = """\
      [screen: question] Symptom check
        How long has your back been twitching?
        buttons: Less than a week | One to two weeks | More than two weeks | Not sure
"""


def typed(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    """The interactive chat reads these lines from standard input, then its end (Ctrl-D)."""
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))


def script(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "screen.txt"
    path.write_text(text)
    return path


# --- the interactive chat ---------------------------------------------------------------------

def test_each_reply_prints_its_screen_and_a_touch_answers_the_check(monkeypatch, capsys):
    typed(monkeypatch, "open back twitch helper", "touch IS THIS SERIOUS?", "touch no", "touch no",
          "touch not sure", "touch not sure")
    assert main(["chat", "--screen"]) == 0
    shown = capsys.readouterr().out
    assert "touch LABEL = press a button on the screen" in shown
    assert ("      [screen: answer] Back Twitch Helper\n" in shown
            and "        hints: Why is my back twitching? | Is this serious? | How do I relieve it?" in shown)
    assert "· Alexa.Presentation.APL.UserEvent (touch Is this serious?)" in shown
    assert DURATION_SCREEN in shown
    # "Not sure" once: asked again with an example; twice: treated as long-standing, the next question
    first, second = shown.split("(touch Not sure)")[1:]
    assert "rough guess" in first and DURATION_SCREEN in first
    assert "      [screen: question] Symptom check\n        Have you noticed any muscle weakness" in second


def test_a_touch_with_no_such_button_lists_the_buttons_and_sends_nothing(monkeypatch, capsys):
    typed(monkeypatch, "ask back twitch helper to check my symptoms", "touch maybe")
    assert main(["chat", "--screen"]) == 0
    shown = capsys.readouterr().out
    assert "· no 'maybe' on the screen; buttons: Yes | No | Not sure" in shown
    assert "UserEvent" not in shown


def test_without_screen_nothing_is_drawn_and_nothing_can_be_touched():
    with local_skill() as (alexa, timers):
        said, _ = take_turn(alexa, timers, "open back twitch helper")
        assert said.screen is None and screen_lines(said) == [] and not alexa.draws_screens
        assert "Alexa.Presentation.APL" not in alexa.sent[-1]["context"]["System"]["device"]["supportedInterfaces"]
        sent = len(alexa.sent)
        nothing, _ = take_turn(alexa, timers, "touch next")
        assert nothing.notes == ["nothing on the screen to touch (chat --screen draws one)"] and len(alexa.sent) == sent


# --- transcripts ------------------------------------------------------------------------------

def test_a_transcript_with_screen_touches_through_the_routine(tmp_path, capsys):
    path = script(tmp_path, "> ask back twitch helper how do i relieve it\n< Step 1 of 6\n"
                            "> touch next\n< [intent] Alexa.Presentation.APL.UserEvent\n< Step 2 of 6\n"
                            "> go to step three\n< Step 3 of 6\n")
    assert main(["chat", "--screen", "--script", str(path)]) == 0
    shown = capsys.readouterr().out
    assert f"{path}: 3 turns, 0 failed expectations" in shown
    step_2 = shown.split("you> touch next\n")[1]
    assert "      · Alexa.Presentation.APL.UserEvent (touch Next)\n" in step_2
    assert "      [screen: routine] Top up your minerals (Step 2 of 6)\n" in step_2
    assert re.search(r"\n {8}note: Food first\..*\n {8}buttons: Back \| Repeat \| Next\n", step_2)
    step_3 = shown.split("you> go to step three\n")[1]
    assert "      [screen: routine] Stretch gently (Step 3 of 6)\n" in step_3
    assert re.search(r"\n {8}countdown: 25 s \(starts after \d+(\.\d+)? s, halfway at 12\.5 s\)\n", step_3)


def test_a_transcript_touch_without_the_button_fails_on_its_line(tmp_path, capsys):
    path = script(tmp_path, "> open back twitch helper\n> touch next\n")
    assert main(["chat", "--screen", "--script", str(path)]) == 1
    assert (f"FAIL {path}:2: no 'next' on the screen; buttons: Why is my back twitching? | Is this serious?"
            in capsys.readouterr().err)


def test_without_screen_a_transcript_prints_no_screen(tmp_path, capsys):
    path = script(tmp_path, "> ask back twitch helper how do i relieve it\n< Step 1 of 6\n")
    assert main(["chat", "--script", str(path)]) == 0
    assert "[screen:" not in capsys.readouterr().out


# --- how a screen is written down -------------------------------------------------------------

def test_the_countdown_times_are_the_sum_of_the_command_delays():
    commands = countdown_commands(Countdown(starts_after=43.1, seconds=25, hold="Hold", halfway="Halfway",
                                            release="Release"))
    said = Exchange(status=200, body={"response": {"directives": [
        {"type": "Alexa.Presentation.APL.RenderDocument", "token": "t", "datasources": {"screen": {
            "kind": "routine", "title": "Stretch", "text": "Hold it.", "countdown": {"seconds": 25, "label": "Hold"}}}},
        {"type": "Alexa.Presentation.APL.ExecuteCommands", "token": "t", "commands": commands}]}})
    assert countdown_text(said) == "25 s (starts after 43.1 s, halfway at 12.5 s)"


def test_outcome_lines_each_get_their_own_row():
    said = Exchange(status=200, body={"response": {"directives": [
        {"type": "Alexa.Presentation.APL.RenderDocument", "token": "t", "datasources": {"screen": {
            "kind": "outcome", "title": "What to do", "text": "Shall I send notes?", "lines_title": "Your answers",
            "lines": ["Over 2 weeks: see your doctor.", "Weakness: no."],
            "buttons": [{"label": "Yes", "arguments": ["yes", ""]}, {"label": "No", "arguments": ["no", ""]}],
            "hints": []}}}]}})
    assert screen_lines(said) == [
        "      [screen: outcome] What to do",
        "        Your answers",
        "        - Over 2 weeks: see your doctor.",
        "        - Weakness: no.",
        "        Shall I send notes?",
        "        buttons: Yes | No",
    ]
