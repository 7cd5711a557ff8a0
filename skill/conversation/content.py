"""Everything the skill says, loaded from content/<locale>/*.yaml and checked at start-up.

Handlers decide *what* to say and ask this module for the words. Content is validated
against one JSON schema plus a few cross-checks (offers point at real topics, placeholders
are declared), so a broken edit stops start-up with the file, the key and the problem named
instead of failing in front of a user.
"""
from __future__ import annotations

import functools
import random
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .locales import (
    BASE_LOCALES,
    CONTENT_OVERRIDES,
    DEFAULT_LOCALE,
    LOCALE_NAME,
    base_of,
    fallback_locale,
    is_base,
    language_of,
    locale_order,
    merge,
    one_line,
    read_yaml,
    replace_words,
)
from .routine import Routine, parse_routine

if TYPE_CHECKING:
    import jsonschema

# jsonschema and PyYAML are imported where the sources are read and checked, not at import:
# a runtime started from a words snapshot (skill/runtime/snapshot.py) never needs them.

SCHEMA_PATH = Path(__file__).with_name("content_schema.yaml")
Text = str | list[str]


class ContentError(ValueError):
    """Content cannot be used; each line names the file, the key and the problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid content:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Item:
    speech: Text
    card: str
    id: str | None = None  # lets a locale override this one item


@dataclass(frozen=True)
class Topic:
    """One answer: an intro, optional items spoken in chunks, an outro and a follow-up offer."""

    id: str
    title: str
    intro: Text
    items: tuple[Item, ...]
    chunk_size: int
    more: Text | None
    outro: Text | None
    card: str | None
    emergency: bool  # ends by offering the emergency signs (topic `emergency_signs`) before its follow-up
    follow_up_ask: Text
    follow_up_reprompt: Text
    offer: str

    def chunk(self, start: int) -> tuple[tuple[Item, ...], int | None]:
        """The items to speak from `start`, and where the next chunk starts (None when done)."""
        end = start + self.chunk_size
        next_start = end if end < len(self.items) else None
        return self.items[start:end], next_start


@dataclass(frozen=True)
class Cause:
    id: str
    name: str
    short: Text
    full: Text
    card: str


@dataclass(frozen=True)
class Question:
    """One screening question; `slot` is where its answer lives in ScreeningIntent."""

    id: str
    slot: str
    ask: Text
    reprompt: Text
    hint: Text
    explain: Text
    card_label: str
    gate: bool = False  # an emergency question: "yes" or "not sure" ends the check with emergency advice


@dataclass(frozen=True)
class Rule:
    """One row of the red-flag table: conditions on the answers and what to say and do."""

    id: str
    when: dict[str, Any]
    urgency: int
    says: Text
    action: Text
    card: str
    outranks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Screening:
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    answer_words: dict[str, str]
    reassurance: dict[str, Text]
    texts: dict[str, Text]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def gate_ids(self) -> frozenset[str]:
        return frozenset(q.id for q in self.questions if q.gate)


def _screening(raw: dict[str, Any]) -> Screening:
    structured = {"questions", "rules", "answer_words", "reassurance"}
    return Screening(
        questions=tuple(Question(**q) for q in raw["questions"]),
        rules=tuple(Rule(**{**r, "outranks": tuple(r.get("outranks", ()))}) for r in raw["rules"]),
        answer_words=dict(raw["answer_words"]),
        reassurance=dict(raw["reassurance"]),
        texts={key: value for key, value in raw.items() if key not in structured},
    )


class LocaleContent:
    """The content of one locale, with placeholder filling and variation picking."""

    def __init__(self, locale: str, data: dict[str, Any]):
        self.locale = locale
        common = data["common"]
        self.values: dict[str, str] = dict(common["locale"])
        # Written form -> spoken form ("000" -> "triple zero"), for the renderer's <sub> tags.
        self.pronounce: dict[str, str] = dict(common.get("pronounce", {}))
        self.phrases: dict[str, Text] = common["phrases"]
        self.screen: dict[str, Any] = common["screen"]  # what only a screen shows (screen.py)
        self.store: dict[str, Any] = data["store"]["store"]
        self.policies: dict[str, Any] = data["policies"]["policies"]  # the /privacy and /terms pages
        self.reminders: dict[str, Any] = data["reminders"]["reminders"]  # flows/reminders.py reads it
        self.causes: tuple[Cause, ...] = tuple(Cause(**c) for c in data["causes"]["causes"])
        self.topics: dict[str, Topic] = {
            topic_id: _topic(topic_id, raw, self.causes) for topic_id, raw in data["topics"]["topics"].items()
        }
        self.screening = _screening(data["screening"]["screening"])
        self.routine: Routine = parse_routine(data["routine"])

    def say(self, text: Text, **values: str) -> str:
        """Pick a variation and fill its placeholders (locale values plus `values`)."""
        chosen = random.choice(text) if isinstance(text, list) else text
        return chosen.format_map({**self.values, **values})

    def phrase(self, key: str, **values: str) -> str:
        return self.say(self.phrases[key], **values)

    def cause(self, cause_id: str) -> Cause | None:
        return next((c for c in self.causes if c.id == cause_id), None)

    def next_cause(self, cause_id: str) -> Cause | None:
        ids = [c.id for c in self.causes]
        index = ids.index(cause_id) + 1 if cause_id in ids else len(ids)
        return self.causes[index] if index < len(ids) else None


class Content:
    """All locales; a request in an unknown locale gets its language's base (es-AR: es-US), or
    the default locale's content for a language the skill doesn't speak (locales.fallback_locale)."""

    def __init__(self, locales: dict[str, LocaleContent]):
        self.locales = locales

    @classmethod
    def from_data(cls, locales: dict[str, dict[str, Any]]) -> Content:
        """From validated data by locale (read from the sources, or from a words snapshot)."""
        return cls({locale: LocaleContent(locale, data) for locale, data in locales.items()})

    def for_locale(self, locale: str | None) -> LocaleContent:
        return self.locales[fallback_locale(locale, self.locales)]


def _topic(topic_id: str, raw: dict[str, Any], causes: tuple[Cause, ...]) -> Topic:
    if raw.get("items_from") == "causes":
        items = tuple(Item(speech=c.short, card=f"{c.name.capitalize()}: {c.card}") for c in causes)
    else:
        items = tuple(Item(**i) for i in raw.get("items", []))
    return Topic(
        id=topic_id,
        title=raw["title"],
        intro=raw["intro"],
        items=items,
        chunk_size=raw.get("chunk_size", 3),
        more=raw.get("more"),
        outro=raw.get("outro"),
        card=raw.get("card"),
        emergency=raw.get("emergency", False),
        follow_up_ask=raw["follow_up"]["ask"],
        follow_up_reprompt=raw["follow_up"]["reprompt"],
        offer=raw["follow_up"]["offer"],
    )


def load_content(content_dir: Path) -> Content:
    """Load and validate every locale: each base in full, the others as their base plus their overrides."""
    return Content.from_data(read_locales(content_dir))


def read_locales(content_dir: Path) -> dict[str, dict[str, Any]]:
    """{locale: validated content data}; every problem in every locale is raised at once."""
    locales, problems = collect_locales(content_dir)
    if problems:
        raise ContentError(problems)
    return locales


def collect_locales(content_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The locales that are valid, and the problems of those that aren't (a tool reports both;
    the server refuses to start on any problem). Nothing is valid when en-US isn't; a locale
    whose base is invalid is not checked further (the base's problems say why)."""
    content_dir = Path(content_dir)
    default_dir = content_dir / DEFAULT_LOCALE
    if not default_dir.is_dir():
        return {}, [f"{default_dir}: missing: the default locale's content directory"]
    dirs = sorted((p for p in content_dir.iterdir() if p.is_dir()), key=lambda p: locale_order(p.name))
    bases: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for base_dir in (p for p in dirs if is_base(p.name)):
        try:
            bases[base_dir.name] = load_locale_data(base_dir)
        except ContentError as exc:
            if base_dir.name == DEFAULT_LOCALE:
                return {}, exc.problems
            problems += exc.problems
    locales = dict(bases)
    for locale_dir in (p for p in dirs if not is_base(p.name)):
        base = base_of(locale_dir.name)
        if base is None or not (content_dir / base).is_dir():
            problems.append(_no_base(content_dir, locale_dir, base))
        elif base in bases:
            try:
                locales[locale_dir.name] = load_overlay(bases[base], content_dir / base, locale_dir, base)
            except ContentError as exc:
                problems += exc.problems
    return {locale: locales[locale] for locale in sorted(locales, key=lambda name: (name != DEFAULT_LOCALE, name))}, problems


def _no_base(content_dir: Path, locale_dir: Path, base: str | None) -> str:
    """A locale directory with no base to build it from: an unknown language, or its base missing."""
    if not LOCALE_NAME.match(locale_dir.name):
        return f"{locale_dir}: (directory): not a locale name like en-GB"
    if base is None:
        bases = ", ".join(sorted(BASE_LOCALES.values()))
        return (f"{locale_dir}: (directory): no base locale for the language {language_of(locale_dir.name)!r} "
                f"(the bases are {bases}: skill/conversation/locales.py BASE_LOCALES)")
    return f"{content_dir / base}: missing: {locale_dir.name} is {base} plus {locale_dir / CONTENT_OVERRIDES}"


def load_locale_data(locale_dir: Path) -> dict[str, Any]:
    """Read one base locale's YAML files into {file stem: data} and validate the whole."""
    import yaml

    data: dict[str, Any] = {}
    problems: list[str] = []
    for path in sorted(locale_dir.glob("*.yaml")):
        try:
            data[path.stem] = read_yaml(path)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: (file): not valid YAML: {one_line(exc)}")
    if problems:
        raise ContentError(problems)
    problems = validate_locale_data(data, locale_dir)
    problems += [f"{locale_dir / (stem + '.yaml')}: meta.review: {problem}" for stem in sorted(data)
                 if isinstance(data[stem], dict) and (problem := _review_problem(data[stem].get("meta"), locale_dir.name))]
    if problems:
        raise ContentError(problems)
    return data


# Languages whose files predate the `review` field; every file of any other language names what
# was checked and when (an independent reading is part of adding a language).
REVIEW_OPTIONAL = frozenset({"en"})


def _review_problem(meta: Any, locale: str) -> str | None:
    if language_of(locale) in REVIEW_OPTIONAL or (isinstance(meta, dict) and meta.get("review")):
        return None
    return f"missing: every {language_of(locale)} content file says what was checked, against what, and when"


def load_overlay(base: dict[str, Any], base_dir: Path, locale_dir: Path, base_locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """A base locale's content with one locale's overrides.yaml applied, validated like the base itself."""
    path = locale_dir / CONTENT_OVERRIDES
    overlay = _read_overlay(path, locale_dir, base_locale)
    merged, found = merge(base, {k: v for k, v in overlay.items() if k in _schema()["properties"]},
                          open_tables=OPEN_TABLES, base_name=base_locale)
    merged, unused = replace_words(merged, overlay.get("words", {}))
    problems = [f"{path}: {key}: {problem}" for key, problem in [*found, *unused]]
    if problems:
        raise ContentError(problems)
    problems = validate_locale_data(merged, base_dir, _overlay_locator(base_dir, path, overlay))
    if problems:
        raise ContentError(problems)
    return merged


# Per-locale tables: an override may add keys its base doesn't have (a second emergency number).
OPEN_TABLES = frozenset({("common", "locale"), ("common", "pronounce")})


def _read_overlay(path: Path, locale_dir: Path, base_locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """The overrides file, checked for its own shape: meta, words, and content file names."""
    import yaml

    problems = []
    if not LOCALE_NAME.match(locale_dir.name):
        problems.append(f"{locale_dir}: (directory): not a locale name like en-GB")
    strays = sorted(p.name for p in locale_dir.iterdir() if p.name != CONTENT_OVERRIDES)
    if strays:
        problems.append(f"{locale_dir}: (directory): only {CONTENT_OVERRIDES} is read here; not read: {strays}")
    if not path.is_file():
        problems.append(f"{path}: (file): missing: a locale other than {base_locale} is {base_locale} plus this file")
        raise ContentError(problems)
    try:
        overlay = read_yaml(path) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContentError([*problems, f"{path}: (file): not valid YAML: {one_line(exc)}"]) from exc
    problems += _overlay_shape_problems(overlay, path, base_locale)
    if problems:
        raise ContentError(problems)
    return overlay


def _overlay_shape_problems(overlay: Any, path: Path, base_locale: str = DEFAULT_LOCALE) -> list[str]:
    import jsonschema

    if not isinstance(overlay, dict):
        return [f"{path}: (top level): expected a mapping of meta, words and content file names"]
    files = set(_schema()["properties"])
    problems = [f"{path}: {key}: not meta, words or a content file ({', '.join(sorted(files))})"
                for key in overlay if key not in files | {"meta", "words"}]
    meta_errors = jsonschema.Draft202012Validator(_schema()["$defs"]["meta"]).iter_errors(overlay.get("meta"))
    problems += [f"{path}: meta: {one_line(error.message)}" for error in meta_errors]
    review = _review_problem(overlay.get("meta"), path.parent.name)
    if review and not any(p.startswith(f"{path}: meta:") for p in problems):
        problems.append(f"{path}: meta.review: {review}")
    words = overlay.get("words", {})
    if not isinstance(words, dict) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in words.items()):
        problems.append(f"{path}: words: expected a mapping of {base_locale} word -> this locale's word")
    return problems


Locate = Callable[[str, str], str]


def _in_directory(locale_dir: Path) -> Locate:
    """Where a problem lives in a full locale: that file, that key."""
    return lambda stem, key: f"{locale_dir / (stem + '.yaml')}: {key}"


def _overlay_locator(base_dir: Path, path: Path, overlay: dict[str, Any]) -> Locate:
    """A problem in merged content is the override's when the override set that key, else its base's."""
    in_base = _in_directory(base_dir)

    def locate(stem: str, key: str) -> str:
        if _reaches(overlay, [stem, *key.split(".")]):
            return f"{path}: {stem}.{key}"
        return in_base(stem, key)

    return locate


def _reaches(node: Any, keys: list[str]) -> bool:
    for key in keys:
        if isinstance(node, list):
            return True
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def validate_locale_data(data: dict[str, Any], locale_dir: Path, locate: Locate | None = None) -> list[str]:
    """Schema errors first; cross-checks only make sense on data that fits the schema."""
    import jsonschema

    locate = locate or _in_directory(locale_dir)
    validator = jsonschema.Draft202012Validator(_schema())
    problems = [_describe(error, locale_dir, locate) for error in sorted(validator.iter_errors(data), key=_error_order)]
    if problems:
        return problems
    return _cross_check(data, locate)


def _cross_check(data: dict[str, Any], locate: Locate) -> list[str]:
    problems = []
    topics = data["topics"]["topics"]
    for topic_id, topic in topics.items():
        offer = topic["follow_up"]["offer"]
        if offer not in topics and offer != data["routine"]["routine"]["id"]:
            problems.append(f"{locate('topics', f'topics.{topic_id}.follow_up.offer')}: unknown topic {offer!r}")
        if len(topic.get("items", [])) > topic.get("chunk_size", 3) and "more" not in topic:
            problems.append(f"{locate('topics', f'topics.{topic_id}.more')}: needed when items span several chunks")
    problems += _check_screening(data["screening"]["screening"], locate)
    problems += _check_routine(data["routine"]["routine"], topics, locate)
    problems += _check_reminder_offers(data["reminders"]["reminders"], set(topics) | {data["routine"]["routine"]["id"]}, locate)
    ids = [c["id"] for c in data["causes"]["causes"]]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{locate('causes', 'causes')}: id {dup!r} appears more than once")
    locale_values = set(data["common"]["locale"])
    declared = locale_values | set(data["common"]["placeholders"])
    for file_stem, key, text in iter_texts(data):
        for name in _placeholders(text):
            if name not in declared:
                problems.append(f"{locate(file_stem, key)}: undeclared placeholder {{{name}}}")
            elif file_stem in FILLED_FROM_LOCALE and name not in locale_values:
                problems.append(f"{locate(file_stem, key)}: {{{name}}} is filled only in speech; here only the "
                                f"locale's own values are ({', '.join(sorted(locale_values))})")
    return problems


# Texts shown as written (the store listing, the policy pages): nothing but common.locale fills them.
FILLED_FROM_LOCALE = frozenset({"store", "policies"})


def _check_reminder_offers(reminders: dict[str, Any], offered_after: set[str], locate: Locate) -> list[str]:
    """Each offer follows a real topic (or the routine), names a habit, and has its question."""
    problems = []
    for after, habit in reminders["offers"].items():
        where = locate("reminders", f"reminders.offers.{after}")
        if after not in offered_after:
            problems.append(f"{where}: unknown topic {after!r}")
        if habit not in reminders["habits"]:
            problems.append(f"{where}: unknown habit {habit!r}")
        for key in (f"offer_{habit}", f"offer_{habit}_reprompt"):
            if key not in reminders["phrases"]:
                problems.append(f"{where}: phrases.{key} is missing")
    return problems


def _check_screening(screening: dict[str, Any], locate: Locate) -> list[str]:
    """Questions come once each, the emergency gate questions first; `outranks` names real rules."""
    problems = []
    ids = [q["id"] for q in screening["questions"]]
    gates = [bool(q.get("gate")) for q in screening["questions"]]
    if sorted(ids) != sorted(set(ids)) or not ids or ids[0] != "emergency" or gates != sorted(gates, reverse=True):
        problems.append(f"{locate('screening', 'screening.questions')}: each question once, the emergency gate first (got {ids})")
    rule_ids = {r["id"] for r in screening["rules"]}
    for index, rule in enumerate(screening["rules"]):
        for target in rule.get("outranks", []):
            if target not in rule_ids:
                problems.append(f"{locate('screening', f'screening.rules.{index}.outranks')}: unknown rule {target!r}")
    return problems


def _check_routine(routine: dict[str, Any], topics: dict[str, Any], locate: Locate) -> list[str]:
    """The routine's follow-up opens a real topic, and its step ids are unique (progress names steps by number)."""
    problems = []
    if routine["follow_up"]["offer"] not in topics:
        problems.append(f"{locate('routine', 'routine.follow_up.offer')}: unknown topic {routine['follow_up']['offer']!r}")
    if routine["id"] in topics:
        problems.append(f"{locate('routine', 'routine.id')}: {routine['id']!r} is also a topic, "
                        "so an offer of it would be ambiguous")
    ids = [step["id"] for step in routine["steps"]]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{locate('routine', 'routine.steps')}: id {dup!r} appears more than once")
    return problems


def iter_texts(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str, str]]:
    """Yield (file stem, dotted key, text) for every string in the content (meta excepted)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from iter_texts(value, path + (str(key),))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_texts(value, path + (str(index),))
    elif isinstance(node, str) and path and path[1:2] != ("meta",):
        yield path[0], ".".join(path[1:]), node


def _placeholders(text: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return ["<unbalanced brace>"]


@functools.cache
def _schema() -> dict[str, Any]:
    return read_yaml(SCHEMA_PATH)


def _error_order(error: jsonschema.ValidationError) -> tuple[str, ...]:
    return tuple(str(p) for p in error.absolute_path)


def _describe(error: jsonschema.ValidationError, locale_dir: Path, locate: Locate) -> str:
    path = [str(p) for p in error.absolute_path]
    if not path:
        missing = re.findall(r"'(\w+)' is a required property", error.message)
        if missing:
            return f"{locale_dir / (missing[0] + '.yaml')}: (file): missing or empty"
        unexpected = re.findall(r"'(\w+)' was unexpected", error.message)
        if unexpected:
            return f"{locale_dir / (unexpected[0] + '.yaml')}: (file): not a known content file"
        return f"{locale_dir}: (top level): {one_line(error.message)}"
    key = ".".join(path[1:]) or "(top level)"
    return f"{locate(path[0], key)}: {one_line(error.message)}"

