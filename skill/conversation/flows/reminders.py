"""Pure logic of habit reminders: when each habit's reminder goes off, the Reminders API body that
says so, how a reminder the API returns is described, and what each turn says. No ASK types and
no network here (``handlers/reminders.py`` calls the API).

A schedule is a set of hours at one minute, daily or on weekdays only:
- movement breaks: every hour strictly between the hours the person sits (9 to 5 gives 10:00 to
  16:00), weekdays;
- water: the content's fixed times, daily;
- stretching, relaxation, wind-down: one time a day, asked or the content's default.
Each becomes one RRULE per hour (``FREQ=DAILY`` or ``FREQ=WEEKLY;BYDAY=MO,...,FR`` with one
``BYHOUR``, ``BYMINUTE`` and ``BYSECOND``) on a ``SCHEDULED_ABSOLUTE`` trigger in the device's
time zone.

Nothing is stored by the skill: the API's list is the only record, and a reminder is recognised
as a habit's by the words it says (each habit's ``says`` text).

Times are said by language rules here (``said_time``): "7 PM" in English; in Spanish the hour in
words with its article and part of the day, "las siete de la tarde", "la una y media de la
tarde", so the content writes "a {time}", "entre {start} y {end}", "a {times}" around them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..content import LocaleContent, Text
from ..slots import SPANISH, words_language

WEEKDAYS = "MO,TU,WE,TH,FR"
HOURLY, TIMES, DAILY = "hourly", "times", "daily"
# AMAZON.TIME's words for parts of the day, as a time to remind at.
PARTS_OF_DAY = {"MO": time(9), "AF": time(14), "EV": time(19), "NI": time(21)}
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_RULE_HOURS = re.compile(r"BYHOUR=([\d,]+)")
_RULE_MINUTE = re.compile(r"BYMINUTE=(\d+)")


@dataclass(frozen=True)
class Habit:
    id: str
    name: str
    plural: str
    says: str
    kind: str  # HOURLY, TIMES or DAILY
    first: time  # hourly: from; daily: the default time; times: the first
    last: time  # hourly: to; otherwise as first
    times: tuple[time, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """Hours of the day at one minute, every day or on weekdays only."""

    hours: tuple[int, ...]
    minute: int = 0
    weekdays_only: bool = False

    @property
    def rules(self) -> list[str]:
        """One RRULE per hour, each with a single BYHOUR, the form Amazon documents for reminders
        that go off several times a day."""
        days = f"FREQ=WEEKLY;BYDAY={WEEKDAYS}" if self.weekdays_only else "FREQ=DAILY"
        return [f"{days};BYHOUR={hour};BYMINUTE={self.minute};BYSECOND=0" for hour in self.hours]


def habits(content: LocaleContent) -> dict[str, Habit]:
    """The habits of ``content.reminders`` (schema-checked: one of hourly, times or at each)."""
    found = {}
    for habit_id, raw in content.reminders["habits"].items():
        times: tuple[time, ...]
        if "hourly" in raw:
            kind, first, last, times = HOURLY, clock(raw["hourly"]["from"]), clock(raw["hourly"]["to"]), ()
        elif "times" in raw:
            times = tuple(clock(value) for value in raw["times"])
            kind, first, last = TIMES, times[0], times[-1]
        else:
            kind, first, last, times = DAILY, clock(raw["at"]), clock(raw["at"]), ()
        found[habit_id] = Habit(habit_id, raw["name"], raw["plural"], raw["says"], kind, first, last, times)
    return found


def clock(value: str) -> time:
    """"19:30" -> 19:30; content and AMAZON.TIME values ("19:30", "EV")."""
    matched = _CLOCK.fullmatch(value)
    if matched is None:
        raise ValueError(f"not a time: {value!r}")
    return time(int(matched[1]), int(matched[2]))


def heard_time(value: str | None) -> time | None:
    """An AMAZON.TIME value as a time to remind at: "19:00", "07:30", or a part of the day; else None."""
    if not value:
        return None
    if value in PARTS_OF_DAY:
        return PARTS_OF_DAY[value]
    try:
        return clock(value)
    except ValueError:
        return None


# --------------------------------------------------------------------------- schedules


def hourly_schedule(start: time, end: time) -> Schedule | None:
    """A break every full hour strictly between ``start`` and ``end``; None if there is none."""
    first = start.hour + 1
    last = end.hour - (0 if end.minute else 1)
    if last < first:
        return None
    return Schedule(tuple(range(first, last + 1)), 0, weekdays_only=True)


def sitting_hours(start: time | None, end: time | None, habit: Habit) -> tuple[time, time]:
    """The hours the person sits: what they said, read sensibly ("9 to 5" heard as 09:00 and 05:00
    means 5 PM), else the content's default."""
    start = start or habit.first
    end = end or habit.last
    if 1 <= start.hour <= 6:  # "1 to 5": nobody sits from one in the morning
        start = time(start.hour + 12, start.minute)
    if end <= start and end.hour < 12:
        end = time(end.hour + 12, end.minute)
    return start, end


def times_schedule(habit: Habit) -> Schedule:
    return Schedule(tuple(sorted({value.hour for value in habit.times})), habit.times[0].minute)


def daily_schedule(at: time) -> Schedule:
    return Schedule((at.hour,), at.minute)


def reminder_body(text: str, schedule: Schedule, time_zone: str | None, locale: str, now: datetime) -> dict[str, Any]:
    """The Reminders API body: a recurring SCHEDULED_ABSOLUTE trigger from now on, in the device's
    time zone (left to the device's own setting when it could not be read), saying ``text``."""
    zone = ZoneInfo(time_zone) if time_zone else None
    local_now = now.astimezone(zone) if zone else now
    trigger: dict[str, Any] = {
        "type": "SCHEDULED_ABSOLUTE",
        "recurrence": {"startDateTime": local_now.strftime("%Y-%m-%dT%H:%M:%S"), "recurrenceRules": schedule.rules},
    }
    if time_zone:
        trigger["timeZoneId"] = time_zone
    return {
        "requestTime": now.strftime("%Y-%m-%dT%H:%M:%S.000"),
        "trigger": trigger,
        "alertInfo": {"spokenInfo": {"content": [{"locale": locale, "text": text}]}},
        "pushNotification": {"status": "ENABLED"},
    }


def with_schedule(reminder: dict[str, Any], schedule: Schedule, time_zone: str | None, now: datetime) -> dict[str, Any]:
    """A reminder the API returned, rebuilt as an update body with a new schedule (same words)."""
    content = reminder.get("alertInfo", {}).get("spokenInfo", {}).get("content") or [{}]
    return reminder_body(str(content[0].get("text", "")), schedule, time_zone or known_zone(reminder),
                         str(content[0].get("locale", "en-US")), now)


def known_zone(reminder: dict[str, Any]) -> str | None:
    """The reminder's own timeZoneId when it names a real zone, else None."""
    zone = reminder.get("trigger", {}).get("timeZoneId")
    if not isinstance(zone, str):
        return None
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return None
    return zone


# --------------------------------------------------------------------------- reminders the API returns


def spoken_text(reminder: dict[str, Any]) -> str:
    """What a reminder from the API says (its first spoken text), or ""."""
    try:
        return str(reminder["alertInfo"]["spokenInfo"]["content"][0]["text"])
    except (KeyError, IndexError, TypeError):
        return ""


def habit_of(reminder: dict[str, Any], known: dict[str, Habit]) -> Habit | None:
    """The habit whose words the reminder says, if any."""
    said = spoken_text(reminder)
    return next((habit for habit in known.values() if habit.says == said), None)


def schedule_of(reminder: dict[str, Any]) -> Schedule | None:
    """The schedule of a reminder this skill made (its rules' BYHOUR at one BYMINUTE, daily or
    weekdays), else None."""
    try:
        rules = [str(rule) for rule in reminder["trigger"]["recurrence"]["recurrenceRules"]]
    except (KeyError, TypeError):
        return None
    hours: set[int] = set()
    minutes: set[int] = set()
    for rule in rules:
        found, minute = _RULE_HOURS.search(rule), _RULE_MINUTE.search(rule)
        if found is None:
            return None
        try:
            hours.update(int(hour) for hour in found[1].split(","))
            minutes.add(int(minute[1]) if minute else 0)
        except ValueError:  # "BYHOUR=1,,2": not one this skill wrote
            return None
    if not hours or len(minutes) != 1 or not all(0 <= hour < 24 for hour in hours) or not 0 <= min(minutes) < 60:
        return None
    return Schedule(tuple(sorted(hours)), minutes.pop(), weekdays_only=all(f"BYDAY={WEEKDAYS}" in rule for rule in rules))


# --------------------------------------------------------------------------- words


def said_time(at: time, locale: str = "en-US") -> str:
    """A time as Alexa says it in the locale's language: "7 PM", "7:30 AM", "noon"; in Spanish
    "las siete de la tarde", "la una y media de la tarde", "las doce del mediodía" (see
    ``spanish_time``)."""
    if words_language(locale) == SPANISH:
        return spanish_time(at)
    if at == time(12):
        return "noon"
    hour = at.hour % 12 or 12
    suffix = "AM" if at.hour < 12 else "PM"
    return f"{hour} {suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d} {suffix}"


_ES_HOURS = ("doce", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once")
_ES_UNITS = ("", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce",
             "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiuno",
             "veintidós", "veintitrés", "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho",
             "veintinueve")
_ES_TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta"}


def spanish_time(at: time) -> str:
    """A clock time as said in Spanish on a 12-hour clock, in words so every es voice reads it
    the same: the article ("la una", "las siete"), the minutes ("y cuarto", "y media", "y diez",
    "y cuarenta y cinco") and the part of the day (madrugada 1-5, mañana 6-11, mediodía at 12
    sharp, tarde 12:01-19:59, noche 20-24: "las doce de la noche" is midnight)."""
    hour = at.hour % 12
    words = f"{'la' if hour == 1 else 'las'} {_ES_HOURS[hour]}"
    if at.minute:
        words += f" y {_spanish_minutes(at.minute)}"
    if at.hour == 0 or at.hour >= 20:
        part = "de la noche"
    elif at.hour <= 5:
        part = "de la madrugada"
    elif at.hour <= 11:
        part = "de la mañana"
    elif at.hour == 12 and not at.minute:
        part = "del mediodía"
    else:
        part = "de la tarde"
    return f"{words} {part}"


def _spanish_minutes(minute: int) -> str:
    if minute == 15:
        return "cuarto"
    if minute == 30:
        return "media"
    if minute < 30:
        return _ES_UNITS[minute]
    tens, units = divmod(minute, 10)
    return _ES_TENS[tens] + (f" y {_ES_UNITS[units]}" if units else "")


def listed(items: list[str], and_word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {and_word} {items[-1]}"


def and_word(locale: str) -> str:
    """The word before a list's last item."""
    return "y" if words_language(locale) == SPANISH else "and"


def phrase(content: LocaleContent, key: str, **values: object) -> str:
    text: Text = content.reminders["phrases"][key]
    return content.say(text, **{name: str(value) for name, value in values.items()})


def confirm_question(content: LocaleContent, habit: Habit, schedule: Schedule) -> str:
    """"Shall I remind you ... every hour between 9 and 5 on weekdays?" and its kin."""
    locale = content.locale
    if habit.kind == HOURLY:
        return phrase(content, "confirm_hourly", **hours_words(schedule, locale))
    if habit.kind == TIMES:
        return phrase(content, "confirm_times", times=times_words(schedule, locale))
    return phrase(content, "confirm_daily", habit=habit.name,
                  time=said_time(time(schedule.hours[0], schedule.minute), locale))


def hours_words(schedule: Schedule, locale: str = "en-US") -> dict[str, str]:
    """The sitting hours around an hourly schedule, with AM or PM (in Spanish the part of the
    day) so the question says exactly what will be set: breaks at 10 to 16 mean "between 9 AM
    and 5 PM"."""
    return {"start": said_time(time(schedule.hours[0] - 1), locale),
            "end": said_time(time((schedule.hours[-1] + 1) % 24), locale)}


def times_words(schedule: Schedule, locale: str = "en-US") -> str:
    return listed([said_time(time(hour, schedule.minute), locale) for hour in schedule.hours], and_word(locale))


_NOTHING = {SPANISH: "nada"}


def describe(content: LocaleContent, reminder: dict[str, Any], known: dict[str, Habit]) -> str:
    """One reminder from the API as a list item: the habit and when, or the words it says."""
    locale = content.locale
    habit, schedule = habit_of(reminder, known), schedule_of(reminder)
    if habit is None or schedule is None:
        nothing = _NOTHING.get(words_language(locale), "nothing")
        return phrase(content, "list_item_other", words=spoken_text(reminder) or nothing)
    name = habit.name.capitalize()
    if habit.kind == HOURLY:
        return phrase(content, "list_item_hourly", habit=habit.name, **hours_words(schedule, locale))
    if len(schedule.hours) > 1:
        return phrase(content, "list_item_times", habit=name, times=times_words(schedule, locale))
    return phrase(content, "list_item_daily", habit=name,
                  time=said_time(time(schedule.hours[0], schedule.minute), locale))
