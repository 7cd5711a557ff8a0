"""Whole conversations through the HTTP endpoint, with really signed requests: what the user
hears, whether the microphone stays open, and what is remembered."""
from __future__ import annotations

import json
import sqlite3

import pytest

from skill.tools.devtools.conversation import fixture, now_iso
from skill.persistence import user_key


def test_first_launch_welcomes_gives_the_disclaimer_and_asks_what_they_want(talk):
    turn = talk().launch()
    assert turn.status == 200
    assert "Welcome to Back Twitch Helper" in turn.speech
    assert "not medical advice" in turn.speech and "911" in turn.speech
    assert turn.speech.endswith("?")
    assert turn.ends_session is False and turn.reprompt


def test_returning_user_gets_a_shorter_welcome_without_the_disclaimer(talk):
    first = talk()
    first_turn = first.launch()
    first.ask("AMAZON.StopIntent")
    again = talk(user_id=first.user_id).launch()
    assert "not medical advice" not in again.speech
    assert len(again.speech) < len(first_turn.speech) / 2
    assert again.ends_session is False and again.reprompt


def test_a_different_user_is_still_new(talk):
    talk().launch()
    assert "not medical advice" in talk().launch().speech


def test_one_shot_question_from_a_new_user_answers_after_the_disclaimer(talk):
    turn = talk().ask("WhyTwitchingIntent")
    assert turn.speech.startswith("Just so you know, it's general information, not medical advice. In an emergency, call 911")
    assert "fasciculations" in turn.speech
    assert turn.ends_session is False


def test_why_twitching_reads_causes_three_at_a_time_and_offers_relief(talk):
    conversation = talk()
    conversation.launch()
    first = conversation.ask("WhyTwitchingIntent")
    assert "Tired muscles" in first.speech and "Low minerals" in first.speech
    assert "caffeine" not in first.speech, "more than three causes were read in one breath"
    assert first.speech.endswith("There are more causes. Shall I go on?")
    assert first.reprompt == "Would you like to hear the rest? Say yes, or ask me something else."
    middle = conversation.ask("AMAZON.YesIntent")
    assert "caffeine" in middle.speech and "pinched nerve" not in middle.speech and "Tired muscles" not in middle.speech
    rest = conversation.ask("AMAZON.YesIntent")
    assert "pinched nerve" in rest.speech and "distracting or uncomfortable" in rest.speech
    assert "ease it" in rest.speech
    relief = conversation.ask("AMAZON.YesIntent")
    assert "six steps" in relief.speech and "8 to 10 glasses" in relief.speech


def test_more_and_next_continue_a_list_like_yes(talk):
    conversation = talk()
    conversation.ask("PreventionIntent")
    more = conversation.ask("AMAZON.MoreIntent")
    assert "nicotine" in more.speech
    conversation.ask("SeeDoctorIntent")
    following = conversation.ask("AMAZON.NextIntent")
    assert "how often it happens" in following.speech


def test_more_with_nothing_to_continue_says_so_and_keeps_listening(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("AMAZON.MoreIntent")
    assert "That's everything I have on that." in turn.speech
    assert turn.ends_session is False and turn.reprompt


@pytest.mark.parametrize(
    "intent, heard",
    [
        ("RedFlagsIntent", "Watch for four signs"),
        ("SeeDoctorIntent", "over two weeks"),
        ("ReliefIntent", "go through six steps"),
        ("PreventionIntent", "There are eight things"),
        ("ConditionsIntent", "Peripheral neuropathy"),
        ("BfsIntent", "Benign fasciculation syndrome"),
        ("AlsIntent", "extremely unlikely to be ALS"),
        ("DehydrationIntent", "Even mild dehydration can make muscles twitchy"),
        ("HowLongIntent", "a few days to a couple of weeks"),
        ("ExampleIntent", "software developer"),
    ],
)
def test_each_question_gets_its_answer_and_a_follow_up(talk, intent, heard):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask(intent)
    assert heard in turn.speech
    question = turn.speech[turn.speech.rindex(". ") + 2:]
    assert turn.speech.endswith("?") and turn.reprompt and turn.reprompt != question
    assert "say " in turn.reprompt.lower(), f"the reprompt doesn't say what to answer: {turn.reprompt!r}"
    assert turn.ends_session is False
    assert turn.card and turn.card["type"] == "Simple" and turn.card["content"]


def read_to_the_end(conversation, intent: str):
    turns = [conversation.ask(intent)]
    while (turns[-1].session_attributes.get("pending") or {}).get("kind") == "more" and len(turns) < 10:
        turns.append(conversation.ask("AMAZON.YesIntent"))
    return turns


def test_red_flags_end_by_offering_the_emergency_signs_and_yes_speaks_them_with_the_number(talk):
    conversation = talk()
    conversation.launch()
    turns = read_to_the_end(conversation, "RedFlagsIntent")
    assert len(turns) == 4, "four signs, one at a time"
    assert "immediately" in turns[1].speech and "promptly" not in " ".join(t.speech for t in turns)
    assert not any("bladder" in turn.speech for turn in turns), "the emergency signs are offered, not appended"
    assert turns[-1].speech.endswith("Want to hear the signs that need an ambulance?")
    assert "Say yes or no" in turns[-1].reprompt
    signs = conversation.ask("AMAZON.YesIntent")
    assert "bladder or bowels" in signs.speech and "use your phone now to call 911" in signs.speech
    rest = conversation.ask("AMAZON.YesIntent")
    assert "chest pain" in rest.speech and "ask someone near you to call" in rest.speech
    assert rest.speech.endswith("Would you like some simple ways to ease the twitching?"), "back to the topic's own follow-up"
    relief = conversation.ask("AMAZON.YesIntent")
    assert "six steps" in relief.speech


def test_no_to_the_emergency_signs_offer_is_like_no_to_any_offer(talk):
    conversation = talk()
    conversation.launch()
    read_to_the_end(conversation, "SeeDoctorIntent")
    declined = conversation.ask("AMAZON.NoIntent")
    assert declined.speech.startswith("No problem.") and "anything else" in declined.speech
    assert declined.ends_session is False
    assert conversation.ask("AMAZON.NoIntent").ends_session is True


def test_when_to_see_a_doctor_says_two_weeks_first_and_sudden_versus_gradual(talk):
    conversation = talk()
    conversation.launch()
    turns = read_to_the_end(conversation, "SeeDoctorIntent")
    heard = " ".join(turn.speech for turn in turns)
    assert heard.index("over two weeks") < heard.index("beyond three weeks")
    assert "always get checked if it goes beyond three weeks or gets worse" in heard
    assert "comes on gradually needs a doctor soon" in heard and "If it comes on suddenly, it's an emergency" in heard
    assert "neurology referral immediately" in heard
    assert "911" not in heard, "the emergency signs are a separate follow-up"


def test_cause_by_entity_resolution_id(talk):
    conversation = talk()
    turn = conversation.ask("CauseIntent", cause={"value": "espresso", "id": "caffeine"})
    assert "one caffeinated drink a day" in turn.speech
    assert "Would you like to hear about the next cause, not drinking enough water?" in turn.speech
    assert turn.card["title"] == "Cause: Caffeine and stimulants"


def test_cause_by_synonym_when_alexa_sends_no_resolution(talk):
    turn = talk().ask("CauseIntent", cause="Pinched Nerve")
    assert "herniated disc" in turn.speech and "sciatica" in turn.speech


def test_yes_after_a_cause_tells_the_next_one_and_the_last_offers_relief(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("CauseIntent", cause="slouching")
    last = conversation.ask("AMAZON.YesIntent")
    assert "pinched or compressed nerve" in last.speech
    assert "simple ways to ease the twitching" in last.reprompt
    relief = conversation.ask("AMAZON.YesIntent")
    assert "six steps" in relief.speech


@pytest.mark.parametrize("words", ["moon <phases> & tides", "going to rain", "what's the weather in paris tomorrow"])
def test_an_unknown_cause_is_not_answered_as_a_cause_nor_said_back(talk, words):
    """Clients that match "is it {cause}" send any words at all: "is it going to rain"."""
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("CauseIntent", cause={"value": words, "no_match": True})
    assert turn.speech.startswith("Sorry, I can't help with that one. The causes I know include stress")
    assert words not in turn.speech, "the words heard are never said back"
    assert "as a cause" not in turn.speech and "say emergency" in turn.speech
    assert turn.ends_session is False and "caffeine" in turn.reprompt


def test_missing_cause_asks_which_one(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("CauseIntent")
    assert "Which one would you like to hear about?" in turn.speech
    follow = conversation.ask("CauseIntent", cause="stress")
    assert "cortisol" in follow.speech


def test_no_to_an_offer_asks_anything_else_and_a_second_no_says_goodbye(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("HowLongIntent")
    first_no = conversation.ask("AMAZON.NoIntent")
    assert first_no.speech.startswith("No problem.") and "anything else" in first_no.speech
    assert first_no.ends_session is False
    second_no = conversation.ask("AMAZON.NoIntent")
    assert "Goodbye" in second_no.speech or "Bye" in second_no.speech or "bye" in second_no.speech
    assert second_no.ends_session is True and not second_no.reprompt


def test_yes_to_anything_else_asks_what(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("AMAZON.NoIntent")
    turn = conversation.ask("AMAZON.YesIntent")
    assert turn.speech == "Sure. What would you like to know?"
    assert turn.ends_session is False


def test_yes_with_nothing_pending_explains_and_keeps_listening(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("AMAZON.YesIntent")
    assert "not sure what you're saying yes to" in turn.speech
    assert turn.ends_session is False


def test_yes_in_an_expired_session_gets_a_helpful_answer(talk):
    turn = talk().ask("AMAZON.YesIntent")
    assert "not sure what you're saying yes to" in turn.speech
    assert turn.ends_session is False and turn.reprompt


def test_a_stale_offer_does_not_survive_an_unrelated_answer(talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("HowLongIntent")  # offers see_doctor
    conversation.ask("AMAZON.HelpIntent")
    turn = conversation.ask("AMAZON.YesIntent")
    assert "not sure what you're saying yes to" in turn.speech


def test_repeat_says_the_last_reply_again_and_keeps_the_offer(talk):
    conversation = talk()
    conversation.launch()
    original = conversation.ask("AlsIntent")
    again = conversation.ask("AMAZON.RepeatIntent")
    assert again.ssml == original.ssml and again.reprompt == original.reprompt
    assert again.ends_session is False
    followed = conversation.ask("AMAZON.YesIntent")
    assert "Benign fasciculation syndrome, or BFS" in followed.speech


def test_repeat_before_anything_was_said(talk):
    turn = talk().ask("AMAZON.RepeatIntent")
    assert "haven't said anything yet" in turn.speech
    assert turn.ends_session is False


def test_help_explains_more_than_the_welcome_and_keeps_listening(talk):
    conversation = talk()
    welcome = conversation.launch()
    help_turn = conversation.ask("AMAZON.HelpIntent")
    assert "emergency care" in help_turn.speech and "six simple relief steps" in help_turn.speech
    assert len(help_turn.speech) > len(welcome.speech) / 2
    assert help_turn.speech.endswith("?") and help_turn.ends_session is False and help_turn.reprompt


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent"])
def test_stop_and_cancel_say_goodbye_and_close(talk, intent):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask(intent)
    assert turn.speech and turn.ends_session is True and not turn.reprompt


@pytest.mark.parametrize("intent", ["AMAZON.NavigateHomeIntent", "AMAZON.StartOverIntent"])
def test_navigate_home_and_start_over_go_back_to_the_start(talk, intent):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask(intent)
    assert "What would you like to know today?" in turn.speech and turn.ends_session is False


def test_fallback_suggests_what_to_ask(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("AMAZON.FallbackIntent")
    assert "can't help with that" in turn.speech and "how to ease it" in turn.speech
    assert turn.ends_session is False and turn.reprompt


def test_an_intent_the_code_does_not_know_gets_the_fallback_answer(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("OrderPizzaIntent")
    assert turn.status == 200 and "can't help with that" in turn.speech and turn.ends_session is False


def test_session_ended_gets_an_empty_response(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.end(reason="EXCEEDED_MAX_REPROMPTS")
    assert turn.status == 200
    assert "outputSpeech" not in turn.response and "reprompt" not in turn.response


def test_session_ended_with_an_error_is_logged_not_spoken(talk, caplog):
    conversation = talk()
    conversation.launch()
    envelope = conversation._envelope("session_ended_request.json")
    envelope["request"].update(reason="ERROR", error={"type": "INVALID_RESPONSE", "message": "bad"})
    turn = conversation.send(envelope)
    assert turn.status == 200 and "outputSpeech" not in turn.response
    assert "INVALID_RESPONSE" in caplog.text


def test_an_unexpected_request_type_in_a_session_is_answered_helpfully(talk):
    conversation = talk()
    conversation.launch()
    envelope = conversation._envelope("intent_request.json")
    envelope["request"] = {"type": "Alexa.Presentation.APL.UserEvent", "requestId": "amzn1.echo-api.request.x",
                           "timestamp": now_iso(), "locale": "en-US", "arguments": []}
    turn = conversation.send(envelope)
    assert turn.status == 200 and "can't help with that" in turn.speech


def test_an_error_inside_a_handler_is_apologised_for_in_speech(app, talk, monkeypatch, caplog):
    from skill.conversation.flows import answers

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("skill.conversation.handlers.answers.topic_reply", broken)
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("HowLongIntent")
    assert turn.status == 200
    assert "Sorry, something went wrong" in turn.speech and turn.ends_session is False and turn.reprompt
    assert "RuntimeError at test_conversations:broken" in caplog.text  # the type and where
    assert "boom" not in caplog.text  # never the message: it may quote what the user said
    assert answers.topic_reply is not broken


def test_an_unknown_locale_falls_back_to_us_english(talk):
    turn = talk(locale="fr-FR").ask("HowLongIntent")
    assert "few days to a couple of weeks" in turn.speech


def test_only_the_disclaimer_flag_is_stored_keyed_by_a_hash_of_the_user(talk, make_config, tmp_path):
    conversation = talk()
    conversation.launch()
    conversation.ask("CauseIntent", cause="stress")
    conversation.ask("IsItSeriousIntent")
    conversation.ask("AMAZON.NoIntent")
    conversation.ask("ScreeningIntent", duration="P3W", weakness="yes")
    with sqlite3.connect(tmp_path / "skill.db") as db:
        rows = db.execute("SELECT user_key, attributes FROM user_attributes").fetchall()
    assert rows == [(user_key(conversation.user_id), rows[0][1])]
    assert conversation.user_id not in rows[0][0]
    stored = json.loads(rows[0][1])
    assert stored == {"heard_disclaimer": True}


def test_skill_disabled_event_deletes_the_users_data(talk, post, tmp_path):
    conversation = talk()
    conversation.launch()
    envelope = fixture("skill_disabled_event.json")
    envelope["context"]["System"]["user"]["userId"] = conversation.user_id
    envelope["request"]["timestamp"] = now_iso()
    status, body = post(json.dumps(envelope).encode())
    assert status == 200 and "outputSpeech" not in body.get("response", {})
    with sqlite3.connect(tmp_path / "skill.db") as db:
        assert db.execute("SELECT COUNT(*) FROM user_attributes").fetchone()[0] == 0
    assert "not medical advice" in talk(user_id=conversation.user_id).launch().speech


def test_a_user_whose_first_words_are_help_hears_the_disclaimer_with_their_first_answer(talk):
    conversation = talk()
    help_turn = conversation.ask("AMAZON.HelpIntent")
    assert "not medical advice" not in help_turn.speech
    answer = conversation.ask("HowLongIntent")
    assert answer.speech.startswith("Just so you know, it's general information, not medical advice.")
    again = conversation.ask("AlsIntent")
    assert "not medical advice" not in again.speech, "the disclaimer is said once, not before every answer"
    assert "not medical advice" not in talk(user_id=conversation.user_id).launch().speech


def test_navigate_home_for_a_new_user_is_a_first_welcome(talk):
    turn = talk().ask("AMAZON.NavigateHomeIntent")
    assert "Welcome to Back Twitch Helper" in turn.speech and "not medical advice" in turn.speech


def test_a_broken_store_still_answers_and_treats_the_user_as_new(talk, tmp_path, caplog):
    conversation = talk()
    with sqlite3.connect(tmp_path / "skill.db") as db:
        db.execute("DROP TABLE user_attributes")
    turn = conversation.launch()
    assert turn.status == 200 and "not medical advice" in turn.speech
    assert "store unavailable" in caplog.text


def test_a_disabled_skill_whose_data_cannot_be_deleted_is_logged_and_counted(talk, post, tmp_path, caplog):
    """The failure is said by type and place, never by the user; the request line counts it."""
    from support.store_faults import hide_tables

    conversation = talk()
    conversation.launch()
    put_back = hide_tables(tmp_path / "skill.db")
    envelope = fixture("skill_disabled_event.json")
    envelope["context"]["System"]["user"]["userId"] = conversation.user_id
    envelope["request"]["timestamp"] = now_iso()
    status, body = post(json.dumps(envelope).encode())
    put_back()
    assert "could not delete data for a disabled skill: skill.stores.base.StoreError at" in caplog.text
    assert '"outcome":"error"' in caplog.text and '"store_errors":["delete"]' in caplog.text
    assert status == 200 and "outputSpeech" not in body.get("response", {})
