"""What an envelope may hold before the skill reads it: refused at the edge (HTTP 400), never crashed on.

Alexa's envelopes are shallow and small; session attributes are what the skill itself wrote
last turn (a few keys, two levels).  A client that can reach the skill (verification off, or
any path that trusts what it gets) may send anything the body limit allows, and two shapes of
it break things below the edge:

* deep nesting in what comes back out (session attributes are echoed in the response, slots
  are read field by field): writing 1,000 levels back exceeds the recursion limit, an HTTP
  500.  The session attributes and the intent (its slots) are bounded in depth and in the
  number of values they hold;
* a launch or an intent without a session (Alexa always sends one): the handlers keep the
  conversation's state in its attributes;
* text that cannot be encoded: JSON may spell a lone UTF-16 surrogate (``"\\ud800"``), which
  no UTF-8 response, log line, store key or metrics page can carry.  Any such string, key or
  value, anywhere in the envelope, is refused.

``envelope_problem`` returns the reason (a short phrase for the 400's JSON body and the
rejection metric) or None.  It runs once per request, so the common case is kept cheap: the
walk covers only the session attributes and the intent, and the search for surrogates
starts only when the raw body spells one.
"""
from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_VALUES", "envelope_problem"]

MAX_DEPTH = 32
"""Nesting levels allowed in the session attributes and in the intent (the skill writes 3; slots take 6)."""
MAX_VALUES = 2000
"""Values (strings, numbers, lists, objects...) allowed in the session attributes, and in the intent."""

IN_A_SESSION = frozenset({"LaunchRequest", "IntentRequest"})
"""Request types Alexa always sends inside a session: the handlers read and write its attributes."""

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
"""How JSON spells a UTF-16 surrogate; a raw one is invalid UTF-8 and never parses."""


def envelope_problem(document: dict[str, Any], body: bytes | None = None) -> str | None:
    """Why this parsed envelope is refused, or None.  ``body`` (the raw JSON) lets the surrogate
    check be skipped when it spells none; without it the whole envelope is searched."""
    if not isinstance(document, dict):
        return None  # not an envelope at all: the reader refuses it
    session = document.get("session")
    request = document.get("request")
    if session is None and isinstance(request, dict) and isinstance(request.get("type"), str) and request["type"] in IN_A_SESSION:
        return "missing session"
    attributes = session.get("attributes") if isinstance(session, dict) else None
    intent = request.get("intent") if isinstance(request, dict) else None
    if body is None or not _small(body):
        for part, name in ((attributes, "session attributes"), (intent, "intent")):
            problem = _shape_problem(part)
            if problem is not None:
                return f"{name} {problem}"
    if (body is None or _SURROGATE_ESCAPE.search(body)) and not _encodable(document):
        return "unencodable text"
    return None


def _small(body: bytes) -> bool:
    """Too few brackets in the whole body for any part to nest beyond ``MAX_DEPTH`` (and so too
    few brackets and commas for any part to hold over ``MAX_VALUES`` values): no walk needed."""
    brackets = body.count(b"{") + body.count(b"[")
    return brackets <= MAX_DEPTH and brackets + body.count(b",") <= MAX_VALUES


def _shape_problem(value: Any) -> str | None:
    """'too deep' or 'too large' for a parsed JSON value; level by level, without recursion."""
    if type(value) not in _CONTAINERS:
        return None
    level, depth, count = [value], 1, 0
    while level:
        if depth > MAX_DEPTH:
            return "too deep"
        below = []
        for item in level:
            children = item.values() if type(item) is dict else item
            count += len(children)
            below += [child for child in children if type(child) in _CONTAINERS]
        if count > MAX_VALUES:
            return "too large"
        level, depth = below, depth + 1
    return None


_CONTAINERS = (dict, list)  # what a JSON parser makes: exactly these types, never subclasses


def _encodable(value: Any) -> bool:
    """Every string (and key) in a JSON value encodes as UTF-8; the walk keeps its own stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True
