"""LeanInvoker (skill/runtime/dispatch.py) picks the handler the SDK's linear walk would pick.

Whole recorded conversations (the benchmark's traffic: launch, questions, screening, relief,
stop, SessionEnded) run through the app with a checking ``_handle``: at every turn, and for
every intent name the index knows plus an unknown one, the indexed walk and the full
``can_handle`` walk over all handlers must choose the same chain.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest

from skill.tools.chat import run_transcript
from skill.runtime.dispatch import LeanInvoker
from skill.runtime.envelope import ResponseWriter

WRITER = ResponseWriter()

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from traffic import record_conversations  # noqa: E402

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))


def _first(chains: Any, handler_input: HandlerInput) -> Any:
    return next((chain for chain in chains if chain.request_handler.can_handle(handler_input=handler_input)), None)


def _checking_handle(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every dispatch compare the indexed walk with the full one; returns what was checked."""
    original = LeanInvoker._handle
    checked: list[str] = []

    def checking(self: LeanInvoker, handler_input: HandlerInput) -> Any:
        request = handler_input.request_envelope.request
        if isinstance(request, IntentRequest):
            said = request.intent.name
            for name in (said, *sorted(self.by_key), "NoSuchIntent"):
                request.intent.name = name
                assert _first(self._candidates(request), handler_input) is _first(self.chains, handler_input), name
            request.intent.name = said
        else:
            assert _first(self._candidates(request), handler_input) is _first(self.chains, handler_input)
        checked.append(type(request).__name__)
        return original(self, handler_input)

    monkeypatch.setattr(LeanInvoker, "_handle", checking)
    return checked


def test_indexed_walk_matches_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = _checking_handle(monkeypatch)
    envelopes = record_conversations(4)
    assert len(checked) == len(envelopes)
    assert {"LaunchRequest", "IntentRequest", "SessionEndedRequest"} <= set(checked)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda path: path.stem)
def test_indexed_walk_matches_the_sdk_through_every_transcript(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The transcripts reach the states the benchmark's traffic does not (a timer offer, a
    resume offer, a deletion to confirm, permission answers, name-free requests...)."""
    checked = _checking_handle(monkeypatch)
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


def test_whole_conversations_answer_as_with_the_sdks_invoke(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same recorded traffic, once through LeanInvoker and once through CustomSkill.invoke."""
    answers: list[list[Any]] = []
    for lean in (True, False):
        produced: list[Any] = []
        invoke = LeanInvoker.invoke

        def recording(self: LeanInvoker, request_envelope: Any, lean: bool = lean) -> Any:
            response = invoke(self, request_envelope) if lean else \
                self.skill.invoke(request_envelope=request_envelope, context=None)
            produced.append(without_clock(WRITER.document(response)))
            return response

        monkeypatch.setattr(LeanInvoker, "invoke", recording)
        random.seed(5)  # content picks among phrasings at random: the same picks both times
        record_conversations(4)
        answers.append(produced)
    assert answers[0] == answers[1]
    assert len(answers[0]) > 20
