"""What a screen (Echo Show, Echo Spot, Fire TV) shows beside the speech, as a neutral value.

A ``Screen`` holds its kind, a title, a short text that agrees with what is said, buttons that do
what saying their words does, and for the routine the step, its guard-rail line and the countdown
of a timed hold. ``screens.py`` builds them from content; ``apl.py`` turns one into the document
a device draws. No APL and no content here, so a Reply can carry one.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """One APL document per kind (``skill/conversation/apl_documents/<kind>.json``)."""

    ANSWER = "answer"  # answers, welcome, help: title, text, hint chips or yes/no
    ROUTINE = "routine"  # step N of 6, the instruction, the guard-rail, progress, countdown
    QUESTION = "question"  # a screening question in large text, its answer buttons
    OUTCOME = "outcome"  # the action first; the answers only on the notes the person asked for
    EMERGENCY = "emergency"  # the number, very large, and "use your phone to call"


class Action(StrEnum):
    """What a touch asks for; ``handlers/touch.py`` turns it into the intent the words would be."""

    NEXT = "next"
    BACK = "back"
    REPEAT = "repeat"
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"
    DAYS = "days"  # value: a number of days, for the duration question
    INTENT = "intent"  # value: the intent of a hint chip listed in content


@dataclass(frozen=True)
class Button:
    label: str
    action: Action
    value: str = ""


@dataclass(frozen=True)
class Countdown:
    """A timed hold, counted down on screen in step with the speech.

    ``starts_after``: seconds from the start of the reply to the end of the start cue (words at
    Alexa's pace plus every pause before it, as ``flows/routine.listening_seconds`` counts them);
    then ``seconds`` counted down, "halfway" at the same point as the spoken cue, then "release".
    """

    starts_after: float
    seconds: int
    hold: str
    halfway: str
    release: str


@dataclass(frozen=True)
class Screen:
    kind: Kind
    title: str
    text: str
    note: str = ""  # the routine's guard-rail line; the emergency's "use your phone to call"
    big: str = ""  # the emergency number
    buttons: tuple[Button, ...] = ()
    hints: tuple[Button, ...] = ()  # hint chips: what else one could ask
    lines: tuple[str, ...] = ()  # the outcome's actions, or the answers the person asked to see
    lines_title: str = ""
    progress: tuple[int, int] | None = None  # (step, total)
    progress_label: str = ""
    countdown: Countdown | None = None

    def to_datasource(self) -> dict[str, Any]:
        """The JSON the document binds to (``payload.screen``); empty parts left out."""
        data: dict[str, Any] = {"kind": self.kind.value, "title": self.title, "text": self.text}
        for name in ("note", "big", "lines_title", "progress_label"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.lines:
            data["lines"] = list(self.lines)
        data["buttons"] = [_button(button) for button in self.buttons]
        data["hints"] = [_button(button) for button in self.hints]
        if self.progress is not None:
            data["progress"] = {"value": self.progress[0], "total": self.progress[1]}
        if self.countdown is not None:
            data["countdown"] = {"seconds": self.countdown.seconds, "label": self.countdown.hold}
        return data


def _button(button: Button) -> dict[str, Any]:
    return {"label": button.label, "arguments": [button.action.value, button.value]}
