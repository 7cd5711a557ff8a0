"""Hypothesis strategies shared by the fuzzing tests: real Alexa envelopes, bent out of shape."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from conversation import FIXTURES, fixture, now_iso

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
    found = [prefix]
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
