"""The red-flag rule table (content/en-US/screening.yaml) as a pure function, checked
exhaustively against the seed's table, written out independently here."""
from __future__ import annotations

import itertools

import pytest

from skill.config import REPO_ROOT
from skill.content import load_content
from skill.flows.screening import ScreeningState, evaluate, needs_emergency_care, record
from skill.slots import parse_duration_days

SCREENING = load_content(REPO_ROOT / "content").for_locale("en-US").screening
ANSWERS = ("yes", "no", "unsure")
# below, at and above two weeks and three weeks, plus a duration the user couldn't give
DURATIONS = (13, 14, 15, 20, 21, 22, "unknown")


def seed_table(days, weakness: str, numbness: str, widespread: str) -> list[str]:
    """What the seed's red-flag table prescribes, most urgent first. "Not sure" counts as yes;
    weakness together with widespread twitching escalates and replaces either alone."""
    counts = {"yes", "unsure"}
    weak, numb, spread = weakness in counts, numbness in counts, widespread in counts
    expected = []
    if weak and spread:
        expected.append("weakness_and_widespread")
    elif weak:
        expected.append("weakness")
    if numb:
        expected.append("numbness")
    if spread and not weak:
        expected.append("widespread")
    if days == "unknown":
        expected.append("duration_unknown")
    elif days >= 21:
        expected.append("over_three_weeks")
    elif days >= 14:
        expected.append("over_two_weeks")
    return expected


@pytest.mark.parametrize("days, weakness, numbness, widespread",
                         list(itertools.product(DURATIONS, ANSWERS, ANSWERS, ANSWERS)))
def test_every_combination_of_answers_gets_the_seed_tables_actions(days, weakness, numbness, widespread):
    answers = {"emergency": "no", "duration": days, "weakness": weakness, "numbness": numbness, "widespread": widespread}
    findings = [rule.id for rule in evaluate(SCREENING.rules, answers)]
    assert findings == seed_table(days, weakness, numbness, widespread)


def test_no_flags_under_two_weeks_means_reassurance():
    answers = {"emergency": "no", "duration": 5.0, "weakness": "no", "numbness": "no", "widespread": "no"}
    assert evaluate(SCREENING.rules, answers) == []


def test_every_finding_has_an_action_that_names_whom_to_see_or_what_to_ask_for():
    for rule in SCREENING.rules:
        assert any(word in rule.action.lower() for word in ("doctor", "neurologist", "provider", "test")), rule.id


@pytest.mark.parametrize("answer, emergency", [("yes", True), ("unsure", True), ("no", False)])
def test_the_emergency_gate_treats_not_sure_as_yes(answer, emergency):
    state = ScreeningState()
    assert record(state, SCREENING.question("emergency"), answer)
    assert needs_emergency_care(state) is emergency


def test_an_unreadable_duration_is_asked_once_more_then_left_open():
    state = ScreeningState()
    duration = SCREENING.question("duration")
    assert record(state, duration, "") is False
    assert "duration" not in state.answers
    assert record(state, duration, "") is True
    assert state.answers["duration"] == "unknown"


def test_a_stray_yes_no_answer_is_not_recorded():
    state = ScreeningState()
    assert record(state, SCREENING.question("weakness"), "banana") is False
    assert state.answers == {}


@pytest.mark.parametrize("spoken, days", [
    ("P3W", 21), ("P2W", 14), ("P1M", 30), ("P10D", 10), ("PT10M", 10 / 1440), ("P1Y2M", 425), ("PXD", 3),
    ("about three weeks", 21), ("a few days", 3), ("since last month", 30), ("two weeks", 14),
    ("a couple of weeks", 14), ("3 weeks", 21), ("a fortnight", 14), ("since yesterday", 1), ("half a day", 0.5),
])
def test_durations_are_read_from_iso_values_and_from_spoken_words(spoken, days):
    assert parse_duration_days(spoken) == pytest.approx(days)


@pytest.mark.parametrize("spoken", ["", "banana", "P", "PT", "forever and ever", "P-3D"])
def test_unreadable_durations_are_none(spoken):
    assert parse_duration_days(spoken) is None
