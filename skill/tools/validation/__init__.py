"""`backtwitch validate`: everything about content and the interaction model that can be checked
without Alexa, in one report whose lines each name the file, the key and the problem.

Order matters only for readability: content against its schema, every locale's model against
the platform rules (model.py), model/handlers/content agreement (consistency.py), then every
text rendered and checked (speech.py). A problem in a base locale (en-US, es-US) is reported
once, at the base, not again for every locale generated from it; each locale's own problems are
reported against its override file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...conversation.content import LocaleContent, collect_locales, iter_texts
from ...conversation.locales import (
    ModelError,
    Problem,
    base_of,
    is_base,
    iter_samples,
    load_model,
    locale_order,
    model_locales,
    model_source,
    stray_models,
)
from ...conversation.reply import to_ssml
from . import apl_check, consistency
from .model import example_phrase_problems, model_problems
from .speech import NOT_SPOKEN, LongestWords, Render, composed_replies, reply_problems, text_problems

__all__ = ["Report", "validate_repository"]


@dataclass
class Report:
    """Problems (one line each) and what was checked, for the summary line."""

    problems: list[str] = field(default_factory=list)
    locales: list[str] = field(default_factory=list)
    samples: int = 0
    texts: int = 0
    replies: int = 0
    screens: int = 0
    notes: list[str] = field(default_factory=list)  # what could not be checked here, and why

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, line: str) -> None:
        if line not in self.problems:
            self.problems.append(line)

    def summary(self) -> str:
        """One line: what was checked when all is well, how many problems otherwise."""
        if self.ok:
            return (f"ok: {len(self.locales)} locales ({', '.join(self.locales)}), {self.samples} sample utterances, "
                    f"{self.texts} texts and {self.replies} composed replies rendered and checked, "
                    f"{self.screens} screens checked with apl-suggester")
        return f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} found"


def validate_repository(content_dir: Path, model_dir: Path, render: Render = to_ssml) -> Report:
    """Check content and models under these directories; `render` is the real renderer unless a
    test swaps in a broken one to prove the SSML checks fire."""
    report = Report()
    contents = _contents(Path(content_dir), report)
    models = _models(Path(model_dir), report)
    _model_rules(models, Path(model_dir), report)
    if contents:
        _locales_agree(models, Path(content_dir), Path(model_dir), report)
        _speech(contents, Path(content_dir), render, report)
        _screens(contents, Path(content_dir), report)
        _content_and_models(contents, models, Path(content_dir), Path(model_dir), report)
    report.locales = sorted(set(contents) | set(models), key=locale_order)
    return report


def _contents(content_dir: Path, report: Report) -> dict[str, dict[str, Any]]:
    """The locales whose content is valid (the others' problems go in the report)."""
    locales, problems = collect_locales(content_dir)
    for problem in problems:
        report.add(problem)
    return locales


def _models(model_dir: Path, report: Report) -> dict[str, dict[str, Any]]:
    models, problems = {}, []
    for locale in model_locales(model_dir):
        try:
            models[locale] = load_model(model_dir, locale)
        except ModelError as exc:
            problems += exc.problems
    for problem in [*stray_models(model_dir, models), *problems]:
        report.add(problem)
    return models


def _model_rules(models: dict[str, dict[str, Any]], model_dir: Path, report: Report) -> None:
    """Platform rules and handler agreement per locale; a base's problems are not repeated for
    the locales built from it."""
    reported: set[tuple[str | None, Problem]] = set()
    for locale, model in _bases_first(models):
        report.samples += sum(1 for _ in iter_samples(model))
        for problem in [*model_problems(model), *consistency.model_checks(model)]:
            if (base_of(locale), problem) not in reported:
                reported.add((base_of(locale), problem))
                report.add(_line(model_source(model_dir, locale), locale, problem))


def _locales_agree(models: dict[str, Any], content_dir: Path, model_dir: Path, report: Report) -> None:
    """Each locale directory in content has a model, and each model a content directory."""
    present = {path.name for path in content_dir.iterdir() if path.is_dir()}
    for locale in sorted(present - set(model_locales(model_dir)), key=locale_order):
        report.add(f"{model_source(model_dir, locale)}: (file): missing: content has locale {locale}, the model doesn't")
    for locale in sorted(set(model_locales(model_dir)) - present, key=locale_order):
        where = content_dir / locale if is_base(locale) else content_dir / locale / "overrides.yaml"
        report.add(f"{where}: {'(directory)' if is_base(locale) else '(file)'}: missing: the model has locale {locale}, "
                   "content doesn't")


def _speech(contents: dict[str, dict[str, Any]], content_dir: Path, render: Render, report: Report) -> None:
    """Single texts and composed replies, rendered; a locale repeats none of its base's problems."""
    reported: set[tuple[str | None, str, str, str]] = set()
    for locale, data in _bases_first(contents):
        words = LongestWords(locale, data)
        report.texts += sum(1 for _ in _spoken_texts(data))
        for stem, key, problem in text_problems(data, words, render):
            if (base_of(locale), stem, key, problem) not in reported:
                reported.add((base_of(locale), stem, key, problem))
                report.add(f"{_content_file(content_dir, locale, stem)}: {_content_key(locale, stem, key)}: {problem}")
        for label, problem in reply_problems(words, render):
            if (base_of(locale), "reply", label, problem) not in reported:
                reported.add((base_of(locale), "reply", label, problem))
                report.add(f"{content_dir / locale}: composed reply {label}: {problem}")
        report.replies += _count_replies(words)


def _screens(contents: dict[str, dict[str, Any]], content_dir: Path, report: Report) -> None:
    """Every screen the flows build, per locale: its size, then documents and datasources
    through apl-suggester in one Node.js run (a locale repeats none of its base's problems)."""
    datasources: dict[str, dict[str, Any]] = {}
    built = []
    for locale, data in _bases_first(contents):
        for label, screen in apl_check.screens(LongestWords(locale, data)):
            for problem in apl_check.screen_problems(label, screen):
                report.add(f"{content_dir / locale}: {problem}")
            datasources[f"{locale} {label}"] = {"screen": screen.to_datasource()}
            built.append(screen)
    for problem in apl_check.binding_problems(built):
        report.add(problem)
    try:
        document_lines, datasource_lines = apl_check.validator_problems(datasources)
    except apl_check.AplToolMissing as missing:
        report.notes.append(str(missing))
        return
    for line in [*document_lines, *datasource_lines]:
        report.add(line)
    report.screens = len(datasources)


def _content_and_models(contents: dict[str, dict[str, Any]], models: dict[str, dict[str, Any]], content_dir: Path,
                        model_dir: Path, report: Report) -> None:
    """Slot values, topics and screening slots against content; store phrases against samples."""
    reported: set[tuple[str | None, Problem]] = set()
    for locale, data in _bases_first(contents):
        model = models.get(locale)
        if model is None:
            continue
        for problem in consistency.model_and_content_checks(model, LocaleContent(locale, data)):
            if (base_of(locale), problem) not in reported:
                reported.add((base_of(locale), problem))
                report.add(_line(model_source(model_dir, locale), locale, problem))
        for phrase_problem in example_phrase_problems(data["store"]["store"]["example_phrases"], model, locale):
            where = f"{_content_file(content_dir, locale, 'store')}: {_content_key(locale, 'store', 'store.example_phrases')}"
            report.add(f"{where}: {phrase_problem}")


def _line(path: Path, locale: str, problem: Problem) -> str:
    key, text = problem
    where = f"{path}" if is_base(locale) else f"{path} ({locale} model)"
    return f"{where}: {key}: {text}"


def _content_file(content_dir: Path, locale: str, stem: str) -> Path:
    return content_dir / locale / (f"{stem}.yaml" if is_base(locale) else "overrides.yaml")


def _content_key(locale: str, stem: str, key: str) -> str:
    return key if is_base(locale) else f"{stem}.{key} (merged over {base_of(locale)})"


def _bases_first(by_locale: dict[str, Any]) -> list[tuple[str, Any]]:
    """en-US first, then each language's base before the locales built from it."""
    return sorted(by_locale.items(), key=lambda item: locale_order(item[0]))


def _spoken_texts(data: dict[str, Any]) -> list[str]:
    return [text for stem, _, text in iter_texts(data) if stem not in NOT_SPOKEN]


def _count_replies(content: LongestWords) -> int:
    return sum(1 for _ in composed_replies(content))
