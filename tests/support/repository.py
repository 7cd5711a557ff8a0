"""The repository's own content and interaction models, read and checked once per test process.

Reading and schema-checking every locale takes a quarter of a second; tests and their
parametrisations ask for it dozens of times. Tests that break a copy read their copy themselves."""
from __future__ import annotations

from functools import cache

from skill.config import REPO_ROOT
from skill.conversation.content import Content
from skill.runtime.assemble import Words

CONTENT_DIR, MODEL_DIR = REPO_ROOT / "content", REPO_ROOT / "interaction_model"


@cache
def words() -> Words:
    return Words.load(CONTENT_DIR, MODEL_DIR)


def content() -> Content:
    return words().content
