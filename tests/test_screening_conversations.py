"""The spoken red-flag check through the signed HTTP endpoint: one question at a time with
Dialog.ElicitSlot, the emergency gate first, and a recommendation from the rule table."""
from __future__ import annotations

import json
import sqlite3

import pytest

from skill.config import REPO_ROOT

MODEL = json.loads((REPO_ROOT / "interaction_model" / "en-US.json").read_text())
SCREENING_SLOTS = {slot["name"] for intent in MODEL["interactionModel"]["languageModel"]["intents"]
                   if intent["name"] == "ScreeningIntent" for slot in intent["slots"]}
GATE = "Right now, do you have any of these"
DURATION_Q = "How long has your back been twitching?"
WEAKNESS_Q = "Have you noticed any muscle weakness"
NUMBNESS_Q = "Do you have numbness, tingling, or pain that spreads"
WIDESPREAD_Q = "Are you getting twitches in several muscle groups"


def elicited(turn) -> str | None:
    """The slot Alexa is told to fill next, checking the directive is well formed."""
    directives = turn.response.get("directives", [])
    if not directives:
        return None
    (directive,) = directives
    assert directive["type"] == "Dialog.ElicitSlot"
    assert directive["updatedIntent"]["name"] == "ScreeningIntent"
    assert set(directive["updatedIntent"]["slots"]) == SCREENING_SLOTS
    assert directive["slotToElicit"] in SCREENING_SLOTS
    assert turn.ends_session is False and turn.reprompt, "a question must keep the microphone open"
    return directive["slotToElicit"]


def answer(conversation, slot: str, value: str):
    return conversation.ask("ScreeningIntent", **{slot: value})


def start(talk):
    conversation = talk()
    conversation.launch()
    first = conversation.ask("IsItSeriousIntent")
    assert GATE in first.speech and elicited(first) == "emergency_signs"
    return conversation


def run_check(talk, duration: str, weakness: str, numbness: str, widespread: str):
    conversation = start(talk)
    assert elicited(conversation.ask("AMAZON.NoIntent")) == "duration"
    assert elicited(answer(conversation, "duration", duration)) == "weakness"
    assert elicited(answer(conversation, "weakness", weakness)) == "numbness"
    assert elicited(answer(conversation, "numbness", numbness)) == "widespread"
    return conversation, answer(conversation, "widespread", widespread)


def test_the_full_check_asks_one_question_at_a_time_and_ends_with_notes_for_the_doctor(talk):
    conversation = start(talk)
    duration = conversation.ask("AMAZON.NoIntent")
    assert duration.speech == DURATION_Q and duration.reprompt.startswith("How long")
    assert WEAKNESS_Q in answer(conversation, "duration", "P3W").speech
    assert NUMBNESS_Q in answer(conversation, "weakness", "no").speech
    assert WIDESPREAD_Q in answer(conversation, "numbness", "tingling").speech
    outcome = answer(conversation, "widespread", "no")
    assert elicited(outcome) is None, "the outcome is not a dialog turn"
    said = outcome.speech
    assert said.startswith("Thanks for answering.")
    assert said.index("MRI") < said.index("primary care provider"), "the most urgent action comes first"
    assert "not medical advice" in said and said.endswith("Or say no to finish.")
    assert outcome.ends_session is False and outcome.reprompt
    card = outcome.card
    assert card["type"] == "Standard" and card["title"] == "Notes for your appointment"
    assert "- How long: 21 days" in card["text"] and "- Numbness, tingling or spreading pain: yes" in card["text"]
    assert "Ask about an MRI or EMG test" in card["text"]
    assert "screening" not in outcome.session_attributes, "a finished check leaves nothing behind"


@pytest.mark.parametrize("answers, heard, not_heard", [
    (("P5D", "no", "no", "no"), ["That's reassuring", "beyond three weeks"], ["neurologist", "MRI"]),
    (("P16D", "no", "no", "no"), ["benign fasciculation syndrome", "Monitor it, and consult your primary care provider"], ["neurologist"]),
    (("P3W", "no", "no", "no"), ["beyond three weeks", "Book a visit with your primary care provider"], ["neurologist"]),
    (("P5D", "weak", "no", "no"), ["neurology referral promptly"], ["blood tests"]),
    (("P5D", "no", "numb", "no"), ["MRI", "EMG"], ["neurologist"]),
    (("P5D", "no", "no", "all over"), ["blood tests and a specialist review"], ["neurologist"]),
    (("P5D", "yes", "no", "yes"), ["weakness together with twitching across your body", "within the next few days"],
     ["neurology referral promptly"]),
    (("P5D", "not sure", "no", "no"), ["neurology referral", "You weren't sure about weakness or shrinking muscles",
                                       "counted it as a yes"], []),
])
def test_each_outcome_names_what_the_answers_may_point_to_and_whom_to_see(talk, answers, heard, not_heard):
    _, outcome = run_check(talk, *answers)
    for phrase in heard:
        assert phrase in outcome.speech, f"expected {phrase!r} in: {outcome.speech}"
    for phrase in not_heard:
        assert phrase not in outcome.speech, f"did not expect {phrase!r} in: {outcome.speech}"
    assert "you have" not in outcome.speech.lower().replace("you have any", ""), "never a diagnosis"


def test_yes_at_the_gate_ends_at_once_with_emergency_advice(talk):
    conversation = start(talk)
    turn = conversation.ask("AMAZON.YesIntent")
    assert "call 911 now" in turn.speech and "can't make the call" in turn.speech
    assert turn.ends_session is True and elicited(turn) is None and not turn.reprompt
    for self_care in ("stretch", "water", "relief", "caffeine"):
        assert self_care not in turn.speech.lower()
    assert turn.card["title"].startswith("Emergency")


def test_not_sure_at_the_gate_is_treated_as_an_emergency(talk):
    conversation = start(talk)
    turn = answer(conversation, "emergency_signs", "i'm not sure")
    assert turn.speech.startswith("If you're not sure, it's safest to treat it as an emergency.")
    assert "911" in turn.speech and turn.ends_session is True


def test_a_one_shot_request_skips_what_is_already_known(talk):
    conversation = talk()
    first = conversation.ask("ScreeningIntent", duration="P3W", numbness="numb")
    assert first.speech.startswith("Just so you know"), "a new user hears the disclaimer first"
    assert elicited(first) == "emergency_signs", "the emergency gate always comes first"
    second = conversation.ask("AMAZON.NoIntent")
    assert elicited(second) == "weakness", "duration and numbness were already given"
    assert elicited(conversation.ask("AMAZON.NoIntent")) == "widespread"
    outcome = conversation.ask("AMAZON.NoIntent")
    assert "MRI" in outcome.speech and "Book a visit" in outcome.speech


def test_spoken_durations_without_an_iso_value_are_understood(talk):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    turn = conversation.ask("ScreeningIntent", duration_phrase="since last month")
    assert elicited(turn) == "weakness"
    assert turn.body["response"]["directives"][0]["updatedIntent"]["slots"]["duration"]["value"] == "P30D"


def test_an_unreadable_duration_is_asked_again_once_with_an_example_then_left_open(talk):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    retry = answer(conversation, "duration", "banana")
    assert retry.speech.startswith("Sorry, I didn't catch how long. You could say, about three weeks")
    assert elicited(retry) == "duration"
    moved_on = answer(conversation, "duration", "purple")
    assert moved_on.speech.startswith("That's okay. We'll leave the timing open, and to be safe I'll treat it as more than two weeks.")
    assert elicited(moved_on) == "weakness"
    for _ in range(3):
        last = conversation.ask("AMAZON.NoIntent")
    assert "we're not sure how long" in last.speech and "counted it as more than two weeks" in last.speech
    assert "Monitor it, and consult your primary care provider" in last.speech
    assert "You weren't sure about" not in last.speech, "an unknown duration has its own rule, not the yes/no note"


def test_a_stray_answer_gets_the_question_again_with_a_hint(talk):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    answer(conversation, "duration", "two weeks")
    turn = answer(conversation, "weakness", "banana")
    assert turn.speech.startswith("Sorry, I didn't get that. Please say yes, no, or not sure.")
    assert WEAKNESS_Q in turn.speech and elicited(turn) == "weakness"
    fallback = conversation.ask("AMAZON.FallbackIntent")
    assert WEAKNESS_Q in fallback.speech and elicited(fallback) == "weakness"


def test_a_plain_answer_alexa_put_in_another_slot_answers_the_question_asked(talk):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    answer(conversation, "duration", "P1W")
    turn = answer(conversation, "numbness", "nope")  # asked about weakness
    assert elicited(turn) == "numbness"
    slots = turn.body["response"]["directives"][0]["updatedIntent"]["slots"]
    assert slots["weakness"]["value"] == "no" and slots["numbness"].get("value") is None


def test_what_do_you_mean_explains_the_question_and_asks_it_again(talk):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    answer(conversation, "duration", "P2W")
    turn = conversation.ask("ExplainQuestionIntent")
    assert "weaker grip" in turn.speech and turn.speech.endswith(WEAKNESS_Q + ", or a muscle that seems to be shrinking?")
    assert elicited(turn) == "weakness"


def test_repeat_and_help_inside_the_check_come_back_to_the_same_question(talk):
    conversation = start(talk)
    repeated = conversation.ask("AMAZON.RepeatIntent")
    assert GATE in repeated.speech and elicited(repeated) == "emergency_signs"
    helped = conversation.ask("AMAZON.HelpIntent")
    assert "It's not a diagnosis." in helped.speech and GATE in helped.speech
    assert elicited(helped) == "emergency_signs"


def test_start_over_clears_the_answers_and_begins_at_the_gate(talk):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    answer(conversation, "duration", "P2W")
    turn = conversation.ask("AMAZON.StartOverIntent")
    assert turn.speech.startswith("Okay, let's start the check again") and elicited(turn) == "emergency_signs"
    assert turn.session_attributes["screening"]["answers"] == {}


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent"])
def test_stop_mid_way_ends_politely(talk, intent):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    turn = conversation.ask(intent)
    assert "stopped the check" in turn.speech and turn.ends_session is True and elicited(turn) is None


def test_the_emergency_intent_interrupts_the_check(talk):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    turn = conversation.ask("EmergencyIntent")
    assert "call 911 now" in turn.speech and turn.ends_session is True and elicited(turn) is None


def test_the_emergency_intent_interrupts_any_other_conversation(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("WhyTwitchingIntent")
    turn = conversation.ask("EmergencyIntent")
    assert "call 911 now" in turn.speech and turn.ends_session is True


def test_a_digression_then_is_this_serious_picks_up_where_we_left_off(talk):
    conversation = start(talk)
    conversation.ask("AMAZON.NoIntent")
    answer(conversation, "duration", "P2W")
    conversation.ask("HowLongIntent")
    resumed = conversation.ask("IsItSeriousIntent")
    assert resumed.speech.startswith("Let's pick up the check where we left off.")
    assert elicited(resumed) == "weakness"


def test_after_the_outcome_no_says_goodbye(talk):
    conversation, _ = run_check(talk, "P5D", "no", "no", "no")
    turn = conversation.ask("AMAZON.NoIntent")
    assert turn.ends_session is True and turn.speech


def test_after_the_outcome_yes_offers_relief(talk):
    conversation, _ = run_check(talk, "P5D", "no", "no", "no")
    turn = conversation.ask("AMAZON.YesIntent")
    assert turn.status == 200 and turn.ends_session is False
    assert "water" in turn.speech.lower() or "step" in turn.speech.lower()


def test_answers_are_never_stored_or_logged(talk, tmp_path, caplog):
    conversation, _ = run_check(talk, "P19D", "weak", "pins and needles", "all over")
    with sqlite3.connect(tmp_path / "skill.db") as db:
        stored = " ".join(row[0] for row in db.execute("SELECT attributes FROM user_attributes"))
    for secret in ("P19D", "19", "weak", "pins", "all over", "screening", "weakness"):
        assert secret not in stored
    logged = caplog.text
    for secret in ("P19D", "pins and needles", "all over", conversation.user_id):
        assert secret not in logged


def test_a_bare_yes_outside_the_check_is_a_yes_not_an_emergency_answer(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("HowLongIntent")  # offers the signs worth seeing a doctor for
    turn = conversation.ask("ScreeningIntent", emergency_signs="yes")
    assert "911" not in turn.speech or "more than three weeks" in turn.speech
    assert "See your primary care provider" in turn.speech and turn.ends_session is False
    assert not turn.response.get("directives")


def test_a_bare_no_outside_the_check_declines_the_offer(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("HowLongIntent")
    turn = conversation.ask("ScreeningIntent", weakness="nope")
    assert turn.speech.startswith("No problem.") and not turn.response.get("directives")


def test_a_one_shot_symptom_word_still_starts_the_check(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("ScreeningIntent", numbness="pins and needles")
    assert elicited(turn) == "emergency_signs"
