"""The serverless path for real: conversations through `skill.runtime.lambda_handler.handler`, with
the official DynamoDB adapter writing to moto's DynamoDB server on loopback, and what it
stored read back from the table; and the function's log as the Lambda runtime's own root
handler writes it for CloudWatch, one JSON line per invocation."""
from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException

from skill.tools.devtools.conversation import SKILL_ID, Conversation, fixture, now_iso
from skill.runtime import lambda_handler
from skill.runtime.dispatch import LeanInvoker
from skill.persistence import user_key
from skill.runtime.verify import VerificationError
from support.store_servers import dynamodb_items

LINE_KEYS = {"ts", "event", "level", "request_id", "type", "intent", "locale", "outcome", "status",
             "latency_ms", "reason", "store_errors", "pid"}


@pytest.fixture
def table(dynamodb_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh container: the function's environment as the SAM template sets it."""
    monkeypatch.setenv("SKILL_DATABASE_URL", f"dynamodb://{dynamodb_table}")
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    for name in ("SKILL_CONTENT_DIR", "SKILL_MODEL_DIR", "ALEXA_VERIFY_SIGNATURES", "ALEXA_VERIFY_TIMESTAMPS"):
        monkeypatch.delenv(name, raising=False)
    lambda_handler.container_skill.cache_clear()
    handlers = [(handler, handler.formatter) for handler in logging.getLogger().handlers]
    yield dynamodb_table
    lambda_handler.container_skill.cache_clear()
    for handler, formatter in handlers:  # building the skill wrapped them (pytest's own handlers here)
        handler.setFormatter(formatter)


class RuntimeHandler(logging.Handler):
    """The root handler the Lambda runtime installs before importing the function: each record
    written as its text format makes it, a newline at the end of the format (awslambdaric)."""

    def __init__(self) -> None:
        super().__init__()
        self.stream = io.StringIO()
        self.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s\n",
                                            "%Y-%m-%dT%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream.write(self.format(record))

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def json_lines(self) -> list[dict[str, Any]]:
        """The log lines that are one JSON object each: what a log query reads field by field."""
        return [line for line in map(_json_object, self.text.splitlines()) if line is not None]


def _json_object(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@pytest.fixture
def cloudwatch(table: str) -> Iterator[RuntimeHandler]:
    """What the function's log group receives: the runtime's handler, there before the skill is built."""
    handler = RuntimeHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def invoke(body: bytes) -> tuple[int, dict[str, Any]]:
    """What the Alexa Skills Kit trigger does: the request as the event, the response returned."""
    return 200, lambda_handler.handler(json.loads(body), None)


def stored(table: str, user_id: str) -> dict[str, Any]:
    """The user's item as DynamoDB holds it (numbers come back as Decimal)."""
    items = {item["id"]: item for item in dynamodb_items(table)}
    assert user_id not in json.dumps(list(items), default=str), "the user id must never be stored in clear"
    return items[user_key(user_id)]


def launch_event() -> dict[str, Any]:
    event = fixture("launch_request.json")
    event["request"]["timestamp"] = now_iso()
    return event


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


def test_a_request_for_another_skill_is_refused_and_stores_nothing(table: str, cloudwatch: RuntimeHandler) -> None:
    event = launch_event()
    event["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    if "session" in event:
        event["session"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    with pytest.raises(VerificationError, match="application id mismatch"):
        lambda_handler.handler(event, None)
    assert dynamodb_items(table) == []
    (line,) = cloudwatch.json_lines()
    assert (line["outcome"], line["status"], line["reason"], line["level"]) == (
        "rejected", 400, "application id mismatch", "WARNING")
    assert line["type"] is None and line["request_id"] is None, "nothing of an event for another skill is repeated"


def test_a_missing_table_costs_the_user_nothing_but_the_saved_state(table: str, monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SKILL_DATABASE_URL", "dynamodb://no-such-table")
    lambda_handler.container_skill.cache_clear()
    conversation = Conversation(invoke)
    launch = conversation.launch()
    assert "Welcome to Back Twitch Helper" in launch.speech and launch.ends_session is False
    assert "ResourceNotFoundException" in caplog.text


def test_every_invocation_logs_one_bare_json_line_saying_what_was_asked_and_how_it_went(
        cloudwatch: RuntimeHandler) -> None:
    conversation = Conversation(invoke)
    conversation.launch()
    conversation.ask("WhyTwitchingIntent")
    conversation.ask("AMAZON.StopIntent")

    lines = cloudwatch.json_lines()
    assert [(line["type"], line["intent"], line["outcome"], line["status"], line["level"]) for line in lines] == [
        ("LaunchRequest", None, "answered", 200, "INFO"),
        ("IntentRequest", "WhyTwitchingIntent", "answered", 200, "INFO"),
        ("IntentRequest", "AMAZON.StopIntent", "answered", 200, "INFO"),
    ]
    assert all(set(line) == LINE_KEYS for line in lines)
    assert all((line["event"], line["locale"], line["reason"], line["store_errors"]) == ("alexa_request", "en-US", None, [])
               for line in lines)
    assert len({line["request_id"] for line in lines}) == 3


def test_the_log_never_holds_the_user_id_or_a_slot_value(cloudwatch: RuntimeHandler) -> None:
    conversation = Conversation(invoke, user_id="amzn1.ask.account.PRIVATE-USER-4242")
    conversation.launch()
    conversation.ask("CauseIntent", cause="quokka-pollen")
    conversation.ask("IsItSeriousIntent")
    conversation.ask("AMAZON.NoIntent")
    conversation.ask("ScreeningIntent", weakness="tingling-marmot")

    assert [line["intent"] for line in cloudwatch.json_lines()] == [
        None, "CauseIntent", "IsItSeriousIntent", "AMAZON.NoIntent", "ScreeningIntent"]
    secrets = ["PRIVATE-USER-4242", hashlib.sha256(conversation.user_id.encode()).hexdigest()[:12],
               "quokka-pollen", "tingling-marmot"]
    assert [secret for secret in secrets if secret in cloudwatch.text] == []


def test_an_event_the_sdk_cannot_read_fails_the_invocation_and_logs_a_malformed_line(cloudwatch: RuntimeHandler) -> None:
    event = launch_event()
    event["request"]["type"] = "NoSuchRequestType"
    with pytest.raises(SerializationException):
        lambda_handler.handler(event, None)
    (line,) = cloudwatch.json_lines()
    assert (line["outcome"], line["status"], line["reason"], line["level"]) == (
        "rejected", 400, "malformed request", "WARNING")


def test_a_failing_skill_fails_the_invocation_and_logs_an_error_line_without_the_message(
        cloudwatch: RuntimeHandler, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_invoke(self: LeanInvoker, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the user said zebra-7")

    monkeypatch.setattr(LeanInvoker, "invoke", failing_invoke)  # what the handler calls (skill/runtime/dispatch.py)
    with pytest.raises(RuntimeError, match="zebra-7"):
        lambda_handler.handler(launch_event(), None)
    (line,) = cloudwatch.json_lines()
    assert (line["type"], line["outcome"], line["status"], line["reason"], line["level"]) == (
        "LaunchRequest", "error", 500, "dispatch failed: RuntimeError", "ERROR")
    assert "zebra" not in json.dumps(line)


def test_store_errors_are_named_on_the_line_and_other_records_keep_the_runtimes_format(
        table: str, cloudwatch: RuntimeHandler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILL_DATABASE_URL", "dynamodb://no-such-table")
    lambda_handler.container_skill.cache_clear()
    Conversation(invoke).launch()

    (line,) = cloudwatch.json_lines()
    assert line["outcome"] == "answered" and line["store_errors"] and set(line["store_errors"]) <= {"read", "save"}
    warnings = [text for text in cloudwatch.text.splitlines() if "store unavailable" in text]
    assert warnings and all(text.startswith("[WARNING]\t") for text in warnings)
