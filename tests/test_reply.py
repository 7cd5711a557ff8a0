"""The renderer: SSML escaping, chained breaks, limits, and the session flag always explicit."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from ask_sdk_core.response_helper import ResponseFactory

from skill.conversation.reply import Pause, Reply, render, to_ssml


def test_text_is_escaped_and_wrapped_in_one_speak_root():
    ssml = to_ssml(["Salt & pepper <b>", "next"])
    assert ssml == "<speak>Salt &amp; pepper &lt;b&gt; next</speak>"
    ET.fromstring(ssml)


def test_long_pauses_are_chained_breaks_of_at_most_ten_seconds():
    ssml = to_ssml(["Hold", Pause(25), "release"])
    assert ssml.count("<break") == 3
    assert '<break time="10000ms"/>' in ssml and '<break time="5000ms"/>' in ssml


def test_speech_over_the_limit_is_refused():
    with pytest.raises(ValueError, match="over the 8000 limit"):
        to_ssml(["word " * 2000])


def test_a_question_keeps_the_session_open_with_a_reprompt():
    response = render(Reply(speech=["Shall I?"], reprompt=["Shall I?"]), ResponseFactory())
    assert response.should_end_session is False
    assert response.reprompt.output_speech.ssml == "<speak>Shall I?</speak>"


def test_a_statement_ends_the_session_explicitly():
    response = render(Reply(speech=["Bye."]), ResponseFactory())
    assert response.should_end_session is True and response.reprompt is None


def test_a_card_is_sent_when_given():
    response = render(Reply(speech=["Hi"], card_title="Title", card_text="Text"), ResponseFactory())
    assert response.card.title == "Title" and response.card.content == "Text"


def test_acronyms_are_spelled_out_letter_by_letter():
    ssml = to_ssml(["Is it ALS? Ask about an MRI, not about OKish words or I."])
    assert '<say-as interpret-as="characters">ALS</say-as>' in ssml
    assert '<say-as interpret-as="characters">MRI</say-as>' in ssml
    assert "OKish" in ssml and "characters\">I<" not in ssml
    ET.fromstring(ssml)
