"""Every locale from one source per language: a base locale plus a small override file per locale.

Hand-kept copies of the content and the interaction model would drift apart within a release (a
fixed fact in one, a new intent missing in another), so each language has one *base* locale
written out in full (``BASE_LOCALES``: en-US for English, es-US for Spanish), with its content
in ``content/<base>/*.yaml`` and its model in ``interaction_model/<base>.json``. Every other
locale is its language's base with its differences applied:

- content: ``content/<locale>/overrides.yaml`` holds ``words`` (whole-word replacements such as
  spelling, applied to every text) and, under the content file names, the keys to change
  (deep-merged over the base; list items with an ``id`` merge by id);
- interaction model: ``interaction_model/overrides/<locale>.yaml`` adds or removes sample
  utterances and slot synonyms on top of ``<base>.json``.

An override may only change what its base has: a key or id the base lacks is reported (it is
almost always a typo, and a typo would otherwise leave the base's words in place without a sound).

A request in a locale the skill has no words for gets its language's base (es-AR gets es-US),
and a language the skill doesn't speak gets the default locale, en-US (``fallback_locale``).
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

DEFAULT_LOCALE = "en-US"
# One base per language: the locale written out in full, which that language's other locales
# override. A new language is a line here, content/<base>/ and interaction_model/<base>.json.
BASE_LOCALES = {"en": DEFAULT_LOCALE, "es": "es-US"}
LOCALE_NAME = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
CONTENT_OVERRIDES = "overrides.yaml"
MODEL_OVERRIDES = "overrides"
# Keys whose strings are identifiers or sources, never words a listener hears or reads.
NOT_WORDS = frozenset({"id", "offer", "slot", "items_from", "meta", "placeholders", "pronounce"})

Problem = tuple[str, str]  # (dotted key, what is wrong)


class ModelError(ValueError):
    """An interaction model cannot be built; each line names the file, the key and the problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid interaction model:\n  " + "\n  ".join(problems))


# --------------------------------------------------------------------------- languages and bases

def language_of(locale: str) -> str:
    """The language part of a locale name: "es" for es-MX."""
    return locale.split("-", 1)[0].lower()


def base_of(locale: str) -> str | None:
    """The base locale `locale` is built from (itself for a base); None for a language without one."""
    return BASE_LOCALES.get(language_of(locale))


def is_base(locale: str) -> bool:
    return base_of(locale) == locale


def locale_order(locale: str) -> tuple[bool, str, bool, str]:
    """Sort key: the default locale first, then by language, each language's base before the
    rest (en-US, en-AU, ..., en-IN, es-US, es-ES, es-MX). Problems are reported in this order, so
    a base's problem is named once, at the base, before the locales built from it."""
    return locale != DEFAULT_LOCALE, language_of(locale), not is_base(locale), locale


def fallback_locale(locale: str | None, available: Collection[str]) -> str:
    """The locale whose words answer a request in `locale`: the locale itself when the skill has
    it; otherwise its language's base (an unknown es-XX such as es-AR gets es-US: the same
    language is better than another); otherwise the default locale, en-US (fr-FR, a missing
    locale). `available` is what the caller holds (content or slot catalogs by locale)."""
    if locale and locale in available:
        return locale
    base = base_of(locale) if locale else None
    return base if base is not None and base in available else DEFAULT_LOCALE


# --------------------------------------------------------------------------- discovery

def model_locales(model_dir: Path) -> list[str]:
    """en-US, then every other base with a model file and every locale with a file in
    interaction_model/overrides/, in ``locale_order``."""
    model_dir = Path(model_dir)
    overrides = model_dir / MODEL_OVERRIDES
    others = {p.stem for p in overrides.glob("*.yaml")} if overrides.is_dir() else set()
    others |= {base for base in BASE_LOCALES.values() if (model_dir / f"{base}.json").is_file()}
    return [DEFAULT_LOCALE, *sorted(others - {DEFAULT_LOCALE}, key=locale_order)]


def model_source(model_dir: Path, locale: str) -> Path:
    """The file a locale's model comes from: a base's ``<base>.json`` itself, or that locale's override file."""
    if is_base(locale):
        return Path(model_dir) / f"{locale}.json"
    return Path(model_dir) / MODEL_OVERRIDES / f"{locale}.yaml"


def stray_models(model_dir: Path, built: Mapping[str, dict[str, Any]] | None = None) -> list[str]:
    """Problems with files in the model directory that nothing reads or that no longer say what
    they are built from: a ``<locale>.json`` of a locale that is neither a base nor built from an
    override file, a built copy that differs from its base plus its overrides (``built_models``),
    or an override of a base. ``built``: the models already built from the sources, if the
    caller has them (validate does), so they are not built again here."""
    model_dir = Path(model_dir)
    overrides = model_dir / MODEL_OVERRIDES
    bases = ", ".join(sorted(BASE_LOCALES.values()))
    problems = []
    for path in sorted(model_dir.glob("*.json")):
        if is_base(path.stem):
            continue
        if not (overrides / f"{path.stem}.yaml").is_file():
            problems.append(f"{path}: (file): not read: {path.stem} is not a base locale ({bases}); a locale other "
                            f"than its language's base is that base plus {MODEL_OVERRIDES}/{path.stem}.yaml")
        elif _stale(model_dir, path, (built or {}).get(path.stem)):
            problems.append(f"{path}: (file): stale: not what {base_of(path.stem)}.json plus {MODEL_OVERRIDES}/"
                            f"{path.stem}.yaml build; `backtwitch models` writes it again (never edit it by hand)")
    problems += [f"{path}: (file): not read: {path.stem} is a base locale, written out in full in {path.stem}.json"
                 for path in sorted(overrides.glob("*.yaml")) if overrides.is_dir() and is_base(path.stem)]
    return problems


def _stale(model_dir: Path, copy: Path, model: dict[str, Any] | None) -> bool:
    try:
        return json.loads(copy.read_text(encoding="utf-8")) != (model or load_model(model_dir, copy.stem))
    except (OSError, ValueError, ModelError):
        return True  # unreadable, or its sources are broken (reported where they are read)


def built_models(model_dir: Path) -> list[Path]:
    """Write ``<locale>.json`` for every locale built from overrides: the whole model Alexa gets
    (what `backtwitch package` puts in the skill package), for people and tools that read one
    file per locale. Never a source: the server reads the base and the overrides, and
    `backtwitch validate` reports a copy that no longer matches them."""
    written = []
    for locale in model_locales(model_dir):
        if is_base(locale):
            continue
        path = Path(model_dir) / f"{locale}.json"
        path.write_text(json.dumps(load_model(model_dir, locale), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


# --------------------------------------------------------------------------- content overlays

def merge(base: Any, overlay: Any, open_tables: frozenset[tuple[str, ...]] = frozenset(),
          path: tuple[str, ...] = (), base_name: str = DEFAULT_LOCALE) -> tuple[Any, list[Problem]]:
    """Deep-merge `overlay` over `base` without changing either.

    Mappings merge key by key; lists whose items all carry an ``id`` merge item by item; anything
    else is replaced. A key or id missing from `base` is a problem unless its mapping's path is
    one of `open_tables` (per-locale tables such as the pronunciation list); problems name the
    base as `base_name` (the base locale, en-US unless told).
    """
    if isinstance(base, dict) and isinstance(overlay, dict):
        return _merge_mapping(base, overlay, open_tables, path, base_name)
    if _is_id_list(base) and _is_id_list(overlay):
        return _merge_by_id(base, overlay, open_tables, path, base_name)
    return copy.deepcopy(overlay), []


def _merge_mapping(base: dict, overlay: dict, open_tables: frozenset[tuple[str, ...]],
                   path: tuple[str, ...], base_name: str) -> tuple[dict, list[Problem]]:
    merged, problems = copy.deepcopy(base), []
    for key, value in overlay.items():
        here = (*path, str(key))
        if key not in base:
            if path not in open_tables:
                problems.append((".".join(here), f"{base_name} has no {key!r} here, so this override changes nothing"))
                continue
            merged[key] = copy.deepcopy(value)
            continue
        merged[key], found = merge(base[key], value, open_tables, here, base_name)
        problems += found
    return merged, problems


def _merge_by_id(base: list, overlay: list, open_tables: frozenset[tuple[str, ...]],
                 path: tuple[str, ...], base_name: str) -> tuple[list, list[Problem]]:
    merged, problems = copy.deepcopy(base), []
    index = {item["id"]: position for position, item in enumerate(base)}
    for item in overlay:
        if item["id"] not in index:
            problems.append((".".join(path), f"{base_name} has no item with id {item['id']!r}"))
            continue
        position = index[item["id"]]
        merged[position], found = merge(base[position], item, open_tables, (*path, str(position)), base_name)
        problems += found
    return merged, problems


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(i, dict) and "id" in i for i in value)


def replace_words(data: Any, words: dict[str, str]) -> tuple[Any, list[Problem]]:
    """Apply whole-word replacements (``fibers: fibres``) to every listener-facing string.

    Case follows the original's first letter. A word that never occurs is reported: it is
    either a typo or left over from text that has since changed.
    """
    used: set[str] = set()
    patterns = {word: re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE) for word in words}

    def swap(text: str) -> str:
        for word, pattern in patterns.items():
            def same_case(m: re.Match[str], replacement: str = words[word]) -> str:
                return _same_case(m.group(0), replacement)

            text, count = pattern.subn(same_case, text)
            if count:
                used.add(word)
        return text

    result = _map_words(data, swap)
    problems = [(f"words.{word}", "never occurs in the content, so it replaces nothing")
                for word in words if word not in used]
    return result, problems


def _same_case(original: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if original[:1].isupper() else replacement


def _map_words(node: Any, swap: Any, key: str = "") -> Any:
    if key in NOT_WORDS:
        return node
    if isinstance(node, dict):
        return {k: _map_words(v, swap, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_map_words(item, swap) for item in node]
    return swap(node) if isinstance(node, str) else node


# --------------------------------------------------------------------------- interaction models

_MODEL_OVERRIDE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "note": {"type": "string"},
        "invocation_name": {"type": "string", "minLength": 1},
        "samples": {"type": "object", "additionalProperties": {"$ref": "#/$defs/change"}},
        "synonyms": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": {"$ref": "#/$defs/change"}},
        },
    },
    "$defs": {
        "change": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "add": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "remove": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
        },
    },
}


def read_json_model(path: Path) -> dict[str, Any]:
    """A hand-kept ASK model file; a file that is not JSON or lacks the language model is a ModelError."""
    try:
        model = json.loads(Path(path).read_text(encoding="utf-8"))
        model["interactionModel"]["languageModel"]["intents"]
    except (OSError, ValueError) as exc:
        raise ModelError([f"{path}: (file): not a readable JSON model: {one_line(exc)}"]) from exc
    except (KeyError, TypeError) as exc:
        raise ModelError([f"{path}: interactionModel.languageModel: missing {exc}"]) from exc
    return model


def load_model(model_dir: Path, locale: str) -> dict[str, Any]:
    """The ASK model of `locale`: a base's ``<base>.json``, or its language's base model with
    that locale's overrides applied."""
    path = model_source(model_dir, locale)
    base_locale = base_of(locale)
    if base_locale is None:
        bases = ", ".join(sorted(BASE_LOCALES.values()))
        raise ModelError([f"{path}: (file): no base locale for the language {language_of(locale)!r} "
                          f"(the bases are {bases}: skill/conversation/locales.py BASE_LOCALES)"])
    base_path = model_source(model_dir, base_locale)
    if base_locale != locale and not base_path.is_file():
        raise ModelError([f"{base_path}: (file): missing: {locale} is {base_path.name} plus {path}"])
    base = read_json_model(base_path)
    if base_locale == locale:
        return base
    overrides = _read_model_overrides(path)
    model, problems = apply_model_overrides(base, overrides, base_path.name)
    if problems:
        raise ModelError([f"{path}: {key}: {problem}" for key, problem in problems])
    return model


def load_models(model_dir: Path) -> dict[str, dict[str, Any]]:
    """Every locale's model, collecting all problems before failing."""
    models, problems = {}, []
    for locale in model_locales(model_dir):
        try:
            models[locale] = load_model(model_dir, locale)
        except ModelError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise ModelError(problems)
    return models


def _read_model_overrides(path: Path) -> dict[str, Any]:
    import jsonschema
    import yaml

    try:
        raw = read_yaml(path) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelError([f"{path}: (file): not valid YAML: {one_line(exc)}"]) from exc
    validator = jsonschema.Draft202012Validator(_MODEL_OVERRIDE_SCHEMA)
    problems = [f"{path}: {'.'.join(map(str, e.absolute_path)) or '(top level)'}: {one_line(e.message)}"
                for e in validator.iter_errors(raw)]
    if problems:
        raise ModelError(problems)
    return raw


def apply_model_overrides(base: dict[str, Any], overrides: dict[str, Any],
                          base_file: str = f"{DEFAULT_LOCALE}.json") -> tuple[dict[str, Any], list[Problem]]:
    """The base model with a locale's changes; each change must fit what the base has (problems
    name the base as `base_file`, en-US.json unless told)."""
    model = copy.deepcopy(base)
    language = model["interactionModel"]["languageModel"]
    if "invocation_name" in overrides:
        language["invocationName"] = overrides["invocation_name"]
    intents = {intent["name"]: intent for intent in language["intents"]}
    problems = []
    for name, change in overrides.get("samples", {}).items():
        if name not in intents:
            problems.append((f"samples.{name}", f"no such intent in {base_file}"))
            continue
        problems += _change_list(intents[name].setdefault("samples", []), change, f"samples.{name}", base_file)
    types = {slot_type["name"]: slot_type for slot_type in language.get("types", [])}
    for type_name, values in overrides.get("synonyms", {}).items():
        problems += _change_synonyms(types.get(type_name), values, f"synonyms.{type_name}", base_file)
    return model, problems


def _change_synonyms(slot_type: dict[str, Any] | None, values: dict[str, Any], key: str, base_file: str) -> list[Problem]:
    if slot_type is None:
        return [(key, f"no such slot type in {base_file}")]
    by_id = {value.get("id") or value["name"]["value"]: value for value in slot_type.get("values", [])}
    problems = []
    for value_id, change in values.items():
        if value_id not in by_id:
            problems.append((f"{key}.{value_id}", f"no value with that id in {base_file}"))
            continue
        problems += _change_list(by_id[value_id]["name"].setdefault("synonyms", []), change, f"{key}.{value_id}",
                                 base_file)
    return problems


def _change_list(items: list[str], change: dict[str, list[str]], key: str, base_file: str) -> list[Problem]:
    """Remove, then add, in place; removing what isn't there or adding what is, is a problem."""
    problems = []
    for text in change.get("remove", []):
        if text in items:
            items.remove(text)
        else:
            problems.append((f"{key}.remove", f"{text!r} is not in {base_file}"))
    for text in change.get("add", []):
        if text in items:
            problems.append((f"{key}.add", f"{text!r} is already in {base_file}"))
        else:
            items.append(text)
    return problems


def language_model(model: dict[str, Any]) -> dict[str, Any]:
    return model["interactionModel"]["languageModel"]


def intents_of(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {intent["name"]: intent for intent in language_model(model)["intents"]}


def slot_types_of(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {slot_type["name"]: slot_type for slot_type in language_model(model).get("types", [])}


def words_of(value: dict[str, Any]) -> list[str]:
    """A slot value's canonical name and all its synonyms."""
    return [value["name"]["value"], *value["name"].get("synonyms", [])]


def iter_samples(model: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(intent name, sample) for every sample utterance in the model."""
    for intent in language_model(model)["intents"]:
        for sample in intent.get("samples", []):
            yield intent["name"], sample


def read_yaml(path: Path) -> Any:
    """A YAML file's data, with libyaml's parser when PyYAML has it (about ten times faster;
    the same safe constructors)."""
    import yaml  # here, not at import: a runtime started from a words snapshot reads no YAML

    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def one_line(exc: object) -> str:
    """A message for a one-line start-up problem: whitespace folded, at most 200 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."
