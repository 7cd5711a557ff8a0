"""No log line holds what a user said or what their session carries (README "Observability").

Conversations with odd slot values, odd session attributes and a distinctive user id run with
every logger at DEBUG; then every captured line, including any traceback text, is scanned for
those values. An exception the skill apologises for is logged as its type and where it was
raised, never its message (``invalid literal for int() with base 10: '¹²³'``).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest

import skill.conversation.handlers.routine as routine_handlers
from skill.tools.devtools.conversation import Conversation
from skill.logsafe import exception_summary
from skill.observability import LineFormatter
from skill.persistence import user_key

ODD_NUMBERS = ["¹²³", "٣٣٣", "4.5e9", "-0", "NaN", "CANARYNUMBER", "step ²", "1" * 400, "\u00a0", "Ⅻ"]
ODD_SLOTS = {
    "CauseIntent": {"cause": "CANARYCAUSE ¹²³"},
    "ScreeningIntent": {"duration": "PCANARYDURATION", "weakness": "CANARYWEAKNESS", "duration_phrase": "CANARYPHRASE"},
    "ChangeAnswerIntent": {"question": "CANARYQUESTION", "answer": "CANARYANSWER"},
}
ODD_ATTRIBUTES: list[dict[str, Any]] = [
    {"routine": {"routine": "CANARYROUTINE", "step": "CANARYSTEP", "part": [1], "updated": 5}},
    {"routine": {"routine": "relief", "step": "¹²³", "part": "CANARYPART", "updated": "CANARYUPDATED"}},
    {"screening": {"CANARYKEY": ["CANARYLIST"], "answers": "CANARYANSWERS", "question": "CANARYQ"}},
    {"last_reply": "CANARYREPLY a & b < c", "pending": "CANARYPENDING", "disclaimer_due": "CANARYDUE"},
    {"last_reply": {"key": "CANARYKEYREPLY", "speech": ["CANARYSPEECH"]}, "CANARYTOP": {"deep": {"er": "CANARYDEEP"}}},
]
CANARIES = ("CANARY", "¹²³", "٣٣٣", "1" * 40)


@pytest.fixture
def every_line(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """All that was logged, as caplog prints it (with tracebacks) and as the skill's stdout would."""
    caplog.set_level(logging.DEBUG)
    formatter = LineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def lines() -> list[str]:
        texts = [caplog.text]
        for record in caplog.records:
            texts.append(record.getMessage())
            texts.append(formatter.format(record))
            texts.append(repr(record.args))
        return texts

    return lines


def assert_clean(texts: list[str], user_ids: list[str]) -> None:
    secrets = [*CANARIES, *user_ids, *(user_key(user_id) for user_id in user_ids)]
    leaks = [(secret, text[max(0, text.find(secret) - 120):text.find(secret) + 80])
             for text in texts for secret in secrets if secret.lower() in text.lower()]
    assert not leaks, leaks[:5]


def canary_user() -> str:
    return f"amzn1.ask.account.CANARYUSER{uuid.uuid4().hex.upper()}"


def test_odd_conversations_leave_no_user_input_in_the_logs(talk, every_line) -> None:
    users: list[str] = []

    def conversation() -> Conversation:
        users.append(canary_user())
        return talk(user_id=users[-1])

    routine = conversation()
    routine.launch()
    routine.ask("ReliefIntent")
    for number in ODD_NUMBERS:
        turn = routine.ask("GoToStepIntent", number=number)
        assert turn.status == 200 and "something went wrong" not in turn.speech, (number, turn.speech)
    routine.ask("AMAZON.NextIntent")

    for intent, slots in ODD_SLOTS.items():
        chat = conversation()
        chat.launch()
        assert chat.ask(intent, **slots).status == 200
        chat.ask("AMAZON.FallbackIntent")

    for attributes in ODD_ATTRIBUTES:
        for intent in ("AMAZON.RepeatIntent", "AMAZON.NextIntent", "AMAZON.YesIntent", "AMAZON.ResumeIntent",
                       "WhereAmIIntent", "ScreeningIntent", "AMAZON.HelpIntent"):
            odd = conversation()
            odd.launch()
            odd.attributes = {**odd.attributes, **attributes}
            assert odd.ask(intent).status == 200
        odd.end("ERROR")

    stray = conversation()
    stray.launch()
    assert "something went wrong" not in stray.ask("CANARYINTENT.Made_Up", cause="CANARYSTRAY").speech
    ended = stray._envelope("session_ended_request.json")
    ended["request"].update(reason="ERROR", error={"type": "INVALID_RESPONSE", "message": "CANARYERROR said: ¹²³"})
    assert stray.send(ended).status == 200

    assert_clean(every_line(), users)


def test_an_exception_the_skill_apologises_for_is_logged_by_type_and_place(talk, every_line, monkeypatch) -> None:
    """Whatever the parsing does with "¹²³" today, a handler that chokes on it must not log it."""

    def choke(slot: Any) -> int:
        return int(slot.value)  # ValueError: invalid literal for int() with base 10: '¹²³'

    monkeypatch.setattr(routine_handlers, "number_value", choke)
    user = canary_user()
    routine = talk(user_id=user)
    routine.launch()
    routine.ask("ReliefIntent")
    turn = routine.ask("GoToStepIntent", number="¹²³")

    assert turn.status == 200  # the apology
    texts = every_line()
    assert_clean(texts, [user])
    assert any("ValueError at" in text and "skill.conversation.handlers.routine" in text for text in texts), texts[0][-2000:]


def test_the_summary_names_types_and_places_only() -> None:
    def parse(value: str) -> int:
        return int(value)

    try:
        try:
            parse("¹²³ CANARY")
        except ValueError as exc:
            raise RuntimeError(f"while reading {exc}") from exc
    except RuntimeError as exc:
        summary = exception_summary(exc)
    assert summary.startswith("RuntimeError at test_log_privacy:test_the_summary_names_types_and_places_only:")
    assert "<- ValueError at test_log_privacy:parse:" in summary
    assert "CANARY" not in summary and "¹²³" not in summary


def test_the_stdout_formatter_prints_no_exception_message() -> None:
    formatter = LineFormatter("%(levelname)s %(name)s: %(message)s")
    try:
        int("¹²³")
    except ValueError:
        record = logging.LogRecord("flask.app", logging.ERROR, __file__, 1, "Exception on /alexa [POST]", None,
                                   __import__("sys").exc_info())
    text = formatter.format(record)
    assert "¹²³" not in text and "ValueError at test_log_privacy:" in text and "Traceback" not in text
