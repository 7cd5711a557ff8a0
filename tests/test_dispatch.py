"""LeanInvoker (skill/runtime/dispatch.py) picks the handler the SDK's linear walk would pick,
and whole conversations answer as with ``CustomSkill.invoke``.

Every envelope of real conversations (welcome, answers, the red-flag check, the routine, stray
requests; ``fuzzing.conversation_corpus``), and each of them again under every intent name the
index knows plus an unknown one, goes through the skill's request interceptors; then the
indexed choice (``LeanInvoker.chosen``) must be the first chain of all whose handler says yes.
The transcripts reach the states the corpus does not (a timer offer, a resume offer, a deletion
to confirm, permission answers, name-free requests).
"""
from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest

from support import repository
from support.fuzzing import conversation_corpus
from skill.config import Config
from skill.runtime.assemble import Words, assemble
from skill.runtime.dispatch import LeanInvoker
from skill.runtime.envelope import EnvelopeReader, ResponseWriter
from skill.tools.chat import run_transcript

READER, WRITER = EnvelopeReader(), ResponseWriter()
TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))


def linear_choice(invoker: LeanInvoker, handler_input: HandlerInput) -> Any:
    """What the SDK's dispatcher does: ask every chain in order."""
    return next((chain for chain in invoker.chains if chain.request_handler.can_handle(handler_input=handler_input)), None)


def assert_same_choice(invoker: LeanInvoker, handler_input: HandlerInput, chosen: Callable[..., Any] = LeanInvoker.chosen) -> str:
    """The same chain for this request, and for it under every other intent name."""
    request = handler_input.request_envelope.request
    names = [request.intent.name, *sorted(invoker.by_key), "NoSuchIntent"] if isinstance(request, IntentRequest) else [None]
    said = request.intent.name if isinstance(request, IntentRequest) else None
    try:
        for name in names:
            if name is not None:
                request.intent.name = name
            assert chosen(invoker, handler_input) is linear_choice(invoker, handler_input), name
    finally:
        if said is not None:
            request.intent.name = said
    return type(request).__name__


@pytest.fixture
def skill_for(make_config: Callable[..., Config], shared_words: Words, tmp_path: Path) -> Callable[[str], Any]:
    """A fresh skill (its own SQLite file) over the shared words."""
    return lambda name: assemble(make_config(database_url=f"sqlite:///{tmp_path / name}.db"), shared_words).skill


@pytest.fixture(scope="module")
def corpus(pki) -> list[dict[str, Any]]:
    from skill.runtime.app import create_app
    app = create_app(Config(verify_signatures=False, verify_timestamps=False, database_url="sqlite:///:memory:",
                            content_dir=repository.CONTENT_DIR, model_dir=repository.MODEL_DIR),
                     words=repository.words()).test_client()

    def post(body: bytes) -> tuple[int, dict[str, Any]]:
        response = app.post("/alexa", data=body, headers={"Content-Type": "application/json"})
        return response.status_code, json.loads(response.data)

    return conversation_corpus(post)


def test_the_index_chooses_what_the_sdks_walk_chooses_for_every_request_and_intent(skill_for, corpus) -> None:
    invoker = LeanInvoker(skill_for("choices"))
    kinds = set()
    for document in corpus:
        handler_input = invoker.handler_input(READER.read(copy.deepcopy(document)))
        invoker.prepare(handler_input)
        kinds.add(assert_same_choice(invoker, handler_input))
    assert {"LaunchRequest", "IntentRequest", "SessionEndedRequest"} <= kinds


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda path: path.stem)
def test_the_index_chooses_what_the_sdks_walk_chooses_through_every_transcript(monkeypatch, path: Path) -> None:
    checked: list[str] = []
    chosen = LeanInvoker.chosen

    def checking(self: LeanInvoker, handler_input: HandlerInput) -> Any:
        checked.append(assert_same_choice(self, handler_input, chosen))
        return chosen(self, handler_input)

    monkeypatch.setattr(LeanInvoker, "chosen", checking)
    result = run_transcript(path)
    assert not result.failures, "\n".join(result.failures)
    assert len(checked) >= len(result.intents)


def without_clock(document: Any) -> Any:
    """The response with the routine's `updated` time blanked: the two runs cross a second."""
    if isinstance(document, dict):
        return {key: "<time>" if key == "updated" else without_clock(value) for key, value in document.items()}
    if isinstance(document, list):
        return [without_clock(value) for value in document]
    return document


def test_whole_conversations_answer_as_with_the_sdks_invoke(skill_for, corpus) -> None:
    """The same envelopes, in order, through LeanInvoker and through CustomSkill.invoke (two
    skills, two stores, the same random picks of phrasing)."""
    lean, sdk = LeanInvoker(skill_for("lean")), skill_for("sdk")
    answers: list[list[Any]] = []
    for invoke in (lean.invoke, lambda envelope: sdk.invoke(request_envelope=envelope, context=None)):
        random.seed(5)
        answers.append([without_clock(WRITER.document(invoke(READER.read(copy.deepcopy(document)))))
                        for document in corpus])
    assert answers[0] == answers[1]
    assert len(answers[0]) > 20
