"""Fuzzing shared by the tests: real Alexa envelopes bent out of shape, as Hypothesis strategies
(shrinkable, for property tests) and as a seeded random generator (thousands, for served runs)."""
from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from skill.tools.devtools.conversation import FIXTURES, Conversation, fixture, now_iso

FIXTURE_NAMES = sorted(path.name for path in Path(FIXTURES).glob("*.json"))


def realistic_envelope() -> dict[str, Any]:
    """An intent request with the context a real Echo Show sends: viewport, APL, audio player."""
    envelope = fixture("cause_intent_resolved.json")
    system = envelope["context"]["System"]
    system["device"]["supportedInterfaces"] = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}},
                                               "AudioPlayer": {}}
    system["apiEndpoint"], system["apiAccessToken"] = "https://api.amazonalexa.com", "token"
    system["person"] = {"personId": "amzn1.ask.person.1"}
    envelope["context"]["Viewport"] = {"experiences": [{"arcMinuteWidth": 246, "canRotate": False}],
                                       "shape": "RECTANGLE", "pixelWidth": 1024, "pixelHeight": 600, "dpi": 160,
                                       "currentPixelWidth": 1024, "touch": ["SINGLE"], "keyboard": ["DIRECTION"]}
    envelope["context"]["AudioPlayer"] = {"playerActivity": "IDLE"}
    envelope["session"]["attributes"] = {"last_reply": {"speech": "<speak>hi</speak>", "reprompt": None},
                                         "screening": {"answers": {"duration": 21}}, "flag": True}
    envelope["request"]["dialogState"] = "IN_PROGRESS"
    envelope["request"]["timestamp"] = "2026-03-01T09:30:00.123456Z"
    return envelope


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["IntentRequest", "LaunchRequest", "2026-01-01T00:00:00Z", "DENIED"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def paths_of(document: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in ``document`` (to a depth of 40: a planted deep value is not walked)."""
    found = [prefix]
    if len(prefix) >= 40:
        return found
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths_of(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths_of(value, prefix + (index,))
    return found


@st.composite
def mutated_envelopes(draw: st.DrawFn, fresh: bool = False) -> dict[str, Any]:
    """A real envelope with a few values swapped for arbitrary JSON at arbitrary places.

    ``fresh`` stamps it with the current time first, so that (unless a mutation hits the
    timestamp) it gets past verification and into the skill itself.
    """
    document = realistic_envelope() if draw(st.booleans()) else fixture(draw(st.sampled_from(FIXTURE_NAMES)))
    if fresh:
        document["request"]["timestamp"] = now_iso()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths_of(document)[1:]))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = draw(JSON_VALUES)
    return document


# --------------------------------------------------------------------------- seeded random fuzzing
# For runs of thousands of envelopes against a served skill: plain `random` with a seed is fast
# and repeatable, and every envelope starts from a real point in a real conversation.

HOSTILE = ["\ud800", "\udfff", "\udc00x", "\x00", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "a & b < c",
           "]]>", "<speak>", "</speak>", "&amp;", "&bogus;", "\"'", "\U0001F600", "ALS", "MRI & CT", " ", ""]
ODD_NUMBERS = ["¹²³", "٣", "-5", "0", "7", "999999999999", "1" * 5000, "4.5", "1e9", "?", "NaN", "step two", "Ⅻ"]
ODD_DURATIONS = ["P3W", "PT5M", "P1000000Y", "P", "PT", "P3W2DT", "-P1D", "P0D", "P1Y2M3W4DT5H6M7S", "?", "P1.5W"]
MODEL_INTENTS = ["CauseIntent", "ScreeningIntent", "ChangeAnswerIntent", "GoToStepIntent", "AMAZON.RepeatIntent",
                 "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.NextIntent", "ReliefIntent", "WhyTwitchingIntent",
                 "AMAZON.PreviousIntent", "AMAZON.HelpIntent", "AMAZON.FallbackIntent", "EmergencyIntent",
                 "AMAZON.PauseIntent", "AMAZON.ResumeIntent", "AMAZON.StartOverIntent", "PrivacyIntent"]
MODEL_SLOTS = ["cause", "emergency_signs", "sudden_signs", "duration", "duration_phrase", "weakness", "numbness",
               "widespread", "question", "answer", "number"]
REQUEST_TYPES = ["LaunchRequest", "IntentRequest", "SessionEndedRequest", "CanFulfillIntentRequest",
                 "Connections.Response", "AlexaSkillEvent.SkillDisabled", "Alexa.Presentation.APL.UserEvent",
                 "AudioPlayer.PlaybackStarted", "System.ExceptionEncountered", "Messaging.MessageReceived"]
ATTRIBUTE_KEYS = ["screening", "routine", "pending", "last_reply", "disclaimer_due", "heard_disclaimer", "flag"]


class EnvelopeFuzzer:
    """``EnvelopeFuzzer(seed, corpus).envelope()``: a copy of an envelope from ``corpus`` (what a
    real conversation sent) with one to four hostile changes where the skill reads."""

    def __init__(self, seed: int, corpus: list[dict[str, Any]]) -> None:
        self.rng = random.Random(seed)
        self.corpus = corpus

    def envelope(self) -> dict[str, Any]:
        document = copy.deepcopy(self.rng.choice(self.corpus))
        for _ in range(self.rng.randint(1, 4)):
            self.rng.choice(self._mutations)(self, document)
        if isinstance(document.get("request"), dict) and self.rng.random() < 0.9:
            document["request"]["timestamp"] = now_iso()  # mostly fresh, so that most reach the skill
        return document

    # -- values

    def text(self) -> str:
        pick = self.rng.random()
        if pick < 0.5:
            return "".join(self.rng.choice(HOSTILE) for _ in range(self.rng.randint(1, 4)))
        if pick < 0.7:
            return "".join(chr(self.rng.choice([self.rng.randint(32, 0x2FF), self.rng.randint(0, 0x10FFFF)]))
                           for _ in range(self.rng.randint(0, 12)))
        return self.rng.choice(ODD_NUMBERS + ODD_DURATIONS + MODEL_INTENTS + REQUEST_TYPES + ["yes", "no", "not sure"])

    def value(self, depth: int = 0) -> Any:
        pick = self.rng.random()
        if pick < 0.35:
            return self.text()
        if pick < 0.45:
            return self.rng.choice([None, True, False, 0, -1, 2**64, 1.5, -1e308, 10**30])
        if pick < 0.55:
            return nested_value(self.rng.choice([2, 10, 60, 200, 1100]), self.text())
        if pick < 0.7 or depth > 2:
            return self.rng.choice([[], {}, [self.text()], {"": None}])
        if pick < 0.85:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 3))]
        return {self.text(): self.value(depth + 1) for _ in range(self.rng.randint(0, 3))}

    # -- mutations

    def _anywhere(self, document: dict[str, Any]) -> None:
        path = self.rng.choice(paths_of(document)[1:] or [("version",)])
        parent: Any = document
        for step in path[:-1]:
            parent = parent[step]
        if self.rng.random() < 0.3 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = self.value()

    def _slot(self, document: dict[str, Any]) -> None:
        intent = _intent_of(document)
        if intent is None:
            return
        slots = intent.setdefault("slots", {})
        if not isinstance(slots, dict):
            return
        name = self.rng.choice(MODEL_SLOTS)
        heard = self.rng.choice([self.text(), self.rng.choice(ODD_NUMBERS), self.rng.choice(ODD_DURATIONS), self.value()])
        slot: Any = {"name": name, "value": heard, "confirmationStatus": "NONE"}
        if self.rng.random() < 0.3:
            slot["resolutions"] = {"resolutionsPerAuthority": [{
                "authority": self.text(), "status": {"code": self.rng.choice(["ER_SUCCESS_MATCH", "ER_SUCCESS_NO_MATCH", self.text()])},
                "values": self.rng.choice([[{"value": {"name": self.text(), "id": self.text()}}], [], self.value()])}]}
        slots[name] = slot if self.rng.random() < 0.8 else self.value()

    def _intent(self, document: dict[str, Any]) -> None:
        intent = _intent_of(document)
        if intent is not None:
            intent["name"] = self.rng.choice(MODEL_INTENTS) if self.rng.random() < 0.6 else self.text()

    def _attribute(self, document: dict[str, Any]) -> None:
        session = document.get("session")
        if not isinstance(session, dict):
            return
        attributes = session.setdefault("attributes", {})
        if not isinstance(attributes, dict):
            return
        key = self.rng.choice(ATTRIBUTE_KEYS) if self.rng.random() < 0.8 else self.text()
        current = attributes.get(key)
        if isinstance(current, dict) and current and self.rng.random() < 0.6:
            current[self.rng.choice(list(current))] = self.value()  # one field of a real state
        else:
            attributes[key] = self.value()

    def _who_and_where(self, document: dict[str, Any]) -> None:
        request = document.get("request")
        which = self.rng.choice(["user", "locale", "type", "session", "dialog"])
        if which == "user" and isinstance(document.get("session"), dict) and isinstance(document["session"].get("user"), dict):
            document["session"]["user"]["userId"] = self.text()
        elif which == "session":
            document.pop("session", None)
        elif isinstance(request, dict):
            key, value = {"locale": ("locale", self.rng.choice(["en-US", "en-GB", "en-IN", "fr-FR", "es-US", self.text()])),
                          "type": ("type", self.rng.choice(REQUEST_TYPES)),
                          "user": ("locale", "en-AU"),
                          "dialog": ("dialogState", self.rng.choice(["STARTED", "IN_PROGRESS", "COMPLETED", self.text()]))}[which]
            request[key] = value

    _mutations = [_anywhere, _slot, _slot, _intent, _attribute, _attribute, _who_and_where]


def nested_value(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def _intent_of(document: dict[str, Any]) -> dict[str, Any] | None:
    request = document.get("request")
    intent = request.get("intent") if isinstance(request, dict) else None
    return intent if isinstance(intent, dict) else None


def conversation_corpus(post: Callable[[bytes], tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every envelope a few real conversations send (with their session attributes at each
    point): the welcome, answers, the red-flag check, the relief routine, stray requests."""
    sent: list[dict[str, Any]] = []

    def recording(body: bytes) -> tuple[int, dict[str, Any]]:
        sent.append(json.loads(body))
        return post(body)

    scripts: list[list[tuple[str, dict[str, str]]]] = [
        [("WhyTwitchingIntent", {}), ("AMAZON.YesIntent", {}), ("CauseIntent", {"cause": "caffeine"}),
         ("AMAZON.RepeatIntent", {}), ("AMAZON.NoIntent", {})],
        [("ScreeningIntent", {}), ("ScreeningIntent", {"emergency_signs": "no"}), ("ScreeningIntent", {"sudden_signs": "no"}),
         ("ScreeningIntent", {"duration": "P3W"}), ("AMAZON.PreviousIntent", {}), ("ScreeningIntent", {"duration": "P3D"}),
         ("ScreeningIntent", {"weakness": "not sure"}), ("AMAZON.HelpIntent", {}),
         ("ChangeAnswerIntent", {"question": "weakness", "answer": "no"}), ("ScreeningIntent", {"numbness": "no"}),
         ("ScreeningIntent", {"widespread": "yes"}), ("AMAZON.YesIntent", {})],
        [("ReliefIntent", {}), ("AMAZON.NextIntent", {}), ("AMAZON.PauseIntent", {}), ("AMAZON.ResumeIntent", {}),
         ("GoToStepIntent", {"number": "4"}), ("AMAZON.PreviousIntent", {}), ("AMAZON.HelpIntent", {}),
         ("AMAZON.NextIntent", {}), ("AMAZON.StopIntent", {})],
        [("AMAZON.FallbackIntent", {}), ("PrivacyIntent", {}), ("EmergencyIntent", {})],
    ]
    for script in scripts:
        chat = Conversation(recording, user_id=f"amzn1.ask.account.FUZZ{len(sent)}")
        chat.launch()
        for intent, slots in script:
            chat.ask(intent, **slots)
        chat.end()
    sent += [fixture(name) for name in FIXTURE_NAMES] + [realistic_envelope()]
    return sent
