"""``assemble(config)``: the parts both entry points (the web app and the Lambda) are made of.

Content and interaction models are read and checked first (``Words.load``), then the store
opens, then the skill is built over them. Anything wrong raises here, naming the file or key,
so neither entry point starts with broken words or config. The words are plain immutable
data: a caller that builds many skills from the same files (the test suite) loads them once
and passes them in.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ask_sdk_core.skill import CustomSkill

from ..config import Config
from ..conversation.alexa_api import AlexaApiClient
from ..conversation.build import build_skill, known_intents
from ..conversation.content import Content, load_content
from ..conversation.slots import SlotCatalogs, load_catalogs
from ..observability import Counts, Metrics, ObservedStore
from ..persistence import open_store
from .snapshot import read_snapshot


@dataclass(frozen=True)
class Words:
    """What the skill says (content) and what it understands (the interaction models)."""

    content: Content
    catalogs: SlotCatalogs

    @classmethod
    def load(cls, content_dir: Path, model_dir: Path, snapshot: Path | None = None) -> Words:
        """From the sources, checked; or from a snapshot of exactly these sources (snapshot.py)."""
        if snapshot is None:
            return cls(load_content(content_dir), load_catalogs(model_dir))
        content, models = read_snapshot(snapshot, content_dir, model_dir)
        return cls(Content.from_data(content), SlotCatalogs.from_models(models))


@dataclass(frozen=True)
class Assembly:
    skill: CustomSkill
    store: ObservedStore
    metrics: Counts  # Metrics (Prometheus) unless assemble was asked for plain Counts
    content: Content  # the web app serves the policy pages from it


def assemble(config: Config, words: Words | None = None, counting: type[Counts] = Metrics) -> Assembly:
    """The skill over its store, with the metrics that count both (any intent outside the
    models is counted as "other"); ``Counts`` where nobody scrapes them (the Lambda entry)."""
    words = words or Words.load(config.content_dir, config.model_dir, config.words_snapshot)
    metrics = counting(known_intents=known_intents(words.catalogs))
    store = ObservedStore(open_store(config.database_url), metrics)  # counts StoreErrors
    skill = build_skill(words.content, store, words.catalogs, AlexaApiClient(timeout=config.alexa_api_timeout))
    return Assembly(skill, store, metrics, words.content)
