"""A neutral Reply and the one function that turns it into an Alexa response.

Handlers build Replies from content; only `render` knows about SSML, escaping and the
platform's limits, so every response is shaped the same way and checked in one place.
"""
from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from ask_sdk_core.response_helper import ResponseFactory
from ask_sdk_model import Response
from ask_sdk_model.ui import AskForPermissionsConsentCard, SimpleCard, StandardCard

from .screen import Screen

MAX_SPEECH_CHARS = 8000
MAX_CARD_CHARS = 8000
MAX_BREAK_SECONDS = 10.0


@dataclass(frozen=True)
class Pause:
    """An explicit silence; rendered as one or more <break> tags of at most 10 s."""

    seconds: float


Segment = str | Pause


@dataclass
class Reply:
    """What to say. A reply with a reprompt keeps the microphone open; one without ends the session."""

    speech: list[Segment]
    reprompt: list[Segment] | None = None
    card_title: str | None = None
    card_text: str | None = None
    card_standard: bool = False
    directives: list = field(default_factory=list)
    # Scopes to ask for with a consent card in the Alexa app; it takes the place of any other card.
    permission_scopes: tuple[str, ...] = ()
    # What a screen shows, when the flow knows better than screen.screen_for (a routine step
    # with its countdown, the outcome, the emergency).
    screen: Screen | None = None

    @property
    def ends_session(self) -> bool:
        return self.reprompt is None


_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 does not allow in a document, lone surrogates included: never spoken."""
NO_PRONUNCIATIONS: Mapping[str, str] = {}


def to_ssml(segments: list[Segment], pronounce: Mapping[str, str] = NO_PRONUNCIATIONS) -> str:
    """Escape text, spell acronyms (ALS, MRI) letter by letter, say listed written forms the
    locale's way ("000" as "triple zero"), turn pauses into chained breaks, wrap in <speak>.
    Content stays plain text that also reads well on a card."""
    parts: list[str] = []
    for segment in segments:
        if isinstance(segment, Pause):
            parts.extend(_breaks(segment.seconds))
        elif segment.strip():
            spoken = _spoken(" ".join(segment.split()), pronounce)
            if spoken:  # nothing left once characters XML forbids are gone
                parts.append(spoken)
    ssml = "<speak>" + " ".join(parts) + "</speak>"
    if len(ssml) > MAX_SPEECH_CHARS:
        raise ValueError(f"speech is {len(ssml)} characters, over the {MAX_SPEECH_CHARS} limit")
    return ssml


def _spoken(text: str, pronounce: Mapping[str, str]) -> str:
    """``_spoken_text``, remembered: the same phrases come back on every turn of every user."""
    return _spoken_text(text, tuple(pronounce.items()))


@functools.lru_cache(maxsize=2048)
def _spoken_text(text: str, pronunciations: tuple[tuple[str, str], ...]) -> str:
    """One pass over the escaped text, so a pronunciation never lands inside another tag.

    A pure function of its arguments (the key is the text and the pronunciations themselves,
    not the dict's identity), so caching it cannot change a reply; the size bound keeps texts
    with user-said values in them from growing it for ever.
    """
    if _FORBIDDEN.search(text):  # words a user said or a client sent back may hold anything
        text = " ".join(_FORBIDDEN.sub("", text).split())
    pronounce = dict(pronunciations)
    aliases = {escape(written): spoken for written, spoken in pronounce.items()}

    def tag(match: re.Match[str]) -> str:
        if match.group("acronym"):
            return f'<say-as interpret-as="characters">{match.group("acronym")}</say-as>'
        alias = escape(aliases[match.group("written")], {'"': "&quot;"})
        return f'<sub alias="{alias}">{match.group("written")}</sub>'

    return _pattern(tuple(sorted(aliases, key=len, reverse=True))).sub(tag, escape(text))


@functools.lru_cache(maxsize=32)
def _pattern(written_forms: tuple[str, ...]) -> re.Pattern[str]:
    """Listed written forms (longest first, whole words only), then acronyms."""
    choices = [rf"(?<!\w)(?P<written>{'|'.join(map(re.escape, written_forms))})(?!\w)"] if written_forms else []
    return re.compile("|".join([*choices, r"\b(?P<acronym>[A-Z]{2,4})\b"]))


def _breaks(seconds: float) -> list[str]:
    breaks = []
    remaining = round(seconds * 1000)
    while remaining > 0:
        step = min(remaining, int(MAX_BREAK_SECONDS * 1000))
        breaks.append(f'<break time="{step}ms"/>')
        remaining -= step
    return breaks


_SUB = re.compile(r'<sub alias="([^"]*)">.*?</sub>', re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|&")


def heard_text(ssml: str) -> str:
    """What a listener hears, as plain text: aliases instead of written forms, no tags."""
    text = _SUB.sub(lambda match: f" {match[1]} ", ssml)
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def word_count(text: str) -> int:
    """Words as said: "10-hour" is two, "don't" one, "&" is "and"."""
    return len(_WORD.findall(text))


def heard_words(segments: list[Segment], pronounce: Mapping[str, str] = NO_PRONUNCIATIONS) -> int:
    """How many words a listener hears in these segments ("911" is three)."""
    return word_count(heard_text(to_ssml(segments, pronounce)))


_SPEAK = re.compile(r"<speak>(.*)</speak>", re.DOTALL)
_RENDERED = re.compile(
    r'<break time="(?P<ms>[1-9]\d{0,4})ms"/>'
    r'|<say-as interpret-as="characters">(?P<acronym>[A-Z]{2,4})</say-as>'
    r'|<sub alias="(?P<alias>[^"<>]*)">(?P<written>[^<>]+)</sub>'
    r'|(?P<text>[^<>]+)'
)
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos);")


def replayable(ssml: object) -> str | None:
    """SSML that ``to_ssml`` made, rebuilt piece by piece; None for anything else.

    For "repeat": the last reply comes back from the client in the session attributes, so it
    is read as untrusted text.  Only what the renderer writes is accepted (``<speak>`` around
    text, ``<break>`` of at most 10 s, acronyms in ``<say-as>``, ``<sub alias>``), every
    text's entities must be the five XML ones and no character XML forbids may appear; each
    piece is then unescaped and escaped again, so what is said is well-formed by
    construction and, for what the skill itself wrote, the same string.
    """
    if not isinstance(ssml, str) or len(ssml) > MAX_SPEECH_CHARS or _FORBIDDEN.search(ssml):
        return None
    speak = _SPEAK.fullmatch(ssml)
    if speak is None:
        return None
    inner, position, pieces = speak.group(1), 0, []
    while position < len(inner):
        piece = _RENDERED.match(inner, position)
        if piece is None:
            return None
        position = piece.end()
        if piece["ms"]:
            if int(piece["ms"]) > MAX_BREAK_SECONDS * 1000:
                return None
            pieces.append(f'<break time="{int(piece["ms"])}ms"/>')
        elif piece["acronym"]:
            pieces.append(f'<say-as interpret-as="characters">{piece["acronym"]}</say-as>')
        elif piece["written"] is not None:
            alias, written = _plain(piece["alias"]), _plain(piece["written"])
            if alias is None or written is None:
                return None
            pieces.append(f'<sub alias="{escape(alias, {chr(34): "&quot;"})}">{escape(written)}</sub>')
        else:
            text = _plain(piece["text"])
            if text is None:
                return None
            pieces.append(escape(text))
    return "<speak>" + "".join(pieces) + "</speak>"


def _plain(escaped: str) -> str | None:
    """Escaped text back to plain text, or None when it holds a bare "&" or another entity."""
    if "&" in _ENTITY.sub("", escaped):
        return None
    return html.unescape(escaped)


def render(reply: Reply, builder: ResponseFactory, pronounce: Mapping[str, str] = NO_PRONUNCIATIONS) -> Response:
    """Fill the SDK's response builder from a Reply, always setting shouldEndSession explicitly."""
    builder.speak(to_ssml(reply.speech, pronounce))
    if reply.reprompt is not None:
        builder.ask(to_ssml(reply.reprompt, pronounce))
    if reply.permission_scopes:
        builder.set_card(AskForPermissionsConsentCard(permissions=list(reply.permission_scopes)))
    elif reply.card_title and reply.card_text:
        if len(reply.card_title) + len(reply.card_text) > MAX_CARD_CHARS:
            raise ValueError("card is over the 8000 character limit")
        card_class = StandardCard if reply.card_standard else SimpleCard
        text_field = "text" if reply.card_standard else "content"
        builder.set_card(card_class(title=reply.card_title, **{text_field: reply.card_text}))
    for directive in reply.directives:
        builder.add_directive(directive)
    builder.set_should_end_session(reply.ends_session)
    return builder.response
