"""Answers go to the question asked: in every state of the check, whatever bare answer arrives and
however a client packs it into the request, only the pending question's answer can change, and
nothing but a "yes" or "not sure" to the emergency gate itself leads to emergency advice.

The ways a bare answer arrives are the ones real clients produce: in the elicited slot (Alexa
with slot samples), in another yes/no slot (Alexa's statistical matcher), in every slot whose
type accepts the words (a client in dialog mode, such as Bespoken's virtual-alexa), or as the
built-in Yes/No/Fallback intent.
"""
from __future__ import annotations

import itertools
import uuid

import pytest

from skill.tools.devtools.conversation import SKILL_ID, Conversation
from support.pki import DEFAULT_URL
from skill.runtime.app import create_app
from skill.config import Config
from support import repository
from support.pki import poster

YES_NO_SLOTS = ("emergency_signs", "sudden_signs", "weakness", "numbness", "widespread")
SLOT_OF = {"emergency": "emergency_signs", "emergency_sudden": "sudden_signs", "duration": "duration",
           "weakness": "weakness", "numbness": "numbness", "widespread": "widespread"}
GATES = ("emergency", "emergency_sudden")
ORDER = (*GATES, "duration", "weakness", "numbness", "widespread")
# What a person says -> which slots a client could put it in.
BARE_ANSWERS = {
    "yes": YES_NO_SLOTS,
    "no": YES_NO_SLOTS,
    "not sure": YES_NO_SLOTS,
    "i don't know": YES_NO_SLOTS,
    "maybe": YES_NO_SLOTS,
    "P3W": ("duration",),
    "banana": ("duration",),  # unreadable: raw words in whatever slot was elicited
}
BUILT_IN = {"AMAZON.YesIntent": "yes", "AMAZON.NoIntent": "no", "AMAZON.FallbackIntent": None}
CALL_NOW = "call 911 now"


def states():
    """Every point of the check a person can reach with the gate questions answered "no"."""
    durations = (3.0, 21.0, "unknown")
    for index, pending in enumerate(ORDER):
        gates = {gate: "no" for gate in ORDER[:min(index, len(GATES))]}
        before = ORDER[len(GATES):index]
        choices = [durations if q == "duration" else ("yes", "no", "unsure") for q in before]
        for combo in itertools.product(*choices):
            yield pending, {**gates, **dict(zip(before, combo))}


def deliveries(words: str, pending: str):
    """(label, intent, slots) for each way a client might send `words` while `pending` is asked."""
    own = SLOT_OF[pending]
    yield "own slot", "ScreeningIntent", {own: words}
    for slot in BARE_ANSWERS[words]:
        if slot != own:
            yield f"in {slot}", "ScreeningIntent", {slot: words}
    yield "every slot", "ScreeningIntent", {slot: words for slot in BARE_ANSWERS[words]}


@pytest.fixture(scope="module")
def talk(pki, ca_file, tmp_path_factory):
    """One app for the whole module (over a thousand requests), signed as Alexa signs."""
    chains = {DEFAULT_URL: pki.chain_pem()}
    config = Config(skill_id=SKILL_ID, ca_file=ca_file, cert_fetcher=lambda url: chains[url],
                    database_url=f"sqlite:///{tmp_path_factory.mktemp('answers') / 'skill.db'}",
                    content_dir=repository.CONTENT_DIR, model_dir=repository.MODEL_DIR)
    post = poster(create_app(config, words=repository.words()), pki)
    return lambda: Conversation(post)


def in_state(talk, pending: str, answers: dict) -> Conversation:
    conversation = talk()
    conversation.session_id = f"amzn1.echo-api.session.{uuid.uuid4().hex}"
    conversation.attributes = {"screening": {"answers": dict(answers), "retries": {}},
                               "pending": {"kind": "screening", "question": pending}}
    return conversation


CASES = [(pending, answers, words, label, intent, slots)
         for pending, answers in states()
         for words in BARE_ANSWERS
         for label, intent, slots in deliveries(words, pending)]
CASES += [(pending, answers, BUILT_IN[intent], intent, intent, {})
          for pending, answers in states() for intent in BUILT_IN]


@pytest.mark.parametrize("pending, answers, words, label, intent, slots", CASES,
                         ids=[f"{c[0]}-{len(c[1])}-{c[2]}-{c[3]}".replace(" ", "_") for c in CASES])
def test_a_bare_answer_changes_only_the_question_asked(talk, pending, answers, words, label, intent, slots):
    conversation = in_state(talk, pending, answers)
    turn = conversation.ask(intent, **slots)
    assert turn.status == 200
    after = turn.session_attributes.get("screening", {}).get("answers")
    if after is not None:
        changed = {q for q in set(after) | set(answers) if after.get(q) != answers.get(q)}
        assert changed <= {pending}, f"{words!r} ({label}) changed {sorted(changed)} while {pending} was asked"
    gate_said_yes = pending in GATES and words in ("yes", "not sure", "i don't know", "maybe") \
        and (label in ("own slot", "every slot") or label.startswith("in ") or intent == "AMAZON.YesIntent")
    if CALL_NOW in turn.speech:
        assert gate_said_yes, f"{words!r} ({label}) to the {pending} question sent the person to 911: {turn.speech}"
    elif pending in GATES and words in ("yes", "not sure") and intent != "AMAZON.FallbackIntent":
        pytest.fail(f"{words!r} ({label}) at the emergency gate did not give emergency advice: {turn.speech}")


def test_not_sure_to_how_long_asks_again_with_examples_then_counts_it_as_the_longer_band(talk):
    conversation = in_state(talk, "duration", {"emergency": "no", "emergency_sudden": "no"})
    every_slot = {slot: "not sure" for slot in YES_NO_SLOTS}
    again = conversation.ask("ScreeningIntent", **every_slot)
    assert again.speech.startswith("That's okay, a rough guess is fine. You could say, about three weeks")
    assert "How long has your back been twitching?" in again.speech and CALL_NOW not in again.speech
    moved_on = conversation.ask("ScreeningIntent", duration="i don't know")
    assert moved_on.speech.startswith("That's okay. We'll leave the timing open, and to be safe I'll treat it as more than two weeks.")
    assert moved_on.session_attributes["screening"]["answers"] == {"emergency": "no", "emergency_sudden": "no", "duration": "unknown"}


def test_an_answered_gate_is_never_cleared_by_a_later_no(talk):
    conversation = in_state(talk, "weakness", {"emergency": "no", "emergency_sudden": "no", "duration": 3.0})
    turn = conversation.ask("ScreeningIntent", emergency_signs="no", weakness="no")
    assert turn.session_attributes["screening"]["answers"]["emergency"] == "no"
    assert turn.session_attributes["screening"]["answers"]["weakness"] == "no"


def test_the_elicit_directive_leaves_the_asked_slot_empty_so_an_old_answer_is_not_resent(talk):
    conversation = in_state(talk, "numbness", {"emergency": "no", "emergency_sudden": "no", "duration": 3.0, "weakness": "no"})
    back = conversation.ask("AMAZON.PreviousIntent")
    assert back.speech.startswith("Okay, let's change your answer about weakness or shrinking muscles. You said no.")
    slots = back.response["directives"][0]["updatedIntent"]["slots"]
    assert back.response["directives"][0]["slotToElicit"] == "weakness"
    assert slots["weakness"].get("value") is None and slots["emergency_signs"]["value"] == "no"
    changed = conversation.ask("ScreeningIntent", weakness="yes")
    assert changed.session_attributes["screening"]["answers"]["weakness"] == "yes"
    assert "Do you have numbness, tingling, or pain that spreads" in changed.speech


@pytest.mark.parametrize("slots, said, answers, next_question", [
    ({"question": "weakness", "answer": "don't"},
     "Okay, I've changed your answer about weakness or shrinking muscles from not sure to no.", {"weakness": "no"}, "numbness"),
    ({"question": "muscle weakness", "answer": "not sure"},
     "Your answer about weakness or shrinking muscles stays not sure.", {}, "numbness"),
    ({"question": "tingling", "answer": "do"},
     "Okay, I've noted yes for numbness, tingling or spreading pain.", {"numbness": "yes"}, "widespread"),
    ({"question": "widespread", "answer": "yes"},
     "Okay, I've noted yes for twitching in many muscle groups.", {"widespread": "yes"}, "numbness"),
    ({"question": "weakness"},
     "Okay, let's change your answer about weakness or shrinking muscles. You said not sure.", {}, "weakness"),
    ({"answer": "yes"}, "Okay, let's change your answer about weakness or shrinking muscles. You said not sure.", {}, "weakness"),
    ({}, "Okay, let's change your answer about weakness or shrinking muscles. You said not sure.", {}, "weakness"),
])
def test_changing_an_answer_is_explicit_and_said_out_loud(talk, slots, said, answers, next_question):
    before = {"emergency": "no", "emergency_sudden": "no", "duration": 21.0, "weakness": "unsure"}
    conversation = in_state(talk, "numbness", before)
    turn = conversation.ask("ChangeAnswerIntent", **slots)
    assert turn.speech.startswith(said), turn.speech
    assert turn.session_attributes["screening"]["answers"] == {**before, **answers}
    assert turn.response["directives"][0]["slotToElicit"] == next_question
    assert CALL_NOW not in turn.speech and turn.ends_session is False


def test_changing_the_gate_to_yes_escalates_and_to_no_never_clears(talk):
    conversation = in_state(talk, "duration", {"emergency": "no", "emergency_sudden": "no"})
    escalated = conversation.ask("ChangeAnswerIntent", question="emergency signs", answer="yes")
    assert escalated.speech.startswith("Okay, I've changed your answer about bladder, bowel or groin signs from no to yes.")
    assert CALL_NOW in escalated.speech and escalated.ends_session is True


def test_changing_an_answer_with_no_check_running_says_so(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("ChangeAnswerIntent", question="numbness", answer="do")
    assert turn.speech.startswith("There's no check running, so there's no answer to change.")
    assert turn.ends_session is False and "screening" not in turn.session_attributes


def test_a_client_still_in_dialog_mode_after_the_outcome_cannot_start_an_emergency(talk):
    """virtual-alexa keeps filling every yes/no slot after the check: "yes" to the routine offer
    arrives as ScreeningIntent with "yes" everywhere, and must open the routine."""
    conversation = in_state(talk, "widespread", {"emergency": "no", "emergency_sudden": "no", "duration": 3.0, "weakness": "no", "numbness": "no"})
    outcome = conversation.ask("ScreeningIntent", **{slot: "no" for slot in YES_NO_SLOTS})
    assert "That's reassuring" in outcome.speech and outcome.ends_session is False
    turn = conversation.ask("ScreeningIntent", **{slot: "yes" for slot in YES_NO_SLOTS})
    assert CALL_NOW not in turn.speech and "step" in turn.speech.lower(), turn.speech


def test_a_one_shot_sentence_never_answers_the_gate(talk):
    conversation = talk()
    conversation.launch()
    turn = conversation.ask("ScreeningIntent", duration="P3W", numbness="numb", emergency_signs="yes")
    assert turn.speech.startswith("Okay, let's check a few things") and CALL_NOW not in turn.speech
    assert "Since the twitching began, have you had new trouble" in turn.speech
    assert turn.session_attributes["screening"]["answers"] == {"duration": 21.0, "numbness": "yes"}


@pytest.mark.parametrize(("locale", "days", "said"), [
    ("en-US", 21, "21 days"), ("en-US", 1, "1 day"), ("en-US", 0.5, "under a day"), ("en-GB", 7, "7 days"),
    ("es-US", 21, "21 días"), ("es-US", 1, "1 día"), ("es-ES", 0.5, "menos de un día"),
])
def test_a_duration_answer_is_said_and_written_in_the_locales_words(locale, days, said):
    """What "go back", "show my answers" and the notes card say for a duration answer."""
    from skill.conversation.flows.screening import answer_text
    assert answer_text(repository.content().for_locale(locale).screening, days) == said
