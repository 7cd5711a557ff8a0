"""Every word of content, rendered by the real renderer and checked as Alexa would check it.

Two passes per locale. Each single text (every variation, placeholders filled with awkward
sample values) goes through `to_ssml` with the locale's pronunciations; then the replies the
flows compose from several texts (a topic's chunks with the disclaimer, each routine turn with
its timed holds, every screening outcome) are rendered with the *longest* variations, so the
length limits are checked against the worst case a listener could get.

Both passes also count words as a listener hears them (rendered, tags gone, a `<sub>` as its
alias): a reply is at most 90 words, and at most 60 before its closing question (the last
sentence that asks something, and whatever follows it). A routine turn with a timed hold or
paced beats is the exception: its cues are not counted, but the instruction for the part is at
most 45 words, and what comes before the part (the step's heading, speech and safety note) at
most 60.
"""
from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...conversation import build
from ...conversation.content import LocaleContent, Text, iter_texts
from ...conversation.flows import answers, screening
from ...conversation.flows import routine as routine_flow
from ...conversation.flows.pending import OutcomeMore
from ...conversation.flows.routine import Progress
from ...conversation.flows.screening import NO, UNKNOWN, UNSURE, YES, ScreeningState
from ...conversation.reply import (
    MAX_BREAK_SECONDS,
    MAX_CARD_CHARS,
    MAX_SPEECH_CHARS,
    Reply,
    Segment,
    heard_text,
    to_ssml,
    word_count,
)

Render = Callable[[list[Segment], Mapping[str, str]], str]
SSML_TAGS = {"speak", "p", "s", "break", "emphasis", "prosody", "say-as", "sub", "phoneme", "lang", "voice", "w",
             "audio", "amazon:effect", "amazon:domain", "amazon:emotion"}
AMAZON_NS = "urn:local:amazon-ssml"
SAMPLE_VALUE = "salt & vinegar <chips>"  # escaping must survive any placeholder value
NOT_SPOKEN = {"store", "policies"}  # the store listing and the policy pages are shown, never spoken
MAX_REPLY_WORDS = 90
MAX_WORDS_BEFORE_QUESTION = 60
MAX_TIMED_INSTRUCTION_WORDS = 45  # a routine part with a timed hold or paced beats
_SENTENCE = re.compile(r"[^.!?]*(?:[.!?]+|$)")


# --------------------------------------------------------------------------- words heard
# (heard_text and word_count live with the renderer, skill/conversation/reply.py)

def closing_question(text: str) -> str:
    """The last sentence that asks something, with whatever follows it ("" when none does)."""
    sentences = [s for s in _SENTENCE.findall(text) if s.strip()]
    asks = [index for index, sentence in enumerate(sentences) if sentence.rstrip().endswith("?")]
    return "".join(sentences[asks[-1]:]) if asks else ""


def word_problems(ssml: str) -> list[str]:
    """A reply (or a text) over 90 words, or over 60 before its closing question."""
    heard = heard_text(ssml)
    total = word_count(heard)
    before = total - word_count(closing_question(heard))
    problems = []
    if total > MAX_REPLY_WORDS:
        problems.append(f"{total} words, over the {MAX_REPLY_WORDS}-word limit for a reply")
    if before > MAX_WORDS_BEFORE_QUESTION:
        problems.append(f"{before} words before its closing question, over the {MAX_WORDS_BEFORE_QUESTION}-word limit")
    return problems


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


def speech_problems(segments: list[Segment], pronounce: Mapping[str, str], render: Render = to_ssml,
                    count_words: bool = True) -> list[str]:
    """Render and check one spoken text or reply; a renderer refusal is a problem, not a crash."""
    try:
        ssml = render(segments, pronounce)
    except ValueError as exc:
        return [str(exc)]
    problems = ssml_problems(ssml)
    if len(ssml) > MAX_SPEECH_CHARS:
        problems.append(f"speech is {len(ssml)} characters, over the {MAX_SPEECH_CHARS} limit")
    if count_words:
        problems += word_problems(ssml)
    return problems


def timed_turn_problems(segments: list[Segment], pronounce: Mapping[str, str], render: Render = to_ssml) -> list[str]:
    """A routine turn with a timed hold or paced beats: the part's instruction (its heading and
    speech, before the hold) at most 45 words; what comes before the part at most 60."""
    settle = next(index for index, segment in enumerate(segments) if segment is routine_flow.SETTLE)
    between = max((index for index, segment in enumerate(segments[:settle]) if segment is routine_flow.BETWEEN), default=-1)
    problems = []
    for said, limit, what in ((segments[:max(between, 0)], MAX_WORDS_BEFORE_QUESTION, "before the part"),
                              (segments[between + 1:settle], MAX_TIMED_INSTRUCTION_WORDS, "of instruction for a timed part")):
        try:
            words = word_count(heard_text(render(said, pronounce)))
        except ValueError as exc:
            return [str(exc)]
        if words > limit:
            problems.append(f"{words} words {what}, over the {limit}-word limit")
    return problems


def is_timed(segments: list[Segment]) -> bool:
    """A routine turn that paces a hold or beats (flows/routine.py starts them with SETTLE)."""
    return any(segment is routine_flow.SETTLE for segment in segments)


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
        if stem == "routine" and _timed_part(data, key) is not None:
            problems += [(stem, key, problem) for problem in _instruction_problems(
                [f"{_timed_part(data, key)}.", filled], content.pronounce, render)]
    return problems


def _timed_part(data: dict[str, Any], key: str) -> str | None:
    """The part's name when `key` is the speech of a routine part with a timed hold or beats."""
    match = re.fullmatch(r"routine\.steps\.(\d+)\.parts\.(\d+)\.speech(?:\.\d+)?", key)
    if not match:
        return None
    part = data["routine"]["routine"]["steps"][int(match[1])]["parts"][int(match[2])]
    return part["name"] if "hold" in part or "pacing" in part else None


def _instruction_problems(segments: list[Segment], pronounce: Mapping[str, str], render: Render) -> list[str]:
    try:
        words = word_count(heard_text(render(segments, pronounce)))
    except ValueError:
        return []  # already reported by speech_problems
    if words > MAX_TIMED_INSTRUCTION_WORDS:
        return [f"{words} words of instruction for a timed part, over the {MAX_TIMED_INSTRUCTION_WORDS}-word limit"]
    return []


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
                timed = is_timed(segments)
                said = speech_problems(segments, content.pronounce, render, count_words=not timed)
                if timed:
                    said += timed_turn_problems(segments, content.pronounce, render)
                problems += [(label, f"{part}: {p}") for p in said]
        card = len(reply.card_title or "") + len(reply.card_text or "")
        if card > MAX_CARD_CHARS:
            problems.append((label, f"card title and text are {card} characters, over {MAX_CARD_CHARS}"))
    return problems


def composed_replies(content: LongestWords) -> Iterator[tuple[str, Reply]]:
    """Every reply the flows build from several texts, each with a label saying which it is."""
    opening: list[Segment] = [content.phrase("disclaimer")]
    yield "welcome (first visit)", answers.welcome(content, opening)[0]
    asked = set(build.TOPIC_INTENTS.values())  # the disclaimer can open these; the rest follow an answer
    for topic in content.topics.values():
        starts = range(0, max(len(topic.items), 1), topic.chunk_size)
        for start in starts:
            lead = opening if start == 0 and topic.id in asked else None
            yield f"topics.{topic.id} (from item {start + 1})", answers.topic_reply(content, topic, start, lead)[0]
        if topic.id == answers.EMERGENCY_TOPIC:  # heard after another topic's offer, it ends with that one's follow-up
            for origin in (t for t in content.topics.values() if t.emergency):
                yield (f"topics.{topic.id} (from item {starts[-1] + 1}, after topics.{origin.id})",
                       answers.topic_reply(content, topic, starts[-1], then=origin.id)[0])
    for cause in content.causes:
        yield f"causes.{cause.id}", answers.cause_reply(content, cause, opening)[0]
    yield from _routine_replies(content, opening)
    yield from _screening_replies(content)


def _routine_replies(content: LongestWords, opening: list[Segment]) -> Iterator[tuple[str, Reply]]:
    routine = content.routine
    first = Progress(routine.id, 1, 1)
    yield "routine start", routine_flow.start_reply(content, first, opening)[0]
    for step, part in routine_flow.positions(routine):
        yield f"routine.steps.{step - 1} (part {part})", routine_flow.step_reply(content, Progress(routine.id, step, part))[0]
    yield "routine finished", routine_flow.finished_reply(content)[0]


def _screening_replies(content: LongestWords) -> Iterator[tuple[str, Reply]]:
    texts = content.screening.texts
    for question in content.screening.questions:
        yield f"screening.questions.{question.id}", screening.question_reply(content, question, [])[0]
        leads = {"explain": [question.explain], "help": [texts["help"]], "privacy": [content.phrases["privacy"]],
                 "stray answer": [texts["stray_answer"], question.hint], "resume": [texts["resume"]],
                 "changing an answer": [texts["changing_answer"]], "first visit": [content.phrases["disclaimer"], texts["intro"]]}
        for name, lead in leads.items():
            said: list[Segment] = [content.say(text, question_label=question.card_label, old_answer="not sure") for text in lead]
            yield f"screening.questions.{question.id} after {name}", screening.question_reply(content, question, said)[0]
    yield "screening emergency advice", screening.emergency_reply(content)
    answers_ = (YES, NO, UNSURE)
    for weakness, numbness, widespread, days in itertools.product(answers_, answers_, answers_, (3.0, 15.0, 30.0, UNKNOWN)):
        answers = {**{gate: NO for gate in content.screening.gate_ids}, "duration": days, "weakness": weakness,
                   "numbness": numbness, "widespread": widespread}
        label = f"screening outcome (weakness {weakness}, numbness {numbness}, widespread {widespread}, days {days})"
        reply, pending = screening.outcome_reply(content, ScreeningState(answers))
        yield label, reply
        turn = 1
        while isinstance(pending, OutcomeMore):
            turn += 1
            reply, pending = screening.outcome_chunk(content, list(pending.rest), pending.closing, answers)
            yield f"{label}, part {turn}", reply
    for send in (True, False):
        yield f"screening notes {'sent' if send else 'declined'}", screening.notes_reply(content, answers, send)[0]
