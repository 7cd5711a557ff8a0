"""What Alexa's speech understanding sends for built-in slot types, from the words people say.

The offline chat has no Amazon speech service, yet the skill must see the values the real
platform sends: AMAZON.NUMBER as digits ("four" -> "4"), AMAZON.DURATION as ISO-8601 ("three
weeks" -> "P3W", "a few days" -> "PXD", with X for a vague amount), AMAZON.TIME as a 24-hour
"HH:MM" ("seven thirty pm" -> "19:30", a bare "seven" -> "07:00" as Alexa leaves it) or a part
of the day ("the evening" -> "EV"). This direction, words to platform values, is Alexa's job;
skill/conversation/slots.py and the flows read the values back on the skill's side.
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


# --------------------------------------------------------------------------- AMAZON.TIME

# A part of the day said on its own: Alexa sends these codes instead of a clock time.
_PARTS_OF_DAY = {"morning": "MO", "mornings": "MO", "afternoon": "AF", "afternoons": "AF", "evening": "EV",
                 "evenings": "EV", "night": "NI", "nights": "NI", "tonight": "NI", "nighttime": "NI"}
_PART_OF_DAY_LEADS = ("in the", "the", "this", "at", "in", "every", "each")
# Words after a clock time that say which half of the day: before noon, after it, or at night
# (after noon, except that twelve at night is midnight).
_AM, _PM, _NIGHT = "am", "pm", "night"
_MERIDIEMS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(words.split()), half) for words, half in (
        ("am", _AM), ("in the morning", _AM), ("this morning", _AM), ("pm", _PM),
        ("in the afternoon", _PM), ("this afternoon", _PM), ("in the evening", _PM), ("this evening", _PM),
        ("at night", _NIGHT), ("tonight", _NIGHT)))
_NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "twelve noon": "12:00", "12 noon": "12:00",
                "midnight": "00:00", "twelve midnight": "00:00", "12 midnight": "00:00"}
_QUARTERS = {"quarter": 15, "a quarter": 15, "half": 30}


def time_value(words: str) -> str | None:
    """AMAZON.TIME's value: "HH:MM" on a 24-hour clock for a time of day ("seven pm" -> "19:00",
    "half past seven" -> "07:30", a bare "seven" -> "07:00": Alexa does not guess the half of the
    day), "MO"/"AF"/"EV"/"NI" for a part of the day ("the evening" -> "EV"); None otherwise."""
    tokens = _time_tokens(words)
    if not tokens:
        return None
    text = " ".join(tokens)
    if text in _NAMED_TIMES:
        return _NAMED_TIMES[text]
    part = _part_of_day(tokens)
    if part is not None:
        return part
    tokens, half = _meridiem(tokens)
    clock = _clock(tokens) if tokens else None
    if clock is None:
        return None
    hour, minute = clock
    if half is not None:
        if not 1 <= hour <= 12:
            return None  # "nineteen pm", "zero am"
        hour = 0 if hour == 12 and half == _NIGHT else hour % 12 + (0 if half == _AM else 12)
    return f"{hour:02d}:{minute:02d}"


def _time_tokens(words: str) -> list[str]:
    """Lower-case words: "a.m." and "a m" -> "am", "7pm" -> "7 pm", "7:30" -> "7 30", "o'clock" -> "oclock"."""
    text = words.lower().replace("\u2019", "'")
    text = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", text)
    text = re.sub(r"\bo\s?'?\s?clock\b", "oclock", text)
    text = re.sub(r"(\d)([ap]m)\b", r"\1 \2", text)
    tokens = re.sub(r"[^a-z0-9 ]", " ", text).split()
    joined: list[str] = []
    for token in tokens:
        if token == "m" and joined and joined[-1] in ("a", "p"):
            joined[-1] += "m"
        else:
            joined.append(token)
    return joined


def _part_of_day(tokens: list[str]) -> str | None:
    """"the evening", "in the morning", "tonight" -> its code; None for anything else."""
    *lead, last = tokens
    if last not in _PARTS_OF_DAY:
        return None
    return _PARTS_OF_DAY[last] if not lead or " ".join(lead) in _PART_OF_DAY_LEADS else None


def _meridiem(tokens: list[str]) -> tuple[list[str], str | None]:
    """The words before a closing "pm", "in the morning", "at night"..., and which half of the
    day they say (see _MERIDIEMS); None without one."""
    for words, half in _MERIDIEMS:
        if len(tokens) > len(words) and tuple(tokens[-len(words):]) == words:
            return tokens[:-len(words)], half
    return tokens, None


def _clock(tokens: list[str]) -> tuple[int, int] | None:
    """(hour, minute) for "seven", "seven thirty", "7 30", "1930", "eight oclock", "nineteen hundred",
    "half past seven", "quarter to eight", "ten past nine", "half seven"; None otherwise."""
    if tokens[-1:] == ["oclock"]:
        hour = _hour(tokens[:-1])
        return None if hour is None else (hour, 0)
    for joiner, sign in (("past", 1), ("after", 1), ("to", -1), ("before", -1)):
        if joiner in tokens[1:-1]:
            at = tokens.index(joiner)
            return _relative(tokens[:at], tokens[at + 1:], sign)
    if len(tokens) == 2 and tokens[0] == "half":  # British "half seven": 7:30
        half_past = _hour(tokens[1:])
        return None if half_past is None else (half_past, 30)
    if len(tokens) == 1 and tokens[0].isdigit() and len(tokens[0]) in (3, 4):
        hours, minutes = int(tokens[0][:-2]), int(tokens[0][-2:])
        return (hours, minutes) if hours < 24 and minutes < 60 else None
    for split in range(len(tokens), 0, -1):  # the longest hour first: "twenty one thirty" is 21:30
        hour = _hour(tokens[:split])
        minute = _minute(tokens[split:])
        if hour is not None and minute is not None:
            return hour, minute
    return None


def _relative(before: list[str], after: list[str], sign: int) -> tuple[int, int] | None:
    """"quarter past seven" -> (7, 15); "ten to eight" -> (7, 50)."""
    words = [w for w in before if w not in ("minutes", "minute")]
    amount = _QUARTERS.get(" ".join(words))
    if amount is None or (amount == 30 and sign < 0):
        number = number_value(" ".join(words)) if words else None
        amount = int(number) if number is not None and 0 < int(number) < 60 else None
    hour = _hour(after)
    if amount is None or hour is None:
        return None
    if sign > 0:
        return hour, amount
    return (hour - 1) % 24 if hour != 1 else 12, 60 - amount


def _hour(tokens: list[str]) -> int | None:
    """An hour of the day said as a number (0 to 23): "seven", "19", "twenty one"."""
    if len(tokens) == 1 and tokens[0].isdigit():
        return int(tokens[0]) if int(tokens[0]) < 24 else None
    if not tokens or len(tokens) > 2 or any(token not in _UNITS and token not in _TENS for token in tokens):
        return None
    if len(tokens) == 2 and (tokens[0] != "twenty" or tokens[1] not in _UNITS or _UNITS[tokens[1]] > 3):
        return None
    hour = _spoken_number(tokens)
    return hour if hour is not None and hour < 24 and tokens != ["zero"] else None


def _minute(tokens: list[str]) -> int | None:
    """The minutes after an hour: nothing (0), "thirty", "forty five", "oh five", "hundred", "30"."""
    if not tokens or tokens in (["hundred"], ["hundred", "hours"]):
        return 0
    if len(tokens) == 1 and tokens[0].isdigit() and len(tokens[0]) == 2:
        return int(tokens[0]) if int(tokens[0]) < 60 else None
    if len(tokens) == 2 and tokens[0] in ("oh", "o") and tokens[1] in _UNITS and 0 < _UNITS[tokens[1]] < 10:
        return _UNITS[tokens[1]]
    if len(tokens) == 1 and (tokens[0] in _TENS or _UNITS.get(tokens[0], 0) >= 10):
        minute = _TENS.get(tokens[0]) or _UNITS[tokens[0]]
        return minute if minute < 60 else None
    if len(tokens) == 2 and tokens[0] in _TENS and tokens[1] in _UNITS and 0 < _UNITS[tokens[1]] < 10:
        minute = _TENS[tokens[0]] + _UNITS[tokens[1]]
        return minute if minute < 60 else None
    return None
