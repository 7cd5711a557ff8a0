"""The red-flag rule table (content/en-US/screening.yaml) as a pure function, checked
exhaustively against the seed's table, written out independently here."""
from __future__ import annotations

import itertools

import pytest

from support import repository
from skill.conversation.flows.pending import OutcomeMore
from skill.conversation.flows.screening import ScreeningState, evaluate, needs_emergency_care, outcome_chunk, outcome_reply, record
from skill.conversation.slots import parse_duration_days

SCREENING = repository.content().for_locale("en-US").screening
ANSWERS = ("yes", "no", "unsure")
# below, at and above two weeks and three weeks, plus a duration the user couldn't give
DURATIONS = (13, 14, 15, 20, 21, 22, "unknown")


def seed_table(days, weakness: str, numbness: str, widespread: str) -> list[str]:
    """What the seed's red-flag table prescribes, most urgent first. "Not sure" counts as yes;
    a combination says every part's action (none replaces another); a duration nobody knows
    counts as the longer band, over two weeks."""
    counts = {"yes", "unsure"}
    expected = []
    if weakness in counts:
        expected.append("weakness")
    if numbness in counts:
        expected.append("numbness")
    if widespread in counts:
        expected.append("widespread")
    if days == "unknown":
        expected.append("duration_unknown")
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
        assert any(word in rule.action.lower() for word in ("doctor", "neurolog", "provider", "test")), rule.id


@pytest.mark.parametrize("gate", ["emergency", "emergency_sudden"])
@pytest.mark.parametrize("answer, emergency", [("yes", True), ("unsure", True), ("no", False)])
def test_each_emergency_question_treats_not_sure_as_yes(gate, answer, emergency):
    state = ScreeningState()
    assert record(state, SCREENING.question(gate), answer)
    assert needs_emergency_care(SCREENING, state) is emergency


@pytest.mark.parametrize("gate", ["emergency", "emergency_sudden"])
def test_an_emergency_answer_is_never_cleared(gate):
    state = ScreeningState()
    record(state, SCREENING.question(gate), "unsure")
    record(state, SCREENING.question(gate), "no")
    assert needs_emergency_care(SCREENING, state)


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


# --- the spoken outcome, held to the seed's table -------------------------------------------

CONTENT = repository.content()
# The seed's action for each row, as the listener must hear it, with its urgency word.
TABLE_ACTIONS = {
    "weakness": "neurology referral immediately",
    "numbness": "consider an MRI or EMG test",
    "widespread": "ask for blood tests and a specialist review",
    "over_two_weeks": "monitor it and consult your",
    "duration_unknown": "monitor it and consult your",
}


def spoken_outcome(locale: str, answers: dict) -> list[str]:
    """Every chunk of the outcome as plain text ("shall I go on?" answered yes each time)."""
    content = CONTENT.for_locale(locale)
    reply, pending = outcome_reply(content, ScreeningState(answers))
    chunks = [reply]
    while isinstance(pending, OutcomeMore):
        reply, pending = outcome_chunk(content, list(pending.rest), pending.closing, answers)
        chunks.append(reply)
    return [" ".join(str(segment) for segment in chunk.speech) for chunk in chunks]


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
@pytest.mark.parametrize("days, weakness, numbness, widespread",
                         list(itertools.product(DURATIONS, ANSWERS, ANSWERS, ANSWERS)))
def test_every_outcome_says_each_rows_action_most_urgent_first_in_chunks_the_ear_can_take(
        locale, days, weakness, numbness, widespread):
    answers = {"emergency": "no", "emergency_sudden": "no", "duration": days, "weakness": weakness,
               "numbness": numbness, "widespread": widespread}
    chunks = spoken_outcome(locale, answers)
    said = " ".join(chunks)
    expected = seed_table(days, weakness, numbness, widespread)
    positions = [said.find(TABLE_ACTIONS[row]) for row in expected]
    assert -1 not in positions, f"missing an action of {expected}: {said}"
    assert positions == sorted(positions), f"actions not most urgent first: {said}"
    provider = CONTENT.for_locale(locale).say("{care_provider}")
    if expected and expected[-1] in ("over_two_weeks", "duration_unknown"):
        assert f"consult your {provider}" in said
    texts = CONTENT.for_locale(locale).screening.texts
    closings = [str(texts[key]) for key in ("outcome_more", "outcome_offer", "notes_offer")]
    for chunk in chunks:
        closing = next(c for c in closings if chunk.endswith(c))
        before_question = chunk[:-len(closing)]
        assert len(before_question.split()) <= 60 and len(chunk.split()) <= 90, f"too long to hear: {chunk}"
    assert "Get checked sooner if weakness, numbness or pain appear" in chunks[-1], "the safety net comes last"
    assert chunks[-1].endswith("in your Alexa app, to show your doctor?" if expected else "Or say no to finish.")
    assert ("You weren't sure about" in said) == ("unsure" in (weakness, numbness, widespread))
    for overstated in ("promptly", "within the next few days", "You mentioned", "beyond three weeks"):
        assert overstated not in said
