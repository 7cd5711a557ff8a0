"""Every word of content, rendered by the real renderer and checked as Alexa would check it.

Two passes per locale. Each single text (every variation, placeholders filled with awkward
sample values) goes through `to_ssml` with the locale's pronunciations; then the replies the
flows compose from several texts (a topic's chunks with the disclaimer, each routine turn with
its timed holds, every screening outcome) are rendered with the *longest* variations, so the
length limits are checked against the worst case a listener could get.
"""
from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..content import LocaleContent, Text, iter_texts
from ..flows import answers, relief, screening
from ..flows.relief import Progress
from ..flows.screening import NO, UNKNOWN, UNSURE, YES, ScreeningState
from ..reply import MAX_BREAK_SECONDS, MAX_CARD_CHARS, MAX_SPEECH_CHARS, Reply, Segment, to_ssml

Render = Callable[[list[Segment], Mapping[str, str]], str]
SSML_TAGS = {"speak", "p", "s", "break", "emphasis", "prosody", "say-as", "sub", "phoneme", "lang", "voice", "w",
             "audio", "amazon:effect", "amazon:domain", "amazon:emotion"}
AMAZON_NS = "urn:local:amazon-ssml"
SAMPLE_VALUE = "salt & vinegar <chips>"  # escaping must survive any placeholder value
NOT_SPOKEN = {"store"}  # the store listing is shown, never spoken


def ssml_problems(ssml: str) -> list[str]:
    """SSML parses, has one <speak> root, uses supported tags only, and no break over 10 s."""
    try:
        root = ET.fromstring(ssml.replace("<speak", f'<speak xmlns:amazon="{AMAZON_NS}"', 1))
    except ET.ParseError as exc:
        return [f"SSML is not well-formed XML ({exc})"]
    problems = []
    if root.tag != "speak":
        problems.append(f"SSML root is <{root.tag}>, not <speak>")
    for element in root.iter():
        tag = element.tag.replace("{" + AMAZON_NS + "}", "amazon:")
        if tag not in SSML_TAGS:
            problems.append(f"unsupported SSML tag <{tag}>")
        if tag == "speak" and element is not root:
            problems.append("nested <speak>")
        if tag == "break" and "time" in element.attrib:
            problems += _break_problems(element.attrib["time"])
    return problems


def _break_problems(time: str) -> list[str]:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", time)
    if not match:
        return [f"unreadable break time {time!r}"]
    if float(match[1]) / (1000 if match[2] == "ms" else 1) > MAX_BREAK_SECONDS:
        return [f"break of {time} is over {MAX_BREAK_SECONDS:g} s"]
    return []


def speech_problems(segments: list[Segment], pronounce: Mapping[str, str], render: Render = to_ssml) -> list[str]:
    """Render and check one spoken text or reply; a renderer refusal is a problem, not a crash."""
    try:
        ssml = render(segments, pronounce)
    except ValueError as exc:
        return [str(exc)]
    problems = ssml_problems(ssml)
    if len(ssml) > MAX_SPEECH_CHARS:
        problems.append(f"speech is {len(ssml)} characters, over the {MAX_SPEECH_CHARS} limit")
    return problems


# --------------------------------------------------------------------------- single texts

def text_problems(data: dict[str, Any], content: LocaleContent, render: Render = to_ssml) -> list[tuple[str, str, str]]:
    """(file stem, key, problem) for each content text that renders badly or is too long."""
    values = {**content.values, **{name: SAMPLE_VALUE for name in data["common"]["placeholders"]}}
    problems = []
    for stem, key, text in iter_texts(data):
        if stem in NOT_SPOKEN:
            continue
        filled = text.format_map(values)
        if _is_card(key):
            if len(filled) > MAX_CARD_CHARS:
                problems.append((stem, key, f"card text is {len(filled)} characters, over {MAX_CARD_CHARS}"))
            continue
        problems += [(stem, key, problem) for problem in speech_problems([filled], content.pronounce, render)]
    return problems


def _is_card(key: str) -> bool:
    return "card" in key.split(".")[-1]


# --------------------------------------------------------------------------- composed replies

class LongestWords(LocaleContent):
    """Content that always picks the longest variation: length checks see the worst case."""

    def say(self, text: Text, **values: str) -> str:
        chosen = max(text, key=len) if isinstance(text, list) else text
        return chosen.format_map({**self.values, **values})


def reply_problems(content: LongestWords, render: Render = to_ssml) -> list[tuple[str, str]]:
    """(which reply, problem) for every composed reply that breaks a limit."""
    problems = []
    for label, reply in composed_replies(content):
        for part, segments in (("speech", reply.speech), ("reprompt", reply.reprompt)):
            if segments is not None:
                problems += [(label, f"{part}: {p}") for p in speech_problems(segments, content.pronounce, render)]
        card = len(reply.card_title or "") + len(reply.card_text or "")
        if card > MAX_CARD_CHARS:
            problems.append((label, f"card title and text are {card} characters, over {MAX_CARD_CHARS}"))
    return problems


def composed_replies(content: LongestWords) -> Iterator[tuple[str, Reply]]:
    """Every reply the flows build from several texts, each with a label saying which it is."""
    opening = [content.phrase("disclaimer")]
    yield "welcome (first visit)", answers.welcome(content, opening)[0]
    for topic in content.topics.values():
        for start in range(0, max(len(topic.items), 1), topic.chunk_size):
            yield f"topics.{topic.id} (from item {start + 1})", answers.topic_reply(content, topic, start, opening)[0]
    for cause in content.causes:
        yield f"causes.{cause.id}", answers.cause_reply(content, cause, opening)[0]
    yield from _routine_replies(content, opening)
    yield from _screening_replies(content)


def _routine_replies(content: LongestWords, opening: list[Segment]) -> Iterator[tuple[str, Reply]]:
    routine = content.routine
    first = Progress(routine.id, 1, 1)
    yield "routine start", relief.start_reply(content, first, opening)[0]
    for step, part in relief.positions(routine):
        yield f"routine.steps.{step - 1} (part {part})", relief.step_reply(content, Progress(routine.id, step, part))[0]
    yield "routine finished", relief.finished_reply(content)[0]


def _screening_replies(content: LongestWords) -> Iterator[tuple[str, Reply]]:
    for question in content.screening.questions:
        yield f"screening.questions.{question.id}", screening.question_reply(content, question, [])[0]
    yield "screening emergency advice", screening.emergency_reply(content)
    answers_ = (YES, NO, UNSURE)
    for weakness, numbness, widespread, days in itertools.product(answers_, answers_, answers_, (3.0, 15.0, 30.0, UNKNOWN)):
        state = ScreeningState({"emergency": NO, "duration": days, "weakness": weakness, "numbness": numbness,
                                "widespread": widespread})
        label = f"screening outcome (weakness {weakness}, numbness {numbness}, widespread {widespread}, days {days})"
        yield label, screening.outcome_reply(content, state)[0]
