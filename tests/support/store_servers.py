"""Real servers for the store tests: PostgreSQL (given by SKILL_TEST_POSTGRES_URL, which
`.ci/run` sets after starting a throwaway cluster) and a DynamoDB stand-in (moto's server on
127.0.0.1, started here). Without them the tests skip with a message saying how to get them;
under `.ci/run` (SKILL_TEST_STRICT=1) a missing server or tool fails the run instead."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

POSTGRES_SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "postgres.sh"

NO_POSTGRES = "no PostgreSQL server: set SKILL_TEST_POSTGRES_URL or run .ci/run"
NO_MOTO = "no DynamoDB stand-in: install the test extras (pip install -e '.[test]', brings moto[server])"


def unavailable(message: str) -> NoReturn:
    """Skip, or fail when CI promised every server and tool would be there."""
    if os.environ.get("SKILL_TEST_STRICT") == "1":
        pytest.fail(f"{message} (SKILL_TEST_STRICT=1: CI must provide it)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The server's URL; set but unreachable is an error, never a skip."""
    url = os.environ.get("SKILL_TEST_POSTGRES_URL", "").strip()
    if not url:
        unavailable(NO_POSTGRES)
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.fail(f"SKILL_TEST_POSTGRES_URL is set but the server does not answer: {exc}")
    return url


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own, dropped afterwards."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_url else "?"
    try:
        yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of one test's own, so the test may stop and start it."""

    root: str
    url: str = ""

    def _run(self, command: str) -> str:
        result = subprocess.run([str(POSTGRES_SCRIPT), command], env={**os.environ, "SKILL_TEST_PGROOT": self.root},
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f".ci/postgres.sh {command} failed:\n{result.stderr}"
        return result.stdout

    def start(self) -> str:
        settings = dict(line.split("=", 1) for line in self._run("start").splitlines())
        self.url = settings["SKILL_TEST_POSTGRES_URL"]
        return self.url

    def stop(self) -> None:
        self._run("stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A throwaway cluster (initdb, about a second) under /tmp, removed afterwards.

    Needs Debian's PostgreSQL server binaries, which `.ci/run` installs when missing.
    """
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        unavailable("no PostgreSQL server binaries: apt-get install postgresql (or run .ci/run)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        unavailable("running as root without runuser: cannot start PostgreSQL as the postgres user")
    cluster = PrivatePostgres(root=f"/tmp/back-twitch-helper-pg-{uuid.uuid4().hex[:12]}")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """moto's DynamoDB-compatible server on a free loopback port, with dummy AWS settings.

    The variables stay set for the session so boto3 (and the SDK adapter's import-time
    resource) never looks for real credentials or reaches AWS.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        unavailable(NO_MOTO)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as env:
        for name, value in aws_test_environment(endpoint).items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        yield endpoint
    server.stop()


def aws_test_environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture
def dynamodb_table(dynamodb_endpoint: str) -> Iterator[str]:
    """A fresh table shaped like infra/aws/template.yaml's (key `id`, TTL on `expires_at`)."""
    import boto3

    client = boto3.client("dynamodb")
    name = f"skill-test-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    try:
        yield name
    finally:
        if name in client.list_tables()["TableNames"]:
            client.delete_table(TableName=name)


def dynamodb_items(table: str) -> list[dict[str, Any]]:
    import boto3

    return boto3.resource("dynamodb").Table(table).scan()["Items"]
