"""Name-free interaction: CanFulfillIntentRequest through the signed HTTP endpoint.

YES only for what the skill answers in full, MAYBE when it would ask for more, NO otherwise
(emergencies stay with Alexa), a verdict per slot, and no speech, no session state and no
store access whatever the request holds."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.tools.devtools.conversation import fixture, now_iso
from support import repository
from skill.conversation.flows.name_free import HeardSlot, judge
from skill.conversation.handlers.errors import ApologiseOnErrorHandler
from skill.persistence import open_store

ANSWERED = frozenset({"WhyTwitchingIntent", "CauseIntent", "ScreeningIntent"})


def can_fulfill_envelope(intent: str, slots: dict[str, Any] | None = None, locale: str = "en-US",
                         user_id: str = "amzn1.ask.account.NAMEFREE", session: bool = False) -> dict[str, Any]:
    """A CanFulfillIntentRequest as Amazon documents it (no session), or with a new session."""
    envelope = fixture("intent_request.json")
    envelope["context"]["System"]["user"]["userId"] = user_id
    envelope["request"] = {"type": "CanFulfillIntentRequest", "requestId": f"amzn1.echo-api.request.{uuid.uuid4().hex}",
                           "timestamp": now_iso(), "locale": locale,
                           "intent": {"name": intent, "confirmationStatus": "NONE", "slots": slots or {}}}
    if session:
        envelope["session"].update(new=True, attributes={})
        envelope["session"]["user"]["userId"] = user_id
    else:
        del envelope["session"]
    return envelope


def slot(name: str, value: str) -> dict[str, Any]:
    return {name: {"name": name, "value": value, "confirmationStatus": "NONE"}}


def ask(post, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    status, body = post(json.dumps(can_fulfill_envelope(*args, **kwargs)).encode())
    assert status == 200, body
    return body["response"].get("canFulfillIntent") or {}, body


@pytest.mark.parametrize("intent", ["WhyTwitchingIntent", "IsItSeriousIntent", "ReliefIntent", "HowLongIntent",
                                    "AlsIntent", "ScreeningIntent"])
def test_questions_the_skill_answers_in_full_get_yes(post, intent):
    verdict, _ = ask(post, intent)
    assert verdict == {"canFulfill": "YES"}


def test_a_known_cause_gets_yes_for_the_intent_and_the_slot(post):
    verdict, _ = ask(post, "CauseIntent", slot("cause", "too much coffee"))
    assert verdict == {"canFulfill": "YES", "slots": {"cause": {"canUnderstand": "YES", "canFulfill": "YES"}}}


def test_an_unknown_cause_gets_no(post):
    verdict, _ = ask(post, "CauseIntent", slot("cause", "salt and vinegar chips"))
    assert verdict == {"canFulfill": "NO", "slots": {"cause": {"canUnderstand": "NO", "canFulfill": "NO"}}}


def test_a_cause_question_without_a_cause_gets_maybe(post):
    verdict, _ = ask(post, "CauseIntent")
    assert verdict == {"canFulfill": "MAYBE"}


def test_a_readable_duration_is_understood_and_an_unreadable_one_makes_the_check_a_maybe(post):
    verdict, _ = ask(post, "ScreeningIntent", slot("duration", "P2W"))
    assert verdict == {"canFulfill": "YES", "slots": {"duration": {"canUnderstand": "YES", "canFulfill": "YES"}}}
    verdict, _ = ask(post, "ScreeningIntent", slot("duration", "ages"))
    assert verdict == {"canFulfill": "MAYBE", "slots": {"duration": {"canUnderstand": "NO", "canFulfill": "NO"}}}


@pytest.mark.parametrize("intent, slots", [
    ("EmergencyIntent", {}),
    ("GoToStepIntent", slot("number", "4")),
    ("DeleteDataIntent", {}),
    ("AMAZON.StopIntent", {}),
    ("AMAZON.YesIntent", {}),
    ("OrderPizzaIntent", {}),
])
def test_emergencies_in_session_commands_built_ins_and_strangers_get_no(post, intent, slots):
    verdict, _ = ask(post, intent, slots)
    assert verdict["canFulfill"] == "NO"


def test_a_bare_yes_that_matched_a_screening_answer_gets_no(post):
    """Outside the check a bare answer is Yes/No (BareAnswerInterceptor), which is never ours."""
    verdict, _ = ask(post, "ScreeningIntent", slot("emergency_signs", "yes"))
    assert verdict["canFulfill"] == "NO"


def test_a_locales_own_synonym_counts_only_in_that_locale(post):
    uk, _ = ask(post, "CauseIntent", slot("cause", "builder's tea"), locale="en-GB")
    us, _ = ask(post, "CauseIntent", slot("cause", "builder's tea"), locale="en-US")
    assert (uk["canFulfill"], us["canFulfill"]) == ("YES", "NO")


@pytest.mark.parametrize("with_session", [False, True])
def test_the_answer_has_no_speech_card_directives_or_session_state(post, with_session):
    _, body = ask(post, "WhyTwitchingIntent", session=with_session)
    response = body["response"]
    assert set(response) == {"canFulfillIntent"}, response
    assert not body.get("sessionAttributes")


def stored(make_config, user_id: str) -> dict[str, Any]:
    store = open_store(make_config().database_url)
    envelope = fixture("intent_request.json")
    envelope["session"]["user"]["userId"] = envelope["context"]["System"]["user"]["userId"] = user_id
    return dict(store.get_attributes(DefaultSerializer().deserialize(json.dumps(envelope), RequestEnvelope)))


def save(make_config, user_id: str, attributes: dict[str, Any]) -> None:
    store = open_store(make_config().database_url)
    envelope = fixture("intent_request.json")
    envelope["session"]["user"]["userId"] = envelope["context"]["System"]["user"]["userId"] = user_id
    store.save_attributes(DefaultSerializer().deserialize(json.dumps(envelope), RequestEnvelope), attributes)


def test_nothing_is_stored_for_a_new_user(post, make_config):
    user = f"amzn1.ask.account.{uuid.uuid4().hex}"
    ask(post, "WhyTwitchingIntent", user_id=user, session=True)
    assert stored(make_config, user) == {}


def test_stale_progress_is_left_alone_though_a_real_visit_would_drop_it(post, make_config):
    user = f"amzn1.ask.account.{uuid.uuid4().hex}"
    old = (datetime.now(timezone.utc) - timedelta(days=10)).isoformat(timespec="seconds")
    kept = {"heard_disclaimer": True, "routine": {"routine": "relief", "step": 3, "part": 1, "paused": True, "updated": old}}
    save(make_config, user, kept)
    ask(post, "ReliefIntent", user_id=user, session=True)
    assert stored(make_config, user) == kept
    launch = fixture("launch_request.json")
    launch["session"]["user"]["userId"] = launch["context"]["System"]["user"]["userId"] = user
    launch["request"]["timestamp"] = now_iso()
    assert post(json.dumps(launch).encode())[0] == 200
    assert "routine" not in stored(make_config, user), "the control visit should have dropped the stale progress"


# --- the decision, without envelopes ---------------------------------------------------------

def test_the_decision_needs_every_slot_understood_for_a_yes():
    duration = HeardSlot("AMAZON.DURATION", "P3W", None)
    unknown = HeardSlot("WEAKNESS_ANSWER", "kind of", None)
    assert judge("ScreeningIntent", {"duration": duration}, ANSWERED).can_fulfill == "YES"
    assert judge("ScreeningIntent", {"duration": duration, "weakness": unknown}, ANSWERED).can_fulfill == "MAYBE"
    assert judge("GoToStepIntent", {"number": HeardSlot("AMAZON.NUMBER", "4", None)}, ANSWERED).slots["number"].can_fulfill == "NO"


def test_an_error_while_deciding_says_nothing_even_with_a_session():
    envelope = DefaultSerializer().deserialize(json.dumps(can_fulfill_envelope("WhyTwitchingIntent", session=True)),
                                               RequestEnvelope)
    handler = ApologiseOnErrorHandler(repository.content())
    response = handler.handle(HandlerInput(request_envelope=envelope), RuntimeError("boom"))
    assert response.output_speech is None and response.reprompt is None
