"""Shared test fixtures: a test PKI made at session start, the app built from a test config,
signed posting, and conversations that carry the session from turn to turn."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask

from skill.tools.devtools.conversation import SENT_PRIVATE, SKILL_ID, Conversation
from support import repository
from support.pki import DEFAULT_URL, FakeClock, TestPKI, poster, shared_pki
from support.store_servers import (  # noqa: F401 (fixtures for the store, Lambda and resilience tests)
    dynamodb_endpoint, dynamodb_table, postgres_schema_url, postgres_url, private_postgres)
from skill.runtime.app import create_app
from skill.runtime.assemble import Words
from skill.config import Config

CONTENT_DIR, MODEL_DIR = repository.CONTENT_DIR, repository.MODEL_DIR


# Slot values this short, or this common in the skill's own log lines, say nothing about a user.
NOT_PRIVATE = {"request", "intent", "answered", "session", "store", "error", "other"}


@pytest.fixture(autouse=True)
def no_user_input_in_logs(caplog: pytest.LogCaptureFixture) -> Any:
    """After every test: no log record holds a user id or slot value a conversation sent
    (README "Observability"); tests/test_log_privacy.py does the same for odd input."""
    SENT_PRIVATE.clear()
    yield
    secrets = {value for value in SENT_PRIVATE if len(value) >= 5 and value.lower() not in NOT_PRIVATE}
    records = caplog.get_records("setup") + caplog.get_records("call")
    if not secrets or not records:
        return
    text = "\n".join(record.getMessage() for record in records).lower()
    leaked = sorted(secret for secret in secrets if secret.lower() in text)
    assert not leaked, f"logged what a user said or who they are: {leaked[:5]}"


@pytest.fixture(scope="session")
def pki() -> TestPKI:
    return shared_pki()


@pytest.fixture
def clock(pki: TestPKI) -> FakeClock:
    """A settable clock at the test PKI's reference time, for the verification tests."""
    return FakeClock(pki.now)


@pytest.fixture(scope="session")
def ca_file(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("pki") / "root.pem"
    path.write_bytes(pki.root_pem())
    return str(path)


@pytest.fixture
def make_config(tmp_path: Path, pki: TestPKI, ca_file: str) -> Callable[..., Config]:
    """A Config for tests: our test root trusted, the chain served from memory, SQLite in tmp."""

    def build(**overrides: Any) -> Config:
        chains = {DEFAULT_URL: pki.chain_pem()}
        values: dict[str, Any] = dict(
            skill_id=SKILL_ID,
            ca_file=ca_file,
            database_url=f"sqlite:///{tmp_path / 'skill.db'}",
            cert_fetcher=lambda url: chains[url],
            content_dir=CONTENT_DIR,
            model_dir=MODEL_DIR,
        )
        values.update(overrides)
        return Config(**values)

    return build


@pytest.fixture(scope="session")
def shared_words() -> Words:
    """The repository's content and interaction models, read and checked once per test process
    (create_app reads them itself whenever a test points it at other directories)."""
    return repository.words()


@pytest.fixture
def make_app(make_config: Callable[..., Config], shared_words: Words) -> Callable[..., Flask]:
    """``make_app(config)`` or ``make_app(**overrides)``: create_app over the shared words."""

    def build(config: Config | None = None, **overrides: Any) -> Flask:
        config = config or make_config(**overrides)
        shared = shared_words if (config.content_dir, config.model_dir) == (CONTENT_DIR, MODEL_DIR) else None
        return create_app(config, words=shared)

    return build


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def post(app: Flask, pki: TestPKI) -> Callable[[bytes], tuple[int, dict[str, Any]]]:
    return poster(app, pki)


@pytest.fixture
def talk(post: Callable[[bytes], tuple[int, dict[str, Any]]]) -> Callable[..., Conversation]:
    """Start a conversation; pass user_id to come back as the same user later, device (a profile in
    skill/tools/devtools/envelopes/devices/, e.g. "echo_show_8") to talk through a screen."""

    def start(user_id: str | None = None, locale: str = "en-US", device: str | None = None) -> Conversation:
        return Conversation(post, user_id=user_id, locale=locale, device=device)

    return start
