"""The serverless path for real: conversations through `skill.lambda_handler.handler`, with
the official DynamoDB adapter writing to moto's DynamoDB server on loopback, and what it
stored read back from the table."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from conversation import SKILL_ID, Conversation, fixture, now_iso
from skill import lambda_handler
from skill.persistence import user_key
from skill.verify import VerificationError
from store_servers import dynamodb_items


@pytest.fixture
def table(dynamodb_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh container: the function's environment as the SAM template sets it."""
    monkeypatch.setenv("SKILL_DATABASE_URL", f"dynamodb://{dynamodb_table}")
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    for name in ("SKILL_CONTENT_DIR", "SKILL_MODEL_DIR", "ALEXA_VERIFY_SIGNATURES", "ALEXA_VERIFY_TIMESTAMPS"):
        monkeypatch.delenv(name, raising=False)
    lambda_handler.container_skill.cache_clear()
    yield dynamodb_table
    lambda_handler.container_skill.cache_clear()


def invoke(body: bytes) -> tuple[int, dict[str, Any]]:
    """What the Alexa Skills Kit trigger does: the request as the event, the response returned."""
    return 200, lambda_handler.handler(json.loads(body), None)


def stored(table: str, user_id: str) -> dict[str, Any]:
    """The user's item as DynamoDB holds it (numbers come back as Decimal)."""
    items = {item["id"]: item for item in dynamodb_items(table)}
    assert user_id not in json.dumps(list(items), default=str), "the user id must never be stored in clear"
    return items[user_key(user_id)]


def test_launch_question_and_stop_through_the_handler_keep_the_disclaimer_flag_in_the_table(table: str) -> None:
    conversation = Conversation(invoke)
    launch = conversation.launch()
    assert "Welcome to Back Twitch Helper" in launch.speech and "not medical advice" in launch.speech
    assert launch.ends_session is False and launch.reprompt
    answer = conversation.ask("WhyTwitchingIntent")
    assert "fasciculations" in answer.speech and answer.ends_session is False
    stop = conversation.ask("AMAZON.StopIntent")
    assert stop.ends_session is True and not stop.reprompt
    item = stored(table, conversation.user_id)
    assert item["attributes"] == {"heard_disclaimer": True}
    assert "not medical advice" not in Conversation(invoke, user_id=conversation.user_id).launch().speech


def test_a_routine_stopped_at_step_two_is_offered_again_in_the_next_session(table: str) -> None:
    """Numbers make the round trip through DynamoDB's Decimals and still read as a step."""
    conversation = Conversation(invoke)
    conversation.ask("ReliefIntent")
    conversation.ask("AMAZON.NextIntent")
    assert "kept your place at step 2" in conversation.ask("AMAZON.StopIntent").speech
    routine = stored(table, conversation.user_id)["attributes"]["routine"]
    assert (routine["step"], routine["paused"]) == (2, True)
    offer = Conversation(invoke, user_id=conversation.user_id).launch()
    assert "continue from step 2" in offer.speech


def test_the_skill_is_built_once_per_container_and_reused_by_warm_invocations(table: str) -> None:
    conversation = Conversation(invoke)
    conversation.launch()
    first = lambda_handler.container_skill()
    conversation.ask("HowLongIntent")
    assert lambda_handler.container_skill() is first
    assert lambda_handler.container_skill.cache_info().misses == 1


def test_disabling_the_skill_deletes_the_users_item(table: str) -> None:
    conversation = Conversation(invoke)
    conversation.launch()
    assert stored(table, conversation.user_id)
    event = fixture("skill_disabled_event.json")
    event["context"]["System"]["user"]["userId"] = conversation.user_id
    event["request"]["timestamp"] = now_iso()
    lambda_handler.handler(event, None)
    assert dynamodb_items(table) == []


def test_a_request_for_another_skill_is_refused_and_stores_nothing(table: str) -> None:
    event = fixture("launch_request.json")
    event["request"]["timestamp"] = now_iso()
    event["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    if "session" in event:
        event["session"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    with pytest.raises(VerificationError, match="application id mismatch"):
        lambda_handler.handler(event, None)
    assert dynamodb_items(table) == []


def test_a_missing_table_costs_the_user_nothing_but_the_saved_state(table: str, monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SKILL_DATABASE_URL", "dynamodb://no-such-table")
    lambda_handler.container_skill.cache_clear()
    conversation = Conversation(invoke)
    launch = conversation.launch()
    assert "Welcome to Back Twitch Helper" in launch.speech and launch.ends_session is False
    assert "ResourceNotFoundException" in caplog.text
