"""What Alexa's speech understanding sends for built-in slot types, from the words people say.

The offline chat has no Amazon speech service, yet the skill must see the values the real
platform sends: AMAZON.NUMBER as digits ("four" -> "4"), AMAZON.DURATION as ISO-8601 ("three
weeks" -> "P3W", "a few days" -> "PXD", with X for a vague amount). This direction, words to
platform values, is Alexa's job; skill/conversation/slots.py reads the values back on the skill's side.
"""
from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000}
_VAGUE = {"few", "several", "some", "a few"}
_COUPLE = {"a couple", "couple", "a couple of", "couple of"}
# Unit word -> (ISO designator, whether it belongs after the "T" time marker, multiplier).
_DURATION_UNITS = {
    "second": ("S", True, 1), "minute": ("M", True, 1), "hour": ("H", True, 1), "day": ("D", False, 1),
    "night": ("D", False, 1), "week": ("W", False, 1), "fortnight": ("W", False, 2), "month": ("M", False, 1),
    "year": ("Y", False, 1),
}
_FILLERS = {"about", "around", "roughly", "nearly", "almost", "over", "just", "maybe", "for", "the", "last", "past", "like"}


def number_value(words: str) -> str | None:
    """AMAZON.NUMBER's value: digits for a spoken or written whole number, else None."""
    tokens = words.lower().replace("-", " ").split()
    if len(tokens) == 1 and tokens[0].isdigit():
        return str(int(tokens[0]))
    number = _spoken_number(tokens)
    return None if number is None else str(number)


def _spoken_number(tokens: list[str]) -> int | None:
    """"one hundred and five" -> 105; anything that isn't only number words -> None."""
    total, current, seen = 0, 0, False
    for token in tokens:
        if token == "and" and seen:
            continue
        if token in _UNITS or token in _TENS:
            current += _UNITS.get(token, 0) + _TENS.get(token, 0)
        elif token in _SCALES:
            current = (current or 1) * _SCALES[token]
            if token == "thousand":
                total, current = total + current, 0
        else:
            return None
        seen = True
    return total + current if seen else None


def duration_value(words: str) -> str | None:
    """AMAZON.DURATION's value: "three weeks" -> "P3W", "a week and two days" -> "P1W2D",
    "a few days" -> "PXD", "ten minutes" -> "PT10M"; None when the words are not a duration."""
    text = re.sub(r"[^a-z0-9 ]", " ", words.lower())
    parts = [p.strip() for p in re.split(r"\band\b|,", text) if p.strip()]
    amounts: dict[tuple[str, bool], str] = {}
    for part in parts:
        found = _amount(part)
        if found is None:
            return None
        key, amount = found
        amounts[key] = amount
    return _iso(amounts) if amounts else None


def _amount(part: str) -> tuple[tuple[str, bool], str] | None:
    """("W", False), "3" for "about three weeks"; None when it isn't an amount of a unit."""
    tokens = [t for t in part.split() if t not in _FILLERS]
    if not tokens:
        return None
    unit = _DURATION_UNITS.get(tokens[-1].removesuffix("s"))
    if unit is None:
        return None
    designator, is_time, multiplier = unit
    count = _count(" ".join(tokens[:-1]))
    if count is None:
        return None
    amount = count if count == "X" else str(int(count) * multiplier)
    return (designator, is_time), amount


def _count(words: str) -> str | None:
    if words in ("", "a", "an", "one"):
        return "1"
    if words in _VAGUE:
        return "X"
    if words in _COUPLE:
        return "2"
    return number_value(words)


def _iso(amounts: dict[tuple[str, bool], str]) -> str:
    date = "".join(f"{amounts[(d, False)]}{d}" for d in "YMWD" if (d, False) in amounts)
    time = "".join(f"{amounts[(d, True)]}{d}" for d in "HMS" if (d, True) in amounts)
    return "P" + date + (f"T{time}" if time else "")
