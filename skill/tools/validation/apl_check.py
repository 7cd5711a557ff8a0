"""Every APL document, and the datasources the flows build for every composed reply, checked
with Amazon's own validator (``apl-suggester``, an npm package run by Node.js: ``apl/check.js``).

apl-suggester reports everything at one level ("WARNING"), errors included; none is accepted.
The directives of each screen must also leave room in the response: Alexa refuses a response
over 24 KB, and speech, card and session attributes share it.
"""
from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...conversation import apl
from ...conversation.screen import Kind, Screen
from ...conversation.screens import screen_for, welcome_screen
from ...runtime.envelope import ResponseWriter
from .speech import LongestWords, composed_replies

TOOL_DIR = Path(__file__).with_name("apl")
MAX_SCREEN_BYTES = 16_000
NODE_TIMEOUT_SECONDS = 120


class AplToolMissing(Exception):
    """Node.js or the validator's package is not installed; the message says how to get it."""


def screens(content: LongestWords) -> Iterator[tuple[str, Screen]]:
    """(label, screen) for the welcome, help and every composed reply's screen."""
    yield "welcome", welcome_screen(content, "welcome")
    yield "help", welcome_screen(content, "help")
    for label, reply in composed_replies(content):
        yield label, screen_for(content, reply, None)


def screen_problems(label: str, screen: Screen) -> list[str]:
    """Size and shape problems of one screen (the validator sees the rest)."""
    problems = []
    size = sum(len(_WRITER.dumps(directive)) for directive in apl.directives(screen))
    if size > MAX_SCREEN_BYTES:
        problems.append(f"screen for {label}: its APL directives are {size} bytes, over {MAX_SCREEN_BYTES}")
    if not screen.title.strip() or not (screen.text.strip() or screen.big.strip()):
        problems.append(f"screen for {label}: no title or no text to show")
    return problems


def validator_problems(datasources: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """apl-suggester's findings: (document problems, datasource problems), one line each.

    Its datasource check reads only the top level (each datasource must be an object), so one
    screen per distinct top-level shape is sent; ``binding_problems`` checks what the documents
    read from ``payload.screen``. The documents and shapes rarely change, so a process asks
    Node.js once (a run costs over half a second).
    """
    documents = {kind.value: apl.document(kind) for kind in Kind}
    shapes: dict[str, str] = {}
    for name, sources in datasources.items():
        shapes.setdefault(json.dumps({key: type(value).__name__ for key, value in sources.items()}), name)
    sent = {name: datasources[name] for name in shapes.values()}
    found = _run_validator(json.dumps({"documents": documents, "datasources": sent}, sort_keys=True))
    document_lines = [f"{apl.DOCUMENTS_DIR / (name + '.json')}: {item.get('path', '/')}: {item.get('errorMessage')}"
                      for name, items in found.get("documents", {}).items() for item in items]
    datasource_lines = [f"datasources for {name}: {item.get('path', '/')}: {item.get('errorMessage')}"
                        for name, items in found.get("datasources", {}).items() for item in items]
    return document_lines, datasource_lines


_BINDING = re.compile(r"payload\.screen\.([A-Za-z_]+)")


def binding_problems(screens_seen: list[Screen]) -> list[str]:
    """Every ``payload.screen.<key>`` a document reads is a key some screen of its kind sends."""
    sent: dict[Kind, set[str]] = {kind: set() for kind in Kind}
    for screen in screens_seen:
        sent[screen.kind] |= set(screen.to_datasource())
    problems = []
    for kind in Kind:
        read = set(_BINDING.findall(json.dumps(apl.document(kind))))
        for key in sorted(read - sent[kind]):
            problems.append(f"{apl.DOCUMENTS_DIR / (kind.value + '.json')}: reads payload.screen.{key}, "
                            f"which no {kind.value} screen sends")
    return problems


@functools.lru_cache(maxsize=8)
def _run_validator(payload: str) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (TOOL_DIR / "node_modules" / "apl-suggester").is_dir():
        raise AplToolMissing(f"APL not checked: needs Node.js and `npm ci --prefix {TOOL_DIR}` (make apl-tools)")
    result = subprocess.run([node, str(TOOL_DIR / "check.js")], input=payload, capture_output=True,
                            text=True, timeout=NODE_TIMEOUT_SECONDS, check=False)
    if result.returncode != 0:
        raise AplToolMissing(f"APL not checked: apl-suggester failed: {result.stderr.strip()[-300:]}")
    found: dict[str, Any] = json.loads(result.stdout)
    return found


_WRITER = ResponseWriter()
"""Writes a directive as the response carries it."""
