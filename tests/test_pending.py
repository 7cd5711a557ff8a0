"""The pending follow-up is typed in the skill and plain JSON in the session; only what the skill
could have written comes back (skill/conversation/flows/pending.py)."""
from __future__ import annotations

import json
from typing import Any

import pytest

from skill.conversation.flows.pending import (AnythingElse, DeleteData, FollowUp, Kind, MoreOfTopic, NextCause, NotesOffer, Offer,
                                 OutcomeMore, ReminderConfirm, ReminderOffer, DeleteReminders, ResumeOffer, RoutineNext,
                                 ScreeningQuestion, TimerOffer, from_session, to_session)

EVERY_KIND: list[FollowUp] = [
    MoreOfTopic("why_twitching", 3), MoreOfTopic("serious", 2, then="why_twitching"), Offer("relief"),
    Offer("emergency_signs", then="serious"), Offer("relief", no_ends=True), NextCause("caffeine"), AnythingElse(),
    RoutineNext(2, 1), TimerOffer(4), ResumeOffer(), ScreeningQuestion("duration"),
    OutcomeMore(("See a doctor soon.", "If it gets worse, call."), "notes", {"duration": 21.0, "weakness": "unsure"}),
    NotesOffer({"emergency": "no", "duration": 3}), DeleteData(),
    ReminderOffer("breaks", then="prevention"), ReminderOffer("stretch", asked=True),
    ReminderConfirm("breaks", (10, 11, 12, 13, 14, 15, 16), 0, True), ReminderConfirm("stretch", (19,), 30, then="relief"),
    DeleteReminders(),
]


def test_every_kind_is_listed_once() -> None:
    assert sorted(follow_up.kind for follow_up in {type(f): f for f in EVERY_KIND}.values()) == sorted(Kind)


@pytest.mark.parametrize("follow_up", EVERY_KIND, ids=lambda f: f"{f.kind}")
def test_a_follow_up_survives_the_session_as_json(follow_up: FollowUp) -> None:
    written = json.loads(json.dumps(to_session(follow_up)))
    assert written["kind"] == follow_up.kind.value
    assert from_session(written) == follow_up


def test_optional_fields_at_their_default_are_left_out_as_before() -> None:
    """The session form is the one earlier releases wrote, so a session in flight at a deploy goes on."""
    assert to_session(Offer("relief")) == {"kind": "offer", "topic": "relief"}
    assert to_session(MoreOfTopic("serious", 2)) == {"kind": "more", "topic": "serious", "next": 2}
    assert to_session(RoutineNext(2, 1)) == {"kind": "routine", "step": 2, "part": 1}


@pytest.mark.parametrize("raw", [
    None, [], "more", {}, {"kind": None}, {"kind": ["more"]}, {"kind": "made_up"},
    {"kind": "more", "topic": "serious"}, {"kind": "more", "topic": "serious", "next": "2"},
    {"kind": "more", "topic": "serious", "next": True}, {"kind": "more", "topic": "serious", "next": -1},
    {"kind": "offer", "topic": 7}, {"kind": "offer", "topic": "relief", "no_ends": "yes"},
    {"kind": "cause", "cause": {"id": "caffeine"}}, {"kind": "routine", "step": 2},
    {"kind": "routine", "step": 2.0, "part": 1}, {"kind": "screening", "question": None},
    {"kind": "outcome_more", "rest": ["a", 3], "closing": "notes", "answers": {}},
    {"kind": "outcome_more", "rest": "abc", "closing": "notes", "answers": {}},
    {"kind": "notes_offer", "answers": {"duration": "three weeks"}},
    {"kind": "notes_offer", "answers": {"duration": float("nan")}},
    {"kind": "notes_offer", "answers": {"weakness": True}},
])
def test_what_the_skill_could_not_have_written_is_none(raw: Any) -> None:
    assert from_session(raw) is None
