"""Exceptions in logs without the values in them.

An exception's message often quotes what it choked on: ``int('¹²³')`` raises
``invalid literal for int() with base 10: '¹²³'``, and a ``KeyError`` names the key. Here
that is a slot value, a session attribute or a user id, none of which may reach a log line
(README "Observability"). So the skill logs an exception as its type and where it was raised
(module, function, line: the traceback's last frame, and the innermost frame of the skill's
own code when that is a different one), never its message or the values in its frames.
"""
from __future__ import annotations

import os
import sys
import traceback
from types import TracebackType

_OWN_PACKAGE = "skill"


def exception_summary(exc: BaseException) -> str:
    """``ValueError at skill.conversation.handlers.routine:go_to_step:123``, with the causes' types after it.

    Only names of types, modules and functions and line numbers: code, never data.
    """
    parts = [_one(exc)]
    seen = {id(exc)}
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    while cause is not None and id(cause) not in seen and len(parts) < 4:
        seen.add(id(cause))
        parts.append(_one(cause))
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    return " <- ".join(parts)


def _one(exc: BaseException) -> str:
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ in {"builtins", "__main__"} else f"{kind.__module__}.{kind.__qualname__}"
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ is not None else []
    if not frames:
        return name
    last = frames[-1]
    text = f"{name} at {_where(last)}"
    own = next((frame for frame in reversed(frames) if _module_of(frame.filename).startswith(_OWN_PACKAGE + ".")), None)
    if own is not None and own is not last:
        text += f" (in {_where(own)})"
    return text


def _where(frame: traceback.FrameSummary) -> str:
    return f"{_module_of(frame.filename)}:{frame.name}:{frame.lineno}"


def _module_of(filename: str) -> str:
    """A file's module name, by the longest ``sys.path`` entry it lies under
    (``.../json/decoder.py`` -> ``json.decoder``); otherwise its file name."""
    path = os.path.abspath(filename) if filename and not filename.startswith("<") else filename
    for root in _roots():
        if path.startswith(root):
            path = path[len(root):]
            break
    else:
        path = os.path.basename(path)
    if path.endswith(".py"):
        path = path[:-3]
    return path.replace(os.sep, ".")


def _roots() -> list[str]:
    return sorted({os.path.join(os.path.abspath(entry or "."), "") for entry in sys.path}, key=len, reverse=True)


def format_exc_info(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> str:
    """What ``logging.Formatter.formatException`` prints instead of a traceback."""
    exc = exc_info[1]
    return f"exception: {exception_summary(exc)}" if exc is not None else f"exception: {exc_info[0].__name__}"
