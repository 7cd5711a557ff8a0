"""Screens (APL) as whole conversations through the signed endpoint: an Echo Show 8 gets a
document on every reply and can drive everything by touch exactly as by voice; an Echo Dot gets
today's responses, with no APL at all.

Touch and voice are compared turn by turn with the same random seed, so the same variations are
picked: a touch must be answered with the very words the matching speech gets.
"""
from __future__ import annotations

import json
import random
import re
import shutil
from typing import Any, Callable

import pytest

from skill.conversation import apl
from skill.conversation.flows import answers as answers_flow
from skill.conversation.screen import Kind
from skill.conversation.alexa_api import TIMERS_SCOPE
from skill.tools.devtools.conversation import Conversation, Exchange
from skill.tools.devtools.local_skill import LocalAlexaApi
from skill.conversation.content import read_locales
from skill.tools.validation import apl_check
from skill.tools.validation.speech import LongestWords
from support import repository
from support.store_servers import unavailable
from test_limits import response_problems

SHOW, DOT = "echo_show_8", "echo_dot"
RENDER = "Alexa.Presentation.APL.RenderDocument"
COMMANDS = "Alexa.Presentation.APL.ExecuteCommands"
WORDS_PER_SECOND = 2.5  # the pace the routine's timing assumes (about 150 words a minute)


def apl_directives(turn: Exchange) -> list[dict[str, Any]]:
    return [d for d in turn.directives if d.get("type", "").startswith("Alexa.Presentation.APL")]


def screen_of(turn: Exchange) -> dict[str, Any]:
    assert turn.status == 200, turn.body
    screen = turn.screen
    assert screen is not None, f"no RenderDocument after {turn.speech[:80]!r}"
    return screen


def labels(screen: dict[str, Any], key: str = "buttons") -> list[str]:
    return [button["label"] for button in screen[key]]


def press(conversation: Conversation, label: str) -> Exchange:
    """Touch the button (or hint chip) with this label on the screen the device shows."""
    screen = screen_of(conversation.last)
    for button in [*screen["buttons"], *screen["hints"]]:
        if button["label"].lower() == label.lower():
            return conversation.touch(*button["arguments"])
    raise AssertionError(f"no {label!r} on screen: {labels(screen)} {labels(screen, 'hints')}")


def seeded(talk: Callable[..., Conversation], device: str | None, turns: list[Callable[[Conversation], Exchange]],
           locale: str = "en-US") -> list[Exchange]:
    random.seed(20261203)
    conversation = talk(device=device, locale=locale)
    return [turn(conversation) for turn in turns]


def said(turns: list[Exchange]) -> list[tuple[str, str, bool | None]]:
    return [(turn.speech, turn.reprompt, turn.ends_session) for turn in turns]


# --- every reply on a screen, none on a speaker -------------------------------------------------

CONVERSATION = [
    lambda c: c.launch(),
    lambda c: c.ask("WhyTwitchingIntent"),
    lambda c: c.ask("AMAZON.YesIntent"),
    lambda c: c.ask("AMAZON.HelpIntent"),
    lambda c: c.ask("AMAZON.RepeatIntent"),
    lambda c: c.ask("CauseIntent", cause="coffee"),
    lambda c: c.ask("AMAZON.FallbackIntent"),
    lambda c: c.ask("ReliefIntent"),
    lambda c: c.ask("AMAZON.NextIntent"),
    lambda c: c.ask("AMAZON.NextIntent"),
    lambda c: c.ask("WhereAmIIntent"),
    lambda c: c.ask("AMAZON.PreviousIntent"),
    lambda c: c.ask("IsItSeriousIntent"),
    lambda c: c.ask("AMAZON.NoIntent"),
    lambda c: c.ask("AMAZON.NoIntent"),
    lambda c: c.ask("ScreeningIntent", duration="P3W"),
    lambda c: c.ask("AMAZON.NoIntent"),
    lambda c: c.ask("AMAZON.NoIntent"),
    lambda c: c.ask("AMAZON.NoIntent"),
    lambda c: c.ask("AMAZON.YesIntent"),
    lambda c: c.ask("AMAZON.YesIntent"),
    lambda c: c.ask("AMAZON.StopIntent"),
]


def test_every_reply_on_a_show_carries_a_valid_render_document_and_a_dot_gets_none(talk):
    show = seeded(talk, SHOW, CONVERSATION)
    dot = seeded(talk, DOT, CONVERSATION)
    plain = seeded(talk, None, CONVERSATION)
    for turn in show:
        screen = screen_of(turn)
        rendered = turn.directive(RENDER)
        assert apl.kind_of(rendered["token"]) == Kind(screen["kind"])
        assert rendered["document"] == apl.document(Kind(screen["kind"]))
        assert screen["title"] and (screen["text"] or screen.get("big")), screen
        assert response_problems(turn) == []
    for turn in dot + plain:
        assert apl_directives(turn) == [], turn.speech
    assert said(show) == said(dot) == said(plain), "a screen must not change what is said"


def test_the_screen_text_agrees_with_the_speech(talk):
    show = seeded(talk, SHOW, CONVERSATION)
    for turn in show:
        screen = screen_of(turn)
        shown_lines = [] if screen.get("lines_title") else screen.get("lines", [])  # asked-for answers aren't said
        shown = " ".join([screen["text"], *shown_lines]).lower()
        if screen["kind"] == "question":
            assert screen["text"] in turn.speech, "the question on screen is the one asked"
        elif screen["kind"] == "routine":
            assert screen["progress_label"] in turn.speech or screen["title"].lower() in turn.speech.lower()
        else:
            heard = set(re.findall(r"[a-z']{4,}", turn.speech.lower()))
            words = set(re.findall(r"[a-z']{4,}", shown))
            assert words and len(words & heard) / len(words) >= 0.3, (shown, turn.speech)


# --- touch does what voice does -----------------------------------------------------------------

def test_the_routine_driven_by_touch_says_exactly_what_voice_gets(talk):
    voice = seeded(talk, SHOW, [
        lambda c: c.launch(), lambda c: c.ask("ReliefIntent"), lambda c: c.ask("AMAZON.NextIntent"),
        lambda c: c.ask("AMAZON.NextIntent"), lambda c: c.ask("AMAZON.PreviousIntent"),
        lambda c: c.ask("AMAZON.RepeatIntent"), lambda c: c.ask("AMAZON.NextIntent"),
        lambda c: c.ask("AMAZON.NextIntent"), lambda c: c.ask("AMAZON.NextIntent"),
    ])
    touch = seeded(talk, SHOW, [
        lambda c: c.launch(), lambda c: press(c, "How do I relieve it?"), lambda c: press(c, "Next"),
        lambda c: press(c, "Next"), lambda c: press(c, "Back"), lambda c: press(c, "Repeat"),
        lambda c: press(c, "Next"), lambda c: press(c, "Next"), lambda c: press(c, "Next"),
    ])
    assert said(touch) == said(voice)
    assert [t.session_attributes.get("pending") for t in touch] == [t.session_attributes.get("pending") for t in voice]
    steps = [screen_of(turn).get("progress") for turn in touch[1:]]
    assert [step["value"] for step in steps] == [1, 2, 3, 2, 2, 3, 3, 3]  # step 3 has three stretches
    assert all(step["total"] == 6 for step in steps)


def test_the_check_driven_by_touch_reaches_the_same_outcome_as_voice(talk):
    voice = seeded(talk, SHOW, [
        lambda c: c.launch(), lambda c: c.ask("IsItSeriousIntent"), lambda c: c.ask("AMAZON.NoIntent"),
        lambda c: c.ask("AMAZON.NoIntent"), lambda c: c.ask("ScreeningIntent", duration="P3W"),
        lambda c: c.ask("ScreeningIntent", weakness="not sure"), lambda c: c.ask("AMAZON.NoIntent"),
        lambda c: c.ask("AMAZON.NoIntent"), lambda c: c.ask("AMAZON.YesIntent"),
    ])
    touch = seeded(talk, SHOW, [
        lambda c: c.launch(), lambda c: press(c, "Is this serious?"), lambda c: press(c, "No"),
        lambda c: press(c, "No"), lambda c: press(c, "More than two weeks"), lambda c: press(c, "Not sure"),
        lambda c: press(c, "No"), lambda c: press(c, "No"), lambda c: press(c, "Yes"),
    ])
    assert said(touch) == said(voice)
    assert "weakness" in touch[-2].speech.lower() or "weakness" in touch[-1].speech.lower()
    kinds = [screen_of(turn)["kind"] for turn in touch]
    assert kinds[2:6] == ["question"] * 4 and "outcome" in kinds[6:]


def test_not_sure_on_the_duration_question_asks_once_more_as_the_voice_does(talk):
    voice = seeded(talk, SHOW, [lambda c: c.ask("IsItSeriousIntent"), lambda c: c.ask("AMAZON.NoIntent"),
                                lambda c: c.ask("AMAZON.NoIntent"),
                                lambda c: c.ask("ScreeningIntent", duration_phrase="not sure")])
    touch = seeded(talk, SHOW, [lambda c: c.ask("IsItSeriousIntent"), lambda c: press(c, "No"),
                                lambda c: press(c, "No"), lambda c: press(c, "Not sure")])
    assert said(touch) == said(voice)
    assert labels(screen_of(touch[-1]))[-1] == "Not sure" and "Less than a week" in labels(screen_of(touch[-1]))


def test_not_sure_at_the_emergency_gate_by_touch_gives_the_emergency_screen(talk):
    conversation = talk(device=SHOW)
    conversation.ask("IsItSeriousIntent")
    turn = press(conversation, "Not sure")
    screen = screen_of(turn)
    assert screen["kind"] == "emergency" and screen["big"] == "911"
    assert screen["buttons"] == [] and screen["hints"] == []
    assert "911" in turn.speech and turn.ends_session is True


def test_the_emergency_screen_shows_the_locales_number(talk):
    for locale, number in (("en-US", "911"), ("en-GB", "999"), ("en-AU", "000 / 111"), ("en-IN", "112")):
        turn = talk(device=SHOW, locale=locale).ask("EmergencyIntent")
        screen = screen_of(turn)
        assert (screen["kind"], screen["big"]) == ("emergency", number), locale
        assert all(digits in screen["text"] for digits in number.split(" / "))


def test_saying_emergency_interrupts_a_routine_driven_by_touch(talk):
    conversation = talk(device=SHOW)
    conversation.ask("ReliefIntent")
    press(conversation, "Next")
    turn = conversation.ask("EmergencyIntent")
    assert screen_of(turn)["kind"] == "emergency" and turn.ends_session is True


def test_a_touch_on_a_screen_left_from_an_ended_session_is_answered_like_the_words(talk):
    def stopped_midway() -> Conversation:
        conversation = talk(device=SHOW)
        conversation.ask("ReliefIntent")
        conversation.ask("AMAZON.NextIntent")
        conversation.ask("AMAZON.StopIntent")
        return conversation

    touched, spoken = stopped_midway(), stopped_midway()
    # The document stays on screen after the session ends; a touch on it opens a new session.
    random.seed(7)
    late = touched.touch("next", "", token=apl.token(Kind.ROUTINE))
    random.seed(7)
    voice = spoken.ask("AMAZON.NextIntent")
    assert late.status == 200 and late.microphone_open
    assert (late.speech, late.screen) == (voice.speech, voice.screen)


def test_a_touch_left_from_an_earlier_screen_never_answers_the_emergency_question(talk):
    """Safety: "No" on the reminder offer's screen, arriving after "is this serious" was said,
    must not answer the emergency gate."""
    conversation = talk(device=SHOW)
    turn = conversation.ask("PreventionIntent")
    while "movement break" not in turn.speech:
        turn = conversation.ask("AMAZON.YesIntent")
    offer_token = screen_of(turn)["token"]
    gate = conversation.ask("IsItSeriousIntent")
    late = conversation.touch("no", "", token=offer_token)
    assert late.status == 200 and late.microphone_open
    assert "emergency" not in json.dumps(late.session_attributes.get("screening", {}).get("answers", {})), late.session_attributes
    assert screen_of(late)["kind"] == "question" and screen_of(late)["text"] == screen_of(gate)["text"]
    assert late.directive("Dialog.ElicitSlot") is None, "no dialog directive answers a touch"


def test_a_double_tap_on_yes_does_not_confirm_what_was_not_yet_heard(talk):
    """Yes on the reminder offer, then the same Yes again once "Shall I remind you ...?" is on
    screen: the second tap was meant for the offer, so nothing is confirmed."""
    conversation = talk(device=SHOW)
    turn = conversation.ask("PreventionIntent")
    while "movement break" not in turn.speech:
        turn = conversation.ask("AMAZON.YesIntent")
    offer_token = screen_of(turn)["token"]
    press(conversation, "Yes")
    confirm = conversation.ask("SetReminderIntent", from_time="09:00", to_time="05:00")
    assert "Shall I remind you" in confirm.speech
    stale = conversation.touch("yes", "", token=offer_token)
    for words in ("Done", "permission", "aren't available"):
        assert words not in stale.speech, stale.speech
    assert stale.status == 200 and stale.microphone_open


# --- what a touch cannot do ----------------------------------------------------------------------

@pytest.mark.parametrize("token, arguments", [
    ("someone.elses.token", ["next", ""]),
    (apl.token(Kind.ROUTINE), ["jump", "6"]),
    (apl.token(Kind.ANSWER), ["intent", "DeleteDataIntent"]),
    (apl.token(Kind.ANSWER), ["intent", "AMAZON.StopIntent"]),
    (apl.token(Kind.QUESTION), ["days", "nan"]),
    (apl.token(Kind.QUESTION), ["days", "-3"]),
    (apl.token(Kind.QUESTION), ["days", "1e300"]),
    (apl.token(Kind.ROUTINE), []),
    (apl.token(Kind.ROUTINE), [7, None]),
])
def test_an_odd_touch_is_answered_like_words_nobody_understood_and_keeps_the_place(talk, token, arguments):
    conversation = talk(device=SHOW)
    conversation.ask("ReliefIntent")
    odd = conversation.request({"type": "Alexa.Presentation.APL.UserEvent", "token": token, "arguments": arguments,
                                "source": {"type": "TouchWrapper", "handler": "Press"}, "components": {}})
    assert odd.status == 200 and odd.microphone_open, odd.body
    assert screen_of(odd)["kind"] == "routine", "the routine is still on screen"
    assert screen_of(conversation.ask("AMAZON.NextIntent"))["progress"]["value"] == 2


def test_a_touch_without_a_session_gets_an_empty_answer_not_an_error(talk):
    conversation = talk(device=SHOW)
    turn = conversation.request({"type": "Alexa.Presentation.APL.UserEvent", "token": apl.token(Kind.ROUTINE),
                                 "arguments": ["next", ""]}, in_session=False)
    assert turn.status == 200 and apl_directives(turn) == [] and not turn.speech


# --- the routine's screen and its countdown ------------------------------------------------------

def test_each_routine_step_shows_progress_its_instruction_and_guard_rail(talk):
    conversation = talk(device=SHOW)
    content = repository.content().for_locale("en-US")
    turn = conversation.ask("ReliefIntent")
    for number, step in enumerate(content.routine.steps, start=1):
        screen = screen_of(turn)
        assert screen["kind"] == "routine" and screen["title"] == step.title
        assert screen["progress"] == {"value": number, "total": 6}
        assert screen["progress_label"] == f"Step {number} of 6"
        assert step.card in screen["text"]
        assert screen.get("note") == (step.safety.card if step.safety else None)
        expected = ["Back", "Yes", "No", "Next"] if step.timer else ["Back", "Repeat", "Next"]
        assert labels(screen) == expected, "a timer offer is answered yes or no, or passed with next"
        for _ in range(step.part_count):
            turn = press(conversation, "Next")


def hold_timing(ssml: str) -> list[tuple[float, float]]:
    """(seconds from the start until the hold begins, seconds held) for each timed hold in the
    SSML: a 3 s settle, the start cue, then two equal silences (chained breaks summed) around
    "halfway". Words are timed at the pace the routine assumes."""
    pieces: list[tuple[str, float]] = []  # ("words", seconds) or ("silence", seconds)
    for piece in re.split(r'(<break time="\d+ms"/>)', ssml.removeprefix("<speak>").removesuffix("</speak>")):
        found = re.fullmatch(r'<break time="(\d+)ms"/>', piece)
        if found:
            if pieces and pieces[-1][0] == "silence":
                pieces[-1] = ("silence", pieces[-1][1] + int(found[1]) / 1000)
            else:
                pieces.append(("silence", int(found[1]) / 1000))
        elif words := re.sub(r"<[^>]+>", " ", piece).split():
            pieces.append(("words", len(words) / WORDS_PER_SECOND))
    elapsed, holds = 0.0, []
    for index, (kind, seconds) in enumerate(pieces):
        if (kind == "silence" and index >= 2 and pieces[index - 2] == ("silence", 3.0)
                and index + 2 < len(pieces) and pieces[index + 2] == ("silence", seconds)):
            holds.append((elapsed, seconds * 2))
        elapsed += seconds
    return holds


def countdown_timeline(turn: Exchange) -> list[tuple[int, str, str]]:
    commands = turn.directive(COMMANDS)
    assert commands is not None and commands["token"] == turn.directive(RENDER)["token"]
    (sequential,) = commands["commands"]
    at, timeline = 0, []
    for command in sequential["commands"]:
        assert command["type"] == "SetValue" and command["delay"] >= 0
        at += command["delay"]
        timeline.append((at, command["componentId"], command["value"]))
    return timeline


def test_the_countdown_commands_match_the_holds_ssml_timing(talk):
    conversation = talk(device=SHOW)
    turn = conversation.ask("GoToStepIntent", number="3")
    holds_seen = 0
    for _ in range(3):
        ((starts, seconds),) = hold_timing(turn.ssml)
        timeline = countdown_timeline(turn)
        label = [(at, value) for at, component, value in timeline if component == "countdownLabel"]
        numbers = [(at, value) for at, component, value in timeline if component == "countdownNumber"]
        # Where the hold starts is estimated from the words before it (within a word or so);
        # from there on the countdown keeps the SSML's silences to the millisecond.
        hold_at = label[0][0]
        assert label[0] == (pytest.approx(starts * 1000, abs=800), "Hold")
        assert label[1] == (hold_at + seconds * 500, "Halfway")
        assert label[2] == (hold_at + seconds * 1000, "Release")
        assert numbers[0][0] == hold_at + 1000 and numbers[-1][0] == hold_at + seconds * 1000
        assert [value for _, value in numbers] == [str(n) for n in range(int(seconds) - 1, -1, -1)]
        assert all(b - a == 1000 for (a, _), (b, _) in zip(numbers, numbers[1:]))
        assert screen_of(turn)["countdown"] == {"seconds": int(seconds), "label": "Hold"}
        holds_seen += 1
        turn = press(conversation, "Next")
    assert holds_seen == 3 and turn.directive(COMMANDS) is None, "no countdown without a hold"


def test_commands_go_only_to_the_document_just_rendered(talk):
    conversation = talk(device=SHOW)
    for turn in [conversation.ask("ReliefIntent"), *[press(conversation, "Next") for _ in range(7)]]:
        commands = turn.directive(COMMANDS)
        if commands is not None:
            kinds = [d["type"] for d in turn.directives]
            assert kinds.index(RENDER) < kinds.index(COMMANDS)
            assert commands["token"] == turn.directive(RENDER)["token"]
            assert apl.kind_of(commands["token"]) == Kind.ROUTINE


# --- privacy on a shared screen ------------------------------------------------------------------

def test_the_outcome_screen_shows_the_advice_and_only_the_agreed_notes_show_the_answers(talk):
    conversation = talk(device=SHOW)
    conversation.ask("IsItSeriousIntent")
    for label in ("No", "No", "More than two weeks", "Yes", "No", "No"):
        turn = press(conversation, label)
    outcome = screen_of(turn)
    while outcome["kind"] == "outcome" and "notes" not in turn.speech.lower():
        assert "lines_title" not in outcome
        turn = press(conversation, "Yes")
        outcome = screen_of(turn)
    shown = json.dumps(outcome).lower()
    assert outcome["kind"] == "outcome" and "neurology" in shown
    assert ": yes" not in shown and ": no" not in shown, "no answers on the shared screen"
    notes = screen_of(press(conversation, "Yes"))
    assert notes["lines_title"] == "Your answers"
    assert "Weakness or shrinking muscles: yes" in notes["lines"]


def to_the_notes_offer(talk: Callable[..., Conversation]) -> tuple[Conversation, Exchange]:
    """A check by touch with numbness (a red flag), through the outcome to "shall I put notes...?"."""
    conversation = talk(device=SHOW)
    conversation.ask("IsItSeriousIntent")
    for label in ("No", "No", "Less than a week", "No", "Yes", "No"):
        turn = press(conversation, label)
    while "notes" not in turn.speech.lower():
        turn = press(conversation, "Yes")
    return conversation, turn


def test_declining_the_notes_shows_no_answers(talk):
    conversation, _ = to_the_notes_offer(talk)
    declined = screen_of(press(conversation, "No"))
    assert "lines_title" not in declined and ": yes" not in json.dumps(declined).lower()


# --- documents and limits ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(Kind))
def test_each_document_is_layout_only_and_adapts_to_the_viewport_profiles(kind):
    document = apl.document(kind)
    text = json.dumps(document)
    assert {"name": "alexa-layouts", "version": "1.7.0"} in document["import"]
    for profile in ("@hubRoundSmall", "@hubLandscapeSmall", "@tvLandscapeXLarge"):
        assert profile in text, f"{kind}: no layout for {profile}"
    words = re.findall(r'"(?:text|headerTitle|buttonText)": "([^"]*)"', text)
    assert all(word == "" or word.startswith("${") for word in words), f"{kind}: words in the layout: {words}"
    assert not re.search(r"https?://", text), "no images or packages from elsewhere"


def test_every_screen_the_flows_build_fits_the_response_with_room_to_spare():
    for locale in ("en-US", "en-GB", "en-IN"):
        data = read_locales(repository.CONTENT_DIR)[locale]
        checked = 0
        for label, screen in apl_check.screens(LongestWords(locale, data)):
            assert apl_check.screen_problems(label, screen) == [], label
            checked += 1
        assert checked > 100


# --- `backtwitch validate` and Amazon's validator ------------------------------------------------

def validate_with_documents(documents_dir) -> Any:
    from skill.tools.validation import validate_repository

    apl.document.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(apl, "DOCUMENTS_DIR", documents_dir)
            report = validate_repository(repository.CONTENT_DIR, repository.MODEL_DIR)
    finally:
        apl.document.cache_clear()
    if report.notes:
        unavailable(" ".join(report.notes))
    return report


def test_validate_runs_apl_suggester_over_every_document_and_every_screens_datasources():
    report = validate_with_documents(apl.DOCUMENTS_DIR)
    assert report.ok, report.problems
    assert report.screens > 1000  # every composed reply's screen in five locales
    assert "screens checked with apl-suggester" in report.summary()


def test_validate_names_the_document_apl_suggester_finds_wrong(tmp_path):
    broken = tmp_path / "apl"
    shutil.copytree(apl.DOCUMENTS_DIR, broken)
    document = json.loads((broken / "routine.json").read_text())
    title = document["mainTemplate"]["items"][0]["items"][2]
    assert title["type"] == "Text"  # a core component: apl-suggester knows its properties
    title["fontSizeTypo"] = "40dp"
    (broken / "routine.json").write_text(json.dumps(document))
    report = validate_with_documents(broken)
    assert not report.ok
    assert any(line.startswith(str(broken / "routine.json")) and "fontSizeTypo" in line for line in report.problems), \
        report.problems


def test_a_screen_too_big_for_the_response_is_a_validation_problem():
    content = LongestWords("en-US", read_locales(repository.CONTENT_DIR)["en-US"])
    from skill.conversation.screens import welcome_screen
    from dataclasses import replace

    huge = replace(welcome_screen(content, "help"), text="twitch " * 3000)
    (problem,) = apl_check.screen_problems("help", huge)
    assert "over 16000" in problem


# --- "show my answers": the one way answers reach a screen besides the agreed notes -------------

def test_show_my_answers_mid_check_lists_them_and_the_same_question_goes_on(talk):
    conversation = talk(device=SHOW)
    conversation.ask("IsItSeriousIntent")
    for label in ("No", "No", "One to two weeks"):
        asked = press(conversation, label)
    shown = conversation.ask("ShowAnswersIntent")
    screen = screen_of(shown)
    assert "Here are your answers so far" in shown.speech and "How long: 10 days" in shown.speech
    assert screen["lines_title"] == "Your answers"
    assert screen["lines"] == ["Bladder, bowel or groin signs: no", "Fall, both legs, stroke, breathing or chest signs: no",
                               "How long: 10 days"]
    assert labels(screen) == labels(screen_of(asked)) == ["Yes", "No", "Not sure"]
    assert screen_of(asked)["text"] in shown.speech, "the pending question is asked again"
    after = press(conversation, "No")
    assert screen_of(after)["kind"] == "question" and "lines" not in screen_of(after)
    assert "numbness" in after.speech.lower(), "the check went on to the next question"


def test_show_my_answers_after_the_outcome_keeps_the_notes_offer(talk):
    conversation, turn = to_the_notes_offer(talk)
    shown = conversation.ask("ShowAnswersIntent")
    assert "Numbness, tingling or spreading pain: yes" in screen_of(shown)["lines"]
    assert shown.speech.endswith(turn.speech[turn.speech.rindex("Shall I put"):])
    notes = press(conversation, "Yes")
    assert notes.card and "Your answers" in notes.card.get("text", "")


def test_show_my_answers_on_a_speaker_says_them_and_with_none_says_how_to_start(talk):
    conversation = talk(device=DOT)
    conversation.ask("IsItSeriousIntent")
    conversation.ask("AMAZON.NoIntent")
    said_back = conversation.ask("ShowAnswersIntent")
    assert "Bladder, bowel or groin signs: no" in said_back.speech and apl_directives(said_back) == []
    assert said_back.microphone_open
    nothing = talk(device=DOT).ask("ShowAnswersIntent")
    assert "no check answers to show" in nothing.speech and nothing.microphone_open


def test_a_failure_mid_turn_gets_the_apology_with_a_screen_that_says_it(talk, monkeypatch):
    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(answers_flow, "topic_screen", broken)
    turn = talk(device=SHOW).ask("WhyTwitchingIntent")
    assert turn.status == 200 and "something went wrong" in turn.speech and turn.microphone_open
    screen = screen_of(turn)
    assert [d["type"] for d in apl_directives(turn)] == [RENDER]
    assert "something went wrong" in screen["text"].lower() and labels(screen, "hints")


def test_yes_on_the_timer_offer_sets_the_timer_by_touch_as_by_voice(talk):
    timers = LocalAlexaApi()
    timers.start()
    try:
        conversation = talk(device=SHOW)
        conversation.api_endpoint = timers.endpoint
        conversation.granted.add(TIMERS_SCOPE)
        offer = conversation.ask("GoToStepIntent", number="4")
        assert labels(screen_of(offer)) == ["Back", "Yes", "No", "Next"] and "timer" in offer.speech
        done = press(conversation, "Yes")
        assert len(timers.timers) == 1 and "timer is running" in done.speech
        assert screen_of(done)["kind"] == "routine" and labels(screen_of(done)) == ["Back", "Repeat", "Next"]
    finally:
        timers.stop()


def test_show_my_answers_after_stepping_out_of_the_check_reads_them_and_resumes(talk):
    conversation = talk()
    conversation.ask("IsItSeriousIntent")
    conversation.ask("AMAZON.NoIntent")
    conversation.ask("AMAZON.NoIntent")
    conversation.ask("WhyTwitchingIntent")
    shown = conversation.ask("ShowAnswersIntent")
    assert "Bladder, bowel or groin signs: no" in shown.speech and "How long" in shown.speech
