"""Packaging hygiene: every distribution skill/ imports is declared, the store drivers are
optional extras that SQLite start-up never loads, the SDK is held to the minor release
skill/runtime/envelope.py was written against, and the lock files agree with pyproject.toml."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from skill.config import REPO_ROOT, ConfigError
from skill.persistence import open_store

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
DRIVERS = {"postgres": ("psycopg", "psycopg_pool"), "aws": ("boto3", "botocore", "ask_sdk_dynamodb")}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return normal(match.group(0))


def declared(*groups: str) -> set[str]:
    """Distribution names in [project] dependencies (group "") and the named extras."""
    names: set[str] = set()
    for group in groups:
        requirements = PROJECT["dependencies"] if group == "" else PROJECT["optional-dependencies"][group]
        names |= {requirement_name(r) for r in requirements}
    return names


def imported_modules() -> set[str]:
    """Top-level names of every absolute import under skill/, lazy ones included."""
    names: set[str] = set()
    for path in (REPO_ROOT / "skill").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"skill", "__future__"} - PROVIDED_BY_THE_LAMBDA_RUNTIME


# Modules the AWS Lambda Python runtime itself provides, imported only when present.
PROVIDED_BY_THE_LAMBDA_RUNTIME = {"snapshot_restore_py"}


def test_every_distribution_skill_imports_is_declared() -> None:
    distributions = importlib.metadata.packages_distributions()
    everything = declared("", *PROJECT["optional-dependencies"])
    missing = {module: distributions.get(module) for module in imported_modules()
               if not {normal(d) for d in distributions.get(module, [])} & everything}
    assert missing == {}, "imported by skill/ but not declared in pyproject.toml"


def test_store_drivers_are_extras_and_the_test_extra_pulls_in_every_one() -> None:
    base = declared("")
    assert not base & declared("postgres", "aws")
    assert {"psycopg", "psycopg-pool"} <= declared("postgres")
    assert {"boto3", "botocore", "ask-sdk-dynamodb-persistence-adapter"} <= declared("aws")
    [self_reference] = [r for r in PROJECT["optional-dependencies"]["test"] if requirement_name(r) == normal(PROJECT["name"])]
    assert {"postgres", "aws", "tools"} <= set(re.findall(r"\w+", self_reference.split("[", 1)[1]))


@pytest.mark.parametrize("distribution", ["ask-sdk-core", "ask-sdk-model", "ask-sdk-runtime"])
def test_the_sdk_is_held_to_the_installed_minor_release(distribution: str) -> None:
    [requirement] = [r for r in PROJECT["dependencies"] if requirement_name(r) == distribution]
    major, minor = importlib.metadata.version(distribution).split(".")[:2]
    assert re.search(rf">={major}\.{minor}(\.\d+)?,<{major}\.{int(minor) + 1}$", requirement), requirement


def test_sqlite_start_up_loads_no_store_driver(tmp_path: Path) -> None:
    code = ("import sys; from skill.runtime.app import create_app; import skill.runtime.lambda_handler, skill.tools.cli; "
            f"create_app({{'SKILL_DATABASE_URL': 'sqlite:///{tmp_path / 'skill.db'}'}}); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sum(DRIVERS.values(), ())!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(("url", "extra"), [("postgresql://user@db.example/skill", "postgres"), ("dynamodb://Table", "aws")])
def test_a_store_whose_extra_is_missing_is_a_config_error_naming_the_extra(url: str, extra: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for module in DRIVERS[extra] + ("botocore.exceptions",):
        monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    with pytest.raises(ConfigError) as raised:
        open_store(url)
    assert f"pip install 'back-twitch-helper[{extra}]'" in str(raised.value)
    assert str(raised.value).startswith("SKILL_DATABASE_URL: ")


def lock_pins(name: str) -> dict[str, str]:
    text = (REPO_ROOT / name).read_text()
    assert not re.search(r"^\s*(-e|--index-url|--extra-index-url|--find-links)|file://", text, re.MULTILINE)
    return {normal(pin.split("==")[0]): pin.split("==")[1]
            for pin in re.findall(r"^[A-Za-z0-9][^\s#;]*==[^\s#;]+", text, re.MULTILINE)}


def test_the_lock_files_pin_every_declared_distribution_alike() -> None:
    runtime, test = lock_pins("requirements.lock"), lock_pins("requirements-test.lock")
    assert declared("") <= set(runtime)
    assert declared("", *PROJECT["optional-dependencies"]) - {normal(PROJECT["name"])} <= set(test)
    assert {name: version for name, version in test.items() if name in runtime} == runtime
    assert not declared("postgres", "aws") & set(runtime), "the default install needs no store driver"
