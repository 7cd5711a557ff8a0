"""Every response the skill can give keeps the platform's limits and session rules
(shared/docs/alexa-platform.md, "Responses").

Each scenario talks to the real HTTP endpoint through signed requests, follows every follow-up
with "yes" until the offers come round again, then says "no" until the skill says goodbye, and
checks every response on the way. A failure lists each bad response with what the user heard.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

import pytest

from skill.tools.devtools.conversation import Conversation, Exchange
from skill.conversation import build
from skill.config import REPO_ROOT
from support import repository
from skill.tools.validation.speech import ssml_problems  # the same checker `backtwitch validate` runs

MODEL = json.loads((REPO_ROOT / "interaction_model" / "en-US.json").read_text(encoding="utf-8"))
MODEL_INTENTS = sorted(intent["name"] for intent in MODEL["interactionModel"]["languageModel"]["intents"])
CONTENT = repository.content().for_locale("en-US")
CAUSE_IDS = [cause.id for cause in CONTENT.causes]
TOPICS_WITH_MORE = sorted(intent for intent, topic in build.TOPIC_INTENTS.items()
                          if len(CONTENT.topics[topic].items) > CONTENT.topics[topic].chunk_size)

MAX_SPEECH_CHARS = 8000
MAX_CARD_CHARS = 8000
MAX_RESPONSE_BYTES = 24 * 1024
MAX_TURNS = 40
SPOKEN_URL = re.compile(r"http|www|\.com", re.IGNORECASE)
NAMED_PERSON = re.compile(r"\bDr\.|\bMark\b|\bReyes\b")

Step = tuple[str, Exchange]


# --- what every response must satisfy ---------------------------------------------------------

def response_problems(turn: Exchange, session_ended_request: bool = False) -> list[str]:
    """Everything wrong with one response, as short sentences."""
    if turn.status != 200:
        return [f"HTTP {turn.status}: {turn.body}"]
    problems = []
    response = turn.response
    size = len(json.dumps(turn.body).encode("utf-8"))
    if size >= MAX_RESPONSE_BYTES:
        problems.append(f"whole response is {size} bytes, not under {MAX_RESPONSE_BYTES}")
    if session_ended_request:
        for key in ("outputSpeech", "reprompt", "card", "directives"):
            if response.get(key):
                problems.append(f"a SessionEndedRequest must get an empty response, but it has {key}")
        return problems

    speech = response.get("outputSpeech") or {}
    reprompt = (response.get("reprompt") or {}).get("outputSpeech") or {}
    if not speech:
        problems.append("no outputSpeech")
    for label, output in (("outputSpeech", speech), ("reprompt", reprompt)):
        if not output:
            continue
        text = output.get("ssml") if output.get("type") == "SSML" else output.get("text")
        text = text or ""
        if len(text) > MAX_SPEECH_CHARS:
            problems.append(f"{label} is {len(text)} characters, over {MAX_SPEECH_CHARS}")
        if output.get("type") == "SSML":
            problems += [f"{label}: {problem}" for problem in ssml_problems(text)]

    card = response.get("card") or {}
    card_chars = sum(len(card.get(key) or "") for key in ("title", "content", "text"))
    card_chars += sum(len(url or "") for url in (card.get("image") or {}).values())
    if card_chars > MAX_CARD_CHARS:
        problems.append(f"card title and text are {card_chars} characters, over {MAX_CARD_CHARS}")

    ends = response.get("shouldEndSession")
    if ends is False and not turn.reprompt:
        problems.append("keeps the session open (shouldEndSession false) without a reprompt")
    if not turn.reprompt and ends is not True:
        problems.append(f"has no reprompt but shouldEndSession is {ends!r}, not explicitly true")

    said = " ".join([turn.speech, turn.reprompt])
    shown = " ".join(card.get(key) or "" for key in ("title", "content", "text"))
    for where, text in (("speech", said), ("card", shown)):
        if "{" in text or "}" in text:
            problems.append(f"unfilled placeholder braces in the {where}")
        if NAMED_PERSON.search(text):
            problems.append(f"names a person from the source article in the {where}: {NAMED_PERSON.search(text)[0]!r}")
    if SPOKEN_URL.search(said):
        problems.append(f"speaks a web address ({SPOKEN_URL.search(said)[0]!r})")
    return problems


# --- how the scenarios talk to the skill -----------------------------------------------------

def pending_of(turn: Exchange) -> str | None:
    pending = turn.session_attributes.get("pending")
    return json.dumps(pending, sort_keys=True) if pending else None


def follow_through(conversation: Conversation, steps: list[Step]) -> list[Step]:
    """Ask "repeat", then say "yes" to every follow-up until one comes round again, then "no"s."""
    def open_() -> bool:
        return steps[-1][1].ends_session is False and len(steps) < MAX_TURNS

    if open_():
        steps.append(("repeat", conversation.ask("AMAZON.RepeatIntent")))
    seen: set[str | None] = set()
    while open_() and pending_of(steps[-1][1]) not in seen:
        seen.add(pending_of(steps[-1][1]))
        steps.append(("yes", conversation.ask("AMAZON.YesIntent")))
    for _ in range(3):
        if open_():
            steps.append(("no", conversation.ask("AMAZON.NoIntent")))
    return steps


def cause_slot(cause_id: str) -> dict[str, Any]:
    return {"value": CONTENT.cause(cause_id).name, "id": cause_id}


def first_launch(talk) -> list[Step]:
    conversation = talk()
    return follow_through(conversation, [("launch", conversation.launch())])


def returning_launch(talk) -> list[Step]:
    first = talk()
    steps = [("first launch", first.launch()), ("stop", first.ask("AMAZON.StopIntent"))]
    again = talk(user_id=first.user_id)
    steps.append(("returning launch", again.launch()))
    return follow_through(again, steps)


def one_shot(intent: str, **slots: Any) -> Callable[..., list[Step]]:
    def scenario(talk) -> list[Step]:
        conversation = talk()
        return follow_through(conversation, [(f"one-shot {intent}", conversation.ask(intent, **slots))])
    return scenario


def in_session(intent: str) -> Callable[..., list[Step]]:
    def scenario(talk) -> list[Step]:
        conversation = talk()
        steps = [("launch", conversation.launch()), (intent, conversation.ask(intent))]
        return follow_through(conversation, steps)
    return scenario


def more_chain(intent: str) -> Callable[..., list[Step]]:
    """Ask a long topic, then "more" until it is finished, then "next" once with nothing left."""
    def scenario(talk) -> list[Step]:
        conversation = talk()
        steps = [("launch", conversation.launch()), (intent, conversation.ask(intent))]
        while '"more"' in (pending_of(steps[-1][1]) or "") and len(steps) < MAX_TURNS:
            steps.append(("more", conversation.ask("AMAZON.MoreIntent")))
        steps.append(("next", conversation.ask("AMAZON.NextIntent")))
        steps.append(("stop", conversation.ask("AMAZON.StopIntent")))
        return steps
    return scenario


def session_end(reason: str) -> Callable[..., list[Step]]:
    def scenario(talk) -> list[Step]:
        conversation = talk()
        return [("launch", conversation.launch()), (f"SessionEndedRequest {reason}", conversation.end(reason))]
    return scenario


SCENARIOS: dict[str, Callable[..., list[Step]]] = {
    "a first-time launch": first_launch,
    "a returning user's launch": returning_launch,
    **{f"a one-shot {intent}": one_shot(intent) for intent in MODEL_INTENTS},
    **{f"{intent} after launch": in_session(intent) for intent in MODEL_INTENTS},
    **{f"a one-shot CauseIntent for {cause_id}": one_shot("CauseIntent", cause=cause_slot(cause_id)) for cause_id in CAUSE_IDS},
    "a CauseIntent resolved only by the model's synonyms": one_shot("CauseIntent", cause="too much coffee"),
    "a CauseIntent with an unknown cause needing escaping": one_shot(
        "CauseIntent", cause={"value": "salt & vinegar <chips>", "no_match": True}),
    **{f"{intent} read to the end with more": more_chain(intent) for intent in TOPICS_WITH_MORE},
    **{f"a session ended by {reason}": session_end(reason) for reason in ("USER_INITIATED", "EXCEEDED_MAX_REPROMPTS", "ERROR")},
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_every_response_keeps_the_platform_limits(talk, scenario):
    steps = SCENARIOS[scenario](talk)
    failures = []
    for index, (label, turn) in enumerate(steps, start=1):
        problems = response_problems(turn, session_ended_request=label.startswith("SessionEndedRequest"))
        if problems:
            failures.append(f"turn {index} ({label}): {'; '.join(problems)}\n    heard: {turn.speech!r}")
    assert not failures, f"{scenario}:\n  " + "\n  ".join(failures)


def test_following_every_offer_ends_the_conversation_within_the_turn_limit(talk):
    steps = first_launch(talk)
    assert steps[-1][1].ends_session is True, (
        f"after {len(steps)} turns of yes and no the session is still open; last heard: {steps[-1][1].speech!r}")


def test_the_response_check_catches_what_it_should():
    """Guards the checker with hand-made responses that break one rule each."""
    def turn(**response: Any) -> Exchange:
        return Exchange(200, {"version": "1.0", "response": response})

    speech = {"type": "SSML", "ssml": "<speak>Hi.</speak>"}
    question = {"outputSpeech": {"type": "SSML", "ssml": "<speak>Well?</speak>"}}
    assert response_problems(turn(outputSpeech=speech, shouldEndSession=True)) == []
    assert response_problems(turn(outputSpeech=speech, reprompt=question, shouldEndSession=False)) == []
    assert response_problems(turn(outputSpeech=speech, shouldEndSession=False))
    assert response_problems(turn(outputSpeech=speech))
    assert response_problems(turn(outputSpeech={"type": "SSML", "ssml": "<speak>Call {emergency_number}.</speak>"},
                                  shouldEndSession=True))
    assert response_problems(turn(outputSpeech={"type": "SSML", "ssml": "<speak>See www.example.com</speak>"},
                                  shouldEndSession=True))
    assert response_problems(turn(outputSpeech={"type": "SSML", "ssml": "<speak>Mark was 34.</speak>"},
                                  shouldEndSession=True))
    assert response_problems(turn(outputSpeech=speech, shouldEndSession=True, card={"type": "Simple", "title": "t",
                                                                                    "content": "x" * 8000}))
    assert response_problems(turn(outputSpeech={"type": "SSML", "ssml": "<speak>" + "a" * 8000 + "</speak>"},
                                  shouldEndSession=True))
    assert response_problems(turn(outputSpeech=speech), session_ended_request=True)
