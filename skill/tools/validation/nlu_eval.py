"""`backtwitch nlu-eval`: how well a locale's interaction model would understand people, offline.

Alexa's NLU is trained on the model's sample utterances and slot values; it is not available
offline. This module stands a simple statistical matcher in for it, trained ONLY on what the
locale's built model says (every sample with its slots filled, and the usual phrases of
Amazon's built-in intents), and scores it on a held-out annotation file,
``interaction_model/nlu/<locale>.yaml``, written without looking at the samples. The numbers
are not Alexa's, but a phrasing the matcher cannot place is a phrasing the samples don't
cover, which is what the people who write samples need to know.

The gates (`LocaleReport.failures`): in-domain accuracy of at least `MIN_ACCURACY`; every
EmergencyIntent utterance recognised as EmergencyIntent; no out-of-domain utterance in
ScreeningIntent or EmergencyIntent; no held-out utterance that is also a sample (the
evaluation would be optimistic); an annotation file that fits the model.

`export_annotation_set` writes the same file in the body format of Amazon's NLU Evaluation
Tool (SMAPI ``POST /v1/skills/{skillId}/nluAnnotationSets/{annotationId}/annotations``, what
``ask smapi update-annotations-for-nlu-annotation-sets`` uploads), so the real NLU can be
scored on the same utterances.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ...conversation.locales import intents_of, slot_types_of, words_of
from ...conversation.slots import ENGLISH, SPANISH, fold, words_language
from ..devtools.spoken import duration_value, number_value, time_value
from ..devtools.understanding import built_in_phrases, model_language, normal_sample, understanding_for
from ..devtools.understanding import normal as typed_normal
from .model import expansions

ANNOTATIONS_DIR = "nlu"  # interaction_model/nlu/<locale>.yaml
FALLBACK = "AMAZON.FallbackIntent"
EMERGENCY = "EmergencyIntent"
SCREENING = "ScreeningIntent"
# An out-of-domain utterance must never start the red-flag check or the emergency answer.
NEVER_OUT_OF_DOMAIN = (SCREENING, EMERGENCY)
MIN_ACCURACY = 0.92
RANDOM_STATE = 0
REGULARISATION_C = 20.0  # little regularisation: samples are few and every word in them counts

CONFIDENCE_THRESHOLD = 0.30
"""Below this probability for its best intent, the matcher answers AMAZON.FallbackIntent.

Chosen once, from the model's own samples and never from a held-out file: in a five-fold
cross-validation on en-US's samples (December 2026: some 2,900 samples in 36 intents, each
sample held out with all its slot fillings), 98.3 % of the samples the matcher placed right
scored at least 0.30, so the threshold costs in-domain phrasings little, while a winner under
it shares the words with several intents (an even guess among 36 is 0.03): Alexa, too, would
most likely not be sure, and the skill's fallback answer is the honest one. It is a property of the
matcher, not of a run: moving it to make a file pass would hide exactly the phrasings the
samples miss.
"""

# What people say for a built-in slot type, to fill {slot} references while training (per
# language: the locale's language picks the set; each example is a value the chat would read).
DURATION_EXAMPLES = ("three weeks", "a few days", "two months", "a week", "ten days", "about a month",
                     "a couple of weeks", "six months", "a year", "two days")
NUMBER_EXAMPLES = ("one", "two", "three", "four", "five", "six", "seven", "eight")
TIME_EXAMPLES = ("seven pm", "eight thirty", "nine in the morning", "noon", "six pm", "ten a m", "the evening",
                 "half past seven", "eight o'clock", "seven thirty in the evening", "nine", "five")
OTHER_BUILT_IN_EXAMPLE = ("something",)
SPANISH_DURATION_EXAMPLES = ("tres semanas", "unos días", "dos meses", "una semana", "diez días", "como un mes",
                             "un par de semanas", "seis meses", "un año", "dos días")
SPANISH_NUMBER_EXAMPLES = ("uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho")
SPANISH_TIME_EXAMPLES = ("siete de la tarde", "ocho y media", "nueve de la mañana", "mediodía", "seis de la tarde",
                         "diez de la mañana", "la noche", "siete y media", "ocho en punto",
                         "siete y media de la tarde", "nueve", "cinco")
SPANISH_OTHER_BUILT_IN_EXAMPLE = ("algo",)
BUILT_IN_EXAMPLES = {
    ENGLISH: {"AMAZON.DURATION": DURATION_EXAMPLES, "AMAZON.NUMBER": NUMBER_EXAMPLES, "AMAZON.TIME": TIME_EXAMPLES,
              "": OTHER_BUILT_IN_EXAMPLE},
    SPANISH: {"AMAZON.DURATION": SPANISH_DURATION_EXAMPLES, "AMAZON.NUMBER": SPANISH_NUMBER_EXAMPLES,
              "AMAZON.TIME": SPANISH_TIME_EXAMPLES, "": SPANISH_OTHER_BUILT_IN_EXAMPLE},
}
# At most this many fillings of one sample: a slot type with 200 synonyms would otherwise make
# its intent's samples outnumber the rest a hundred to one, and training slow. Successive samples
# of an intent take successive fillers, so every value and synonym still appears in training.
MAX_FILLINGS = 12
# A slot the skill also reads from another slot with the same ids: ScreeningIntent's duration
# comes as AMAZON.DURATION or as a DURATION_PHRASE value whose id is the same ISO-8601 string
# (skill/conversation/handlers/screening.py). Only the informative slot score uses this.
EQUIVALENT_SLOTS = {"duration": ("duration_phrase",)}

UTTERANCE = re.compile(r"[a-z]+(?:'[a-z]+)*(?: [a-z]+(?:'[a-z]+)*)*")
# Spanish held-out utterances are written as Alexa sends them, with accents: "qué", "mañana", "pingüino".
SPANISH_UTTERANCE = re.compile(r"[a-záéíóúüñ]+(?: [a-záéíóúüñ]+)*")
UTTERANCES = {ENGLISH: UTTERANCE, SPANISH: SPANISH_UTTERANCE}
TIME_VALUE = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|MO|AF|EV|NI")
ISO_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?")
SLOT_REFERENCE = re.compile(r"\{(\w+)\}")


class AnnotationError(ValueError):
    """An annotation file cannot be read at all; each line names the file and the problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --------------------------------------------------------------------------- annotations

@dataclass(frozen=True)
class ExpectedSlot:
    """A slot the utterance should fill: the value id (custom types) or the platform value
    (ISO-8601 for AMAZON.DURATION, digits for AMAZON.NUMBER, "HH:MM" or MO/AF/EV/NI for
    AMAZON.TIME), and the words said if given."""

    name: str
    value: str
    words: str | None = None


@dataclass(frozen=True)
class Annotation:
    utterance: str
    intent: str
    slots: tuple[ExpectedSlot, ...] = ()
    line: int = 0

    @property
    def in_domain(self) -> bool:
        return self.intent != FALLBACK

    def where(self, path: Path | str) -> str:
        return f"{path}: line {self.line}: {self.utterance!r}"


def annotations_path(model_dir: Path, locale: str) -> Path:
    return Path(model_dir) / ANNOTATIONS_DIR / f"{locale}.yaml"


def load_annotations(path: Path, locale: str | None = None) -> tuple[list[Annotation], list[str]]:
    """The annotations of one file and what is wrong with its items (each problem names the
    file, the line and the utterance). A file that is missing or not a YAML list raises. The
    locale (by default the file's name, "es-MX.yaml") says which letters an utterance may use."""
    path = Path(path)
    utterance_pattern = UTTERANCES[words_language(locale or path.stem)]
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise AnnotationError([f"{path}: (file): cannot read: {' '.join(str(exc).split())}"]) from exc
    if not isinstance(root, yaml.SequenceNode):
        raise AnnotationError([f"{path}: (file): must be a list of {{utterance, intent, slots}} items"])
    constructor = yaml.SafeLoader("")
    annotations: list[Annotation] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for node in root.value:
        line = node.start_mark.line + 1
        item = constructor.construct_object(node, deep=True)
        annotation, found = _annotation(item, line, utterance_pattern)
        problems += [f"{path}: line {line}: {problem}" for problem in found]
        if annotation is None:
            continue
        if annotation.utterance in seen:
            problems.append(f"{annotation.where(path)}: also on line {seen[annotation.utterance]}")
            continue
        seen[annotation.utterance] = line
        annotations.append(annotation)
    return annotations, problems


def _annotation(item: Any, line: int, utterance_pattern: re.Pattern[str] = UTTERANCE) -> tuple[Annotation | None, list[str]]:
    if not isinstance(item, dict) or not isinstance(item.get("utterance"), str) or not isinstance(item.get("intent"), str):
        return None, ["an item needs a string `utterance` and a string `intent`"]
    utterance, problems = item["utterance"], []
    unknown = sorted(set(item) - {"utterance", "intent", "slots"})
    if unknown:
        problems.append(f"{utterance!r}: unknown keys {unknown} (utterance, intent, slots)")
    if not utterance_pattern.fullmatch(utterance):
        allowed = "accents allowed" if utterance_pattern is SPANISH_UTTERANCE else "apostrophes allowed"
        problems.append(f"{utterance!r}: lower-case words and single spaces only, {allowed} "
                        f"(no digits, punctuation or wake words)")
    slots = []
    raw_slots = item.get("slots") or {}
    if not isinstance(raw_slots, dict):
        problems.append(f"{utterance!r}: slots must map slot names to values")
        raw_slots = {}
    for name, raw in raw_slots.items():
        slot, problem = _expected_slot(str(name), raw)
        if problem:
            problems.append(f"{utterance!r}: slot {name}: {problem}")
        elif slot is not None:
            slots.append(slot)
    return Annotation(utterance, item["intent"], tuple(slots), line), problems


def _expected_slot(name: str, raw: Any) -> tuple[ExpectedSlot | None, str | None]:
    if isinstance(raw, bool):
        return None, "YAML reads a bare yes/no as true/false: write \"yes\" or \"no\" in quotes"
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        return ExpectedSlot(name, str(raw)), None
    if isinstance(raw, dict) and set(raw) <= {"id", "words"} and "id" in raw and not isinstance(raw["id"], bool):
        words = raw.get("words")
        if words is not None and not isinstance(words, str):
            return None, "words must be a string"
        return ExpectedSlot(name, str(raw["id"]), words), None
    return None, "a value id, or {id: ..., words: ...}"


def annotation_problems(annotations: Iterable[Annotation], model: dict[str, Any], path: Path | str) -> list[str]:
    """Annotations that don't fit the model: unknown intents, slots or value ids, slot words
    that are not in the utterance, values a built-in slot type could not hold."""
    intents = intents_of(model)
    types = slot_types_of(model)
    problems = []
    for annotation in annotations:
        where = annotation.where(path)
        intent = intents.get(annotation.intent)
        if intent is None:
            problems.append(f"{where}: intent {annotation.intent} is not in the model")
            continue
        slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for slot in annotation.slots:
            slot_type = slot_types.get(slot.name)
            if slot_type is None:
                problems.append(f"{where}: {annotation.intent} has no slot {slot.name!r}")
            elif slot_type in types:
                ids = {_value_id(value) for value in types[slot_type].get("values", [])}
                if slot.value not in ids:
                    problems.append(f"{where}: slot {slot.name}: {slot.value!r} is not a value id of {slot_type} {sorted(ids)}")
            elif slot_type == "AMAZON.NUMBER" and not slot.value.isdigit():
                problems.append(f"{where}: slot {slot.name}: AMAZON.NUMBER values are digits, not {slot.value!r}")
            elif slot_type == "AMAZON.DURATION" and not ISO_DURATION.fullmatch(slot.value):
                problems.append(f"{where}: slot {slot.name}: AMAZON.DURATION values are ISO-8601 (P3W), not {slot.value!r}")
            elif slot_type == "AMAZON.TIME" and not TIME_VALUE.fullmatch(slot.value):
                problems.append(f"{where}: slot {slot.name}: AMAZON.TIME values are \"HH:MM\" on a 24-hour clock, in "
                                f"quotes (YAML reads 19:00 unquoted as a number), or MO, AF, EV, NI; not {slot.value!r}")
            if slot.words is not None and f" {slot.words} " not in f" {annotation.utterance} ":
                problems.append(f"{where}: slot {slot.name}: the words {slot.words!r} are not in the utterance")
    return problems


def _value_id(value: dict[str, Any]) -> str:
    return value.get("id") or value["name"]["value"]


# --------------------------------------------------------------------------- training data

def normal(text: str) -> str:
    """Typed or sample words as the matcher sees them: `understanding.normal` (lower case,
    "a. l. s." -> "als"), accents off ("qué" and "que" are one word: Alexa sends accents, people
    and annotators may not write them), and three or more single letters in a row joined
    ("b f s" -> "bfs")."""
    text = fold(typed_normal(text))
    return LETTER_RUN.sub(_joined, text)


LETTER_RUN = re.compile(r"\b[a-z](?: [a-z]){2,}\b")


def _joined(letters: re.Match[str]) -> str:
    return letters.group(0).replace(" ", "")


@dataclass(frozen=True)
class Phrase:
    """One training phrase: its text, its intent, and its weight (a sample's fillings share one)."""

    text: str
    intent: str
    weight: float


def training_phrases(model: dict[str, Any], locale: str | None = None) -> list[Phrase]:
    """Every sample of every intent with its {slot} references filled (custom types: each value
    and synonym at least once; built-in types: a few spoken examples), each sample weighing one
    whatever its number of fillings. Amazon's built-in intents also get the usual phrases
    (`understanding.built_in_phrases`, as in the chat): Amazon trains them on its own phrases
    whatever samples the model adds, and most have none. AMAZON.FallbackIntent's samples, if any, train the
    fallback; without them the fallback is the confidence threshold alone. The locale's
    language (without one, the samples') picks the built-in phrases and examples."""
    language = _language(model, locale)
    fillers = _fillers(model, language)
    phrases: list[Phrase] = []
    built_ins = built_in_phrases(language)
    for name, intent in intents_of(model).items():
        slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        samples = [*intent.get("samples", []), *built_ins.get(name, ())]
        start = 0
        for sample in dict.fromkeys(samples):
            variants = _fill(normal_sample(sample), slot_types, fillers, start)
            start += len(variants) if len(variants) > 1 else 0
            texts = list(dict.fromkeys(normal(v) for v in variants))
            phrases += [Phrase(text, name, 1.0 / len(texts)) for text in texts if text]
    return phrases


def _language(model: dict[str, Any], locale: str | None) -> str:
    return words_language(locale) if locale else model_language(model)


def _fillers(model: dict[str, Any], language: str = ENGLISH) -> dict[str, tuple[str, ...]]:
    """Slot type -> the words that can fill it ("" -> what fills any other built-in type)."""
    table = {name: tuple(dict.fromkeys(word for value in slot_type.get("values", []) for word in words_of(value)))
             for name, slot_type in slot_types_of(model).items()}
    table.update(BUILT_IN_EXAMPLES[language])
    return table


def _fill(sample: str, slot_types: dict[str, str], fillers: dict[str, tuple[str, ...]], start: int = 0) -> list[str]:
    """The sample with its slots filled: as many variants as the longest filler list, at most
    `MAX_FILLINGS`; variant n takes each slot's filler number start + n (cycling), so a caller
    that moves `start` on from sample to sample covers every filler. Not every combination."""
    references = list(dict.fromkeys(SLOT_REFERENCE.findall(sample)))
    if not references:
        return [sample]
    other = fillers.get("") or OTHER_BUILT_IN_EXAMPLE
    options = [fillers.get(slot_types.get(ref, ""), other) or other for ref in references]
    variants = []
    for n in range(start, start + min(MAX_FILLINGS, max(len(o) for o in options))):
        text = sample
        for ref, words in zip(references, options):
            text = text.replace("{" + ref + "}", words[n % len(words)])
        variants.append(text)
    return variants


def sample_overlaps(annotations: Iterable[Annotation], model: dict[str, Any], path: Path | str,
                    locale: str | None = None) -> list[str]:
    """Held-out utterances that are also samples of the model, once custom slots are filled
    with every value and synonym and built-in slots with anything they could hold. Only samples
    whose fixed words start and end some held-out utterance are filled in (`_could_give`): a
    model fills in a hundred thousand utterances, a held-out set is a few hundred. Compared
    without accents; the locale's language reads the built-in slots' words."""
    spoken_locale = _spoken_locale(_language(model, locale))
    held_out = [(annotation, normal(annotation.utterance)) for annotation in annotations]
    texts = {text for _, text in held_out}
    exact: dict[str, str] = {}
    patterns: list[tuple[re.Pattern[str], dict[str, str], str]] = []
    for name, intent in intents_of(model).items():
        slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            if not _could_give(sample, texts):
                continue
            for variant in expansions(model, intent, sample):
                text = normal(normal_sample(variant)) if "{" not in variant else None
                if text is not None:
                    exact.setdefault(text, name)
                else:
                    patterns.append((_pattern(normal_sample(variant)), slot_types, name))
    problems = []
    for annotation, text in held_out:
        owner = exact.get(text) or next((name for pattern, types, name in patterns
                                         if _built_in_match(pattern, types, text, spoken_locale)), None)
        if owner:
            problems.append(f"{annotation.where(path)}: held-out utterance is also a sample of {owner}; "
                            f"the evaluation would be optimistic (take it out of the samples, or replace it here with a "
                            f"phrasing written without reading the samples)")
    return problems


def _could_give(sample: str, texts: set[str]) -> bool:
    """Whether some text starts with the sample's words before its first slot and ends with
    those after its last, both normalised. The words next to a slot are left out, with any
    single letters beside them: a filling can join letters across the slot ("a b {x}")."""
    if "{" not in sample:
        return normal(sample) in texts
    head = normal(sample[:sample.index("{")]).split()
    tail = normal(sample[sample.rindex("}") + 1:]).split()
    while head and len(head[-1]) == 1:
        head.pop()
    while tail and len(tail[0]) == 1:
        tail.pop(0)
    prefix = " ".join(head[:-1]) + " " if len(head) > 1 else ""
    suffix = " " + " ".join(tail[1:]) if len(tail) > 1 else ""
    return any(text.startswith(prefix) and text.endswith(suffix) for text in texts)


@functools.lru_cache(maxsize=16384)
def _pattern(sample: str) -> re.Pattern[str]:
    """The sample as a regular expression, its slots as named groups (built once per sample:
    every locale's check, and every test of it, asks for the same few thousand)."""
    pieces = []
    for token in sample.split(" "):
        reference = SLOT_REFERENCE.fullmatch(token)
        pieces.append(f"(?P<{reference.group(1)}>.+?)" if reference else re.escape(normal(token)))
    return re.compile(" ".join(pieces))


def _spoken_locale(language: str) -> str:
    """A locale of `language`, for the spoken forms of built-in slot types (devtools/spoken.py)."""
    return "es-US" if language == SPANISH else "en-US"


def _built_in_match(pattern: re.Pattern[str], slot_types: dict[str, str], text: str, locale: str = "en-US") -> bool:
    match = pattern.fullmatch(text)
    if match is None:
        return False
    for name, words in match.groupdict().items():
        slot_type = slot_types.get(name, "")
        if slot_type == "AMAZON.NUMBER" and number_value(words, locale) is None:
            return False
        if slot_type == "AMAZON.DURATION" and duration_value(words, locale) is None:
            return False
        if slot_type == "AMAZON.TIME" and time_value(words, locale) is None:
            return False
    return True


# --------------------------------------------------------------------------- the matcher

def sklearn_available() -> bool:
    """Installed, without importing it (a second and a half) until a matcher is trained."""
    return importlib.util.find_spec("sklearn") is not None


class Matcher:
    """TF-IDF over word 1-2 grams and character 2-5 grams (within word boundaries, so "twitchy"
    and "twitching" share most features), then a multinomial logistic regression without an
    intercept; below `CONFIDENCE_THRESHOLD` the answer is AMAZON.FallbackIntent. Each intent
    weighs the same in training whatever its number of samples, as Alexa does not favour an
    intent for having more samples. Deterministic: fixed random state, sorted input, one thread."""

    def __init__(self, phrases: list[Phrase], threshold: float = CONFIDENCE_THRESHOLD):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion
        from threadpoolctl import threadpool_limits

        if not phrases:
            raise ValueError("no training phrases: the model has no samples")
        self.threshold = threshold
        phrases = sorted(phrases, key=lambda p: (p.intent, p.text))
        self.features = FeatureUnion([
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"[a-z']+", sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ])
        texts = [p.text for p in phrases]
        intents = [p.intent for p in phrases]
        totals: defaultdict[str, float] = defaultdict(float)
        for p in phrases:
            totals[p.intent] += p.weight
        share = sum(totals.values()) / len(totals)
        weights = [p.weight * share / totals[p.intent] for p in phrases]
        # No intercept: words nobody trained on then add up to an even spread over the intents,
        # which falls under the threshold, instead of the favourite of the intercepts.
        self.classifier = LogisticRegression(C=REGULARISATION_C, fit_intercept=False, max_iter=3000,
                                             random_state=RANDOM_STATE)
        with threadpool_limits(1):  # small sparse problem: threads only fight over two cores
            self.classifier.fit(self.features.fit_transform(texts), intents, sample_weight=weights)
        self.intents = [str(intent) for intent in self.classifier.classes_]

    def scores(self, utterances: list[str]) -> list[list[tuple[str, float]]]:
        """Every intent's probability for each utterance, best first."""
        probabilities = self.classifier.predict_proba(self.features.transform([normal(u) for u in utterances]))
        return [sorted(zip(self.intents, map(float, row)), key=lambda pair: (-pair[1], pair[0])) for row in probabilities]

    def predict(self, utterances: list[str]) -> list[Prediction]:
        predictions = []
        for ranked in self.scores(utterances):
            best, confidence = ranked[0]
            intent = best if confidence >= self.threshold else FALLBACK
            predictions.append(Prediction(intent, confidence, best))
        return predictions


@dataclass(frozen=True)
class Prediction:
    intent: str  # what the matcher answers (FALLBACK when unsure)
    confidence: float  # the best intent's probability
    best: str  # the best intent, even when below the threshold


_MATCHERS: dict[str, Matcher] = {}


def matcher_for(model: dict[str, Any], locale: str | None = None) -> Matcher:
    """One trained matcher per distinct model and language per process (tests and the CLI share them)."""
    language = _language(model, locale)
    key = language + hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()
    if key not in _MATCHERS:
        if len(_MATCHERS) >= 8:
            _MATCHERS.pop(next(iter(_MATCHERS)))
        _MATCHERS[key] = Matcher(training_phrases(model, _spoken_locale(language)))
    return _MATCHERS[key]


# --------------------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class Outcome:
    annotation: Annotation
    prediction: Prediction

    @property
    def right(self) -> bool:
        return self.prediction.intent == self.annotation.intent


@dataclass
class LocaleReport:
    """One locale's scores and problems; `failures` are the gates that stop a release."""

    locale: str
    path: str
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # annotation file against the model
    overlaps: list[str] = field(default_factory=list)
    phrases: int = 0
    samples: int = 0
    slots_checked: int = 0
    slots_right: int = 0
    slot_misses: list[str] = field(default_factory=list)
    min_accuracy: float = MIN_ACCURACY
    # The model whose slot score is still to be taken: informative, not a gate, so it is scored
    # when the report is read (render, score_slots), not for every gate check (a second a locale).
    unscored_slots: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def score_slots(self) -> LocaleReport:
        """Take the slot score now, if it is still to be taken; returns the report."""
        if self.unscored_slots is not None:
            model, self.unscored_slots = self.unscored_slots, None
            _score_slots(self, model)
        return self

    @property
    def in_domain(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.annotation.in_domain]

    @property
    def out_of_domain(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.annotation.in_domain]

    @property
    def accuracy(self) -> float:
        scored = self.in_domain
        return sum(o.right for o in scored) / len(scored) if scored else 0.0

    def recall(self) -> dict[str, tuple[int, int]]:
        """Intent -> (recognised, labelled), for every labelled intent including the fallback."""
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for outcome in self.outcomes:
            row = table[outcome.annotation.intent]
            row[0] += outcome.right
            row[1] += 1
        return {intent: (hit, n) for intent, (hit, n) in sorted(table.items())}

    @property
    def false_accepts(self) -> list[Outcome]:
        return [o for o in self.out_of_domain if not o.right]

    @property
    def confusions(self) -> list[Outcome]:
        return sorted((o for o in self.in_domain if not o.right),
                      key=lambda o: (o.annotation.intent, o.prediction.intent, o.annotation.utterance))

    @property
    def emergency_misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.annotation.intent == EMERGENCY and not o.right]

    @property
    def dangerous_accepts(self) -> list[Outcome]:
        return [o for o in self.false_accepts if o.prediction.intent in NEVER_OUT_OF_DOMAIN]

    def failures(self) -> list[str]:
        """The gates, one line each; empty when the locale passes."""
        lines = list(self.problems) + list(self.overlaps)
        if not self.in_domain:
            lines.append(f"{self.path}: no in-domain utterances to score")
        elif self.accuracy < self.min_accuracy:
            lines.append(f"{self.locale}: in-domain accuracy {self.accuracy:.1%} is below {self.min_accuracy:.0%}")
        lines += [f"{self.locale}: EmergencyIntent not recognised: {o.annotation.utterance!r} -> {_got(o)}"
                  for o in self.emergency_misses]
        lines += [f"{self.locale}: out-of-domain utterance lands in {o.prediction.intent}: {o.annotation.utterance!r}"
                  for o in self.dangerous_accepts]
        return lines

    @property
    def ok(self) -> bool:
        return not self.failures()

    def summary(self) -> str:
        """One line for this locale."""
        ood = self.out_of_domain
        return (f"{self.locale}: in-domain accuracy {self.accuracy:.1%} ({sum(o.right for o in self.in_domain)}/"
                f"{len(self.in_domain)}), out-of-domain false accepts {len(self.false_accepts)}/{len(ood)}, "
                f"emergency misses {len(self.emergency_misses)}/{sum(o.annotation.intent == EMERGENCY for o in self.outcomes)}"
                f"{'' if self.ok else f', {len(self.failures())} gate failure(s)'}")

    def render(self) -> str:
        """The whole report for a terminal: summary, recall table, false accepts, confusions,
        slot score, problems."""
        self.score_slots()
        lines = [self.summary(),
                 f"  trained on {self.samples} samples ({self.phrases} phrases with slots filled); "
                 f"scored {len(self.outcomes)} held-out utterances from {self.path}"]
        lines.append("  recall per intent:")
        for intent, (hit, n) in self.recall().items():
            lines.append(f"    {intent:<32} {hit:>3}/{n:<3} {hit / n:6.1%}{'' if hit == n else '  <'}")
        if self.false_accepts:
            where = Counter(o.prediction.intent for o in self.false_accepts)
            lines.append(f"  out-of-domain accepted ({', '.join(f'{i} {n}' for i, n in where.most_common())}):")
            lines += [f"    {o.annotation.utterance!r} -> {_got(o)}" for o in self.false_accepts]
        if self.confusions:
            lines.append("  confusions (expected -> got: utterance):")
            lines += [f"    {o.annotation.intent} -> {_got(o)}: {o.annotation.utterance!r}" for o in self.confusions]
        if self.slots_checked:
            lines.append(f"  slots (sample matcher, where it gets the intent right; informative): "
                         f"{self.slots_right}/{self.slots_checked} right")
            lines += [f"    {miss}" for miss in self.slot_misses]
        failures = self.failures()
        if failures:
            lines.append("  problems:")
            lines += [f"    {line}" for line in failures]
        return "\n".join(lines)


def _got(outcome: Outcome) -> str:
    p = outcome.prediction
    shown = math.floor(p.confidence * 100) / 100  # never "0.30, below 0.30"
    if p.intent == FALLBACK and p.best != FALLBACK:
        return f"{FALLBACK} (best {p.best} {shown:.2f}, below {CONFIDENCE_THRESHOLD:.2f})"
    return f"{p.intent} ({shown:.2f})"


def evaluate(model: dict[str, Any], annotations: list[Annotation], locale: str, path: Path | str,
             problems: Iterable[str] = (), matcher: Matcher | None = None) -> LocaleReport:
    """Score `annotations` against a matcher trained on `model` (the cached one unless given)."""
    matcher = matcher or matcher_for(model, locale)
    report = LocaleReport(locale, str(path), problems=[*problems, *annotation_problems(annotations, model, path)],
                          overlaps=sample_overlaps(annotations, model, path, locale))
    report.samples = sum(len(intent.get("samples", [])) for intent in intents_of(model).values())
    report.phrases = len(training_phrases(model, locale))
    predictions = matcher.predict([a.utterance for a in annotations]) if annotations else []
    report.outcomes = [Outcome(a, p) for a, p in zip(annotations, predictions)]
    report.unscored_slots = model
    return report


def _score_slots(report: LocaleReport, model: dict[str, Any]) -> None:
    """Slot values from the sample-based matcher (skill/tools/devtools/understanding.py), for the
    utterances with expected slots whose intent it recognises."""
    understanding = understanding_for(model, report.locale)
    for outcome in report.outcomes:
        annotation = outcome.annotation
        if not annotation.slots:
            continue
        heard = understanding.understand(annotation.utterance)
        if heard.intent != annotation.intent:
            continue
        for slot in annotation.slots:
            report.slots_checked += 1
            got = _heard_value(heard.slots, slot.name)
            if got == slot.value:
                report.slots_right += 1
            else:
                report.slot_misses.append(f"{annotation.utterance!r}: {slot.name} expected {slot.value}, got {got or 'nothing'}")


def _heard_value(slots: dict[str, Any], name: str) -> str | None:
    for candidate in (name, *EQUIVALENT_SLOTS.get(name, ())):
        fill = slots.get(candidate)
        if fill is not None:
            return fill.value_id if fill.custom else fill.value
    return None


def evaluate_locale(model: dict[str, Any], model_dir: Path, locale: str) -> LocaleReport:
    """Load `model_dir/nlu/<locale>.yaml` and score it; a missing or unreadable file is a failure."""
    path = annotations_path(model_dir, locale)
    try:
        annotations, problems = load_annotations(path, locale)
    except AnnotationError as exc:
        return LocaleReport(locale, str(path), problems=exc.problems)
    return evaluate(model, annotations, locale, path, problems)


# --------------------------------------------------------------------------- export

def export_annotation_set(annotations: Iterable[Annotation], model: dict[str, Any],
                          path: Path | str = "(annotations)") -> tuple[dict[str, Any], list[str]]:
    """The body of Amazon's "update annotations" call for an NLU annotation set, and the
    annotations that could not be exported. Shape (SMAPI v1, NLU annotation sets)::

        {"data": [{"inputs": {"utterance": "is coffee to blame"},
                   "expected": [{"intent": {"name": "CauseIntent",
                                            "slots": {"cause": {"value": "coffee"}}}}]}]}

    Amazon compares the slot value Alexa would send: for a custom slot type that is the words
    said (the id is only in entity resolution), so the words are the annotation's `words`, or
    else the value's longest synonym found in the utterance; for built-in types it is the
    platform value (P3W, 3). Out-of-domain utterances expect AMAZON.FallbackIntent.
    """
    intents = intents_of(model)
    types = slot_types_of(model)
    data, problems = [], []
    for annotation in annotations:
        slot_types = {slot["name"]: slot["type"] for slot in intents.get(annotation.intent, {}).get("slots", [])}
        slots = {}
        for slot in annotation.slots:
            slot_type = types.get(slot_types.get(slot.name, ""))
            if slot_type is None:
                slots[slot.name] = {"value": slot.value}
                continue
            words = slot.words or _words_in(annotation.utterance, slot_type, slot.value)
            if words is None:
                problems.append(f"{annotation.where(path)}: slot {slot.name}: no synonym of {slot.value} is in the "
                                f"utterance; write {{id: {slot.value}, words: ...}} with the words said")
                continue
            slots[slot.name] = {"value": words}
        intent: dict[str, Any] = {"name": annotation.intent}
        if slots:
            intent["slots"] = slots
        data.append({"inputs": {"utterance": annotation.utterance}, "expected": [{"intent": intent}]})
    return {"data": data}, problems


def _words_in(utterance: str, slot_type: dict[str, Any], value_id: str) -> str | None:
    padded = f" {fold(typed_normal(utterance))} "
    for value in slot_type.get("values", []):
        if _value_id(value) == value_id:
            found = [w for w in words_of(value) if f" {fold(typed_normal(w))} " in padded]
            return max(found, key=len) if found else None
    return None


def write_annotation_set(model: dict[str, Any], model_dir: Path, locale: str, out_dir: Path) -> tuple[Path | None, list[str]]:
    """`out_dir/<locale>.json` from `model_dir/nlu/<locale>.yaml`, unless the file has problems
    (then nothing is written and the problems are returned). A file that cannot be read raises
    AnnotationError."""
    path = annotations_path(model_dir, locale)
    annotations, problems = load_annotations(path, locale)
    problems += annotation_problems(annotations, model, path)
    body, found = export_annotation_set(annotations, model, path)
    problems += found
    if problems:
        return None, problems
    target = Path(out_dir) / f"{locale}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target, []
