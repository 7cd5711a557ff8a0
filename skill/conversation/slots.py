"""Safe slot reading: what the user said, and which canonical value id it means.

Alexa's entity resolution normally supplies the id. When it doesn't (no resolutions in the
request, or a timeout), we fall back to the interaction model's own values and synonyms, so
the same words work whether or not the platform resolved them.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ask_sdk_model import Intent, Slot
from ask_sdk_model.slu.entityresolution import StatusCode

from .locales import fallback_locale, load_models

MAX_HEARD_CHARS = 60


class SlotCatalog:
    """Synonym -> value id, per slot type, read from an interaction model file.

    Words are matched as the model spells them (lower case); failing that, without accents
    ("si" for "sí", "cafe" for "café"), but only where that spelling names one value id."""

    def __init__(self, types: dict[str, dict[str, str]], slot_types: dict[tuple[str, str], str] | None = None,
                 intents: frozenset[str] = frozenset()):
        self.types = types
        self.slot_types = slot_types or {}
        self.intents = intents  # every intent the model names, with or without slots
        # Each type's accent-free table, made the first time a word misses as spelled: 64 tables
        # for eight locales were a third of a Lambda cold start's words, and most are never asked.
        self._unaccented: dict[str, dict[str, str]] = {}

    @classmethod
    def from_model_data(cls, model: dict) -> SlotCatalog:
        """The catalog of an already-loaded model (a generated locale has no file of its own)."""
        types: dict[str, dict[str, str]] = {}
        for slot_type in model["interactionModel"]["languageModel"].get("types", []):
            lookup = types.setdefault(slot_type["name"], {})
            for value in slot_type.get("values", []):
                name = value["name"]
                value_id = value.get("id") or name["value"]
                for word in [name["value"], *name.get("synonyms", [])]:
                    lookup[_normal(word)] = value_id
        slot_types = {
            (intent["name"], slot["name"]): slot["type"]
            for intent in model["interactionModel"]["languageModel"]["intents"]
            for slot in intent.get("slots", [])
        }
        intents = frozenset(intent["name"] for intent in model["interactionModel"]["languageModel"]["intents"])
        return cls(types, slot_types, intents)

    def type_of(self, intent_name: str, slot_name: str) -> str | None:
        return self.slot_types.get((intent_name, slot_name))

    def lookup(self, slot_type: str, heard: str) -> str | None:
        found = self.types.get(slot_type, {}).get(_normal(heard))
        if found is None and slot_type in self.types:
            table = self._unaccented.get(slot_type)
            if table is None:
                table = self._unaccented[slot_type] = _unaccented_lookup(self.types[slot_type])
            found = table.get(_unaccented(heard))
        return found

    def for_locale(self, locale: str | None) -> SlotCatalog:
        """A lone catalog serves every locale (SlotCatalogs holds one per locale)."""
        return self


class SlotCatalogs:
    """One SlotCatalog per locale: en-GB's synonyms differ from en-US's. A request in a locale
    without a model gets its language's base catalog (es-AR: es-US's), else en-US's, as it gets
    that content."""

    def __init__(self, by_locale: dict[str, SlotCatalog], default_locale: str = "en-US"):
        if default_locale not in by_locale:
            raise ValueError(f"no slot catalog for the default locale {default_locale}")
        self.by_locale = by_locale
        self.default_locale = default_locale

    @classmethod
    def from_models(cls, models: dict[str, dict]) -> SlotCatalogs:
        return cls({locale: SlotCatalog.from_model_data(model) for locale, model in models.items()})

    @classmethod
    def from_model_dir(cls, model_dir: Path) -> SlotCatalogs:
        """Every locale's catalog: en-US.json and the models generated from its overrides.
        Raises ModelError (or OSError) naming the file when a model can't be built."""
        return cls.from_models(load_models(model_dir))

    def for_locale(self, locale: str | None) -> SlotCatalog:
        """The locale's own catalog, else its language's base (es-AR: es-US), else en-US's."""
        chosen = fallback_locale(locale or self.default_locale, self.by_locale)
        return self.by_locale.get(chosen) or self.by_locale[self.default_locale]

    @property
    def intents(self) -> frozenset[str]:
        """Every intent some locale's model names."""
        return frozenset().union(*(catalog.intents for catalog in self.by_locale.values()))


def load_catalogs(model_dir: Path) -> SlotCatalogs:
    """One catalog per locale, or a start-up error naming SKILL_MODEL_DIR (web app and Lambda alike)."""
    from ..config import ConfigError

    try:
        return SlotCatalogs.from_model_dir(model_dir)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"SKILL_MODEL_DIR: cannot read the interaction models in {model_dir}: {exc}") from exc


def _normal(text: str) -> str:
    return " ".join(text.lower().replace(".", " ").split())


def _unaccented(text: str) -> str:
    """The lookup key without accents or Spanish opening marks: "¿Sí?" and "si?" alike."""
    return _normal(fold(text).replace("¿", " ").replace("¡", " "))


def _unaccented_lookup(lookup: dict[str, str]) -> dict[str, str]:
    """Unaccented synonym -> value id, for the spellings that name one value id only."""
    ids: dict[str, set[str]] = {}
    for word, value_id in lookup.items():
        ids.setdefault(_unaccented(word), set()).add(value_id)
    return {word: found.pop() for word, found in ids.items() if len(found) == 1}


# --------------------------------------------------------------------------- languages

ENGLISH, SPANISH = "en", "es"
# Accented letters -> the same letter without its accent, one character for one, so a folded
# text keeps every position of the original (the chat matches folded words and sends the words
# as typed). Upper and lower case; "ñ" too, since a keyboard without it types "n".
_FOLD = str.maketrans("áàâäãåéèêëíìîïóòôöõúùûüñçýÿÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇÝ",
                      "aaaaaaeeeeiiiiooooouuuuncyyAAAAAAEEEEIIIIOOOOOUUUUNCY")


def words_language(locale: str | None) -> str:
    """The language whose word rules (numbers, durations, times, built-in phrases) apply:
    SPANISH for es-US, es-MX, es-ES (any "es-..."), ENGLISH for every other locale and for none,
    as a locale the skill has no words for is answered in en-US (locales.fallback_locale)."""
    return SPANISH if isinstance(locale, str) and locale.lower().split("-")[0] == SPANISH else ENGLISH


def fold(text: str) -> str:
    """Accents off ("qué" -> "que", "mañana" -> "manana"), after composing decomposed letters
    (NFC), so "que" and "qué" compare equal. English text is left as it is."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


def slot_of(intent: Intent | None, name: str) -> Slot | None:
    """The named slot, or None; an envelope whose slots are not slots (a client can send
    anything there) has none."""
    slots = getattr(intent, "slots", None)
    slot = slots.get(name) if isinstance(slots, dict) else None
    return slot if isinstance(slot, Slot) else None


def heard_value(slot: Slot | None) -> str | None:
    """The words the user said for a slot, trimmed to a safe length, or None."""
    value = getattr(slot, "value", None)
    if not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split())[:MAX_HEARD_CHARS]


def resolved_id(slot: Slot | None, slot_type: str, catalog: SlotCatalog) -> str | None:
    """The canonical value id: entity resolution's match first, then the model's synonyms."""
    if slot is None:
        return None
    # Read field by field: a client may send any JSON in place of any of these objects.
    resolutions = getattr(getattr(slot, "resolutions", None), "resolutions_per_authority", None)
    for resolution in resolutions if isinstance(resolutions, list) else []:
        code = getattr(getattr(resolution, "status", None), "code", None)
        values = getattr(resolution, "values", None)
        if code == StatusCode.ER_SUCCESS_MATCH and isinstance(values, list) and values:
            value_id = getattr(getattr(values[0], "value", None), "id", None)
            if isinstance(value_id, str) and value_id:
                return value_id
    heard = heard_value(slot)
    return catalog.lookup(slot_type, heard) if heard else None


def number_value(slot: Slot | None, locale: str | None = None) -> int | None:
    """An AMAZON.NUMBER slot as an int: Alexa sends digits ("4"), other clients may send
    words ("four", "fourth"; in Spanish "cuatro", "cuarto", "paso cuatro", "el cuarto paso");
    "?" and empty values are None. Without a locale, English words and then Spanish ones."""
    heard = heard_value(slot)
    if heard is None:
        return None
    word = heard.lower().removeprefix("step ").strip()
    digits = whole_number(word)
    if digits is not None:
        return digits
    language = words_language(locale) if locale else None
    if language != SPANISH:
        found = _ORDINALS.get(word) or _WHOLE_NUMBERS.get(word)
        if found is not None or language == ENGLISH:
            return found
    return _spanish_number(heard)


def _spanish_number(heard: str) -> int | None:
    """"cuatro", "cuarto", "la cuarta", "paso 4", "el paso cuatro", "cuarto paso" -> 4."""
    words = [w for w in re.sub(r"[^a-z0-9 ]", " ", fold(heard).lower()).split() if w not in _ES_NUMBER_FILLERS]
    if len(words) != 1:
        return None
    digits = whole_number(words[0])
    if digits is not None:
        return digits
    found = _ES_ORDINALS.get(words[0])
    return found if found is not None else _ES_WHOLE_NUMBERS.get(words[0])


def whole_number(text: str) -> int | None:
    """Plain ASCII digits as an int, else None: ``str.isdigit`` also accepts "¹²³" and "٣",
    which ``int`` refuses or reads as other numbers, and a long run of digits makes ``int`` raise."""
    if text.isascii() and text.isdecimal() and len(text) <= MAX_NUMBER_DIGITS:
        return int(text)
    return None


MAX_NUMBER_DIGITS = 9
_WHOLE_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                  "nine": 9, "ten": 10, "zero": 0}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10}
# Spanish, unaccented (see fold). "el último" is no number: the routine's length is not known here.
_ES_WHOLE_NUMBERS = {"cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
                     "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
                     "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20}
_ES_ORDINALS = {
    **{word + ending: number for word, number in (
        ("primer", 1), ("segund", 2), ("tercer", 3), ("cuart", 4), ("quint", 5), ("sext", 6), ("septim", 7),
        ("setim", 7), ("octav", 8), ("noven", 9), ("decim", 10)) for ending in ("o", "a")},
    "primer": 1, "tercer": 3,
}
_ES_NUMBER_FILLERS = {"paso", "pasos", "el", "la", "al", "a", "del", "de", "numero"}


# --------------------------------------------------------------------------- durations

_ISO_DURATION = re.compile(
    r"^P(?:(?P<Y>[\d.]+|X)Y)?(?:(?P<M>[\d.]+|X)M)?(?:(?P<W>[\d.]+|X)W)?(?:(?P<D>[\d.]+|X)D)?"
    r"(?:T(?:(?P<h>[\d.]+|X)H)?(?:(?P<m>[\d.]+|X)M)?(?:(?P<s>[\d.]+|X)S)?)?$"
)
_DAYS_PER_UNIT = {"Y": 365, "M": 30, "W": 7, "D": 1, "h": 1 / 24, "m": 1 / 1440, "s": 1 / 86400}
_VAGUE_COUNT = 3  # Alexa sends "X" for "a few", "some", "several"

_SPOKEN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "couple": 2, "few": 3, "several": 4, "half": 0.5, "some": 3,
}
_SPOKEN_UNITS = {
    "day": 1, "days": 1, "night": 1, "nights": 1, "week": 7, "weeks": 7, "fortnight": 14,
    "fortnights": 14, "month": 30, "months": 30, "year": 365, "years": 365,
}
_SINCE = {"yesterday": 1, "today": 0.5, "this morning": 0.5, "last night": 1, "last week": 7,
          "last month": 30, "last year": 365, "the weekend": 3, "last weekend": 5}


def parse_duration_days(text: str | None, locale: str | None = None) -> float | None:
    """Days from an AMAZON.DURATION value (ISO-8601, "P3W") or from the spoken words
    ("about three weeks", "a few days", "since last month"; in Spanish "unas tres semanas",
    "hace dos meses", "desde ayer"); None when it can't be read. Without a locale, English
    words and then Spanish ones."""
    if not text or not text.strip():
        return None
    text = text.strip()
    iso = _ISO_DURATION.match(text.upper() if text[:1] in "pP" else text)
    if iso and any(iso.groupdict().values()):
        return _iso_days(iso.groupdict())
    language = words_language(locale) if locale else None
    if language != SPANISH:
        days = _spoken_days(text.lower())
        if days is not None or language == ENGLISH:
            return days
    return _spanish_days(text)


def _iso_days(parts: dict[str, str | None]) -> float | None:
    days = 0.0
    for unit, amount in parts.items():
        if amount is None:
            continue
        count = _VAGUE_COUNT if amount == "X" else _number(amount)
        if count is None:
            return None
        days += count * _DAYS_PER_UNIT[unit]
    return days


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# Spanish, unaccented (see fold): "hace tres semanas", "unos días", "un par de meses", "desde ayer".
_ES_SPOKEN_NUMBERS = {
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30, "par": 2,
    "unos": 3, "unas": 3, "algunos": 3, "algunas": 3, "pocos": 3, "pocas": 3, "cuantos": 3, "cuantas": 3,
    "varios": 4, "varias": 4, "medio": 0.5, "media": 0.5,
}
_ES_SPOKEN_UNITS = {
    "dia": 1, "dias": 1, "noche": 1, "noches": 1, "semana": 7, "semanas": 7, "quincena": 14, "quincenas": 14,
    "mes": 30, "meses": 30, "ano": 365, "anos": 365,
}
_ES_SINCE = dict(sorted({
    "ayer": 1, "anteayer": 2, "antier": 2, "hoy": 0.5, "esta manana": 0.5, "anoche": 1, "la semana pasada": 7,
    "el mes pasado": 30, "el ano pasado": 365, "el fin de semana": 3, "el finde": 3, "el fin de semana pasado": 5,
}.items(), key=lambda item: -len(item[0])))  # the longest first: "el fin de semana pasado" before its start
_ES_COUNT_FILLERS = {"de", "del", "como", "casi", "mas", "alrededor", "aproximadamente", "hace", "desde", "ya",
                     "durante", "por", "lo", "menos", "o", "poco"}


@dataclass(frozen=True)
class _DayWords:
    """How one language says a duration in words, for ``_days_in``."""

    since_word: str  # "since" / "desde": "since last week"
    since: Mapping[str, float]  # the phrases after it, longest first where one starts another
    units: Mapping[str, float]  # days per unit word
    numbers: Mapping[str, float]  # counts said in words
    fillers: frozenset[str]  # words between the count and the unit ("about", "de")
    half_before: frozenset[tuple[str, ...]] = frozenset()  # "half a" week
    half_after: frozenset[tuple[str, ...]] = frozenset()  # una semana "y media"


_ENGLISH_DAYS = _DayWords("since", _SINCE, _SPOKEN_UNITS, _SPOKEN_NUMBERS,
                          frozenset({"of", "about", "around", "roughly", "almost", "nearly", "over", "than", "more"}),
                          half_before=frozenset({("half", "a"), ("half", "an")}))
_SPANISH_DAYS = _DayWords("desde", _ES_SINCE, _ES_SPOKEN_UNITS, _ES_SPOKEN_NUMBERS, frozenset(_ES_COUNT_FILLERS),
                          half_after=frozenset({("y", "media"), ("y", "medio")}))


def _spoken_days(text: str) -> float | None:
    return _days_in(re.sub(r"[^a-z0-9. ]", " ", text), _ENGLISH_DAYS)


def _spanish_days(text: str) -> float | None:
    return _days_in(" ".join(re.sub(r"[^a-z0-9. ]", " ", fold(text).lower()).split()), _SPANISH_DAYS)


def _days_in(text: str, words: _DayWords) -> float | None:
    """Days in "about three weeks", "since yesterday", "hace unos días": the first unit word,
    times the count said right before it (one when none is)."""
    for phrase, days in words.since.items():
        if re.search(rf"\b{words.since_word} {phrase}\b|^{phrase}$", text):
            return days
    tokens = text.split()
    for index, token in enumerate(tokens):
        unit = words.units.get(token)
        if unit is None:
            continue
        count = _count_before(tokens[:index], words)
        days = (count if count is not None else 1) * unit
        if tuple(tokens[index + 1:index + 3]) in words.half_after:
            days += unit / 2
        return days
    return None


def _count_before(tokens: list[str], words: _DayWords) -> float | None:
    """The quantity right before a unit: "three", "3", "a couple of", "half a", "un par de", "unos"."""
    if tuple(tokens[-2:]) in words.half_before:
        return 0.5
    for token in reversed(tokens[-3:]):
        if token in words.fillers:
            continue
        if token in words.numbers:
            return words.numbers[token]
        number = _number(token)
        if number is not None:
            return number
    return None
