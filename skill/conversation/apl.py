"""A Screen as APL: the document for its kind, its datasource, and the countdown's commands.

The documents (``apl_documents/<kind>.json``) hold layout only; every word comes in the datasource from
content.  Each is sent only to a device whose request lists ``Alexa.Presentation.APL`` among
its supported interfaces; the token names the kind, so a touch on it (a UserEvent) says which
screen it came from (``handlers/touch.py``).  The countdown of a timed hold is a sequence of
``SetValue`` commands sent with the document (an ``ExecuteCommands`` for the token just
rendered): the first waits for the words before the hold, then one a second, "halfway" where
the voice says it, "release" at the end.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from ask_sdk_model.interfaces.alexa.presentation.apl import ExecuteCommandsDirective, RenderDocumentDirective

from .screen import Countdown, Kind, Screen

DOCUMENTS_DIR = Path(__file__).with_name("apl_documents")
TOKEN_PREFIX = "backtwitch."
INTERFACE = "Alexa.Presentation.APL"


def token(kind: Kind, waiting: str = "") -> str:
    """``backtwitch.<kind>``, then ``.<what the skill waits for>`` (flows.pending.follow_up_key):
    a touch answers only the question that was on screen when it was drawn."""
    return TOKEN_PREFIX + kind.value + (f".{waiting}" if waiting else "")


def kind_of(token_value: object) -> Kind | None:
    """The screen kind a token names, or None for a token the skill never sent."""
    if not isinstance(token_value, str) or not token_value.startswith(TOKEN_PREFIX):
        return None
    try:
        return Kind(token_value[len(TOKEN_PREFIX):].split(".", 1)[0])
    except ValueError:
        return None


def waiting_of(token_value: object) -> str:
    """What the skill was waiting for when the screen with this token was drawn ("" for nothing)."""
    if kind_of(token_value) is None:
        return ""
    parts = str(token_value)[len(TOKEN_PREFIX):].split(".", 1)
    return parts[1] if len(parts) > 1 else ""


@functools.cache
def document(kind: Kind) -> dict[str, Any]:
    """The layout for ``kind``, read once per process."""
    with (DOCUMENTS_DIR / f"{kind.value}.json").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def directives(screen: Screen, waiting: str = "") -> list[Any]:
    """RenderDocument for the screen, then the countdown's commands if a hold is timed.
    ``waiting``: the follow-up the reply waits for, carried in the token."""
    drawn = token(screen.kind, waiting)
    rendered = RenderDocumentDirective(token=drawn, document=document(screen.kind),
                                       datasources={"screen": screen.to_datasource()})
    if screen.countdown is None:
        return [rendered]
    return [rendered, ExecuteCommandsDirective(token=drawn, commands=countdown_commands(screen.countdown))]


def countdown_commands(countdown: Countdown) -> list[dict[str, Any]]:
    """One ``Sequential``: "Hold" once the start cue is said, the seconds one by one, "Halfway"
    when half the hold has passed (where the speech says it), "Release" at the end.  Each
    command's ``delay`` is the time since the one before, so the delays add up to the timeline."""
    start = round(countdown.starts_after * 1000)
    timeline = [(start, "countdownLabel", countdown.hold)]
    timeline += [(start + second * 1000, "countdownNumber", str(countdown.seconds - second))
                 for second in range(1, countdown.seconds + 1)]
    timeline.append((start + round(countdown.seconds * 500), "countdownLabel", countdown.halfway))
    timeline.append((start + countdown.seconds * 1000, "countdownLabel", countdown.release))
    timeline.sort(key=lambda event: event[0])
    commands, previous = [], 0
    for at, component, text in timeline:
        commands.append({"type": "SetValue", "componentId": component, "property": "text", "value": text,
                         "delay": at - previous})
        previous = at
    return [{"type": "Sequential", "commands": commands}]


def supports_apl(request_envelope: Any) -> bool:
    """Whether the device that sent the request can draw APL (its supportedInterfaces say so)."""
    device = getattr(getattr(getattr(request_envelope, "context", None), "system", None), "device", None)
    interfaces = getattr(device, "supported_interfaces", None)
    return getattr(interfaces, "alexa_presentation_apl", None) is not None
