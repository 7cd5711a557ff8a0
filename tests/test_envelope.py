"""The fast envelope reader and response writer give exactly what the ASK SDK's serializer gives.

The edge swaps ``DefaultSerializer`` for ``skill.runtime.envelope`` to save most of a request's
deserialising time; these tests hold it to the SDK's behaviour: the same model objects for
real envelopes, the same answer (object or ``SerializationException``) for mangled ones,
and the same JSON for every response the skill produces in whole conversations.
"""
from __future__ import annotations

import copy
import json
import pickle
from datetime import datetime, timezone
from enum import Enum
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, Response
from ask_sdk_model.ui import SsmlOutputSpeech
from hypothesis import HealthCheck, given, settings

from skill.tools.devtools.conversation import Conversation, fixture
from support.fuzzing import FIXTURE_NAMES, mutated_envelopes, realistic_envelope
from support.pki import TestPKI, signed_headers
from skill.runtime.dispatch import LeanInvoker
from skill.runtime.envelope import EnvelopeReader, ResponseWriter

SDK = DefaultSerializer()
READER = EnvelopeReader()
WRITER = ResponseWriter()


def sdk_read(document: Any) -> Any:
    return SDK.deserialize(json.dumps(document), RequestEnvelope)


def same_model(left: Any, right: Any, path: str = "envelope") -> None:
    """Equal values *and* equal classes all the way down (``==`` alone ignores classes)."""
    assert type(left) is type(right), f"{path}: {type(left).__name__} != {type(right).__name__}"
    if isinstance(left, datetime):
        assert left == right and left.utcoffset() == right.utcoffset(), path
    elif isinstance(left, list):
        assert len(left) == len(right), path
        for index, (a, b) in enumerate(zip(left, right)):
            same_model(a, b, f"{path}[{index}]")
    elif isinstance(left, dict):
        assert left.keys() == right.keys(), path
        for key in left:
            same_model(left[key], right[key], f"{path}.{key}")
    elif hasattr(left, "__dict__") and not isinstance(left, Enum):
        assert vars(left).keys() == vars(right).keys(), path
        for key in vars(left):
            same_model(vars(left)[key], vars(right)[key], f"{path}.{key}")
    else:
        assert left == right, path


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_envelope_reads_exactly_as_the_sdk_reads_it(name: str) -> None:
    document = fixture(name)
    same_model(READER.read(copy.deepcopy(document)), sdk_read(document))


def test_a_rich_real_world_envelope_reads_exactly_as_the_sdk_reads_it() -> None:
    document = realistic_envelope()
    envelope = READER.read(copy.deepcopy(document))
    same_model(envelope, sdk_read(document))
    assert envelope.request.dialog_state.value == "IN_PROGRESS" and envelope.request.timestamp.microsecond == 123456


def test_a_screen_devices_context_is_read_as_the_sdk_reads_it() -> None:
    document = realistic_envelope()
    context = READER.read(copy.deepcopy(document)).context
    expected = sdk_read(document).context
    same_model(context, expected)
    assert context == expected and copy.deepcopy(context) == expected and pickle.loads(pickle.dumps(context)) == expected


def test_a_malformed_part_of_the_context_is_refused_as_the_sdk_refuses_it() -> None:
    document = realistic_envelope()
    document["context"]["Viewport"] = {"mode": "NOPE"}
    with pytest.raises(SerializationException):
        sdk_read(document)
    with pytest.raises(SerializationException):
        READER.read(copy.deepcopy(document))


def test_unknown_fields_are_kept_as_the_sdk_keeps_them() -> None:
    document = fixture("launch_request.json")
    document["request"]["brandNewField"] = {"nested": [1, 2]}
    document["context"]["System"]["futureThing"] = "x"
    envelope = READER.read(copy.deepcopy(document))
    assert envelope.request.brandNewField == {"nested": [1, 2]}
    same_model(envelope, sdk_read(document))


@pytest.mark.parametrize("mangle", [
    lambda e: e["request"].update(type="NoSuchRequestType"),
    lambda e: e["request"].update(timestamp="yesterday at noon"),
    lambda e: e["request"].update(timestamp=1767225600),
    lambda e: e["request"].update(timestamp="2026-01-01T00:00:00+02:00"),
    lambda e: e["request"].update(timestamp="2026-02-30T25:00:00Z"),
    lambda e: e.update(session="not an object"),
    lambda e: e["context"].update(System=["a", "list"]),
    lambda e: e["request"].update(intent={"name": "X", "confirmationStatus": "MAYBE"}),
], ids=["unknown type", "unreadable time", "epoch time", "offset time", "no such day", "string session",
        "list system", "bad enum"])
def test_odd_envelopes_get_the_sdks_own_answer(mangle) -> None:
    document = fixture("intent_request.json")
    mangle(document)
    assert_same_outcome(document)


def assert_same_outcome(document: dict[str, Any]) -> None:
    """The SDK's envelope, or its error."""
    try:
        expected = sdk_read(document)
    except SerializationException:
        with pytest.raises(SerializationException):
            READER.read(copy.deepcopy(document))
        return
    same_model(READER.read(copy.deepcopy(document)), expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_envelopes())
def test_any_mutated_envelope_gets_the_same_answer_from_both(document: dict[str, Any]) -> None:
    assert_same_outcome(document)


# --------------------------------------------------------------------------- responses


def test_every_response_of_whole_conversations_serialises_as_the_sdk_does(app, pki, monkeypatch) -> None:
    """Every response the skill produced in a launch, a screening and a relief routine."""
    produced: list[Any] = []
    invoke = LeanInvoker.invoke  # what the edge calls (skill/runtime/dispatch.py)

    def recording_invoke(self: LeanInvoker, request_envelope: RequestEnvelope) -> Any:
        produced.append(invoke(self, request_envelope))
        return produced[-1]

    monkeypatch.setattr(LeanInvoker, "invoke", recording_invoke)
    talk_through(app.test_client(), pki)
    assert len(produced) == 11
    for response in produced:
        assert WRITER.document(response) == SDK.serialize(response)
        assert json.loads(WRITER.dumps(response)) == json.loads(json.dumps(SDK.serialize(response)))


def talk_through(client: Any, pki: TestPKI) -> None:
    def post(body: bytes) -> tuple[int, dict[str, Any]]:
        reply = client.post("/alexa", data=body, headers=signed_headers(pki, body))
        assert reply.status_code == 200, reply.data
        return reply.status_code, reply.get_json()

    conversation = Conversation(post)
    conversation.launch()
    conversation.ask("WhyTwitchingIntent")
    conversation.ask("IsItSeriousIntent")
    conversation.ask("AMAZON.NoIntent")
    conversation.ask("ScreeningIntent", duration="P3W")
    conversation.ask("ReliefIntent")
    conversation.ask("AMAZON.NextIntent")
    conversation.ask("AMAZON.PauseIntent")
    conversation.launch()
    conversation.ask("AMAZON.HelpIntent")
    conversation.end()


def test_enums_datetimes_tuples_and_subclassed_strings_are_written_as_the_sdk_writes_them() -> None:
    class Label(str):
        pass

    speech = SsmlOutputSpeech(ssml=Label("<speak>hi</speak>"))
    response = Response(output_speech=speech, should_end_session=True)
    odd = {"when": datetime(2026, 1, 1, 12, 0), "pair": (1, "two"), "response": response, "none": None,
           "at": datetime(2026, 1, 1, 12, 0, 0, 5, tzinfo=timezone.utc)}
    assert WRITER.document(odd) == SDK.serialize(odd)
    assert json.loads(WRITER.dumps(odd)) == json.loads(json.dumps(SDK.serialize(odd)))
    # What orjson cannot write (a non-string key, a huge integer) is written the long way.
    awkward = {1: response, "big": 2**70, "at": datetime(2026, 1, 1, 12, 0, 0, 5, tzinfo=timezone.utc)}
    assert json.loads(WRITER.dumps(awkward)) == json.loads(json.dumps(SDK.serialize(awkward)))
