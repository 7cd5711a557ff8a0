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
GATE = "Since the twitching began, have you had new trouble"
GATE_2 = "And have you had a serious fall or accident"
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


def past_the_gate(conversation):
    """No to both emergency questions; returns the reply that asks how long."""
    second = conversation.ask("AMAZON.NoIntent")
    assert GATE_2 in second.speech and elicited(second) == "sudden_signs"
    return conversation.ask("AMAZON.NoIntent")


def run_check(talk, duration: str, weakness: str, numbness: str, widespread: str):
    conversation = start(talk)
    assert elicited(past_the_gate(conversation)) == "duration"
    assert elicited(answer(conversation, "duration", duration)) == "weakness"
    assert elicited(answer(conversation, "weakness", weakness)) == "numbness"
    assert elicited(answer(conversation, "numbness", numbness)) == "widespread"
    return conversation, answer(conversation, "widespread", widespread)


def whole_outcome(conversation, outcome):
    """Every chunk of the outcome ("shall I go on?" answered yes), as one text, and the last turn."""
    said = [outcome.speech]
    while outcome.speech.endswith("Shall I go on with a bit more?"):
        outcome = conversation.ask("AMAZON.YesIntent")
        said.append(outcome.speech)
    return " ".join(said), outcome


def test_the_full_check_asks_one_question_at_a_time_and_offers_notes_for_the_doctor(talk):
    conversation = start(talk)
    duration = past_the_gate(conversation)
    assert duration.speech == DURATION_Q and duration.reprompt.startswith("Roughly how long")
    assert WEAKNESS_Q in answer(conversation, "duration", "P3W").speech
    assert NUMBNESS_Q in answer(conversation, "weakness", "no").speech
    assert WIDESPREAD_Q in answer(conversation, "numbness", "tingling").speech
    outcome = answer(conversation, "widespread", "no")
    assert elicited(outcome) is None, "the outcome is not a dialog turn"
    said, outcome = whole_outcome(conversation, outcome)
    assert said.startswith("Here's what I'd suggest.")
    assert said.index("MRI") < said.index("primary care provider"), "the most urgent action comes first"
    assert "Get checked sooner if weakness, numbness or pain appear" in said, "every outcome ends with the safety net"
    assert said.endswith("Shall I put notes of your answers in your Alexa app, to show your doctor?")
    assert "relief routine" not in said, "no relief offer after a red flag"
    assert outcome.ends_session is False and outcome.reprompt and not outcome.card, "no card without consent"
    assert "screening" not in outcome.session_attributes, "a finished check leaves nothing behind"
    notes = conversation.ask("AMAZON.YesIntent")
    assert notes.speech.startswith("Done. The notes are in your Alexa app. When you see your doctor, say when the twitching started")
    card = notes.card
    assert card["type"] == "Standard" and card["title"] == "Notes for your appointment"
    assert "- How long: 21 days" in card["text"] and "- Numbness, tingling or spreading pain: yes" in card["text"]
    assert "Consider MRI or EMG testing" in card["text"]
    assert notes.ends_session is False
    assert conversation.ask("AMAZON.NoIntent").ends_session is True, "no to anything else ends"


def test_declining_the_notes_sends_no_card_and_still_says_how_to_describe_symptoms(talk):
    conversation, _ = run_check(talk, "P5D", "no", "numb", "no")
    turn = conversation.ask("AMAZON.NoIntent")
    assert turn.speech.startswith("Okay, no notes. When you see your doctor") and not turn.card
    assert turn.ends_session is False


@pytest.mark.parametrize("answers, heard, not_heard", [
    (("P5D", "no", "no", "no"), ["That's reassuring", "If it lasts over two weeks or gets worse, see your primary care provider",
                                 "Get checked sooner", "relief routine"], ["neurolog", "MRI", "three weeks"]),
    (("P16D", "no", "no", "no"), ["benign fasciculation syndrome", "monitor it and consult your primary care provider"],
     ["neurolog", "relief routine"]),
    (("P3W", "no", "no", "no"), ["monitor it and consult your primary care provider"], ["neurolog", "Book a visit"]),
    (("P5D", "weak", "no", "no"), ["neurology referral immediately: see a doctor today, or as soon as you can", "such as ALS"], ["blood tests"]),
    (("P5D", "no", "numb", "no"), ["consider an MRI or EMG test"], ["neurolog"]),
    (("P5D", "no", "no", "all over"), ["ask for blood tests and a specialist review"], ["neurolog"]),
    (("P5D", "yes", "no", "yes"), ["neurology referral immediately", "ask for blood tests and a specialist review"],
     ["within the next few days", "promptly"]),
    (("P5D", "not sure", "no", "no"), ["neurology referral immediately", "You weren't sure about weakness or shrinking muscles",
                                       "counted it as a yes"], ["You mentioned"]),
])
def test_each_outcome_says_the_seed_tables_action_and_the_safety_net(talk, answers, heard, not_heard):
    conversation, outcome = run_check(talk, *answers)
    said, last = whole_outcome(conversation, outcome)
    for phrase in heard:
        assert phrase in said, f"expected {phrase!r} in: {said}"
    for phrase in not_heard:
        assert phrase not in said, f"did not expect {phrase!r} in: {said}"
    assert "Get checked sooner if weakness, numbness or pain appear" in last.speech
    assert "you have" not in said.lower().replace("you have any", "").replace("have you", ""), "never a diagnosis"


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
    assert turn.speech.startswith("When unsure, treat it as an emergency.")
    assert "911" in turn.speech and turn.ends_session is True


def test_a_one_shot_request_skips_what_is_already_known(talk):
    conversation = talk()
    first = conversation.ask("ScreeningIntent", duration="P3W", numbness="numb")
    assert first.speech.startswith("Just so you know"), "a new user hears the disclaimer first"
    assert elicited(first) == "emergency_signs", "the emergency gate always comes first"
    assert elicited(conversation.ask("AMAZON.NoIntent")) == "sudden_signs"
    second = conversation.ask("AMAZON.NoIntent")
    assert elicited(second) == "weakness", "duration and numbness were already given"
    assert elicited(conversation.ask("AMAZON.NoIntent")) == "widespread"
    outcome = conversation.ask("AMAZON.NoIntent")
    assert "MRI" in outcome.speech and "monitor it and consult your primary care provider" in outcome.speech


def test_spoken_durations_without_an_iso_value_are_understood(talk):
    conversation = start(talk)
    past_the_gate(conversation)
    turn = conversation.ask("ScreeningIntent", duration_phrase="since last month")
    assert elicited(turn) == "weakness"
    assert turn.body["response"]["directives"][0]["updatedIntent"]["slots"]["duration"]["value"] == "P30D"


def test_an_unreadable_duration_is_asked_again_once_with_an_example_then_left_open(talk):
    conversation = start(talk)
    past_the_gate(conversation)
    retry = answer(conversation, "duration", "banana")
    assert retry.speech.startswith("Sorry, I didn't catch how long. If something serious is happening now, say emergency. "
                                   "You could say, about three weeks")
    assert elicited(retry) == "duration"
    moved_on = answer(conversation, "duration", "purple")
    assert moved_on.speech.startswith("That's okay. We'll leave the timing open, and to be safe I'll treat it as more than two weeks.")
    assert elicited(moved_on) == "weakness"
    for _ in range(3):
        last = conversation.ask("AMAZON.NoIntent")
    assert "Maybe over two weeks, so monitor it and consult your primary care provider" in last.speech
    assert "You weren't sure about" not in last.speech, "an unknown duration has its own rule, not the yes/no note"


def test_a_stray_answer_gets_the_question_again_with_a_hint(talk):
    conversation = start(talk)
    past_the_gate(conversation)
    answer(conversation, "duration", "two weeks")
    turn = answer(conversation, "weakness", "banana")
    assert turn.speech.startswith("Sorry, I didn't get that. If something serious is happening now, say emergency. "
                                  "Please say yes, no, or not sure.")
    assert WEAKNESS_Q in turn.speech and elicited(turn) == "weakness"
    fallback = conversation.ask("AMAZON.FallbackIntent")
    assert WEAKNESS_Q in fallback.speech and elicited(fallback) == "weakness"


def test_a_plain_answer_alexa_put_in_another_slot_answers_the_question_asked(talk):
    conversation = start(talk)
    past_the_gate(conversation)
    answer(conversation, "duration", "P1W")
    turn = answer(conversation, "numbness", "nope")  # asked about weakness
    assert elicited(turn) == "numbness"
    slots = turn.body["response"]["directives"][0]["updatedIntent"]["slots"]
    assert slots["weakness"]["value"] == "no" and slots["numbness"].get("value") is None


def test_what_do_you_mean_explains_the_question_and_asks_it_again(talk):
    conversation = start(talk)
    past_the_gate(conversation)
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
    past_the_gate(conversation)
    answer(conversation, "duration", "P2W")
    turn = conversation.ask("AMAZON.StartOverIntent")
    assert turn.speech.startswith("Okay, let's start the check again") and elicited(turn) == "emergency_signs"
    assert turn.session_attributes["screening"]["answers"] == {}


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent"])
def test_stop_mid_way_ends_politely(talk, intent):
    conversation = start(talk)
    past_the_gate(conversation)
    turn = conversation.ask(intent)
    assert "stopped the check" in turn.speech and turn.ends_session is True and elicited(turn) is None


def test_the_emergency_intent_interrupts_the_check(talk):
    conversation = start(talk)
    past_the_gate(conversation)
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
    past_the_gate(conversation)
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
