"""Habit reminders as whole conversations through the signed endpoint, against a stand-in for the
Alexa APIs on loopback (reminders, settings): the exact JSON each habit's reminder sends, a yes
before anything is created, the voice permission, listing, changing and deleting, and every
failure spoken plainly with the conversation going on.
"""
from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from skill.conversation.alexa_api import REMINDERS_SCOPE
from skill.tools.devtools.conversation import Conversation, Exchange
from skill.tools.devtools.local_skill import LocalAlexaApi
from support import repository

API_TIMEOUT = 0.5
ZONE = "Europe/London"
WEEKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
SAYS = {habit: raw["says"] for habit, raw in repository.content().for_locale("en-US").reminders["habits"].items()}


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(alexa_api_timeout=API_TIMEOUT)


@pytest.fixture
def api() -> Iterator[LocalAlexaApi]:
    with LocalAlexaApi(time_zone=ZONE) as stand_in:
        yield stand_in


@pytest.fixture
def person(talk: Callable[..., Conversation], api: LocalAlexaApi) -> Callable[..., Conversation]:
    """Someone whose requests reach the stand-in; ``granted=False``: reminders not yet allowed."""

    def start(granted: bool = True, user_id: str | None = None, device: str | None = None) -> Conversation:
        conversation = talk(user_id=user_id, device=device)
        conversation.api_endpoint = api.endpoint
        if granted:
            conversation.granted.add(REMINDERS_SCOPE)
        return conversation

    return start


def created(api: LocalAlexaApi) -> list[dict[str, Any]]:
    return [call["body"] for call in api.received if call["method"] == "POST" and call["path"] == "/v1/alerts/reminders"]


def rule_of(body: dict[str, Any]) -> str:
    """The reminder's RRULEs, one per hour, as "rule | rule"."""
    return " | ".join(body["trigger"]["recurrence"]["recurrenceRules"])


def each_hour(days: str, hours: range | tuple[int, ...], minute: int = 0) -> str:
    return " | ".join(f"{days};BYHOUR={hour};BYMINUTE={minute};BYSECOND=0" for hour in hours)


def set_up(conversation: Conversation, *turns: tuple[str, dict[str, str]]) -> Exchange:
    """Say each (intent, slots) in turn; the last reply is returned."""
    reply = Exchange()
    for intent, slots in turns:
        reply = conversation.ask(intent, **slots)
    return reply


def says(turn: Exchange, *words: str) -> None:
    """Each of ``words`` is in the speech (read without the space SSML tags leave before "." or ",")."""
    assert turn.status == 200, turn.body
    heard = re.sub(r" ([.,?])", r"\1", turn.speech).lower()
    for word in words:
        assert word.lower() in heard, f"expected {word!r} in {heard!r}"


# --- the exact reminder each habit sets ----------------------------------------------------------

@pytest.mark.parametrize("habit, turns, rule", [
    ("breaks", [("SetReminderIntent", {"habit": "take breaks"}), ("SetReminderIntent", {"from_time": "08:00", "to_time": "04:00"})],
     each_hour(WEEKDAYS, range(9, 16))),
    ("breaks", [("SetReminderIntent", {"habit": "movement breaks"}), ("AMAZON.YesIntent", {})],
     each_hour(WEEKDAYS, range(10, 17))),
    ("water", [("SetReminderIntent", {"habit": "drink water"})], each_hour("FREQ=DAILY", (10, 13, 16))),
    ("stretch", [("SetReminderIntent", {"habit": "stretch"}), ("SetReminderIntent", {"time": "19:30"})],
     "FREQ=DAILY;BYHOUR=19;BYMINUTE=30;BYSECOND=0"),
    ("relax", [("SetReminderIntent", {"habit": "relax", "time": "EV"})], "FREQ=DAILY;BYHOUR=19;BYMINUTE=0;BYSECOND=0"),
    ("wind_down", [("SetReminderIntent", {"habit": "bedtime", "time": "22:00"})],
     "FREQ=DAILY;BYHOUR=22;BYMINUTE=0;BYSECOND=0"),
])
def test_each_habit_sets_its_reminder_in_the_devices_time_zone_after_a_yes(person, api, habit, turns, rule):
    conversation = person()
    question = set_up(conversation, *turns)
    assert question.microphone_open and question.speech.startswith("Shall I")
    assert created(api) == [], "nothing is created before the yes"
    done = conversation.ask("AMAZON.YesIntent")
    says(done, "Done")
    (body,) = created(api)
    assert rule_of(body) == rule
    trigger = body["trigger"]
    assert trigger["type"] == "SCHEDULED_ABSOLUTE" and trigger["timeZoneId"] == ZONE
    start = datetime.fromisoformat(trigger["recurrence"]["startDateTime"]).replace(tzinfo=ZoneInfo(ZONE))
    assert abs(start - datetime.now(UTC)) < timedelta(minutes=2), "starts now, in London time"
    assert body["alertInfo"] == {"spokenInfo": {"content": [{"locale": "en-US", "text": SAYS[habit]}]}}
    assert body["pushNotification"] == {"status": "ENABLED"}
    settings = [call for call in api.received if call["path"].startswith("/v2/devices/")]
    assert settings and settings[0]["path"] == "/v2/devices/amzn1.ask.device.TESTDEVICE/settings/System.timeZone"


def test_the_confirmation_says_exactly_what_will_be_set(person):
    conversation = person()
    says(conversation.ask("SetReminderIntent", habit="take breaks", from_time="08:00", to_time="04:00"),
         "every hour between 8 AM and 4 PM on weekdays")
    says(conversation.ask("SetReminderIntent", habit="water"), "every day at 10 AM, 1 PM and 4 PM")
    says(conversation.ask("SetReminderIntent", habit="stretch", time="19:30"), "stretching reminder every day at 7:30 PM")


def test_no_to_the_confirmation_creates_nothing_and_a_later_visits_yes_neither(person, api):
    conversation = person()
    conversation.ask("SetReminderIntent", habit="water")
    says(conversation.ask("AMAZON.NoIntent"), "no reminder")
    conversation.ask("SetReminderIntent", habit="water")
    conversation.end()
    later = conversation.ask("AMAZON.YesIntent")  # a new session: the question was not asked in it
    assert created(api) == [] and later.status == 200


def test_asking_with_no_habit_asks_which(person, api):
    conversation = person()
    which = conversation.ask("SetReminderIntent")
    says(which, "movement breaks", "water", "stretch", "relax", "wind down")
    assert which.directive("Dialog.ElicitSlot")["slotToElicit"] == "habit"
    says(conversation.ask("SetReminderIntent", habit="water"), "Shall I remind you to drink water")


def test_the_time_is_asked_once_then_the_usual_one_is_offered(person, api):
    conversation = person()
    asked = conversation.ask("SetReminderIntent", habit="wind down")
    says(asked, "What time")
    assert asked.directive("Dialog.ElicitSlot")["slotToElicit"] == "time"
    says(conversation.ask("AMAZON.YesIntent"), "every day at 9:30 PM")  # no time heard: the content's default
    conversation.ask("AMAZON.YesIntent")
    assert rule_of(created(api)[0]) == "FREQ=DAILY;BYHOUR=21;BYMINUTE=30;BYSECOND=0"


def test_on_a_screen_the_confirmation_is_answered_by_touch(person, api):
    conversation = person(device="echo_show_8")
    question = conversation.ask("SetReminderIntent", habit="water")
    assert [button["label"] for button in question.screen["buttons"]] == ["Yes", "No"]
    done = conversation.touch("yes", "")
    says(done, "Done")
    assert len(created(api)) == 1


# --- the offers --------------------------------------------------------------------------------

def test_the_prevention_checklist_ends_by_offering_break_reminders_then_its_own_follow_up(person, api):
    conversation = person()
    turn = conversation.ask("PreventionIntent")
    while "movement break" not in turn.speech:
        turn = conversation.ask("AMAZON.YesIntent")
    says(turn, "remind you to take a movement break every hour on weekdays")
    says(conversation.ask("AMAZON.YesIntent"), "Which hours")
    says(conversation.ask("SetReminderIntent", from_time="09:00", to_time="05:00"), "between 9 AM and 5 PM")
    done = conversation.ask("AMAZON.YesIntent")
    says(done, "Done", "real-life example")  # then the checklist's own follow-up
    assert rule_of(created(api)[0]).startswith(WEEKDAYS)


def test_no_to_the_routines_stretch_offer_goes_on_to_its_follow_up(person, api):
    conversation = person()
    turn = conversation.ask("GoToStepIntent", number="6")
    while "daily reminder to stretch" not in turn.speech:
        turn = conversation.ask("AMAZON.NextIntent")
    routine = repository.content().for_locale("en-US").routine
    after = conversation.ask("AMAZON.NoIntent")
    says(after, "no reminder", routine.follow_up_ask if isinstance(routine.follow_up_ask, str) else routine.follow_up_ask[0])
    assert created(api) == []


# --- permission ----------------------------------------------------------------------------------

def permission_answer(conversation: Conversation, token: str, status: str, card_thrown: bool = False,
                      code: str = "200") -> Exchange:
    if status == "ACCEPTED":
        conversation.granted.add(REMINDERS_SCOPE)
    return conversation.request({
        "type": "Connections.Response", "name": "AskFor",
        "status": {"code": code, "message": "OK"},
        "payload": {"permissionScope": REMINDERS_SCOPE, "status": status, "isCardThrown": card_thrown},
        "token": token,
    }, new_session=True)


def asked_permission(conversation: Conversation) -> str:
    conversation.ask("SetReminderIntent", habit="stretch", time="07:15")
    turn = conversation.ask("AMAZON.YesIntent")
    says(turn, "permission")
    directive = turn.directive("Connections.SendRequest")
    assert directive["name"] == "AskFor" and directive["payload"]["permissionScope"] == REMINDERS_SCOPE
    assert turn.ends_session is True, "Alexa takes over to ask"
    return directive["token"]


def test_without_permission_alexa_asks_and_a_yes_sets_the_confirmed_reminder(person, api):
    conversation = person(granted=False)
    token = asked_permission(conversation)
    assert created(api) == []
    done = permission_answer(conversation, token, "ACCEPTED")
    says(done, "Done")
    assert rule_of(created(api)[0]) == "FREQ=DAILY;BYHOUR=7;BYMINUTE=15;BYSECOND=0"


@pytest.mark.parametrize("status, thrown, card", [("DENIED", False, True), ("NOT_ANSWERED", False, True),
                                                  ("DENIED", True, False)])
def test_a_refused_permission_sets_nothing_and_offers_the_card_once(person, api, status, thrown, card):
    conversation = person(granted=False)
    token = asked_permission(conversation)
    turn = permission_answer(conversation, token, status, card_thrown=thrown)
    says(turn, "no reminder")
    assert turn.microphone_open and created(api) == []
    assert (turn.card or {}).get("type") == ("AskForPermissionsConsent" if card else None)


def test_a_permission_answer_with_a_token_the_skill_never_wrote_sets_nothing(person, api):
    conversation = person(granted=False)
    for token in ("reminder:coffee:7:0:0:", "reminder:stretch:99:0:0:", "reminder:stretch", "reminder:stretch:7:x:0:",
                  "reminder:breaks:" + ",".join(map(str, range(24))) + ":59:0:", "reminder:stretch:10:0:1:",
                  "reminder:stretch:10,11:0:0:", "reminder:water:3:0:0:", "reminder:breaks:10,12:0:1:"):
        turn = permission_answer(conversation, token, "ACCEPTED")
        assert turn.status == 200 and created(api) == [], token


# --- list, change, delete -----------------------------------------------------------------------

def with_reminders(conversation: Conversation, *habits: tuple[str, dict[str, str]]) -> None:
    for habit, slots in habits:
        conversation.ask("SetReminderIntent", habit=habit, **slots)
        says(conversation.ask("AMAZON.YesIntent"), "Done")


def test_listing_reads_the_api_and_describes_each_reminder(person, api):
    conversation = person()
    says(conversation.ask("ListRemindersIntent"), "don't have any reminders")
    with_reminders(conversation, ("take breaks", {"from_time": "09:00", "to_time": "17:00"}), ("stretch", {"time": "19:30"}))
    listed = conversation.ask("ListRemindersIntent")
    says(listed, "2 reminders", "movement break every hour between 9 AM and 5 PM on weekdays", "stretching every day at 7:30 PM")
    assert listed.microphone_open


def test_change_moves_a_daily_reminder_and_it_means_the_last_one_set(person, api):
    conversation = person()
    with_reminders(conversation, ("stretch", {"time": "19:00"}), ("relax", {"time": "21:00"}))
    says(conversation.ask("ChangeReminderIntent", habit="stretching", time="20:00"), "stretching reminder is now every day at 8 PM")
    says(conversation.ask("ChangeReminderIntent", time="22:00"), "stretching reminder is now every day at 10 PM")
    rules = {SAYS_BY_TEXT[reminder["alertInfo"]["spokenInfo"]["content"][0]["text"]]: rule_of(reminder)
             for reminder in api.reminders.values()}
    assert rules == {"stretch": "FREQ=DAILY;BYHOUR=22;BYMINUTE=0;BYSECOND=0", "relax": "FREQ=DAILY;BYHOUR=21;BYMINUTE=0;BYSECOND=0"}
    puts = [call for call in api.received if call["method"] == "PUT"]
    assert len(puts) == 2 and all(call["body"]["trigger"]["timeZoneId"] == ZONE for call in puts)


SAYS_BY_TEXT = {text: habit for habit, text in SAYS.items()}


def test_change_without_a_time_asks_for_one_and_water_cannot_move(person, api):
    conversation = person()
    with_reminders(conversation, ("stretch", {"time": "19:00"}), ("water", {}))
    asked = conversation.ask("ChangeReminderIntent", habit="stretching")
    says(asked, "What time")
    assert asked.directive("Dialog.ElicitSlot")["updatedIntent"]["name"] == "ChangeReminderIntent"
    says(conversation.ask("ChangeReminderIntent", habit="water", time="09:00"), "set times")
    says(person().ask("ChangeReminderIntent", habit="relaxation", time="09:00"), "don't have a relaxation reminder")


def test_deleting_one_habit_keeps_the_others_and_delete_all_asks_first(person, api):
    conversation = person()
    with_reminders(conversation, ("water", {}), ("stretch", {"time": "19:00"}), ("relax", {"time": "20:00"}))
    says(conversation.ask("DeleteRemindersIntent", habit="water"), "deleted your water reminders")
    assert sorted(SAYS_BY_TEXT[r["alertInfo"]["spokenInfo"]["content"][0]["text"]] for r in api.reminders.values()) == [
        "relax", "stretch"]
    says(conversation.ask("DeleteRemindersIntent", habit="water"), "don't have any water reminders")
    says(conversation.ask("DeleteRemindersIntent"), "delete all 2")
    says(conversation.ask("AMAZON.NoIntent"), "kept them")
    assert len(api.reminders) == 2
    conversation.ask("DeleteRemindersIntent")
    says(conversation.ask("AMAZON.YesIntent"), "All your reminders from me are deleted")
    assert api.reminders == {}


def test_nothing_about_reminders_is_stored_by_the_skill(person, api, tmp_path: Path):
    conversation = person()
    with_reminders(conversation, ("stretch", {"time": "19:00"}))
    conversation.ask("AMAZON.StopIntent")
    with sqlite3.connect(tmp_path / "skill.db") as db:
        rows = [row[0] for row in db.execute("SELECT attributes FROM user_attributes")]
    assert all("19" not in row and "stretch" not in row.lower() and "remind" not in row.lower() for row in rows), rows


# --- failures ------------------------------------------------------------------------------------

FAILURES = [(401, "no longer allowed"), (403, "no longer allowed"), (429, "busy"), (500, "couldn't reach"),
            (503, "couldn't reach")]


@pytest.mark.parametrize("status, words", FAILURES)
def test_a_failed_create_is_said_plainly_and_the_conversation_goes_on(person, api, status, words):
    conversation = person()
    conversation.ask("SetReminderIntent", habit="water")
    api.fail["/v1/alerts/reminders"] = status
    turn = conversation.ask("AMAZON.YesIntent")
    says(turn, words)
    assert turn.microphone_open and api.reminders == {}
    assert ((turn.card or {}).get("type") == "AskForPermissionsConsent") == (status in (401, 403))
    says(conversation.ask("WhyTwitchingIntent"), "Causes include")


@pytest.mark.parametrize("status, words", FAILURES)
@pytest.mark.parametrize("intent, slots", [("ListRemindersIntent", {}), ("DeleteRemindersIntent", {"habit": "water"}),
                                           ("DeleteRemindersIntent", {}), ("ChangeReminderIntent", {"habit": "stretching", "time": "20:00"})])
def test_failed_list_delete_and_change_are_said_plainly(person, api, status, words, intent, slots):
    conversation = person()
    api.fail["/v1/alerts/reminders"] = status
    turn = conversation.ask(intent, **slots)
    says(turn, words)
    assert turn.microphone_open


def test_a_slow_api_is_given_up_on_and_said(person, api):
    conversation = person()
    conversation.ask("SetReminderIntent", habit="water")
    api.delay = API_TIMEOUT * 3
    says(conversation.ask("AMAZON.YesIntent"), "couldn't reach")


def test_an_unreadable_time_zone_leaves_it_to_the_devices_own_setting(person, api):
    conversation = person()
    api.fail["/v2/devices"] = 500
    with_reminders(conversation, ("water", {}))
    (body,) = created(api)
    assert "timeZoneId" not in body["trigger"]


def test_a_request_without_an_api_endpoint_is_answered_plainly(talk):
    conversation = talk()
    conversation.granted.add(REMINDERS_SCOPE)
    conversation.ask("SetReminderIntent", habit="water")
    turn = conversation.ask("AMAZON.YesIntent")
    assert turn.status == 200 and turn.microphone_open


def test_no_token_reaches_the_logs(person, api, caplog):
    caplog.set_level(logging.DEBUG)
    conversation = person()
    with_reminders(conversation, ("water", {}))
    conversation.ask("ListRemindersIntent")
    calls = [record.getMessage() for record in caplog.records if "/v1/alerts/reminders" in record.getMessage()]
    assert calls, "each API call is logged"
    assert all("test-access-token" not in record.getMessage() for record in caplog.records)
    assert json.dumps([call["authorization"] for call in api.received]).count("Bearer test-access-token") == len(api.received)


def test_listing_without_the_permission_says_so_and_sends_the_card(person, api):
    turn = person(granted=False).ask("ListRemindersIntent")
    says(turn, "don't have permission to manage your reminders")
    assert turn.card["type"] == "AskForPermissionsConsent" and api.received == []


def test_a_reminder_the_skill_cannot_place_is_listed_by_its_words(person, api):
    conversation = person()
    with_reminders(conversation, ("water", {}))
    (token,) = api.reminders
    api.reminders[token]["alertInfo"]["spokenInfo"]["content"][0]["text"] = "Time to water the plants."
    api.reminders["odd"] = {**api.reminders[token], "alertToken": "odd",
                            "trigger": {"type": "SCHEDULED_ABSOLUTE", "recurrence": {"recurrenceRules": ["FREQ=DAILY;BYHOUR=1,,2"]}}}
    listed = conversation.ask("ListRemindersIntent")
    says(listed, "2 reminders", "One that says: Time to water the plants.")


def test_an_accepted_permission_sets_the_reminder_even_before_the_request_lists_the_scope(person, api):
    conversation = person(granted=False)
    token = asked_permission(conversation)
    accepted = conversation.request({
        "type": "Connections.Response", "name": "AskFor", "status": {"code": "200", "message": "OK"},
        "payload": {"permissionScope": REMINDERS_SCOPE, "status": "ACCEPTED", "isCardThrown": False}, "token": token,
    }, new_session=True)  # the scope not (yet) in context.System.user.permissions
    says(accepted, "Done")
    assert accepted.directive("Connections.SendRequest") is None and len(created(api)) == 1


def test_changing_asks_for_the_time_and_remembers_which_reminder(person, api):
    conversation = person()
    with_reminders(conversation, ("stretch", {"time": "19:00"}), ("wind down", {"time": "21:30"}))
    asked = conversation.ask("ChangeReminderIntent", habit="wind-down")
    intent = asked.directive("Dialog.ElicitSlot")["updatedIntent"]
    # the answer comes back with the habit slot as the question left it
    habit_words = intent["slots"]["habit"]["value"]
    says(conversation.ask("ChangeReminderIntent", habit=habit_words, time="22:00"), "wind-down reminder is now every day at 10 PM")


def test_sitting_hours_said_without_am_or_pm_are_read_as_a_working_day(person, api):
    conversation = person()
    says(conversation.ask("SetReminderIntent", habit="take breaks", from_time="01:00", to_time="05:00"),
         "between 1 PM and 5 PM on weekdays")
    conversation.ask("AMAZON.YesIntent")
    assert rule_of(created(api)[0]) == each_hour(WEEKDAYS, (14, 15, 16))


def test_asking_again_for_a_habit_moves_its_reminder_instead_of_doubling_it(person, api):
    conversation = person()
    with_reminders(conversation, ("stretch", {"time": "19:00"}))
    conversation.ask("SetReminderIntent", habit="stretch", time="20:30")
    says(conversation.ask("AMAZON.YesIntent"), "moved your stretching reminder")
    (only,) = api.reminders.values()
    assert rule_of(only) == "FREQ=DAILY;BYHOUR=20;BYMINUTE=30;BYSECOND=0"


def test_the_calls_of_one_turn_share_one_time_budget_and_running_out_is_said(person, api, monkeypatch):
    """Delete-all on a slow API: once the turn's budget is spent no further call starts, and the
    person hears that it didn't work, rather than Alexa timing out on the whole answer."""
    from skill.conversation.handlers import reminders as handlers

    conversation = person()
    with_reminders(conversation, ("water", {}), ("stretch", {"time": "19:00"}), ("relax", {"time": "20:00"}))
    conversation.ask("DeleteRemindersIntent")
    monkeypatch.setattr(handlers, "TURN_BUDGET_SECONDS", 1.0)
    api.delay = 0.4  # the list and one delete fit in the budget; the rest do not start
    turn = conversation.ask("AMAZON.YesIntent")
    says(turn, "couldn't reach")
    assert turn.microphone_open
    deletes = [call for call in api.received if call["method"] == "DELETE"]
    assert len(deletes) < 3 and len(api.reminders) == 3 - len(deletes), "without the budget all three go"
