"""The relief routine as pure logic: navigation, freshness, pacing and what each turn says,
tested without envelopes (skill/conversation/flows/routine.py, skill/conversation/routine.py, skill/conversation/alexa_api.py)."""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from skill.conversation.alexa_api import TIMERS_PATH, AlexaApiError, _api_url, announcement_timer
from skill.config import REPO_ROOT
from skill.conversation.content import ContentError, load_content
from support import repository
from skill.conversation.flows import routine as routine_flow
from skill.conversation.flows.pending import ReminderOffer, ResumeOffer, RoutineNext, TimerOffer
from skill.conversation.flows.routine import Progress
from skill.conversation.reply import Pause, to_ssml

CONTENT = repository.content().for_locale("en-US")
ROUTINE = CONTENT.routine
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)
EVERY_POSITION = routine_flow.positions(ROUTINE)
# The longest lead a turn can get: the disclaimer, "can't save your place", and "going back".
LONGEST_LEAD = [CONTENT.phrase("disclaimer"), routine_flow.phrase(CONTENT, "progress_not_saved"),
                routine_flow.phrase(CONTENT, "going_back")]


def at(step: int, part: int = 1, paused: bool = False) -> Progress:
    return Progress(ROUTINE.id, step, part, paused, routine_flow.stamp(NOW))


def spoken(reply_speech: list) -> str:
    return " ".join(segment for segment in reply_speech if isinstance(segment, str))


# --- the routine follows the seed ----------------------------------------------------------------

def test_the_routine_has_the_seeds_six_steps_in_order():
    assert [step.id for step in ROUTINE.steps] == ["hydrate", "electrolytes", "stretch", "heat_or_cold", "caffeine", "relax"]


def test_every_stretch_is_a_named_hold_of_twenty_to_thirty_seconds():
    stretches = ROUTINE.step(3).parts
    assert len(stretches) >= 2
    for part in stretches:
        assert part.name and part.hold is not None, f"stretch {part.name!r} has no timed hold"
        assert 20 <= part.hold.seconds <= 30, f"{part.name} is held {part.hold.seconds} s"


def test_a_hold_outside_twenty_to_thirty_seconds_is_refused_at_start_up(tmp_path: Path):
    content_dir = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content_dir)
    path = content_dir / "en-US" / "routine.yaml"
    data = yaml.safe_load(path.read_text())
    data["routine"]["steps"][2]["parts"][0]["hold"]["seconds"] = 45
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ContentError) as caught:
        load_content(content_dir)
    assert f"{path}: routine.steps.2.parts.0.hold.seconds: 45 is greater than the maximum of 30" in str(caught.value)


def test_an_offer_naming_neither_a_topic_nor_the_routine_is_refused(tmp_path: Path):
    content_dir = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content_dir)
    path = content_dir / "en-US" / "routine.yaml"
    data = yaml.safe_load(path.read_text())
    data["routine"]["follow_up"]["offer"] = "massage"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ContentError) as caught:
        load_content(content_dir)
    assert "routine.follow_up.offer: unknown topic 'massage'" in str(caught.value)


# --- navigation ----------------------------------------------------------------------------------

def test_next_visits_every_part_of_every_step_once_then_finishes():
    progress, seen = routine_flow.start(ROUTINE, NOW), []
    while progress is not None:
        seen.append(progress.position)
        progress = routine_flow.advance(ROUTINE, progress, NOW)
    assert seen == EVERY_POSITION
    assert [step for step, _ in seen].count(3) == ROUTINE.step(3).part_count


def test_going_back_from_a_step_lands_on_the_last_part_of_the_one_before():
    earlier = routine_flow.back(ROUTINE, at(4), NOW)
    assert earlier.position == (3, ROUTINE.step(3).part_count)


def test_going_back_from_the_very_first_turn_is_refused():
    assert routine_flow.back(ROUTINE, at(1), NOW) is None


@pytest.mark.parametrize("step", [0, -1, 7, 40])
def test_a_step_that_does_not_exist_cannot_be_gone_to(step):
    assert routine_flow.go_to(ROUTINE, step, NOW) is None


def test_going_to_a_step_starts_at_its_first_part_and_runs():
    assert routine_flow.go_to(ROUTINE, 3, NOW) == Progress(ROUTINE.id, 3, 1, False, routine_flow.stamp(NOW))


def test_steps_left_counts_whole_steps_after_the_current_one():
    assert routine_flow.steps_left(ROUTINE, at(1)) == 5
    assert routine_flow.steps_left(ROUTINE, at(3, 2)) == 3
    assert routine_flow.steps_left(ROUTINE, at(6, 2)) == 0


# --- stored progress ---------------------------------------------------------------------------

def test_a_stored_record_round_trips():
    record = at(3, 2, paused=True).to_dict()
    assert record == {"routine": "relief", "step": 3, "part": 2, "paused": True, "updated": "2026-11-26T09:30:00+00:00"}
    assert Progress.from_dict(record, ROUTINE) == at(3, 2, paused=True)


@pytest.mark.parametrize("record", [
    None, "step 3", [], {"routine": "other", "step": 2},
    {"routine": "relief", "step": 7}, {"routine": "relief", "step": 0}, {"routine": "relief", "step": True},
    {"routine": "relief", "step": "2"}, {"routine": "relief", "step": 1, "part": 2},
    {"routine": "relief", "step": 3, "part": 4}, {"routine": "relief", "step": 2, "updated": 5},
])
def test_a_malformed_or_outdated_record_is_not_trusted(record):
    assert Progress.from_dict(record, ROUTINE) is None


@pytest.mark.parametrize("age, fresh", [
    (timedelta(0), True), (timedelta(days=6, hours=23), True), (timedelta(days=7), True),
    (timedelta(days=7, seconds=1), False), (timedelta(days=30), False),
])
def test_progress_is_offered_for_seven_days(age, fresh):
    progress = Progress(ROUTINE.id, 4, 1, True, routine_flow.stamp(NOW - age))
    assert routine_flow.is_fresh(progress, NOW) is fresh


@pytest.mark.parametrize("updated", ["", "yesterday", "2026-11-25T09:30:00"])
def test_progress_with_an_unreadable_or_zoneless_date_counts_as_stale(updated):
    assert not routine_flow.is_fresh(Progress(ROUTINE.id, 2, 1, True, updated), NOW)


# --- pacing --------------------------------------------------------------------------------------

def test_a_hold_is_paced_with_a_start_cue_halfway_and_release_over_its_whole_length():
    hold = ROUTINE.step(3).parts[0].hold
    segments = routine_flow.hold_segments(CONTENT, hold)
    words = [segment for segment in segments if isinstance(segment, str)]
    assert words == [hold.start, hold.halfway, hold.release]
    assert segments.index(hold.halfway) > segments.index(hold.start)
    timed = [segment.seconds for segment in segments if isinstance(segment, Pause)][1:]  # after settling in
    assert sum(timed) == hold.seconds and len(timed) == 2


def test_a_long_hold_is_rendered_as_chained_breaks_of_at_most_ten_seconds():
    ssml = to_ssml(routine_flow.hold_segments(CONTENT, ROUTINE.step(3).parts[0].hold))
    breaks = [int(ms) for ms in re.findall(r'<break time="(\d+)ms"/>', ssml)]
    assert max(breaks) <= 10_000
    assert sum(breaks) == round((routine_flow.SETTLE.seconds + ROUTINE.step(3).parts[0].hold.seconds) * 1000)


def test_breathing_repeats_its_beats_as_many_times_as_the_content_says():
    breathing = ROUTINE.step(6).parts[0].pacing
    segments = routine_flow.pacing_segments(CONTENT, breathing)
    cues = [segment for segment in segments if isinstance(segment, str)]
    assert len(cues) == breathing.repeat * len(breathing.beats) and breathing.repeat >= 3


def test_listening_time_counts_words_at_alexas_pace_and_every_pause():
    assert routine_flow.listening_seconds(["one two three four five", Pause(10), Pause(2.5)]) == pytest.approx(14.5)


# --- what each turn says ---------------------------------------------------------------------

@pytest.mark.parametrize("position", EVERY_POSITION, ids=lambda p: f"step {p[0]} part {p[1]}")
def test_every_turn_stays_under_ninety_seconds_and_the_platform_limits(position):
    reply, _ = routine_flow.step_reply(CONTENT, at(*position), list(LONGEST_LEAD))
    seconds = routine_flow.listening_seconds(reply.speech)
    assert seconds <= routine_flow.MAX_LISTENING_SECONDS, f"step {position} takes about {seconds:.0f} s to hear"
    ssml = to_ssml(reply.speech)
    root = ET.fromstring(ssml)
    assert root.tag == "speak" and len(ssml) <= 8000
    assert all(int(b.attrib["time"].removesuffix("ms")) <= 10_000 for b in root.iter("break"))


def test_the_first_turn_of_the_routine_introduces_it_and_lists_every_step_on_the_card():
    reply, pending = routine_flow.start_reply(CONTENT, routine_flow.start(ROUTINE, NOW))
    assert "six steps" in spoken(reply.speech) and "Step 1 of 6: Drink water." in spoken(reply.speech)
    assert all(step.title in reply.card_text for step in ROUTINE.steps)
    assert pending == RoutineNext(1, 1)


@pytest.mark.parametrize("number", [n for n in range(1, 7) if ROUTINE.step(n).safety])
def test_each_step_says_its_safety_note_on_its_first_turn(number):
    step = ROUTINE.step(number)
    reply, _ = routine_flow.step_reply(CONTENT, at(number))
    assert CONTENT.say(step.safety.speech) in reply.speech
    assert step.safety.card in reply.card_text


def test_a_step_without_a_guard_rail_of_its_own_says_none():
    step = next(step for step in ROUTINE.steps if step.safety is None)
    number = ROUTINE.steps.index(step) + 1
    reply, _ = routine_flow.step_reply(CONTENT, at(number))
    assert reply.speech[0] == f"Step {number} of 6: {step.title}." and reply.speech[1] == CONTENT.say(step.speech)
    assert reply.card_text.splitlines()[0] == step.card


@pytest.mark.parametrize("name", ["Knees to chest", "Child's pose"])
def test_floor_stretches_say_to_skip_them_with_a_disc_problem_or_pain_down_the_leg(name):
    part = next(part for part in ROUTINE.step(3).parts if part.name == name)
    said = CONTENT.say(part.speech)
    assert "disc problem" in said and "down your leg" in said and "check with a professional" in said
    assert "disc problem" in part.card


def test_later_parts_of_a_step_skip_the_steps_introduction():
    reply, _ = routine_flow.step_reply(CONTENT, at(3, 2))
    said = spoken(reply.speech)
    assert "Step 3 of 6" not in said and ROUTINE.step(3).parts[1].name in said


def test_the_heat_step_ends_by_offering_its_timer():
    reply, pending = routine_flow.step_reply(CONTENT, at(4))
    assert reply.speech[-1] == "Would you like me to set a 15-minute timer for it?"
    assert pending == TimerOffer(4)


def test_the_last_turn_asks_to_finish_and_finishing_offers_a_stretch_reminder_then_prevention():
    last = routine_flow.positions(ROUTINE)[-1]
    reply, _ = routine_flow.step_reply(CONTENT, at(*last))
    assert reply.speech[-1] == "Ready to finish up?"
    done, pending = routine_flow.finished_reply(CONTENT)
    said = spoken(done.speech)
    assert "That's all six steps" in said and said.endswith("Would you like a daily reminder to stretch?")
    # "no" (or the reminder set) goes on to the routine's own follow-up: the prevention offer,
    # not asked yet (tests/test_routine_conversations.py walks it)
    assert pending == ReminderOffer("stretch", then=ROUTINE.id)
    assert ROUTINE.offer == "prevention" and CONTENT.say(ROUTINE.follow_up_ask) not in said
    assert CONTENT.say(ROUTINE.follow_up_ask).endswith("stop it coming back?")


def test_where_am_i_names_the_part_inside_a_step_with_parts():
    reply, pending = routine_flow.where_reply(CONTENT, at(3, 2))
    said = spoken(reply.speech)
    assert "step 3 of 6: Stretch gently, part 2 of 3, Child's pose" in said
    assert "there are 3 steps left" in said and isinstance(pending, RoutineNext)


def test_steps_left_on_the_last_step_says_so():
    reply, _ = routine_flow.steps_left_reply(CONTENT, at(6))
    assert spoken(reply.speech).startswith("This is the last step.")


def test_the_resume_offer_names_the_step_and_offers_to_start_over():
    reply, pending = routine_flow.resume_offer_reply(CONTENT, at(4, paused=True))
    assert "continue from step 4, or start over?" in spoken(reply.speech)
    assert "Heat or cold" in spoken(reply.speech) and pending == ResumeOffer()


# --- the timer request -------------------------------------------------------------------------

def test_the_timer_announces_its_end_aloud_in_the_users_language():
    timer = ROUTINE.step(4).timer
    body = announcement_timer(timer.minutes, timer.label, timer.announce, "en-US")
    assert body["duration"] == "PT15M" and body["timerLabel"] == "Heat or cold"
    assert body["triggeringBehavior"]["operation"] == {
        "type": "ANNOUNCE", "textToAnnounce": [{"locale": "en-US", "text": timer.announce}]}


@pytest.mark.parametrize("endpoint, url", [
    ("https://api.amazonalexa.com", "https://api.amazonalexa.com/v1/alerts/timers"),
    ("https://api.eu.amazonalexa.com/", "https://api.eu.amazonalexa.com/v1/alerts/timers"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123/v1/alerts/timers"),
])
def test_timers_are_created_under_the_requests_api_endpoint(endpoint, url):
    assert _api_url(endpoint, TIMERS_PATH) == url


@pytest.mark.parametrize("endpoint", ["http://api.amazonalexa.com", "ftp://127.0.0.1", "not a url"])
def test_the_access_token_is_never_sent_in_clear_to_another_machine(endpoint):
    with pytest.raises(AlexaApiError):
        _api_url(endpoint, TIMERS_PATH)
