"""What Alexa's speech understanding sends for built-in slot types, from the words people say.

The offline chat has no Amazon speech service, yet the skill must see the values the real
platform sends: AMAZON.NUMBER as digits ("four" -> "4"), AMAZON.DURATION as ISO-8601 ("three
weeks" -> "P3W", "a few days" -> "PXD", with X for a vague amount), AMAZON.TIME as a 24-hour
"HH:MM" ("seven thirty pm" -> "19:30", a bare "seven" -> "07:00" as Alexa leaves it) or a part
of the day ("the evening" -> "EV"). This direction, words to platform values, is Alexa's job;
skill/conversation/slots.py and the flows read the values back on the skill's side.

Each function takes the locale and reads its language's words: English for en-*, Spanish for
es-* ("cuatro" -> "4", "hace tres semanas" -> "P3W", "desde ayer" -> "P1D", "a las siete de la
tarde" -> "19:00", "por la noche" -> "NI"). Spanish is read without accents ("mañana" and
"manana" alike), as people type it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ...conversation.slots import SPANISH, fold, words_language

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


def number_value(words: str, locale: str = "en-US") -> str | None:
    """AMAZON.NUMBER's value: digits for a spoken or written whole number, else None."""
    if words_language(locale) == SPANISH:
        return _es_number_value(words)
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


def duration_value(words: str, locale: str = "en-US") -> str | None:
    """AMAZON.DURATION's value: "three weeks" -> "P3W", "a week and two days" -> "P1W2D",
    "a few days" -> "PXD", "ten minutes" -> "PT10M"; None when the words are not a duration."""
    if words_language(locale) == SPANISH:
        return _es_duration_value(words)
    text = re.sub(r"[^a-z0-9 ]", " ", words.lower())
    return _iso_of([p.strip() for p in re.split(r"\band\b|,", text) if p.strip()], _amount)


def _iso_of(parts: list[Any], amount_of: Callable[[Any], tuple[tuple[str, bool], str] | None]) -> str | None:
    """The ISO-8601 duration of amounts said one after another ("a week and two days"), in
    either language; None when one part is not an amount of a unit."""
    amounts: dict[tuple[str, bool], str] = {}
    for part in parts:
        found = amount_of(part)
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


def time_value(words: str, locale: str = "en-US") -> str | None:
    """AMAZON.TIME's value: "HH:MM" on a 24-hour clock for a time of day ("seven pm" -> "19:00",
    "half past seven" -> "07:30", a bare "seven" -> "07:00": Alexa does not guess the half of the
    day), "MO"/"AF"/"EV"/"NI" for a part of the day ("the evening" -> "EV"); None otherwise."""
    if words_language(locale) == SPANISH:
        return _es_time_value(words)
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



# --------------------------------------------------------------------------- Spanish
# Every table is unaccented (slots.fold): "dieciséis" is "dieciseis", "mañana" is "manana".

_ES_UNITS = {
    "cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiun": 21,
    "veintiuno": 21, "veintiuna": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}
_ES_TENS = {"treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90}
_ES_HUNDREDS = {"cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
                "trescientas": 300, "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500, "quinientas": 500,
                "seiscientos": 600, "seiscientas": 600, "setecientos": 700, "setecientas": 700, "ochocientos": 800,
                "ochocientas": 800, "novecientos": 900, "novecientas": 900}


def _es_words(words: str) -> list[str]:
    """Lower case, no accents, digits and letters only: "¿A las 7:30?" -> ["a", "las", "7", "30"]."""
    return re.sub(r"[^a-z0-9 ]", " ", fold(words).lower()).split()


def _es_number_value(words: str) -> str | None:
    tokens = _es_words(words.replace("-", " "))
    if len(tokens) == 1 and tokens[0].isdigit():
        return str(int(tokens[0]))
    number = _es_spoken_number(tokens)
    return None if number is None else str(number)


def _es_spoken_number(tokens: list[str]) -> int | None:
    """"ciento cinco" -> 105, "treinta y cinco" -> 35, "dos mil" -> 2000; anything that isn't
    only number words -> None. "y" only joins tens and units ("treinta y cinco")."""
    total, current, seen = 0, 0, False
    for index, token in enumerate(tokens):
        if token == "y":
            if not (index and tokens[index - 1] in _ES_TENS and index + 1 < len(tokens)
                    and 0 < _ES_UNITS.get(tokens[index + 1], 0) < 10):
                return None
            continue
        if token in _ES_UNITS or token in _ES_TENS or token in _ES_HUNDREDS:
            current += _ES_UNITS.get(token, 0) + _ES_TENS.get(token, 0) + _ES_HUNDREDS.get(token, 0)
        elif token == "mil":
            total, current = total + (current or 1) * 1000, 0
        else:
            return None
        seen = True
    return total + current if seen else None


# Unit word -> (ISO designator, whether it belongs after the "T" time marker, multiplier).
_ES_DURATION_UNITS = {
    "segundo": ("S", True, 1), "minuto": ("M", True, 1), "hora": ("H", True, 1), "dia": ("D", False, 1),
    "noche": ("D", False, 1), "semana": ("W", False, 1), "quincena": ("W", False, 2), "mes": ("M", False, 1),
    "ano": ("Y", False, 1),
}
_ES_PLURAL_UNITS = {"segundos": "segundo", "minutos": "minuto", "horas": "hora", "dias": "dia", "noches": "noche",
                    "semanas": "semana", "quincenas": "quincena", "meses": "mes", "anos": "ano"}
_ES_FILLERS = {"hace", "desde", "ya", "por", "durante", "como", "casi", "alrededor", "aproximadamente", "de",
               "mas", "tipo", "lo", "menos", "o"}
_ES_VAGUE = {"unos", "unas", "algunos", "algunas", "pocos", "pocas", "unos pocos", "unas pocas", "unos cuantos",
             "unas cuantas", "varios", "varias"}
_ES_COUPLE = {"un par", "par"}
# "desde ayer": a point in time Alexa sends as the time since it.
_ES_SINCE = {"desde ayer": "P1D", "desde anoche": "P1D", "desde anteayer": "P2D", "desde antier": "P2D",
             "desde la semana pasada": "P1W", "desde el mes pasado": "P1M", "desde el ano pasado": "P1Y"}


def _es_duration_value(words: str) -> str | None:
    """"tres semanas" -> "P3W", "hace dos meses" -> "P2M", "unos días" -> "PXD", "un par de
    semanas" -> "P2W", "una semana y dos días" -> "P1W2D", "desde ayer" -> "P1D"."""
    tokens = _es_words(words)
    text = " ".join(tokens)
    if text in _ES_SINCE:
        return _ES_SINCE[text]
    tokens = [t for t in " ".join(tokens).replace("mas o menos", " ").split() if t not in _ES_FILLERS]
    parts: list[list[str]] = [[]]
    for token in tokens:  # "y" joins two amounts only after a unit: "treinta y cinco días" is one
        if token == "y" and parts[-1] and _es_unit(parts[-1][-1]) is not None:
            parts.append([])
        else:
            parts[-1].append(token)
    return _iso_of(parts, _es_amount)


def _es_unit(word: str) -> tuple[str, bool, int] | None:
    return _ES_DURATION_UNITS.get(_ES_PLURAL_UNITS.get(word, word))


def _es_amount(tokens: list[str]) -> tuple[tuple[str, bool], str] | None:
    if not tokens:
        return None
    unit = _es_unit(tokens[-1])
    if unit is None:
        return None
    designator, is_time, multiplier = unit
    count = _es_count(tokens[:-1])
    if count is None:
        return None
    amount = count if count == "X" else str(int(count) * multiplier)
    return (designator, is_time), amount


def _es_count(tokens: list[str]) -> str | None:
    words = " ".join(tokens)
    if words in ("", "un", "una", "uno"):
        return "1"
    if words in _ES_VAGUE:
        return "X"
    if words in _ES_COUPLE:
        return "2"
    if len(tokens) > 1 and tokens[0] in ("unos", "unas"):  # "unos tres días"
        tokens = tokens[1:]
    return _es_number_value(" ".join(tokens)) if tokens else None


# A part of the day said on its own ("por la noche"): Alexa sends its code. A lead is needed:
# "mañana" alone is tomorrow, "tarde" alone is late.
_ES_PARTS_OF_DAY = {"manana": "MO", "mananas": "MO", "tarde": "AF", "tardes": "AF", "noche": "NI", "noches": "NI"}
_ES_PART_OF_DAY_LEADS = ("en la", "por la", "la", "esta", "a la", "en las", "por las", "las", "cada", "todas las",
                         "de")
_ES_NAMED_TIMES = {"mediodia": "12:00", "medianoche": "00:00"}
_ES_NAMED_LEADS = ("", "el", "al", "a", "a la", "la", "a eso del", "sobre el", "hacia el")
# Words after a clock time that say the part of the day, and so which half of it.
_ES_MORNING, _ES_NOON, _ES_AFTERNOON, _ES_NIGHT = "manana", "mediodia", "tarde", "noche"
_ES_MERIDIEMS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(words.split()), half) for words, half in (
        ("de la manana", _ES_MORNING), ("en la manana", _ES_MORNING), ("por la manana", _ES_MORNING),
        ("esta manana", _ES_MORNING), ("de la madrugada", _ES_MORNING), ("en la madrugada", _ES_MORNING),
        ("am", _ES_MORNING), ("del mediodia", _ES_NOON), ("de la tarde", _ES_AFTERNOON),
        ("en la tarde", _ES_AFTERNOON), ("por la tarde", _ES_AFTERNOON), ("esta tarde", _ES_AFTERNOON),
        ("pm", _ES_AFTERNOON), ("de la noche", _ES_NIGHT), ("en la noche", _ES_NIGHT), ("por la noche", _ES_NIGHT),
        ("esta noche", _ES_NIGHT)))
_ES_TIME_LEADS = {"a", "al", "las", "la", "sobre", "hacia", "como", "eso", "de", "tipo", "alrededor", "para"}


def _es_time_value(words: str) -> str | None:
    """"a las siete de la tarde" -> "19:00", "a las nueve y media" -> "09:30", "al mediodía" ->
    "12:00", "las ocho menos cuarto" -> "07:45", "cuarto para las ocho" -> "07:45", "19:30" ->
    "19:30", "por la noche" -> "NI", "en la mañana" -> "MO"; None otherwise."""
    tokens = _time_tokens(fold(words))
    if not tokens:
        return None
    *lead, last = tokens
    if last in _ES_NAMED_TIMES and " ".join(lead) in _ES_NAMED_LEADS:
        return _ES_NAMED_TIMES[last]
    if last in _ES_PARTS_OF_DAY and lead and " ".join(lead) in _ES_PART_OF_DAY_LEADS:
        return _ES_PARTS_OF_DAY[last]
    half = None
    for suffix, named in _ES_MERIDIEMS:
        if len(tokens) > len(suffix) and tuple(tokens[-len(suffix):]) == suffix:
            tokens, half = tokens[:-len(suffix)], named
            break
    while tokens and tokens[0] in _ES_TIME_LEADS and len(tokens) > 1:
        tokens = tokens[1:]
    if tokens[-2:] == ["en", "punto"]:
        tokens = tokens[:-2]
    elif tokens[-1:] in (["horas"], ["hrs"], ["h"]):
        tokens = tokens[:-1]
    clock = _es_clock(tokens) if tokens else None
    if clock is None:
        return None
    hour, minute = clock
    if half is not None:
        if not 1 <= hour <= 12:
            return None  # "las diecinueve de la tarde"
        hour = _es_half(hour, half)
    return f"{hour:02d}:{minute:02d}"


def _es_half(hour: int, half: str) -> int:
    """A 12-hour clock hour (1-12) with its part of the day, on the 24-hour clock: "las doce de la
    noche" is midnight, "la una de la noche" one in the morning, "la una del mediodía" 13:00."""
    if half == _ES_MORNING:
        return hour % 12
    if half == _ES_NIGHT:
        return 0 if hour == 12 else hour if hour <= 5 else hour + 12
    return hour if hour == 12 else hour + 12


def _es_clock(tokens: list[str]) -> tuple[int, int] | None:
    """(hour, minute) for "siete", "siete y media", "siete y cuarto", "siete y diez", "siete treinta",
    "7 30", "1930", "ocho menos cuarto", "ocho menos diez", "cuarto para las ocho"."""
    if "menos" in tokens[1:-1]:  # "las ocho menos cuarto"
        at = tokens.index("menos")
        hour, amount = _es_hour(tokens[:at]), _es_minutes(tokens[at + 1:])
        if hour is None or amount is None or not 0 < amount < 60:
            return None
        return (hour - 1) % 24 if hour != 1 else 12, 60 - amount
    if "para" in tokens[1:-1]:  # "cuarto para las ocho", "diez para la una"
        at = tokens.index("para")
        amount = _es_minutes(tokens[:at])
        rest = tokens[at + 1:]
        rest = rest[1:] if rest[:1] in (["las"], ["la"]) else rest
        hour = _es_hour(rest)
        if hour is None or amount is None or not 0 < amount < 60:
            return None
        return (hour - 1) % 24 if hour != 1 else 12, 60 - amount
    if len(tokens) == 1 and tokens[0].isdigit() and len(tokens[0]) in (3, 4):
        hours, minutes = int(tokens[0][:-2]), int(tokens[0][-2:])
        return (hours, minutes) if hours < 24 and minutes < 60 else None
    hour = _es_hour(tokens[:1])
    if hour is None:
        return None
    rest = tokens[1:]
    if rest[:1] == ["y"]:
        rest = rest[1:]
        if not rest:
            return None
    minute = _es_minutes(rest) if rest else 0
    return (hour, minute) if minute is not None and minute < 60 else None


def _es_hour(tokens: list[str]) -> int | None:
    """An hour of the day as one word or number (0 to 23): "siete", "19", "veintiuna"."""
    if len(tokens) != 1:
        return None
    token = tokens[0]
    if token.isdigit():
        return int(token) if len(token) <= 2 and int(token) < 24 else None
    hour = _ES_UNITS.get(token)
    return hour if hour is not None and 0 < hour < 24 else None


def _es_minutes(tokens: list[str]) -> int | None:
    """The minutes of a time: "media" (30), "cuarto" (15), "diez", "treinta y cinco", "30", "cero
    cinco", with or without "minutos"."""
    if tokens[-1:] == ["minutos"]:
        tokens = tokens[:-1]
    if not tokens:
        return None
    if tokens == ["media"]:
        return 30
    if tokens == ["cuarto"]:
        return 15
    if len(tokens) == 1 and tokens[0].isdigit():
        return int(tokens[0]) if len(tokens[0]) <= 2 and int(tokens[0]) < 60 else None
    if len(tokens) == 2 and tokens[0] == "cero" and 0 < _ES_UNITS.get(tokens[1], 0) < 10:
        return _ES_UNITS[tokens[1]]
    number = _es_spoken_number(tokens)
    return number if number is not None and 0 < number < 60 else None
