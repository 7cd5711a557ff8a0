"""Odd and hostile envelopes, signed as Alexa would sign them: refused at the edge with a short
reason, or answered in well-formed SSML; never a 5xx, and /metrics keeps answering.

(Issue 12, items 2 and 3.)  Signed, so that they reach the skill itself: verification only says
who sent an envelope, not that its session attributes or slots are sane.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from prometheus_client.parser import text_string_to_metric_families

from skill.tools.devtools.conversation import Exchange, fixture, now_iso
from support.fuzzing import HOSTILE, MODEL_INTENTS, MODEL_SLOTS, mutated_envelopes, nested_value, realistic_envelope
from support.pki import TestPKI, signed_headers
from skill.runtime.envelope_limits import MAX_DEPTH, MAX_VALUES, envelope_problem
from skill.conversation.handlers.base import Turn as HandlerTurn
from skill.observability import Metrics, RequestRecord
from skill.conversation.reply import Pause, replayable, to_ssml
from skill.tools.validation.speech import ssml_problems

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
APOLOGY = "something went wrong"
NOTHING_TO_REPEAT = "haven't said anything yet"


def intent_envelope(name: str = "WhyTwitchingIntent", slots: dict[str, Any] | None = None,
                    attributes: dict[str, Any] | None = None, user_id: str = "amzn1.ask.account.HOSTILE") -> dict:
    envelope = fixture("intent_request.json")
    envelope["request"]["timestamp"] = now_iso()
    envelope["request"]["intent"] = {"name": name, "confirmationStatus": "NONE", "slots": slots or {}}
    envelope["session"]["attributes"] = attributes or {}
    envelope["session"]["user"]["userId"] = envelope["context"]["System"]["user"]["userId"] = user_id
    return envelope


def dumps(document: Any) -> bytes:
    """JSON as a client may send it: lone surrogates as "\ud800" escapes, nesting as deep as asked."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        return json.dumps(document).encode()
    finally:
        sys.setrecursionlimit(limit)


def send(app: Flask, pki: TestPKI, document: Any) -> tuple[int, dict[str, Any]]:
    body = dumps(document)
    response = app.test_client().post("/alexa", data=body, headers=signed_headers(pki, body))
    return response.status_code, json.loads(response.data)


def metrics_of(app: Flask) -> dict[tuple[str, frozenset], float]:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for sample in family.samples}


def note(what: str) -> None:
    """Counted in --hypothesis-show-statistics when a property test runs this."""
    if currently_in_test_context():
        event(what)


def assert_answered_well(status: int, body: dict[str, Any]) -> None:
    """Below 500; a 400 is a short JSON reason; a 200's speech and reprompt are well-formed SSML."""
    assert status < 500, body
    note(f"HTTP {status} {body.get('error', '')}".strip())
    if status != 200:
        assert set(body) == {"error"} and 0 < len(body["error"]) <= 60
        return
    response = body["response"]
    for said in (response.get("outputSpeech"), (response.get("reprompt") or {}).get("outputSpeech")):
        if said:
            assert ssml_problems(said["ssml"]) == [], said["ssml"]
    assert APOLOGY not in Exchange(status, body).speech, "an odd envelope is answered, not apologised for"


# --------------------------------------------------------------------------- refused at the edge


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 1000])
def test_deeply_nested_session_attributes_are_refused_with_a_reason(app, pki, depth):
    status, body = send(app, pki, intent_envelope(attributes={"deep": nested_value(depth)}))
    assert (status, body) == (400, {"error": "session attributes too deep"})
    assert metrics_of(app)[("backtwitch_verification_failures_total",
                            frozenset({("reason", "session attributes too deep")}))] == 1


def test_deeply_nested_slots_and_huge_attributes_are_refused(app, pki):
    slots = {"cause": {"name": "cause", "value": nested_value(600), "confirmationStatus": "NONE"}}
    assert send(app, pki, intent_envelope("CauseIntent", slots=slots)) == (400, {"error": "intent too deep"})
    many = {f"k{index}": index for index in range(MAX_VALUES + 1)}
    assert send(app, pki, intent_envelope(attributes=many)) == (400, {"error": "session attributes too large"})


def test_a_launch_or_intent_without_a_session_is_refused(app, pki):
    envelope = intent_envelope()
    del envelope["session"]
    assert send(app, pki, envelope) == (400, {"error": "missing session"})
    envelope["session"] = None
    assert send(app, pki, envelope) == (400, {"error": "missing session"})


@pytest.mark.parametrize("intent", [None, {}, {"name": None}, {"name": 7, "slots": {"cause": 3}},
                                    {"name": "CauseIntent", "slots": {"cause": {"name": "cause", "value": 42}}},
                                    {"name": "CauseIntent", "slots": {"cause": {"name": "cause", "value": "coffee",
                                     "resolutions": {"resolutionsPerAuthority": [{"status": "ER_SUCCESS_MATCH",
                                                                                   "values": [7]}]}}}}])
def test_an_odd_intent_is_answered_not_apologised_for(app, pki, intent):
    envelope = intent_envelope()
    envelope["request"]["intent"] = intent
    status, body = send(app, pki, envelope)
    assert_answered_well(status, body)
    assert status == 200 or body == {"error": "malformed request"}


ODD_STATE = [
    {"pending": {"kind": ["more"]}},
    {"pending": {"kind": "more", "topic": "causes", "next": "2"}},
    {"pending": {"kind": "outcome_more", "rest": ["a", 3], "closing": "notes", "answers": {}}},
    {"pending": {"kind": "notes_offer", "answers": {"duration": "three weeks"}}},
    {"pending": {"kind": "screening", "question": None}},
    {"screening": {"answers": {"duration": "P3W", "weakness": 1}}, "pending": {"kind": "screening", "question": "numbness"}},
    {"routine": {"routine": "relief", "step": "2", "part": 1}},
    {"routine": {"routine": "relief", "step": 99, "part": 1}},
]


@pytest.mark.parametrize("state", ODD_STATE)
@pytest.mark.parametrize("intent", ["AMAZON.YesIntent", "AMAZON.NextIntent", "AMAZON.HelpIntent", "ScreeningIntent"])
def test_session_state_the_skill_could_not_have_written_is_ignored_not_apologised_for(app, pki, state, intent):
    """A follow-up, progress or answer of the wrong shape is dropped where it is read: the turn
    is answered as if it were not there (skill/conversation/flows/pending.py, Progress.from_dict)."""
    assert_answered_well(*send(app, pki, intent_envelope(intent, attributes=state)))


def test_attributes_within_the_limits_are_kept(app, pki):
    attributes = {"mine": nested_value(MAX_DEPTH - 2), "list": list(range(100))}
    status, body = send(app, pki, intent_envelope(attributes=attributes))
    assert status == 200 and body["sessionAttributes"]["mine"] == nested_value(MAX_DEPTH - 2)


@pytest.mark.parametrize("where", ["user id", "intent name", "slot value", "attribute key", "locale"])
def test_text_that_cannot_be_encoded_is_refused_and_metrics_keep_answering(app, pki, where):
    envelope = intent_envelope()
    if where == "user id":
        envelope = intent_envelope(user_id="amzn1.ask.account.\ud800")
    elif where == "intent name":
        envelope = intent_envelope("Why\ud800Intent")
    elif where == "slot value":
        envelope = intent_envelope("CauseIntent", slots={"cause": {"name": "cause", "value": "coffee\udfff"}})
    elif where == "attribute key":
        envelope = intent_envelope(attributes={"\udc00": 1})
    else:
        envelope["request"]["locale"] = "en-\ud800"
    assert send(app, pki, envelope) == (400, {"error": "unencodable text"})
    metrics_of(app)
    status, _ = send(app, pki, intent_envelope())
    assert status == 200 and metrics_of(app)


def test_emoji_and_other_paired_surrogates_are_fine(app, pki):
    slots = {"cause": {"name": "cause", "value": "coffee \U0001F600", "confirmationStatus": "NONE"}}
    status, body = send(app, pki, intent_envelope("CauseIntent", slots=slots, attributes={"note": "\U0001F600"}))
    assert status == 200 and ssml_problems(body["response"]["outputSpeech"]["ssml"]) == []


def test_envelope_problem_without_the_body_searches_everything():
    envelope = realistic_envelope()
    assert envelope_problem(envelope) is None
    envelope["context"]["Viewport"]["shape"] = "\ud800"
    assert envelope_problem(envelope) == "unencodable text"
    assert envelope_problem(envelope, json.dumps(envelope).encode()) == "unencodable text"
    assert envelope_problem([1, 2]) is None  # not an envelope: the reader refuses it


# --------------------------------------------------------------------------- metrics


def test_intents_outside_the_model_are_counted_as_other(app, pki):
    status, body = send(app, pki, intent_envelope("NoSuchThingIntent"))
    assert status == 200 and APOLOGY not in Exchange(status, body).speech
    samples = metrics_of(app)
    intents = {dict(labels).get("intent") for name, labels in samples if name == "backtwitch_requests_total"}
    assert "other" in intents and "NoSuchThingIntent" not in intents
    send(app, pki, intent_envelope("WhyTwitchingIntent"))
    assert samples != metrics_of(app)
    assert any(dict(labels).get("intent") == "WhyTwitchingIntent"
               for name, labels in metrics_of(app) if name == "backtwitch_requests_total")


def test_a_label_that_cannot_be_encoded_never_breaks_the_metrics_page():
    metrics = Metrics()  # no known intents (the Lambda's): the budget alone
    metrics.observe(RequestRecord(request_type="Intent\ud800Request", intent="Bad\udfffIntent"), 0.01)
    body, _ = metrics.exposition()
    assert b'intent="other"' in body and b'type="other"' in body


def test_the_catch_all_apology_is_counted(app, talk, monkeypatch):
    def broken(self: HandlerTurn, *args: Any) -> Any:
        raise RuntimeError("boom")

    assert metrics_of(app)[("backtwitch_apologies_total", frozenset())] == 0
    monkeypatch.setattr(HandlerTurn, "respond", broken)
    turn = talk().ask("WhyTwitchingIntent")
    assert turn.status == 200 and APOLOGY in turn.speech
    assert metrics_of(app)[("backtwitch_apologies_total", frozenset())] == 1


# --------------------------------------------------------------------------- SSML


@given(st.lists(st.one_of(st.text(), st.sampled_from(HOSTILE), st.builds(Pause, st.floats(0, 30))), max_size=6))
def test_any_text_renders_as_well_formed_ssml_that_repeat_says_word_for_word(segments):
    pronounce = {"000": "triple zero", "GP": "G.P. & \"doctor\""}
    ssml = to_ssml(segments, pronounce)
    assert ssml_problems(ssml) == []
    assert replayable(ssml) == ssml


@pytest.mark.parametrize("stored", [
    "a & b < c", "<speak>a & b < c</speak>", "<speak>a &amp; b</speak><speak>x</speak>", "<speak>\x00</speak>",
    "<speak><audio src=\"https://evil\"/></speak>", "<speak><break time=\"99999ms\"/></speak>",
    "<speak>&#0;</speak>", "<speak>&bogus;</speak>", "<speak><sub alias=\"&\">x</sub></speak>",
    "<speak><say-as interpret-as=\"characters\">x</say-as></speak>", "<speak>" + "x" * 9000 + "</speak>",
    "<speak>\ud800</speak>", None, 42, ["<speak>hi</speak>"], {"a": 1},
])
def test_repeat_says_only_what_the_renderer_could_have_written(app, pki, stored):
    for last_reply in ({"speech": stored, "reprompt": None}, {"speech": "<speak>Hi.</speak>", "reprompt": stored},
                       stored):
        if last_reply == {"speech": "<speak>Hi.</speak>", "reprompt": None}:
            continue  # a valid reply with no reprompt: repeated, with itself as the reprompt
        document = intent_envelope("AMAZON.RepeatIntent", attributes={"last_reply": last_reply})
        status, body = send(app, pki, document)
        if status == 400:
            assert body == {"error": "unencodable text"} and "\ud800" in json.dumps(stored, ensure_ascii=False)
            continue
        assert_answered_well(status, body)
        turn = Exchange(status, body)
        assert NOTHING_TO_REPEAT in turn.speech and APOLOGY not in turn.speech, (last_reply, turn.speech)


def test_repeat_of_a_reply_with_user_words_is_well_formed(talk):
    conversation = talk()
    conversation.launch()
    said = conversation.ask("CauseIntent", cause="salt & vinegar <chips> \x00\uffff")
    again = conversation.ask("AMAZON.RepeatIntent")
    assert ssml_problems(said.ssml) == [] and again.ssml == said.ssml


# --------------------------------------------------------------------------- fuzzing

def _slot_names(document: dict) -> list[str]:
    intent = document.get("request", {}).get("intent")
    return list(intent["slots"]) if isinstance(intent, dict) and isinstance(intent.get("slots"), dict) else []


HOSTILE_TEXT = st.one_of(st.sampled_from(HOSTILE), st.lists(st.sampled_from(HOSTILE), max_size=4).map("".join),
                         st.text(max_size=20))
HOSTILE_VALUES = st.one_of(HOSTILE_TEXT, st.integers(0, 1100).map(nested_value), st.integers(-2**70, 2**70),
                           st.floats(allow_nan=False), st.none(), st.booleans(), st.lists(HOSTILE_TEXT, max_size=3))

@st.composite
def hostile_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A fresh, realistic envelope (or a mutated one) with hostile text and shapes where the skill reads."""
    if draw(st.booleans()):
        document = intent_envelope(draw(st.sampled_from(MODEL_INTENTS) | HOSTILE_TEXT))
    else:
        document = draw(mutated_envelopes(fresh=True))
    request = document.get("request") if isinstance(document.get("request"), dict) else None
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(["slot", "attribute", "last_reply", "pending", "user", "locale", "intent"]))
        session = document.get("session")
        attributes = session.get("attributes") if isinstance(session, dict) else None
        if target == "slot" and request is not None and isinstance(request.get("intent"), dict):
            slots = request["intent"].setdefault("slots", {})
            if isinstance(slots, dict):
                name = draw(st.sampled_from(MODEL_SLOTS + _slot_names(document)))
                slots[name] = draw(st.one_of(
                    st.builds(lambda value: {"name": name, "value": value, "confirmationStatus": "NONE"}, HOSTILE_VALUES),
                    HOSTILE_VALUES))
        elif target in ("attribute", "last_reply", "pending") and isinstance(attributes, dict):
            key = {"attribute": draw(st.sampled_from(["screening", "routine", "flag", "disclaimer_due"]) | HOSTILE_TEXT),
                   "last_reply": "last_reply", "pending": "pending"}[target]
            value = draw(HOSTILE_VALUES)
            if target == "last_reply" and draw(st.booleans()):
                value = {"speech": draw(HOSTILE_TEXT.map(lambda text: f"<speak>{text}</speak>") | HOSTILE_VALUES),
                         "reprompt": draw(HOSTILE_VALUES)}
            if target == "pending" and draw(st.booleans()):
                value = {"kind": draw(st.sampled_from(["more", "cause", "offer", "screening"]) | HOSTILE_TEXT),
                         "topic": draw(HOSTILE_VALUES), "index": draw(HOSTILE_VALUES)}
            attributes[key] = value
        elif target == "user" and isinstance(session, dict) and isinstance(session.get("user"), dict):
            session["user"]["userId"] = draw(HOSTILE_TEXT)
        elif target == "locale" and request is not None:
            request["locale"] = draw(st.sampled_from(["en-US", "en-GB", "en-IN", "fr-FR"]) | HOSTILE_TEXT)
        elif target == "intent" and request is not None and isinstance(request.get("intent"), dict):
            request["intent"]["name"] = draw(HOSTILE_TEXT)
    return document


@FUZZ
@given(hostile_envelopes())
def test_hostile_signed_envelopes_are_refused_or_answered_in_well_formed_ssml(app: Flask, pki: TestPKI,
                                                                             document: dict) -> None:
    assert_answered_well(*send(app, pki, document))
    assert app.test_client().get("/metrics").status_code == 200


@settings(max_examples=300, deadline=None)
@given(hostile_envelopes())
def test_the_quick_paths_of_envelope_problem_change_no_verdict(document: dict) -> None:
    assert envelope_problem(document, dumps(document)) == envelope_problem(document)
