"""The guided relief routine as whole conversations through the signed HTTP endpoint: what the
user hears, whether the microphone stays open, which directives go out, and what is stored.

The Alexa Timers API is played by a small HTTP server on 127.0.0.1; each request's
`apiEndpoint` points at it, as Alexa's own requests point at Amazon's API.
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask

from skill.tools.devtools.conversation import Conversation, Exchange, fixture, now_iso
from skill.conversation.alexa_api import TIMERS_SCOPE
from skill.tools.devtools.local_skill import LocalAlexaApi
from skill.persistence import user_key
from test_limits import response_problems

API_TIMEOUT = 0.5
WORDS_PER_SECOND = 2.5
STEP_HEADINGS = [
    "Step 1 of 6: Drink water.", "Step 2 of 6: Top up your minerals.", "Step 3 of 6: Stretch gently.",
    "Step 4 of 6: Heat or cold.", "Step 5 of 6: Cut back on caffeine and alcohol.", "Step 6 of 6: Relax.",
]
SEED_STEPS = ["8 to 10 glasses", "spinach", "20 to 30 seconds", "15 minutes", "one caffeinated drink",
              "progressive muscle relaxation"]


@pytest.fixture
def alexa_api() -> Iterator[LocalAlexaApi]:
    """The Alexa API stand-in `backtwitch chat` uses, on a loopback port of its own."""
    stand_in = LocalAlexaApi()
    stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app with a short Alexa API timeout, so a slow API test is quick."""
    return make_app(alexa_api_timeout=API_TIMEOUT)


class Device(Conversation):
    """A conversation whose requests carry an apiEndpoint and, if granted, the timers permission."""

    def __init__(self, post: Callable, api_endpoint: str | None = None, timers_granted: bool = False,
                 user_id: str | None = None):
        super().__init__(post, user_id=user_id)
        self.api_endpoint = api_endpoint
        if timers_granted:
            self.granted.add(TIMERS_SCOPE)

    def permission_answer(self, status: str, token: str = "timer:4", code: str = "200",
                          card_thrown: bool = False) -> Exchange:
        """Alexa's Connections.Response to our AskFor request (it arrives in a fresh request)."""
        return self.request({
            "type": "Connections.Response", "name": "AskFor",
            "status": {"code": code, "message": "OK" if code == "200" else "failed"},
            "payload": {"permissionScope": TIMERS_SCOPE, "status": status, "isCardThrown": card_thrown},
            "token": token,
        }, new_session=True)


@pytest.fixture
def device(post: Callable) -> Callable[..., Device]:
    def make(**options: Any) -> Device:
        return Device(post, **options)
    return make


def stored(tmp_path: Path, user_id: str) -> dict[str, Any] | None:
    """What the SQLite file holds for this user, or None."""
    with sqlite3.connect(tmp_path / "skill.db") as db:
        row = db.execute("SELECT attributes FROM user_attributes WHERE user_key = ?", (user_key(user_id),)).fetchone()
    return json.loads(row[0]) if row else None


def store(tmp_path: Path, user_id: str, attributes: dict[str, Any]) -> None:
    with sqlite3.connect(tmp_path / "skill.db") as db:
        db.execute("INSERT OR REPLACE INTO user_attributes (user_key, attributes, updated_at) VALUES (?, ?, ?)",
                   (user_key(user_id), json.dumps(attributes), now_iso()))


def listening_seconds(turn: Exchange) -> float:
    """About how long the response takes to hear: its words at Alexa's pace plus every break."""
    breaks = sum(int(ms) for ms in re.findall(r'<break time="(\d+)ms"/>', turn.ssml)) / 1000
    return breaks + len(turn.speech.split()) / WORDS_PER_SECOND


def to_step(conversation: Conversation, step: int) -> Exchange:
    return conversation.ask("GoToStepIntent", number=str(step))


# --- the whole routine ---------------------------------------------------------------------------

def test_the_whole_routine_is_heard_step_by_step_in_order_and_finishing_forgets_the_place(talk, tmp_path):
    conversation = talk()
    conversation.launch()
    turns = [conversation.ask("ReliefIntent")]
    while turns[-1].session_attributes.get("routine") and len(turns) < 20:
        turns.append(conversation.ask("AMAZON.NextIntent"))
    heard = " ".join(turn.speech for turn in turns)
    positions = [heard.index(heading) for heading in STEP_HEADINGS]
    assert positions == sorted(positions), "the six steps were not heard in order"
    for words in SEED_STEPS:
        assert words in heard, f"the routine never said {words!r}"
    assert len(turns) == 10, "six steps, three stretches, two relaxation parts, then the end"
    assert all(turn.ends_session is False and turn.reprompt for turn in turns)
    assert "That's all six steps" in turns[-1].speech and turns[-1].speech.endswith("a daily reminder to stretch?")
    assert "routine" not in stored(tmp_path, conversation.user_id)
    declined = conversation.ask("AMAZON.NoIntent")  # no to the reminder: on to the old question
    assert declined.speech.startswith("Okay, no reminder.") and declined.speech.endswith("stop it coming back?")
    assert declined.ends_session is False and declined.reprompt
    prevention = conversation.ask("AMAZON.YesIntent")
    assert "There are eight things" in prevention.speech


def test_every_routine_response_keeps_the_platform_limits_and_ninety_seconds_of_listening(talk):
    conversation = talk()
    turns = [("ReliefIntent", conversation.ask("ReliefIntent"))]
    while turns[-1][1].session_attributes.get("routine") and len(turns) < 20:
        turns.append(("next", conversation.ask("AMAZON.NextIntent")))
    failures = [f"{label}: {problems}" for label, turn in turns if (problems := response_problems(turn))]
    failures += [f"{label}: about {listening_seconds(turn):.0f} s of listening" for label, turn in turns
                 if listening_seconds(turn) > 90]
    assert not failures, "\n".join(failures)


def test_a_stretch_is_timed_with_chained_breaks_and_spoken_cues(talk):
    conversation = talk()
    conversation.ask("ReliefIntent")
    stretch = to_step(conversation, 3)
    breaks = [int(ms) for ms in re.findall(r'<break time="(\d+)ms"/>', stretch.ssml)]
    assert max(breaks) <= 10_000 and sum(breaks) >= 25_000
    assert "Hold it there" in stretch.speech and "Halfway." in stretch.speech and "And slowly release" in stretch.speech
    assert "never into pain" in stretch.speech and "Don't bounce." in stretch.speech


def test_yes_to_the_offer_of_ways_to_ease_it_starts_the_routine(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("DehydrationIntent")
    turn = conversation.ask("AMAZON.YesIntent")
    assert "go through six steps" in turn.speech and "Step 1 of 6: Drink water." in turn.speech
    assert turn.card["title"] == "Back twitch relief routine"


def test_yes_and_no_mean_go_on_and_not_yet_inside_the_routine(talk):
    conversation = talk()
    conversation.ask("ReliefIntent")
    not_yet = conversation.ask("AMAZON.NoIntent")
    assert not_yet.speech.startswith("No rush.") and not_yet.ends_session is False
    go_on = conversation.ask("AMAZON.YesIntent")
    assert "Step 2 of 6" in go_on.speech


# --- navigation ------------------------------------------------------------------------------------

def test_back_and_forth_through_the_steps(talk):
    conversation = talk()
    conversation.ask("ReliefIntent")
    first_again = conversation.ask("AMAZON.PreviousIntent")
    assert first_again.speech.startswith("This is the first step.") and "Step 1 of 6" in first_again.speech
    conversation.ask("AMAZON.NextIntent")
    conversation.ask("AMAZON.NextIntent")
    stretch_two = conversation.ask("AMAZON.NextIntent")
    assert "Child's pose." in stretch_two.speech and "Step 3 of 6" not in stretch_two.speech
    back = conversation.ask("AMAZON.PreviousIntent")
    assert back.speech.startswith("Going back.") and "Knees to chest." in back.speech
    again = conversation.ask("AMAZON.RepeatIntent")
    assert again.ssml == back.ssml
    assert "Child's pose." in conversation.ask("AMAZON.NextIntent").speech


def test_go_to_a_step_by_number_and_out_of_range(talk, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    heat = to_step(conversation, 4)
    assert "Step 4 of 6: Heat or cold." in heat.speech and "wrap the pack in a cloth" in heat.speech.lower()
    assert heat.speech.endswith("Would you like me to set a 15-minute timer for it?")
    missing = to_step(conversation, 9)
    assert missing.speech == "There are only 6 steps. Say a step number from one to 6."
    assert missing.ends_session is False and missing.reprompt
    assert stored(tmp_path, conversation.user_id)["routine"]["step"] == 4, "a wrong number must not lose the place"
    assert "Step 5 of 6" in conversation.ask("AMAZON.NextIntent").speech


@pytest.mark.parametrize("spoken", ["four", "fourth", "step four", "4"])
def test_go_to_a_step_understands_number_words_as_well_as_digits(talk, spoken):
    conversation = talk()
    conversation.ask("ReliefIntent")
    assert "Step 4 of 6: Heat or cold." in conversation.ask("GoToStepIntent", number=spoken).speech


def test_go_to_a_step_without_a_number_asks_for_one(talk):
    turn = talk().ask("GoToStepIntent", number="?")
    assert "Say a step number from one to 6" in turn.speech and turn.ends_session is False


def test_going_to_a_step_first_thing_starts_the_routine_there(talk, tmp_path):
    conversation = talk()
    turn = to_step(conversation, 2)
    assert turn.speech.startswith("Just so you know") and "Step 2 of 6: Top up your minerals." in turn.speech
    assert stored(tmp_path, conversation.user_id)["routine"]["step"] == 2


def test_what_step_am_i_on_and_how_many_are_left(talk):
    conversation = talk()
    conversation.ask("ReliefIntent")
    to_step(conversation, 3)
    conversation.ask("AMAZON.NextIntent")
    where = conversation.ask("WhereAmIIntent")
    assert "You're on step 3 of 6: Stretch gently, part 2 of 3, Child's pose." in where.speech
    left = conversation.ask("StepsLeftIntent")
    assert left.speech.startswith("After this one, there are 3 steps left.")
    assert "Upper back stretch." in conversation.ask("AMAZON.YesIntent").speech


@pytest.mark.parametrize("intent", ["AMAZON.NextIntent", "AMAZON.PreviousIntent", "WhereAmIIntent", "StepsLeftIntent"])
def test_routine_commands_with_no_routine_running_explain_how_to_start_it(talk, intent):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask(intent)
    assert "The relief routine isn't running right now." in turn.speech and "how do I relieve it" in turn.speech
    assert turn.ends_session is False and turn.reprompt


def test_next_still_continues_a_list_being_read(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("PreventionIntent")
    assert "nicotine" in conversation.ask("AMAZON.NextIntent").speech


def test_help_and_unrecognised_words_inside_the_routine_keep_it_going(talk):
    conversation = talk()
    conversation.ask("ReliefIntent")
    help_turn = conversation.ask("AMAZON.HelpIntent")
    assert "You're in the relief routine, on step 1 of 6." in help_turn.speech and help_turn.speech.endswith("?")
    fallback = conversation.ask("AMAZON.FallbackIntent")
    assert fallback.speech.startswith("Sorry, I didn't catch that.")
    assert "Step 2 of 6" in conversation.ask("AMAZON.YesIntent").speech


# --- pause, stop and resume across sessions -------------------------------------------------------

def test_pause_keeps_the_place_and_the_next_visit_offers_to_continue_from_it(talk, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    to_step(conversation, 4)
    paused = conversation.ask("AMAZON.PauseIntent")
    assert paused.speech.startswith("Okay, I'll keep your place at step 4.") and paused.ends_session is True
    record = stored(tmp_path, conversation.user_id)["routine"]
    assert {key: record[key] for key in ("routine", "step", "part", "paused")} == {
        "routine": "relief", "step": 4, "part": 1, "paused": True}

    later = talk(user_id=conversation.user_id)
    offer = later.launch()
    assert "Last time, you got to step 4 of the relief routine: Heat or cold." in offer.speech
    assert offer.speech.endswith("Would you like to continue from step 4, or start over?")
    assert offer.ends_session is False and "start over" in offer.reprompt
    resumed = later.ask("AMAZON.ResumeIntent")
    assert "Step 4 of 6: Heat or cold." in resumed.speech


def test_a_different_user_is_not_offered_someone_elses_place(talk):
    conversation = talk()
    conversation.ask("ReliefIntent")
    to_step(conversation, 5)
    conversation.ask("AMAZON.PauseIntent")
    stranger = talk().launch()
    assert "Last time" not in stranger.speech and "Welcome to Back Twitch Helper" in stranger.speech


def test_stop_mid_routine_keeps_the_place_and_a_relaunch_offers_that_step(talk, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    conversation.ask("AMAZON.NextIntent")
    stopped = conversation.ask("AMAZON.StopIntent")
    assert stopped.speech == "Okay, stopping here. I've kept your place at step 2 for next time. Take care."
    assert stopped.ends_session is True and not stopped.reprompt
    later = talk(user_id=conversation.user_id)
    assert "continue from step 2, or start over?" in later.launch().speech
    assert "Step 2 of 6: Top up your minerals." in later.ask("AMAZON.YesIntent").speech


def test_cancel_mid_routine_also_keeps_the_place(talk, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    turn = conversation.ask("AMAZON.CancelIntent")
    assert "kept your place at step 1" in turn.speech and turn.ends_session is True
    assert stored(tmp_path, conversation.user_id)["routine"]["paused"] is True


def test_start_over_from_the_offer_begins_again_at_step_one(talk, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    to_step(conversation, 5)
    conversation.ask("AMAZON.StopIntent")
    later = talk(user_id=conversation.user_id)
    later.launch()
    turn = later.ask("AMAZON.StartOverIntent")
    assert "go through six steps" in turn.speech and "Step 1 of 6" in turn.speech
    assert stored(tmp_path, conversation.user_id)["routine"]["step"] == 1


def test_no_to_the_offer_keeps_the_place_for_another_time(talk, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    to_step(conversation, 3)
    conversation.ask("AMAZON.StopIntent")
    later = talk(user_id=conversation.user_id)
    later.launch()
    declined = later.ask("AMAZON.NoIntent")
    assert declined.speech.startswith("Okay, I'll keep your place for another time.") and declined.ends_session is False
    assert stored(tmp_path, conversation.user_id)["routine"]["step"] == 3
    assert "Step 3 of 6" in later.ask("AMAZON.NextIntent").speech, "next picks up the kept place"


def test_asking_how_to_relieve_it_with_a_place_kept_offers_to_continue(talk):
    conversation = talk()
    conversation.ask("ReliefIntent")
    to_step(conversation, 6)
    conversation.ask("AMAZON.StopIntent")
    one_shot = talk(user_id=conversation.user_id).ask("ReliefIntent")
    assert "continue from step 6, or start over?" in one_shot.speech


def test_progress_older_than_seven_days_is_not_offered_and_is_deleted(talk, tmp_path):
    conversation = talk()
    conversation.launch()
    conversation.ask("AMAZON.StopIntent")
    eight_days_ago = (datetime.now(timezone.utc) - timedelta(days=8)).isoformat(timespec="seconds")
    store(tmp_path, conversation.user_id, {"heard_disclaimer": True, "routine": {
        "routine": "relief", "step": 4, "part": 1, "paused": True, "updated": eight_days_ago}})
    turn = talk(user_id=conversation.user_id).launch()
    assert "Last time" not in turn.speech and turn.speech.endswith("What would you like to know today?")
    assert stored(tmp_path, conversation.user_id) == {"heard_disclaimer": True}


def test_progress_from_six_days_ago_is_still_offered(talk, tmp_path):
    conversation = talk()
    six_days_ago = (datetime.now(timezone.utc) - timedelta(days=6)).isoformat(timespec="seconds")
    store(tmp_path, conversation.user_id, {"heard_disclaimer": True, "routine": {
        "routine": "relief", "step": 3, "part": 2, "paused": True, "updated": six_days_ago}})
    offer = conversation.launch()
    assert "continue from step 3, or start over?" in offer.speech
    assert "Child's pose." in conversation.ask("AMAZON.YesIntent").speech


def test_only_progress_is_stored_never_what_the_user_said(talk, tmp_path):
    conversation = talk()
    conversation.launch()
    conversation.ask("CauseIntent", cause="stress")
    conversation.ask("ReliefIntent")
    conversation.ask("AMAZON.NextIntent")
    saved = stored(tmp_path, conversation.user_id)
    assert set(saved) == {"heard_disclaimer", "routine"}
    assert set(saved["routine"]) == {"routine", "step", "part", "paused", "updated"}
    assert "stress" not in json.dumps(saved)


def test_a_broken_store_mid_routine_still_speaks_the_step_and_says_the_place_cannot_be_saved(talk, tmp_path, caplog):
    conversation = talk()
    conversation.ask("ReliefIntent")
    with sqlite3.connect(tmp_path / "skill.db") as db:
        db.execute("DROP TABLE user_attributes")
    turn = conversation.ask("AMAZON.NextIntent")
    assert turn.status == 200 and "Step 2 of 6" in turn.speech
    assert turn.speech.startswith("I can't save your place right now, but let's carry on.")
    following = conversation.ask("AMAZON.NextIntent")
    assert "Step 3 of 6" in following.speech and "can't save" not in following.speech, "said once, not every step"
    assert "could not save routine progress" in caplog.text


# --- the heat-or-cold timer ---------------------------------------------------------------------

def at_heat_step(conversation: Device) -> Exchange:
    conversation.ask("ReliefIntent")
    return to_step(conversation, 4)


def test_a_granted_timer_is_set_through_the_alexa_api_and_the_routine_carries_on(device, alexa_api):
    conversation = device(api_endpoint=alexa_api.endpoint, timers_granted=True)
    at_heat_step(conversation)
    turn = conversation.ask("AMAZON.YesIntent")
    assert turn.speech.startswith("Done. Your 15-minute timer is running") and turn.ends_session is False
    [call] = alexa_api.received
    assert call["path"] == "/v1/alerts/timers" and call["authorization"] == "Bearer test-access-token"
    assert call["body"]["duration"] == "PT15M" and call["body"]["timerLabel"] == "Heat or cold"
    assert call["body"]["triggeringBehavior"]["operation"]["textToAnnounce"][0]["locale"] == "en-US"
    assert "Step 5 of 6" in conversation.ask("AMAZON.YesIntent").speech


def test_no_to_the_timer_carries_on_without_calling_the_api(device, alexa_api):
    conversation = device(api_endpoint=alexa_api.endpoint, timers_granted=True)
    at_heat_step(conversation)
    turn = conversation.ask("AMAZON.NoIntent")
    assert turn.speech.startswith("Okay, no timer.") and not alexa_api.received
    assert "Step 5 of 6" in conversation.ask("AMAZON.NextIntent").speech


def test_next_at_the_timer_offer_skips_the_timer(device, alexa_api):
    conversation = device(api_endpoint=alexa_api.endpoint, timers_granted=True)
    at_heat_step(conversation)
    assert "Step 5 of 6" in conversation.ask("AMAZON.NextIntent").speech and not alexa_api.received


def test_without_permission_the_skill_asks_by_voice_and_a_yes_sets_the_timer(device, alexa_api, tmp_path):
    conversation = device(api_endpoint=alexa_api.endpoint)
    at_heat_step(conversation)
    asked = conversation.ask("AMAZON.YesIntent")
    assert asked.speech == "To set a timer, I need your permission first."
    [directive] = asked.response["directives"]
    assert directive["type"] == "Connections.SendRequest" and directive["name"] == "AskFor"
    assert directive["payload"]["permissionScope"] == TIMERS_SCOPE and directive["token"] == "timer:4"
    assert asked.ends_session is True and not asked.reprompt and not alexa_api.received
    conversation.granted.add(TIMERS_SCOPE)
    accepted = conversation.permission_answer("ACCEPTED")
    assert accepted.speech.startswith("Done. Your 15-minute timer is running") and len(alexa_api.received) == 1
    assert accepted.ends_session is False
    assert "Step 5 of 6" in conversation.ask("AMAZON.NextIntent").speech


def test_a_refused_permission_sends_a_consent_card_and_the_routine_carries_on(device, alexa_api, tmp_path):
    conversation = device(api_endpoint=alexa_api.endpoint)
    at_heat_step(conversation)
    conversation.ask("AMAZON.YesIntent")
    declined = conversation.permission_answer("DENIED")
    assert declined.speech.startswith("Okay, no timer then. Please time 15 minutes on a clock or your phone.")
    assert declined.card == {"type": "AskForPermissionsConsent", "permissions": [TIMERS_SCOPE]}
    assert declined.ends_session is False and not alexa_api.received
    assert stored(tmp_path, conversation.user_id)["routine"]["step"] == 4
    assert "Step 5 of 6" in conversation.ask("AMAZON.YesIntent").speech


def test_no_second_card_when_alexa_already_sent_one(device, alexa_api):
    conversation = device(api_endpoint=alexa_api.endpoint)
    at_heat_step(conversation)
    conversation.ask("AMAZON.YesIntent")
    declined = conversation.permission_answer("NOT_ANSWERED", card_thrown=True)
    assert declined.card is None and "no timer then" in declined.speech


def test_a_failed_permission_request_is_spoken_about_plainly(device, alexa_api):
    conversation = device(api_endpoint=alexa_api.endpoint)
    at_heat_step(conversation)
    conversation.ask("AMAZON.YesIntent")
    failed = conversation.permission_answer("", code="500")
    assert failed.speech.startswith("Sorry, I couldn't set the timer just now.") and failed.ends_session is False


def test_a_timer_the_api_refuses_as_not_permitted_sends_a_consent_card(device, alexa_api):
    alexa_api.status = 401
    conversation = device(api_endpoint=alexa_api.endpoint, timers_granted=True)
    at_heat_step(conversation)
    turn = conversation.ask("AMAZON.YesIntent")
    assert turn.speech.startswith("I don't have permission to set timers, so I've sent a card to your Alexa app")
    assert turn.card == {"type": "AskForPermissionsConsent", "permissions": [TIMERS_SCOPE]}
    assert turn.ends_session is False


@pytest.mark.parametrize("status, delay", [(500, 0.0), (503, 0.0), (200, API_TIMEOUT * 3)],
                         ids=["server error", "unavailable", "too slow"])
def test_a_failing_timer_api_is_spoken_about_and_never_breaks_the_routine(device, alexa_api, status, delay, caplog):
    alexa_api.status, alexa_api.delay = status, delay
    conversation = device(api_endpoint=alexa_api.endpoint, timers_granted=True)
    at_heat_step(conversation)
    started = time.monotonic()
    turn = conversation.ask("AMAZON.YesIntent")
    assert time.monotonic() - started < API_TIMEOUT + 1.5, "the skill must not wait long on the API"
    assert turn.status == 200
    assert turn.speech.startswith("Sorry, I couldn't set the timer just now. Please time 15 minutes")
    assert turn.ends_session is False and turn.reprompt
    assert "timer not set" in caplog.text and "test-access-token" not in caplog.text
    assert "Step 5 of 6" in conversation.ask("AMAZON.YesIntent").speech


# --- your data ----------------------------------------------------------------------------------

def test_delete_my_data_asks_first_and_then_removes_everything_stored(talk, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    conversation.ask("AMAZON.NextIntent")
    assert stored(tmp_path, conversation.user_id)
    confirm = conversation.ask("DeleteDataIntent")
    assert confirm.speech.endswith("Shall I delete them?") and confirm.ends_session is False
    assert stored(tmp_path, conversation.user_id), "nothing is deleted before the user says yes"
    done = conversation.ask("AMAZON.YesIntent")
    assert done.speech.startswith("Done. I've deleted everything") and done.ends_session is True
    assert stored(tmp_path, conversation.user_id) is None
    again = talk(user_id=conversation.user_id).launch()
    assert "not medical advice" in again.speech and "Last time" not in again.speech


def test_no_to_delete_my_data_keeps_it(talk, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    conversation.ask("DeleteDataIntent")
    kept = conversation.ask("AMAZON.NoIntent")
    assert kept.speech.startswith("Okay, I've kept it.") and kept.ends_session is False
    assert stored(tmp_path, conversation.user_id)["routine"]["step"] == 1


def test_delete_my_data_with_a_broken_store_says_so_rather_than_claiming_success(talk, tmp_path):
    conversation = talk()
    conversation.launch()
    conversation.ask("DeleteDataIntent")
    with sqlite3.connect(tmp_path / "skill.db") as db:
        db.execute("DROP TABLE user_attributes")
    turn = conversation.ask("AMAZON.YesIntent")
    assert turn.speech.startswith("Sorry, I couldn't delete it just now.") and "Done" not in turn.speech


def test_disabling_the_skill_deletes_the_kept_place_too(talk, post, tmp_path):
    conversation = talk()
    conversation.ask("ReliefIntent")
    conversation.ask("AMAZON.PauseIntent")
    envelope = fixture("skill_disabled_event.json")
    envelope["context"]["System"]["user"]["userId"] = conversation.user_id
    envelope["request"]["timestamp"] = now_iso()
    status, _ = post(json.dumps(envelope).encode())
    assert status == 200 and stored(tmp_path, conversation.user_id) is None
    assert "Last time" not in talk(user_id=conversation.user_id).launch().speech
