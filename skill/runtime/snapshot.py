"""The skill's words compiled once: content and interaction models, validated, in one JSON file.

Start-up from source reads some thirty YAML and JSON files and checks every locale against the
content schema: about 0.14 s, plus importing jsonschema and PyYAML, on every cold start of a
Lambda container. ``backtwitch snapshot`` (and the Lambda build) does that work once and writes
the validated data with the SHA-256 of the sources it came from; ``SKILL_WORDS_SNAPSHOT`` points
the runtime at the file. The runtime still hashes the sources it is given (a few milliseconds)
and refuses a snapshot made from other sources, so an edited text can never be served stale:
it names both paths and the command that rebuilds the snapshot.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .. import fastjson
from ..config import ConfigError
from ..conversation.content import SCHEMA_PATH, read_locales
from ..conversation.locales import BASE_LOCALES, DEFAULT_LOCALE, MODEL_OVERRIDES, load_models

FORMAT = 1
REBUILD = "rebuild it: backtwitch snapshot --out PATH (or unset SKILL_WORDS_SNAPSHOT)"


def source_files(content_dir: Path, model_dir: Path) -> list[Path]:
    """Everything the words are made from: the content, each language's hand-kept base model
    (en-US.json, es-US.json, ...) and the locale overrides, and the content schema that decides
    what is valid. Another language's base that doesn't exist is left out (load_models says so);
    en-US.json is always a source."""
    content = sorted(Path(content_dir).rglob("*.yaml"))
    bases = sorted(Path(model_dir) / f"{base}.json" for base in set(BASE_LOCALES.values()))
    models = [*(path for path in bases if path.is_file() or path.stem == DEFAULT_LOCALE),
              *sorted((Path(model_dir) / MODEL_OVERRIDES).glob("*.yaml"))]
    return [*content, *models, SCHEMA_PATH]


def source_hash(content_dir: Path, model_dir: Path) -> str:
    """SHA-256 over each source's place (relative to its directory) and bytes."""
    digest = hashlib.sha256()
    roots = ((Path(content_dir), "content"), (Path(model_dir), "model"), (SCHEMA_PATH.parent, "schema"))
    for path in source_files(content_dir, model_dir):
        root, label = next((root, label) for root, label in roots if path.is_relative_to(root))
        digest.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def write_snapshot(content_dir: Path, model_dir: Path, out: Path) -> Path:
    """Validate the sources (raising ContentError or ModelError as start-up would) and write
    the snapshot atomically: a reader never sees half a file."""
    snapshot = {
        "format": FORMAT,
        "source": source_hash(content_dir, model_dir),
        "content": read_locales(content_dir),
        "models": load_models(model_dir),
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(json.dumps(snapshot, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(partial, out)
    return out


def read_snapshot(path: Path, content_dir: Path, model_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(content by locale, models by locale) from the snapshot, if it was made from these
    sources; otherwise a ConfigError that says which file and why."""
    where = f"SKILL_WORDS_SNAPSHOT: {path}"
    try:
        snapshot = fastjson.loads(Path(path).read_bytes())  # orjson: a third of a cold start's JSON time
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot read the snapshot ({type(exc).__name__}); {REBUILD}") from exc
    if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT or not all(
            isinstance(snapshot.get(key), dict) for key in ("content", "models")):
        raise ConfigError(f"{where}: not a words snapshot of format {FORMAT}; {REBUILD}")
    try:
        current = source_hash(content_dir, model_dir)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read its sources in {content_dir} and {model_dir}: {exc}") from exc
    if snapshot.get("source") != current:
        raise ConfigError(f"{where}: made from other sources than {content_dir} and {model_dir} "
                          f"(they changed since); {REBUILD}")
    return snapshot["content"], snapshot["models"]
