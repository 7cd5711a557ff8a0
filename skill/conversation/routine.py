"""The relief routine as content: steps, their parts, timed holds, paced beats and the timer offer.

`content/<locale>/routine.yaml` is validated by the one content schema before it reaches
`parse_routine`, so this module only gives the validated data names and shapes. The pacing
lives here as data (seconds, cues); `skill/conversation/flows/routine.py` decides how it sounds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Text = str | list[str]


@dataclass(frozen=True)
class Hold:
    """A stretch held still for `seconds`, with a cue to start, one halfway and one to let go."""

    seconds: int
    start: Text
    halfway: Text
    release: Text


@dataclass(frozen=True)
class Beat:
    """One paced instruction ("breathe in"), then silence while the user does it."""

    say: Text
    pause_seconds: float


@dataclass(frozen=True)
class Pacing:
    """Beats spoken in order, the whole sequence `repeat` times (a breathing round, say)."""

    beats: tuple[Beat, ...]
    repeat: int


@dataclass(frozen=True)
class Part:
    """One turn's worth of a longer step: a named stretch or exercise."""

    name: str
    speech: Text
    card: str
    hold: Hold | None = None
    pacing: Pacing | None = None


@dataclass(frozen=True)
class Safety:
    speech: Text
    card: str


@dataclass(frozen=True)
class TimerOffer:
    """A timer the skill offers at this step; `announce` is what Alexa says when it rings."""

    minutes: int
    label: str
    announce: str


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    speech: Text
    card: str
    safety: Safety | None  # the step's guard-rail, when it has one
    parts: tuple[Part, ...] = ()
    timer: TimerOffer | None = None

    @property
    def part_count(self) -> int:
        """Turns this step takes: one per part, or one for a step without parts."""
        return max(1, len(self.parts))


@dataclass(frozen=True)
class Routine:
    id: str
    title: str
    intro: Text
    card: str
    outro: Text
    follow_up_ask: Text
    follow_up_reprompt: Text
    offer: str
    steps: tuple[Step, ...]
    phrases: dict[str, Text]

    @property
    def total(self) -> int:
        return len(self.steps)

    def step(self, number: int) -> Step:
        """The step by its spoken, one-based number."""
        return self.steps[number - 1]


def parse_routine(data: dict[str, Any]) -> Routine:
    """Name the parts of schema-valid routine content (the `routine` file's whole data)."""
    raw = data["routine"]
    return Routine(
        id=raw["id"],
        title=raw["title"],
        intro=raw["intro"],
        card=raw["card"],
        outro=raw["outro"],
        follow_up_ask=raw["follow_up"]["ask"],
        follow_up_reprompt=raw["follow_up"]["reprompt"],
        offer=raw["follow_up"]["offer"],
        steps=tuple(_step(step) for step in raw["steps"]),
        phrases=dict(data["phrases"]),
    )


def _step(raw: dict[str, Any]) -> Step:
    timer = raw.get("timer")
    return Step(
        id=raw["id"],
        title=raw["title"],
        speech=raw["speech"],
        card=raw["card"],
        safety=Safety(**raw["safety"]) if raw.get("safety") else None,
        parts=tuple(_part(part) for part in raw.get("parts", [])),
        timer=TimerOffer(**timer) if timer else None,
    )


def _part(raw: dict[str, Any]) -> Part:
    hold = raw.get("hold")
    pacing = raw.get("pacing")
    return Part(
        name=raw["name"],
        speech=raw["speech"],
        card=raw["card"],
        hold=Hold(**hold) if hold else None,
        pacing=Pacing(beats=tuple(Beat(**beat) for beat in pacing["beats"]), repeat=pacing["repeat"]) if pacing else None,
    )
