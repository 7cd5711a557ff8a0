"""Configuration: embedded defaults, overridden by the environment.

Values are typed and checked once at start-up so a typo in a deployment fails fast with
the offending key named, instead of surfacing as odd behaviour on a user's request.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import platformdirs

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_CERT_TIMEOUT = 5.0
MAX_API_TIMEOUT = 5.0  # Alexa waits about 8 s for the whole answer

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """A configuration value is unusable; the message names the key."""


def default_database_url() -> str:
    """SQLite under the user's data directory: works on a fresh machine with no setup."""
    return f"sqlite:///{Path(platformdirs.user_data_dir('backtwitch')) / 'skill.db'}"


@dataclass(frozen=True)
class Config:
    skill_id: str | None = None
    verify_signatures: bool = True
    verify_timestamps: bool = True
    ca_file: str | None = None
    cert_timeout: float = MAX_CERT_TIMEOUT
    database_url: str = field(default_factory=default_database_url)
    content_dir: Path = REPO_ROOT / "content"
    model_dir: Path = REPO_ROOT / "interaction_model"
    words_snapshot: Path | None = None  # content and models compiled once (skill/runtime/snapshot.py)
    log_level: str = "INFO"
    alexa_api_timeout: float = 3.0
    # Injection points for tests and tools; never read from the environment.
    cert_fetcher: Callable[[str], bytes] | None = None
    clock: Callable[[], datetime] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Build a Config from environment variables (os.environ by default)."""
        env = os.environ if env is None else env
        timeout = _float(env, "ALEXA_CERT_TIMEOUT", MAX_CERT_TIMEOUT)
        if not 0 < timeout <= MAX_CERT_TIMEOUT:
            raise ConfigError(f"ALEXA_CERT_TIMEOUT: must be above 0 and at most {MAX_CERT_TIMEOUT} seconds, got {timeout}")
        api_timeout = _float(env, "ALEXA_API_TIMEOUT", 3.0)
        if not 0 < api_timeout <= MAX_API_TIMEOUT:
            raise ConfigError(f"ALEXA_API_TIMEOUT: must be above 0 and at most {MAX_API_TIMEOUT} seconds, got {api_timeout}")
        ca_file = env.get("ALEXA_CA_FILE") or None
        if ca_file and not Path(ca_file).is_file():
            raise ConfigError(f"ALEXA_CA_FILE: no such file: {ca_file}")
        level = env.get("SKILL_LOG_LEVEL", "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(f"SKILL_LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got {level!r}")
        return cls(
            skill_id=env.get("ALEXA_SKILL_ID") or None,
            verify_signatures=_bool(env, "ALEXA_VERIFY_SIGNATURES", True),
            verify_timestamps=_bool(env, "ALEXA_VERIFY_TIMESTAMPS", True),
            ca_file=ca_file,
            cert_timeout=timeout,
            database_url=env.get("SKILL_DATABASE_URL") or default_database_url(),
            content_dir=Path(env.get("SKILL_CONTENT_DIR") or REPO_ROOT / "content"),
            model_dir=Path(env.get("SKILL_MODEL_DIR") or REPO_ROOT / "interaction_model"),
            words_snapshot=Path(env["SKILL_WORDS_SNAPSHOT"]) if env.get("SKILL_WORDS_SNAPSHOT") else None,
            log_level=level,
            alexa_api_timeout=api_timeout,
        )


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{key}: expected true or false, got {raw!r}")


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{key}: expected a number of seconds, got {raw!r}") from None
