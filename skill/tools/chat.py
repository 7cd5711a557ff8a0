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
    < [reminder] BYHOUR=19            a reminder was set or changed this turn (its rule, zone or words)
    < [reminders] 2                   how many reminders Alexa holds after this turn

With ``--screen`` the device is an Echo Show 8: each reply's screen (its APL document's datasource)
is printed under the speech, and ``touch LABEL`` (typed, or ``> touch next`` in a transcript)
presses that button on the screen, as a finger would.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import unescape

from ..conversation.locales import DEFAULT_LOCALE, language_of
from .devtools.alexa import LocalAlexa
from .devtools.conversation import USER_EVENT, Exchange
from .devtools.local_skill import LocalAlexaApi, local_skill

ENTITIES = {"&quot;": '"', "&apos;": "'"}
BREAKS = re.compile(r'(?:\s*<break time="\d+(?:\.\d+)?m?s"\s*/>)+')
CHECKS = {"open", "closed", "intent", "card", "reprompt", "not", "name-free", "timer", "reminder", "reminders", "screen",
          "no-screen"}
SCREEN_DEVICE = "echo_show_8"  # --screen: a profile in devtools/envelopes/devices/
EXECUTE_COMMANDS = "Alexa.Presentation.APL.ExecuteCommands"
TOUCH = re.compile(r"touch\s+(\S.*)", re.IGNORECASE)
# Transcript lines that set the stand-in Alexa APIs failing (401, 429, 503...) or working again.
API_FAILS = re.compile(r"\(alexa apis answer ([1-5]\d\d)\)")
API_WORKS = "(alexa apis work)"
ROW = "        "  # a screen's rows, under its "[screen: kind]" line
# What the chat suggests saying first, per language: opening the skill, and a one-shot question.
TRY = {"en": ("open {name}", "ask {name} why is my back twitching"),
       "es": ("abre {name}", "pregúntale a {name} por qué me tiembla la espalda")}


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


def timers_set(timers: LocalAlexaApi, since: int) -> list[str]:
    """Timers created since index `since`, as "15 minutes: Heat or cold"."""
    found = []
    for timer in timers.timers[since:]:
        minutes = re.fullmatch(r"PT(\d+)M", timer.get("duration", ""))
        found.append(f"{minutes.group(1) if minutes else timer.get('duration')} minutes: {timer.get('timerLabel', '')}")
    return found


@dataclass
class Effects:
    """What one turn did on the person's Alexa besides the reply: timers set, reminders set or
    changed ("set: FREQ=DAILY;BYHOUR=19;BYMINUTE=0;BYSECOND=0 America/New_York: Time for..."),
    reminders deleted, and how many reminders the stand-in holds after it."""

    timers: list[str] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    reminders_held: int = 0


def reminder_versions(api: LocalAlexaApi) -> dict[str, str]:
    """Each reminder the stand-in holds (by alertToken) and its version, to compare after a turn."""
    with api.lock:
        return {token: str(reminder.get("version")) for token, reminder in api.reminders.items()}


def reminder_text(reminder: dict[str, Any]) -> str:
    """A reminder as "RULE ZONE: words" ("FREQ=DAILY;BYHOUR=19;... America/New_York: Time for...");
    a one-off one shows its scheduled time, one without a zone "(device zone)"."""
    trigger = reminder.get("trigger") or {}
    rules = (trigger.get("recurrence") or {}).get("recurrenceRules") or []
    when = " ".join(rules) or str(trigger.get("scheduledTime") or trigger.get("offsetInSeconds") or "?")
    content = ((reminder.get("alertInfo") or {}).get("spokenInfo") or {}).get("content") or [{}]
    return f"{when} {trigger.get('timeZoneId') or '(device zone)'}: {content[0].get('text', '')}"


def effects_since(api: LocalAlexaApi, timers_before: int, versions_before: dict[str, str]) -> Effects:
    """What changed on the stand-in since the counts and versions taken before the turn."""
    with api.lock:
        held = dict(api.reminders)
    effects = Effects(timers=timers_set(api, timers_before), reminders_held=len(held))
    for token, reminder in held.items():
        if token not in versions_before:
            effects.reminders.append(f"set: {reminder_text(reminder)}")
        elif str(reminder.get("version")) != versions_before[token]:
            effects.reminders.append(f"changed: {reminder_text(reminder)}")
    effects.deleted = [token for token in versions_before if token not in held]
    return effects


def screen_lines(said: Exchange) -> list[str]:
    """What the screen shows after this reply, top to bottom as the documents lay it out, so a
    chat on a screen device can be read without one; [] when the reply drew nothing."""
    screen = said.screen
    if screen is None:
        return []
    head = f"      [screen: {screen.get('kind')}] {screen.get('title', '')}"
    if screen.get("progress_label"):
        head += f" ({screen['progress_label']})"
    rows = [screen.get("big", ""), screen.get("lines_title", ""), *(f"- {line}" for line in screen.get("lines", [])),
            *screen.get("text", "").splitlines(), f"note: {screen['note']}" if screen.get("note") else ""]
    countdown = countdown_text(said)
    rows.append(f"countdown: {countdown}" if countdown else "")
    for name in ("buttons", "hints"):
        if screen.get(name):
            rows.append(f"{name}: " + " | ".join(button["label"] for button in screen[name]))
    return [head, *(ROW + row for row in rows if row)]


def countdown_text(said: Exchange) -> str | None:
    """A timed hold as "25 s (starts after 43.1 s, halfway at 12.5 s)". The times are what the
    device does, not what the datasource says: the ExecuteCommands' delays summed (each is the
    wait since the command before); its cues are the values that are not numbers, the first
    starting the hold and the last ending it."""
    countdown = (said.screen or {}).get("countdown")
    if not countdown:
        return None
    cues, at = [], 0
    for command in _commands((said.directive(EXECUTE_COMMANDS) or {}).get("commands", [])):
        at += command.get("delay", 0)
        if command.get("type") == "SetValue" and not str(command.get("value", "")).isdigit():
            cues.append((at, str(command["value"])))
    if not cues:
        return f"{countdown['seconds']} s"
    start = cues[0][0]
    timings = [f"starts after {start / 1000:g} s", *(f"{cue.lower()} at {(when - start) / 1000:g} s"
                                                      for when, cue in cues[1:-1])]
    return f"{countdown['seconds']} s ({', '.join(timings)})"


def _commands(commands: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """APL commands in the order a Sequential runs them, nested ones in place."""
    for command in commands:
        yield command
        yield from _commands(command.get("commands", []))


def show(said: Exchange, effects: Effects, out: TextIO) -> None:
    """Print one exchange as a listener (and a curious developer) would want it."""
    if said.heard is not None:
        how = f'{said.heard.how} "{said.heard.sample}"' if said.heard.sample else said.heard.how
        slots = ", ".join(f"{n}={s.value}" + (f" ({s.value_id})" if s.value_id else "") for n, s in said.heard.slots.items())
        print(f"      · {said.request_type or 'not sent'}: {said.heard.intent}" + (f" [{slots}]" if slots else "")
              + f" ({how})", file=out)
    elif said.request_type is not None:
        touched = f" ({said.utterance})" if said.request_type == USER_EVENT else ""
        print(f"      · {said.request_type}{touched}", file=out)
    if said.name_free:
        print(f"      · name-free answer: {said.name_free}", file=out)
    if said.status not in (None, 200):
        print(f"      · HTTP {said.status}: {said.body}", file=out)
    if said.ssml:
        print(f"alexa> {readable(said.ssml)}", file=out)
    card = card_text(said.response)
    if card:
        print("      card: " + card.replace("\n", "\n            "), file=out)
    for line in screen_lines(said):
        print(line, file=out)
    for timer in effects.timers:
        print(f"      · timer set: {timer}", file=out)
    for reminder in effects.reminders:
        print(f"      · reminder {reminder}", file=out)
    if effects.deleted:
        print(f"      · reminders deleted: {len(effects.deleted)} ({effects.reminders_held} left)", file=out)
    for note in said.notes:
        print(f"      · {note}", file=out)
    if said.status is not None or said.replayed is not None:
        print("      [microphone open]" if said.microphone_open else "      [microphone closed]", file=out)


# espeak-ng's voice for each locale: American or British English, Latin American Spanish or
# Spain's (es-419 and es are espeak-ng's own names); a locale not listed gets its language's first.
ESPEAK_VOICES = {"en-US": "en-us", "en-CA": "en-us", "es-US": "es-419", "es-MX": "es-419", "es-ES": "es"}
ESPEAK_LANGUAGE_VOICES = {"en": "en-gb", "es": "es-419"}


def espeak_voice(locale: str) -> str:
    """The espeak-ng voice that reads `locale`'s replies (British English for other English
    locales, as before; Latin American Spanish for a Spanish locale other than Spain's)."""
    return ESPEAK_VOICES.get(locale) or ESPEAK_LANGUAGE_VOICES.get(language_of(locale), "en-gb")


class Speaker:
    """Reads replies aloud with espeak-ng when it is installed; otherwise says so once."""

    def __init__(self, locale: str, out: TextIO, which: Callable[[str], str | None] = shutil.which,
                 run: Callable[..., Any] = subprocess.run):
        self.program = which("espeak-ng")
        self.voice = espeak_voice(locale)
        self.run = run
        if self.program is None:
            print("(--speak: espeak-ng is not installed, so replies are only printed)", file=out)

    def speak(self, ssml: str) -> None:
        """Say the reply and wait, so the next prompt comes after it, as on a device."""
        if self.program and ssml:
            self.run([self.program, "-v", self.voice, speakable(ssml)], check=False)


# --------------------------------------------------------------------------- a turn

def take_turn(alexa: LocalAlexa, api: LocalAlexaApi, utterance: str) -> tuple[Exchange, Effects]:
    """Say one thing (or a special: "(silence)", "(new visit)", "touch LABEL", "(alexa apis answer
    429)", "(alexa apis work)") and collect what
    it did on the Alexa APIs: timers set, reminders set, changed or deleted."""
    timers_before, versions_before = len(api.timers), reminder_versions(api)
    touched = TOUCH.fullmatch(utterance)
    if touched:
        said = touch(alexa, touched.group(1))
    elif utterance == "(silence)":
        said = alexa.silence()
    elif utterance == "(new visit)":
        said = alexa.end_session("EXCEEDED_MAX_REPROMPTS", Exchange(utterance=utterance))
        said.notes.append("later, the same person comes back")
    elif (failing := API_FAILS.fullmatch(utterance)) or utterance == API_WORKS:
        said = Exchange(utterance=utterance)
        api.status = int(failing.group(1)) if failing else 200
        said.notes.append(f"from now on the Alexa APIs answer {api.status}")
    else:
        said = alexa.say(utterance)
    return said, effects_since(api, timers_before, versions_before)


def touch(alexa: LocalAlexa, label: str) -> Exchange:
    """Press the button or hint chip labelled `label` (case, spacing and a closing "?" ignored)
    on the screen shown now. Without one nothing is sent, as tapping beside a button sends
    nothing; the note lists what could be pressed instead."""
    screen = alexa.screen or {}
    buttons = [*screen.get("buttons", []), *screen.get("hints", [])]
    for button in buttons:
        if _label_key(button["label"]) == _label_key(label):
            said = alexa.touch(*button["arguments"])
            said.utterance = f"touch {button['label']}"
            return said
    said = Exchange(utterance=f"touch {label}")
    if buttons:
        said.notes.append(f"no '{label}' on the screen; buttons: " + " | ".join(b["label"] for b in buttons))
    else:
        said.notes.append("nothing on the screen to touch" + ("" if alexa.draws_screens else " (chat --screen draws one)"))
    return said


def _label_key(label: str) -> str:
    return " ".join(label.casefold().rstrip("?!. ").split())


def read_typed(prompt: str) -> str:
    """input(), echoing the line when stdin is not a terminal: a terminal shows what was typed, a pipe
    does not, and the output of `printf '...' | backtwitch chat` would answer lines nobody sees."""
    line = input(prompt)
    if not sys.stdin.isatty():
        print(line)
    return line


def repl(alexa: LocalAlexa, api: LocalAlexaApi, speaker: Speaker | None, read: Callable[[str], str] = read_typed,
         out: TextIO | None = None) -> int:
    """Type, hear, repeat. Ctrl-D (or Ctrl-C) leaves."""
    out = out or sys.stdout
    opening, one_shot = TRY.get(language_of(alexa.locale), TRY["en"])
    print(f"Offline chat with {alexa.invocation} ({alexa.locale}). Try '{opening.format(name=alexa.invocation)}' or "
          f"'{one_shot.format(name=alexa.invocation)}'. (silence) = say nothing, (new visit) = come back "
          "later, " + ("touch LABEL = press a button on the screen, " if alexa.draws_screens else "")
          + "Ctrl-D = quit.", file=out)
    while True:
        try:
            utterance = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return 0
        if not utterance:
            continue
        said, effects = take_turn(alexa, api, utterance)
        show(said, effects, out)
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
    return _parse(path)[:2]


def transcript_device(path: Path) -> str | None:
    """The device profile named by @device (``@device echo_show_8``: the person has a screen)."""
    return _parse(path)[2]


def _parse(path: Path) -> tuple[str | None, list[ScriptLine], str | None]:
    locale: str | None = None
    device: str | None = None
    turns: list[ScriptLine] = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@locale "):
            if turns:
                raise TranscriptError(f"{path}:{number}: @locale must come before the first turn")
            locale = line.split(None, 1)[1].strip()
        elif line.startswith("@device "):
            if turns:
                raise TranscriptError(f"{path}:{number}: @device must come before the first turn")
            device = line.split(None, 1)[1].strip()
        elif line.startswith(">"):
            turns.append(ScriptLine(number, line[1:].strip()))
        elif line.startswith("<"):
            if not turns:
                raise TranscriptError(f"{path}:{number}: an expectation before anything was said")
            turns[-1].expectations.append(_expectation(path, number, line[1:].strip()))
        else:
            raise TranscriptError(f"{path}:{number}: a line must start with '>', '<', '#', '@locale' or '@device'")
    return locale, turns, device


def _expectation(path: Path, number: int, text: str) -> Expectation:
    tagged = re.fullmatch(r"\[([a-z-]+)\]\s*(.*)", text)
    if tagged is None:
        return Expectation(number, "says", text)
    check, value = tagged.group(1), tagged.group(2).strip()
    if check not in CHECKS:
        raise TranscriptError(f"{path}:{number}: unknown check [{check}] (known: {', '.join(sorted(CHECKS))})")
    if check not in ("open", "closed", "no-screen") and not value:
        raise TranscriptError(f"{path}:{number}: [{check}] needs a value")
    if check == "reminders" and not value.isdigit():
        raise TranscriptError(f"{path}:{number}: [reminders] needs a number (how many reminders Alexa holds)")
    return Expectation(number, check, value)


def failure(expectation: Expectation, said: Exchange, effects: Effects) -> str | None:
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
        "timer": (any(_contains(t, expectation.value) for t in effects.timers), f"timers set: {effects.timers}"),
        "reminder": (any(_contains(r, expectation.value) for r in effects.reminders),
                     f"reminders set or changed: {effects.reminders}"),
        "reminders": (expectation.value.isdigit() and effects.reminders_held == int(expectation.value),
                      f"Alexa holds {effects.reminders_held} reminders"),
        "screen": (_contains(screen_words(said), expectation.value), f"the screen shows: {screen_words(said)!r}"),
        "no-screen": (said.screen is None, f"the reply drew a screen: {screen_words(said)!r}"),
    }
    held, happened = actual[expectation.check]
    if held:
        return None
    label = expectation.check if expectation.check != "says" else "the reply contains"
    return f"expected [{label}] {expectation.value!r}; {happened}"


def screen_words(said: Exchange) -> str:
    """Everything the reply's screen shows, as one line: kind, title, step, texts, buttons."""
    screen = said.screen
    if screen is None:
        return ""
    parts = [f"[{screen.get('kind')}]", screen.get("title", ""), screen.get("progress_label", ""),
             screen.get("big", ""), screen.get("text", ""), screen.get("note", ""), screen.get("lines_title", ""),
             *screen.get("lines", []), *(b["label"] for b in screen.get("buttons", [])),
             *(b["label"] for b in screen.get("hints", []))]
    return " | ".join(part for part in parts if part)


def _contains(text: str, wanted: str) -> bool:
    return " ".join(wanted.lower().split()) in " ".join(text.lower().split())


def _intent_names(said: Exchange) -> set[str]:
    return {name for name in (said.heard.intent if said.heard else None, said.request_type) if name}


def run_transcript(path: Path, locale: str | None = None, out: TextIO | None = None,
                   content_dir: Path | None = None, model_dir: Path | None = None,
                   device: str | None = None) -> ScriptResult:
    """Play a transcript through the local skill; failures name the line and what was heard.
    `device` (a profile in devtools/envelopes/devices/) puts a screen in front of the person."""
    named, turns, named_device = _parse(path)
    result = ScriptResult(Path(path))
    device = device or named_device
    with local_skill(locale or named or DEFAULT_LOCALE, content_dir, model_dir, device=device) as (alexa, api):
        for turn in turns:
            said, effects = take_turn(alexa, api, turn.utterance)
            result.turns += 1
            if out is not None:
                print(f"you> {turn.utterance}", file=out)
                show(said, effects, out)
            if TOUCH.fullmatch(turn.utterance) and said.request_type is None:
                result.failures.append(f"{path}:{turn.line}: {said.notes[-1]}")
            for expectation in turn.expectations:
                problem = failure(expectation, said, effects)
                if problem:
                    result.failures.append(f"{path}:{expectation.line}: {problem} (after '> {turn.utterance}')")
        result.intents = {envelope["request"]["intent"]["name"] for envelope in alexa.sent
                          if envelope["request"]["type"] == "IntentRequest"}
    return result


def chat_command(locale: str | None, scripts: list[Path], speak: bool, out: TextIO | None = None,
                 screen: bool = False) -> int:
    """The CLI's entry: play each script (exit 1 on any failure), or talk until Ctrl-D; `screen`
    talks through an Echo Show 8 instead of a speaker, to see and touch what it shows."""
    out = out or sys.stdout
    device = SCREEN_DEVICE if screen else None
    if scripts:
        return _play_scripts(scripts, locale, out, device)
    locale = locale or DEFAULT_LOCALE
    with local_skill(locale, device=device) as (alexa, api):
        speaker = Speaker(locale, out) if speak else None
        return repl(alexa, api, speaker, out=out)


def _play_scripts(scripts: list[Path], locale: str | None, out: TextIO, device: str | None) -> int:
    failed = 0
    for path in scripts:
        try:
            result = run_transcript(path, locale, out, device=device)
        except TranscriptError as exc:
            print(f"transcript error: {exc}", file=sys.stderr)
            return 2
        for problem in result.failures:
            print(f"FAIL {problem}", file=sys.stderr)
        failed += len(result.failures)
        print(f"{path}: {result.turns} turns, {len(result.failures)} failed expectations", file=out)
    return 1 if failed else 0
