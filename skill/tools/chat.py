"""`backtwitch chat`: talk to the skill in a terminal, offline, or play a transcript that checks it.

Everything between the typed words and the printed reply is the real thing except Amazon
itself (skill/tools/devtools/): the interaction model understands the words, the request is signed
by a throwaway PKI and verified by the app, and the reply is shown the way a listener gets it:
speech with its pauses, the card, and whether the microphone stays open.

A transcript is a plain text file, so a conversation someone tried by hand becomes a test:

    # comment                         @locale en-GB            (before the first turn)
    > open back twitch helper         what the person says; (silence) and (new visit) too
    < Welcome to Back Twitch Helper   the reply contains this (case and spacing ignored)
    < [open]   < [closed]             the microphone stays open / the session ends
    < [intent] CauseIntent            what Alexa understood (or the request type)
    < [card] Why backs twitch         the card's title or text contains this
    < [reprompt] Ready to go on?      the reprompt contains this
    < [not] 911                       the reply does not contain this
    < [name-free] YES                 the skill's CanFulfillIntentRequest answer
    < [timer] 15 minutes              a timer was set this turn
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import unescape

from ..conversation.locales import DEFAULT_LOCALE
from .devtools.alexa import LocalAlexa
from .devtools.conversation import Exchange
from .devtools.local_skill import LocalTimersApi, local_skill

ENTITIES = {"&quot;": '"', "&apos;": "'"}
BREAKS = re.compile(r'(?:\s*<break time="\d+(?:\.\d+)?m?s"\s*/>)+')
CHECKS = {"open", "closed", "intent", "card", "reprompt", "not", "name-free", "timer"}


# --------------------------------------------------------------------------- what a listener gets

def readable(ssml: str) -> str:
    """SSML as text: aliases said, acronyms kept, chained breaks summed as "[pause 2s]"."""
    text = re.sub(r'<sub alias="([^"]*)">.*?</sub>', lambda m: m.group(1), ssml)
    text = BREAKS.sub(lambda m: f" [pause {_seconds(m.group(0)):g}s] ", text)
    text = unescape(re.sub(r"<[^>]+>", "", text), ENTITIES)
    return " ".join(text.split())


def _seconds(breaks: str) -> float:
    total = 0.0
    for amount, unit in re.findall(r'time="(\d+(?:\.\d+)?)(ms|s)"', breaks):
        total += float(amount) / (1000 if unit == "ms" else 1)
    return round(total, 2)


def speakable(ssml: str) -> str:
    """Text for a plain speech synthesiser: aliases said, acronyms spelled, no pause markers."""
    text = re.sub(r'<sub alias="([^"]*)">.*?</sub>', lambda m: m.group(1), ssml)
    text = re.sub(r'<say-as interpret-as="characters">(\w+)</say-as>', lambda m: " ".join(m.group(1)), text)
    text = BREAKS.sub(" ", text)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", text), ENTITIES).split())


def card_text(response: dict[str, Any]) -> str | None:
    """The card as one string ("title: text"), or None without a card."""
    card = response.get("card")
    if not card:
        return None
    if card.get("type") == "AskForPermissionsConsent":
        return "permission request: " + ", ".join(card.get("permissions", []))
    body = card.get("content") or card.get("text") or ""
    return f"{card.get('title', '')}: {body}".strip(": ")


def timers_set(timers: LocalTimersApi, since: int) -> list[str]:
    """Timers created since index `since`, as "15 minutes: Heat or cold"."""
    found = []
    for timer in timers.timers[since:]:
        minutes = re.fullmatch(r"PT(\d+)M", timer.get("duration", ""))
        found.append(f"{minutes.group(1) if minutes else timer.get('duration')} minutes: {timer.get('timerLabel', '')}")
    return found


def show(said: Exchange, timers: list[str], out: TextIO) -> None:
    """Print one exchange as a listener (and a curious developer) would want it."""
    if said.heard is not None:
        how = f'{said.heard.how} "{said.heard.sample}"' if said.heard.sample else said.heard.how
        slots = ", ".join(f"{n}={s.value}" + (f" ({s.value_id})" if s.value_id else "") for n, s in said.heard.slots.items())
        print(f"      · {said.request_type or 'not sent'}: {said.heard.intent}" + (f" [{slots}]" if slots else "")
              + f" ({how})", file=out)
    elif said.request_type is not None:
        print(f"      · {said.request_type}", file=out)
    if said.name_free:
        print(f"      · name-free answer: {said.name_free}", file=out)
    if said.status not in (None, 200):
        print(f"      · HTTP {said.status}: {said.body}", file=out)
    if said.ssml:
        print(f"alexa> {readable(said.ssml)}", file=out)
    card = card_text(said.response)
    if card:
        print("      card: " + card.replace("\n", "\n            "), file=out)
    for timer in timers:
        print(f"      · timer set: {timer}", file=out)
    for note in said.notes:
        print(f"      · {note}", file=out)
    if said.status is not None or said.replayed is not None:
        print("      [microphone open]" if said.microphone_open else "      [microphone closed]", file=out)


class Speaker:
    """Reads replies aloud with espeak-ng when it is installed; otherwise says so once."""

    def __init__(self, locale: str, out: TextIO, which: Callable[[str], str | None] = shutil.which,
                 run: Callable[..., Any] = subprocess.run):
        self.program = which("espeak-ng")
        self.voice = "en-us" if locale in ("en-US", "en-CA") else "en-gb"
        self.run = run
        if self.program is None:
            print("(--speak: espeak-ng is not installed, so replies are only printed)", file=out)

    def speak(self, ssml: str) -> None:
        """Say the reply and wait, so the next prompt comes after it, as on a device."""
        if self.program and ssml:
            self.run([self.program, "-v", self.voice, speakable(ssml)], check=False)


# --------------------------------------------------------------------------- a turn

def take_turn(alexa: LocalAlexa, timers: LocalTimersApi, utterance: str) -> tuple[Exchange, list[str]]:
    """Say one thing (or a special: "(silence)", "(new visit)") and collect any timer it set."""
    before = len(timers.timers)
    if utterance == "(silence)":
        said = alexa.silence()
    elif utterance == "(new visit)":
        said = alexa.end_session("EXCEEDED_MAX_REPROMPTS", Exchange(utterance=utterance))
        said.notes.append("later, the same person comes back")
    else:
        said = alexa.say(utterance)
    return said, timers_set(timers, before)


def repl(alexa: LocalAlexa, timers: LocalTimersApi, speaker: Speaker | None, read: Callable[[str], str] = input,
         out: TextIO | None = None) -> int:
    """Type, hear, repeat. Ctrl-D (or Ctrl-C) leaves."""
    out = out or sys.stdout
    print(f"Offline chat with {alexa.invocation} ({alexa.locale}). Try 'open {alexa.invocation}' or "
          f"'ask {alexa.invocation} why is my back twitching'. (silence) = say nothing, (new visit) = come back "
          "later, Ctrl-D = quit.", file=out)
    while True:
        try:
            utterance = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return 0
        if not utterance:
            continue
        said, set_now = take_turn(alexa, timers, utterance)
        show(said, set_now, out)
        if speaker is not None:
            speaker.speak(said.ssml)


# --------------------------------------------------------------------------- transcripts

class TranscriptError(ValueError):
    """The transcript itself is malformed (names the file and line)."""


@dataclass(frozen=True)
class Expectation:
    line: int
    check: str  # "says" or one of CHECKS
    value: str


@dataclass
class ScriptLine:
    line: int
    utterance: str
    expectations: list[Expectation] = field(default_factory=list)


@dataclass
class ScriptResult:
    path: Path
    turns: int = 0
    failures: list[str] = field(default_factory=list)
    intents: set[str] = field(default_factory=set)


def parse_transcript(path: Path) -> tuple[str | None, list[ScriptLine]]:
    """(locale named by @locale, the turns with their expectations)."""
    locale: str | None = None
    turns: list[ScriptLine] = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@locale "):
            if turns:
                raise TranscriptError(f"{path}:{number}: @locale must come before the first turn")
            locale = line.split(None, 1)[1].strip()
        elif line.startswith(">"):
            turns.append(ScriptLine(number, line[1:].strip()))
        elif line.startswith("<"):
            if not turns:
                raise TranscriptError(f"{path}:{number}: an expectation before anything was said")
            turns[-1].expectations.append(_expectation(path, number, line[1:].strip()))
        else:
            raise TranscriptError(f"{path}:{number}: a line must start with '>', '<', '#' or '@locale'")
    return locale, turns


def _expectation(path: Path, number: int, text: str) -> Expectation:
    tagged = re.fullmatch(r"\[([a-z-]+)\]\s*(.*)", text)
    if tagged is None:
        return Expectation(number, "says", text)
    check, value = tagged.group(1), tagged.group(2).strip()
    if check not in CHECKS:
        raise TranscriptError(f"{path}:{number}: unknown check [{check}] (known: {', '.join(sorted(CHECKS))})")
    if check not in ("open", "closed") and not value:
        raise TranscriptError(f"{path}:{number}: [{check}] needs a value")
    return Expectation(number, check, value)


def failure(expectation: Expectation, said: Exchange, timers: list[str]) -> str | None:
    """None when the expectation holds; otherwise what was expected and what happened."""
    speech = readable(said.ssml)
    actual: dict[str, tuple[bool, str]] = {
        "says": (_contains(speech, expectation.value), f"Alexa said: {speech!r}"),
        "not": (not _contains(speech, expectation.value), f"Alexa said: {speech!r}"),
        "reprompt": (_contains(readable(said.reprompt_ssml), expectation.value), f"reprompt: {readable(said.reprompt_ssml)!r}"),
        "card": (_contains(card_text(said.response) or "", expectation.value), f"card: {card_text(said.response)!r}"),
        "open": (said.microphone_open, "the microphone closed"),
        "closed": (not said.microphone_open, "the microphone stayed open"),
        "intent": (expectation.value in _intent_names(said), f"understood as {sorted(_intent_names(said))}"),
        "name-free": (said.name_free == expectation.value, f"name-free answer: {said.name_free}"),
        "timer": (any(_contains(t, expectation.value) for t in timers), f"timers set: {timers}"),
    }
    held, happened = actual[expectation.check]
    if held:
        return None
    label = expectation.check if expectation.check != "says" else "the reply contains"
    return f"expected [{label}] {expectation.value!r}; {happened}"


def _contains(text: str, wanted: str) -> bool:
    return " ".join(wanted.lower().split()) in " ".join(text.lower().split())


def _intent_names(said: Exchange) -> set[str]:
    return {name for name in (said.heard.intent if said.heard else None, said.request_type) if name}


def run_transcript(path: Path, locale: str | None = None, out: TextIO | None = None,
                   content_dir: Path | None = None, model_dir: Path | None = None) -> ScriptResult:
    """Play a transcript through the local skill; failures name the line and what was heard."""
    named, turns = parse_transcript(path)
    result = ScriptResult(Path(path))
    with local_skill(locale or named or DEFAULT_LOCALE, content_dir, model_dir) as (alexa, timers):
        for turn in turns:
            said, set_now = take_turn(alexa, timers, turn.utterance)
            result.turns += 1
            if out is not None:
                print(f"you> {turn.utterance}", file=out)
                show(said, set_now, out)
            for expectation in turn.expectations:
                problem = failure(expectation, said, set_now)
                if problem:
                    result.failures.append(f"{path}:{expectation.line}: {problem} (after '> {turn.utterance}')")
        result.intents = {envelope["request"]["intent"]["name"] for envelope in alexa.sent
                          if envelope["request"]["type"] == "IntentRequest"}
    return result


def chat_command(locale: str | None, scripts: list[Path], speak: bool, out: TextIO | None = None) -> int:
    """The CLI's entry: play each script (exit 1 on any failure), or talk until Ctrl-D."""
    out = out or sys.stdout
    if scripts:
        return _play_scripts(scripts, locale, out)
    locale = locale or DEFAULT_LOCALE
    with local_skill(locale) as (alexa, timers):
        speaker = Speaker(locale, out) if speak else None
        return repl(alexa, timers, speaker, out=out)


def _play_scripts(scripts: list[Path], locale: str | None, out: TextIO) -> int:
    failed = 0
    for path in scripts:
        try:
            result = run_transcript(path, locale, out)
        except TranscriptError as exc:
            print(f"transcript error: {exc}", file=sys.stderr)
            return 2
        for problem in result.failures:
            print(f"FAIL {problem}", file=sys.stderr)
        failed += len(result.failures)
        print(f"{path}: {result.turns} turns, {len(result.failures)} failed expectations", file=out)
    return 1 if failed else 0
