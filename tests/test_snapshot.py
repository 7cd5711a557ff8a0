"""Words snapshots (`backtwitch snapshot`, SKILL_WORDS_SNAPSHOT): the skill started from one says
exactly what it says from the sources, a snapshot of other sources (or a broken file) stops
start-up with the variable, the path and the fix named, and a cold start from one reads no YAML
and imports neither jsonschema nor PyYAML."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill.config import REPO_ROOT, Config, ConfigError
from skill.runtime.app import create_app
from skill.runtime.assemble import Words
from skill.runtime.snapshot import read_snapshot, source_hash, write_snapshot
from skill.tools.cli import main
from skill.tools.devtools.conversation import SKILL_ID, Conversation, fixture
from support import repository


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the repository's content and models, free to edit."""
    content, models = tmp_path / "content", tmp_path / "interaction_model"
    shutil.copytree(repository.CONTENT_DIR, content)
    shutil.copytree(repository.MODEL_DIR, models)
    return content, models


def test_the_snapshot_holds_the_words_the_sources_give(sources: tuple[Path, Path], tmp_path: Path) -> None:
    snapshot = write_snapshot(*sources, tmp_path / "words.json")
    from_snapshot, from_sources = Words.load(*sources, snapshot), Words.load(*sources)
    for locale in from_sources.content.locales:
        fresh, compiled = from_sources.content.for_locale(locale), from_snapshot.content.for_locale(locale)
        assert compiled.phrases == fresh.phrases and compiled.topics == fresh.topics and compiled.causes == fresh.causes
        assert compiled.screening == fresh.screening and compiled.values == fresh.values
    assert from_snapshot.catalogs.by_locale.keys() == from_sources.catalogs.by_locale.keys()


def test_a_skill_started_from_a_snapshot_answers_as_from_the_sources(sources: tuple[Path, Path], tmp_path: Path) -> None:
    snapshot = write_snapshot(*sources, tmp_path / "words.json")

    def visit(words_snapshot: Path | None) -> list[str]:
        store = tmp_path / f"{'snapshot' if words_snapshot else 'sources'}.db"
        config = Config(verify_signatures=False, verify_timestamps=False, content_dir=sources[0], model_dir=sources[1],
                        words_snapshot=words_snapshot, database_url=f"sqlite:///{store}")
        client = create_app(config).test_client()

        def post(body: bytes) -> tuple[int, dict]:
            response = client.post("/alexa", data=body, headers={"Content-Type": "application/json"})
            return response.status_code, response.get_json()

        random.seed(7)  # the same variations each visit
        user = Conversation(post, user_id="amzn1.ask.account.snapshot-visitor", locale="en-GB")
        turns = [user.launch(), user.ask("CauseIntent", cause={"value": "coffee", "id": "caffeine"}),
                 user.ask("IsItSeriousIntent"), user.ask("ReliefIntent")]
        return [turn.ssml for turn in turns]

    assert visit(snapshot) == visit(None)


def test_an_edited_source_makes_the_snapshot_stale_and_start_up_refuses_it(sources: tuple[Path, Path],
                                                                           tmp_path: Path) -> None:
    content, models = sources
    snapshot = write_snapshot(content, models, tmp_path / "words.json")
    common = content / "en-US" / "common.yaml"
    common.write_text(common.read_text().replace("Back Twitch Helper", "Back Twitch Helpr", 1))
    config = Config(verify_signatures=False, content_dir=content, model_dir=models, words_snapshot=snapshot,
                    database_url=f"sqlite:///{tmp_path / 'skill.db'}")
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    message = str(refused.value)
    assert message.startswith(f"SKILL_WORDS_SNAPSHOT: {snapshot}: made from other sources than {content} and {models}")
    assert "backtwitch snapshot --out PATH" in message


@pytest.mark.parametrize("written, problem", [
    (None, "cannot read the snapshot (FileNotFoundError)"),
    ("{not json", "cannot read the snapshot (JSONDecodeError)"),
    (json.dumps({"format": 99, "content": {}, "models": {}}), "not a words snapshot of format 1"),
    (json.dumps(["content"]), "not a words snapshot of format 1"),
])
def test_a_snapshot_that_cannot_be_used_is_refused_by_name(sources: tuple[Path, Path], tmp_path: Path,
                                                           written: str | None, problem: str) -> None:
    path = tmp_path / "words.json"
    if written is not None:
        path.write_text(written)
    with pytest.raises(ConfigError, match="rebuild it") as refused:
        read_snapshot(path, *sources)
    assert str(refused.value).startswith(f"SKILL_WORDS_SNAPSHOT: {path}: {problem}")


def test_the_hash_follows_every_source_and_not_where_the_copy_lives(sources: tuple[Path, Path], tmp_path: Path) -> None:
    content, models = sources
    assert source_hash(content, models) == source_hash(repository.CONTENT_DIR, repository.MODEL_DIR)
    before = source_hash(content, models)
    override = models / "overrides" / "en-GB.yaml"
    override.write_text(override.read_text() + "\n")
    assert source_hash(content, models) != before


def test_the_command_writes_a_snapshot_and_refuses_broken_content(sources: tuple[Path, Path], tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    content, models = sources
    out = tmp_path / "built" / "words.json"
    assert main(["snapshot", "--out", str(out), "--content", str(content), "--model", str(models)]) == 0
    assert f"SKILL_WORDS_SNAPSHOT={out}" in capsys.readouterr().out and read_snapshot(out, content, models)
    topics = content / "en-US" / "topics.yaml"
    topics.write_text(topics.read_text().replace("follow_up:", "follow_upp:", 1))
    broken = tmp_path / "broken.json"
    assert main(["snapshot", "--out", str(broken), "--content", str(content), "--model", str(models)]) == 1
    assert "topics.yaml" in capsys.readouterr().err and not broken.exists()


def test_a_lambda_cold_start_from_a_snapshot_imports_no_yaml_jsonschema_or_prometheus(tmp_path: Path) -> None:
    """Nobody scrapes /metrics from a Lambda container: it counts with plain Counts."""
    snapshot = write_snapshot(repository.CONTENT_DIR, repository.MODEL_DIR, tmp_path / "words.json")
    probe = ("import json, sys\nfrom skill.runtime.lambda_handler import handler\n"
             "answer = handler(json.loads(sys.stdin.read()), None)\n"
             "print(json.dumps({'spoken': 'outputSpeech' in answer['response'],"
             " 'loaded': sorted(m for m in ('yaml', 'jsonschema', 'prometheus_client') if m in sys.modules)}))\n")
    env = {**os.environ, "SKILL_WORDS_SNAPSHOT": str(snapshot), "ALEXA_SKILL_ID": SKILL_ID, "SKILL_LOG_LEVEL": "WARNING",
           "SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'lambda.db'}"}
    for name in ("SKILL_CONTENT_DIR", "SKILL_MODEL_DIR"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", probe], input=json.dumps(fixture("launch_request.json")), env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == {"spoken": True, "loaded": []}


def test_under_snapstart_the_skill_is_built_by_the_before_snapshot_hook(tmp_path: Path) -> None:
    """The Lambda runtime's ``snapshot_restore_py`` (a stand-in here) gets a hook that builds the
    container's skill, so the snapshot SnapStart takes already holds it."""
    snapshot = write_snapshot(repository.CONTENT_DIR, repository.MODEL_DIR, tmp_path / "words.json")
    probe = ("import sys, types\nhooks = []\nfake = types.ModuleType('snapshot_restore_py')\n"
             "fake.register_before_snapshot = hooks.append\nsys.modules['snapshot_restore_py'] = fake\n"
             "from skill.runtime import lambda_handler\nassert len(hooks) == 1\n"
             "assert lambda_handler.container_skill.cache_info().currsize == 0\nhooks[0]()\n"
             "print(lambda_handler.container_skill.cache_info().currsize)\n")
    env = {**os.environ, "SKILL_WORDS_SNAPSHOT": str(snapshot), "ALEXA_SKILL_ID": SKILL_ID, "SKILL_LOG_LEVEL": "WARNING",
           "SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'lambda.db'}"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "1"), done.stderr[-2000:]
