"""`backtwitch chat`'s parts: words understood the way the interaction model says, requests
signed and verified for real, session and user kept, replies shown the way they are heard."""
from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from skill.conversation.alexa_api import REMINDERS_SCOPE, TIMERS_SCOPE
from skill.tools.chat import Speaker, card_text, readable, repl, show, speakable, take_turn
from skill.config import REPO_ROOT
from skill.tools.devtools.alexa import LocalAlexa
from skill.tools.devtools.local_skill import LocalAlexaApi, local_skill
from skill.tools.devtools.pki import LocalPKI
from skill.tools.devtools.spoken import duration_value, number_value, time_value
from skill.tools.devtools.understanding import Elicitation, Understanding
from skill.conversation.locales import load_model

UNDERSTANDING = Understanding(load_model(REPO_ROOT / "interaction_model", "en-US"))
UK = Understanding(load_model(REPO_ROOT / "interaction_model", "en-GB"))


@pytest.fixture
def alexa() -> Iterator[tuple[LocalAlexa, LocalAlexaApi]]:
    with local_skill() as pair:
        yield pair


# --- what Alexa understands -----------------------------------------------------------------

@pytest.mark.parametrize("words, intent", [
    ("why is my back twitching", "WhyTwitchingIntent"),
    ("Why is my back twitching?", "WhyTwitchingIntent"),
    ("is it ALS", "AlsIntent"),
    ("is it a.l.s.", "AlsIntent"),
    ("how do i releive it", "ReliefIntent"),  # a typo: the nearest sample
    ("whats next", "AMAZON.NextIntent"),
    ("what's the weather on mars", "AMAZON.FallbackIntent"),
    ("yes", "AMAZON.YesIntent"),
    ("nope", "AMAZON.NoIntent"),
    ("never mind", "AMAZON.CancelIntent"),
])
def test_words_become_the_intent_the_model_gives_them(words, intent):
    assert UNDERSTANDING.understand(words).intent == intent


def test_a_slot_is_captured_and_resolved_by_synonym_to_its_value_id():
    heard = UNDERSTANDING.understand("can too much coffee cause back twitching")
    slot = heard.slots["cause"]
    assert (heard.intent, slot.value, slot.value_id, slot.value_name) == (
        "CauseIntent", "too much coffee", "caffeine", "caffeine and stimulants")


def test_near_words_around_a_known_slot_value_find_the_closest_sample():
    heard = UNDERSTANDING.understand("can coffee causes back twitchin")
    assert (heard.intent, heard.slots["cause"].value_id, heard.how) == ("CauseIntent", "caffeine", "near match")


def test_an_unknown_slot_value_is_sent_without_an_entity_match():
    heard = UNDERSTANDING.understand("what about salt and vinegar chips")
    assert heard.intent == "CauseIntent" and heard.slots["cause"].value_id is None
    assert heard.how == "sample, unknown slot value"


def test_a_locales_own_synonyms_are_understood_in_that_locale_only():
    assert UK.understand("what about builder's tea").slots["cause"].value_id == "caffeine"
    assert UNDERSTANDING.understand("what about builder's tea").slots["cause"].value_id is None


@pytest.mark.parametrize("words, value", [
    ("my back has been twitching for three weeks", "P3W"),
    ("twitching for a few days", "PXD"),
    ("twitching for a week and two days", "P1W2D"),
])
def test_spoken_durations_arrive_as_iso_8601(words, value):
    heard = UNDERSTANDING.understand(words)
    assert heard.intent == "ScreeningIntent" and heard.slots["duration"].value == value


def test_spoken_numbers_arrive_as_digits():
    heard = UNDERSTANDING.understand("go to step four")
    assert heard.intent == "GoToStepIntent" and heard.slots["number"].value == "4"


def test_while_a_slot_is_elicited_a_reply_fills_that_slot_first():
    elicit = Elicitation("ScreeningIntent", "emergency_signs")
    heard = UNDERSTANDING.understand("yes", elicit)
    assert heard.intent == "ScreeningIntent" and heard.slots["emergency_signs"].value_id == "yes"
    assert heard.how == "elicited slot"
    assert UNDERSTANDING.understand("stop", elicit).intent == "AMAZON.StopIntent"


def test_while_a_duration_is_elicited_unreadable_words_still_go_to_that_slot():
    heard = UNDERSTANDING.understand("ages and ages", Elicitation("ScreeningIntent", "duration"))
    assert heard.intent == "ScreeningIntent" and heard.slots["duration"].value == "ages and ages"


@pytest.mark.parametrize("words, iso", [
    ("three weeks", "P3W"), ("a few days", "PXD"), ("a couple of weeks", "P2W"), ("a fortnight", "P2W"),
    ("ten minutes", "PT10M"), ("an hour", "PT1H"), ("about a month", "P1M"), ("twenty one days", "P21D"),
    ("since last month", None), ("forever", None), ("weeks", "P1W"),
])
def test_duration_words(words, iso):
    assert duration_value(words) == iso


@pytest.mark.parametrize("words, digits", [
    ("four", "4"), ("4", "4"), ("twenty one", "21"), ("one hundred and five", "105"), ("fourth", None), ("step", None),
])
def test_number_words(words, digits):
    assert number_value(words) == digits


@pytest.mark.parametrize("words, value", [
    ("seven pm", "19:00"), ("7 pm", "19:00"), ("7pm", "19:00"), ("7:30 pm", "19:30"), ("seven thirty in the evening", "19:30"),
    ("seven", "07:00"), ("eight thirty", "08:30"), ("half past seven", "07:30"), ("quarter to eight", "07:45"),
    ("ten past nine", "09:10"), ("half seven", "07:30"), ("eight o'clock", "08:00"), ("seven oh five", "07:05"),
    ("nineteen hundred", "19:00"), ("twenty one thirty", "21:30"), ("19:30", "19:30"), ("nine in the morning", "09:00"),
    ("three in the afternoon", "15:00"), ("ten at night", "22:00"), ("twelve at night", "00:00"), ("twelve pm", "12:00"),
    ("twelve a m", "00:00"), ("nine a m", "09:00"), ("9 a.m.", "09:00"), ("ten p. m.", "22:00"),
    ("eleven forty five pm", "23:45"), ("noon", "12:00"), ("midday", "12:00"), ("midnight", "00:00"),
])
def test_time_words_arrive_as_a_24_hour_clock(words, value):
    assert time_value(words) == value


@pytest.mark.parametrize("words, code", [
    ("morning", "MO"), ("the morning", "MO"), ("this afternoon", "AF"), ("the evening", "EV"), ("in the evening", "EV"),
    ("night", "NI"), ("at night", "NI"), ("tonight", "NI"),
])
def test_a_part_of_the_day_arrives_as_its_code(words, code):
    assert time_value(words) == code


@pytest.mark.parametrize("words", [
    "", "something", "call my mom", "talk to me", "three weeks", "nineteen pm", "twenty five", "seven thirty five twenty",
    "the", "early", "at seven", "half", "evening walk",
])
def test_words_that_are_no_time_of_day_have_no_time_value(words):
    assert time_value(words) is None


def test_spoken_times_arrive_as_alexa_sends_amazon_time():
    heard = UNDERSTANDING.understand("remind me to stretch at seven thirty pm")
    assert heard.intent == "SetReminderIntent" and heard.slots["habit"].value_id == "stretch"
    assert heard.slots["time"].value == "19:30"
    hours = UNDERSTANDING.understand("from eight to four", Elicitation("SetReminderIntent", "from_time"))
    assert (hours.intent, hours.slots["from_time"].value, hours.slots["to_time"].value) == ("SetReminderIntent", "08:00", "04:00")
    answer = UNDERSTANDING.understand("the evening", Elicitation("SetReminderIntent", "time"))
    assert answer.intent == "SetReminderIntent" and answer.slots["time"].value == "EV" and answer.how == "elicited slot"


def test_a_time_slot_holds_only_words_that_are_a_time_unless_they_answer_its_question():
    heard = UNDERSTANDING.understand("change my stretching reminder to eight pm")
    assert heard.how == "sample" and heard.slots["time"].value == "20:00"
    # "{from_time} to {to_time}" does not swallow a sentence because it has "to" in it
    sentence = UNDERSTANDING.understand("i'd like a reminder to relax")
    assert sentence.intent == "SetReminderIntent" and set(sentence.slots) == {"habit"}
    assert sentence.slots["habit"].value_id == "relax"
    assert "time" not in UNDERSTANDING.understand("change my stretching reminder to whenever").slots
    answer = UNDERSTANDING.understand("whenever you like", Elicitation("SetReminderIntent", "time"))
    assert (answer.intent, answer.slots["time"].value, answer.how) == ("SetReminderIntent", "whenever you like",
                                                                       "elicited slot, raw words")


# --- what Alexa sends, and keeps ------------------------------------------------------------

def test_the_session_attributes_and_user_carry_over_until_the_session_ends(alexa):
    local, _ = alexa
    local.say("open back twitch helper")
    first = local.sent[-1]
    local.say("what are the warning signs")
    second = local.sent[-1]
    assert second["session"]["sessionId"] == first["session"]["sessionId"] and second["session"]["new"] is False
    assert second["session"]["attributes"].get("last_reply"), "the attributes the skill returned came back"
    local.say("stop")
    local.say("open back twitch helper")
    later = local.sent[-1]
    assert later["session"]["new"] is True and later["session"]["sessionId"] != first["session"]["sessionId"]
    assert later["session"]["user"]["userId"] == first["session"]["user"]["userId"]


def test_every_request_is_signed_and_really_verified(alexa):
    local, _ = alexa
    assert local.say("open back twitch helper").status == 200
    local.pki = LocalPKI(name="Someone Else")  # signs with a chain the app doesn't trust
    refused = local.say("open back twitch helper")
    assert refused.status == 400 and refused.body["error"]


def test_an_elicited_answer_comes_back_with_the_dialog_state_and_earlier_slots(alexa):
    local, _ = alexa
    local.say("ask back twitch helper to check my symptoms")
    local.say("no")
    local.say("no")
    local.say("about three weeks")
    request = local.sent[-1]["request"]
    assert request["dialogState"] == "IN_PROGRESS"
    assert request["intent"]["slots"]["duration"]["value"] == "P3W"
    assert request["intent"]["slots"]["emergency_signs"]["value"] == "no"
    assert request["intent"]["slots"]["sudden_signs"]["value"] == "no"


def test_silence_repeats_the_reprompt_then_ends_the_session(alexa):
    local, _ = alexa
    local.say("open back twitch helper")
    again = local.silence()
    assert "What would you like?" in readable(again.ssml) and again.microphone_open
    ended = local.silence()
    assert local.sent[-1]["request"] == {**local.sent[-1]["request"], "type": "SessionEndedRequest",
                                          "reason": "EXCEEDED_MAX_REPROMPTS"}
    assert not ended.microphone_open and local.session is None


def test_without_the_skills_name_alexa_asks_can_fulfill_first(alexa):
    local, _ = alexa
    said = local.say("why is my back twitching")
    assert [e["request"]["type"] for e in local.sent] == ["CanFulfillIntentRequest", "IntentRequest"]
    assert "session" not in local.sent[0] and said.name_free == "YES"


def test_a_timer_is_set_through_the_local_timers_api_after_the_permission_question(alexa):
    local, timers = alexa
    local.say("ask back twitch helper to go to step four")
    asked = local.say("yes")
    assert any("may back twitch helper set timers" in note for note in asked.notes)
    done = local.say("yes")
    assert done.request_type == "Connections.Response" and "timer is running" in readable(done.ssml)
    assert timers.timers[0]["duration"] == "PT15M"


def test_the_permission_question_asks_for_the_scope_the_skill_named_and_a_yes_grants_it(alexa):
    local, api = alexa
    local.say("open back twitch helper")
    local.say("remind me to stretch at seven thirty pm")
    asked = local.say("yes")
    assert any("may back twitch helper set reminders?" in note for note in asked.notes)
    done = local.say("yes")
    answer = local.sent[-1]["request"]
    assert answer["type"] == "Connections.Response" and answer["payload"]["permissionScope"] == REMINDERS_SCOPE
    assert answer["payload"]["status"] == "ACCEPTED" and "Done." in readable(done.ssml)
    assert local.conversation.granted == {REMINDERS_SCOPE} and TIMERS_SCOPE not in local.conversation.granted
    assert len(api.reminders) == 1
    local.say("remind me to relax at eight pm")
    again = local.say("yes")
    assert not any("may back twitch helper" in note for note in again.notes) and len(api.reminders) == 2


def test_a_refused_permission_grants_nothing_and_sets_nothing(alexa):
    local, api = alexa
    local.say("open back twitch helper")
    local.say("remind me to stretch at seven thirty pm")
    local.say("yes")
    refused = local.say("no")
    assert local.sent[-1]["request"]["payload"] == {"permissionScope": REMINDERS_SCOPE, "status": "DENIED",
                                                    "isCardThrown": False}
    assert "permission refused" in refused.notes and local.conversation.granted == set() and api.reminders == {}


def test_each_turn_reports_the_reminders_it_set_changed_or_deleted(alexa):
    local, api = alexa
    take_turn(local, api, "open back twitch helper")
    local.conversation.granted.add(REMINDERS_SCOPE)
    take_turn(local, api, "remind me to stretch at seven thirty pm")
    said, effects = take_turn(local, api, "yes")
    assert effects.reminders == ["set: FREQ=DAILY;BYHOUR=19;BYMINUTE=30;BYSECOND=0 America/New_York: "
                                 "Time for your daily back stretch. Gently, and never into pain."]
    assert effects.reminders_held == 1 and effects.timers == [] and effects.deleted == []
    _, changed = take_turn(local, api, "change my stretching reminder to eight pm")
    assert [line.split(";")[:2] for line in changed.reminders] == [["changed: FREQ=DAILY", "BYHOUR=20"]]
    _, listed = take_turn(local, api, "what reminders do i have")
    assert listed.reminders == [] and listed.reminders_held == 1
    _, deleted = take_turn(local, api, "stop my stretching reminders")
    assert deleted.reminders == [] and len(deleted.deleted) == 1 and deleted.reminders_held == 0
    out = io.StringIO()
    show(said, effects, out)
    assert "· reminder set: FREQ=DAILY;BYHOUR=19;BYMINUTE=30;BYSECOND=0 America/New_York: Time for" in out.getvalue()


# --- what the person hears and sees ---------------------------------------------------------

def test_readable_speech_shows_pauses_aliases_and_plain_characters():
    ssml = ('<speak>Hold. <break time="10000ms"/> <break time="2500ms"/> Call <sub alias="triple zero">000</sub>, '
            'salt &amp; vinegar, <say-as interpret-as="characters">ALS</say-as>. <break time="400ms"/></speak>')
    assert readable(ssml) == "Hold. [pause 12.5s] Call triple zero, salt & vinegar, ALS. [pause 0.4s]"
    assert speakable(ssml) == "Hold. Call triple zero, salt & vinegar, A L S."


def test_cards_are_shown_with_their_title():
    assert card_text({"card": {"type": "Simple", "title": "Why", "content": "Because."}}) == "Why: Because."
    assert card_text({"card": {"type": "Standard", "title": "Notes", "text": "- yes"}}) == "Notes: - yes"
    assert card_text({"card": {"type": "AskForPermissionsConsent", "permissions": ["x"]}}) == "permission request: x"
    assert card_text({}) is None


def test_speak_uses_espeak_ng_when_installed():
    calls = []
    out = io.StringIO()
    speaker = Speaker("en-GB", out, which=lambda name: "/usr/bin/espeak-ng", run=lambda argv, check: calls.append(argv))
    speaker.speak('<speak>Call <sub alias="nine nine nine">999</sub>.</speak>')
    assert calls == [["/usr/bin/espeak-ng", "-v", "en-gb", "Call nine nine nine."]] and out.getvalue() == ""


def test_speak_without_espeak_ng_says_so_once_and_only_prints():
    out = io.StringIO()
    speaker = Speaker("en-US", out, which=lambda name: None, run=lambda *a, **k: pytest.fail("nothing to run"))
    speaker.speak("<speak>Hi.</speak>")
    assert out.getvalue() == "(--speak: espeak-ng is not installed, so replies are only printed)\n"


def test_piped_lines_are_echoed_after_the_prompt_so_the_output_reads_as_a_conversation(alexa, monkeypatch, capsys):
    """`printf 'open back twitch helper\\n' | backtwitch chat`: a pipe, unlike a terminal, shows nothing typed."""
    local, timers = alexa
    monkeypatch.setattr("sys.stdin", io.StringIO("open back twitch helper\nis it serious\n"))
    assert repl(local, timers, None) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == ["you> open back twitch helper", "      · LaunchRequest"]
    assert "you> is it serious" in lines and lines[-1] == "you> "


def test_typed_lines_are_not_echoed_a_second_time_on_a_terminal(alexa, monkeypatch, capsys):
    local, timers = alexa
    terminal = io.StringIO("open back twitch helper\n")
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", terminal)
    assert repl(local, timers, None) == 0
    assert "you> open back twitch helper" not in capsys.readouterr().out


def test_the_terminal_conversation_shows_speech_card_and_microphone(alexa):
    local, timers = alexa
    lines = iter(["open back twitch helper", "is it serious", "i can't feel my legs"])

    def read(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    assert repl(local, timers, None, read=read, out=out) == 0
    shown = out.getvalue()
    assert "alexa> Welcome to Back Twitch Helper." in shown and "[microphone open]" in shown
    assert "· IntentRequest: EmergencyIntent" in shown and "card: Emergency: call now: Call 911 now." in shown
    assert shown.rstrip().endswith("[microphone closed]")
