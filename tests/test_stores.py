"""One contract for every store, run against the real thing: SQLite (a file), PostgreSQL (the
server `.ci/run` starts) and DynamoDB (moto's server on loopback). Then what only some stores
must prove: no update lost under parallel writers, short timeouts, clear start-up errors."""
from __future__ import annotations

import json
import multiprocessing
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_model import Context, RequestEnvelope, User
from ask_sdk_model.interfaces.system import SystemState

from skill.tools.devtools.conversation import Conversation
from support.pki import signed_headers
from skill.config import ConfigError
from skill.persistence import Store, StoreError, open_store, user_key
from support.store_servers import dynamodb_items

USER = "amzn1.ask.account.AFEXAMPLEUSERIDTHATMUSTNEVERBESTOREDINCLEAR"


def envelope(user_id: str | None = USER) -> RequestEnvelope:
    """The part of a request a store looks at: the user in context.System."""
    return RequestEnvelope(context=Context(system=SystemState(user=User(user_id=user_id) if user_id else None)))


@dataclass
class StoreCase:
    """A store under test with a look behind it at what it really wrote."""

    kind: str
    store: Store
    rows: Callable[[], dict[str, dict[str, Any]]]  # user key -> stored attributes
    dump: Callable[[], str]  # everything stored, as text
    break_it: Callable[[], None]  # drop the table underneath the store


def sqlite_case(tmp_path: Path) -> Iterator[StoreCase]:
    path = tmp_path / "skill.db"

    def rows() -> dict[str, dict[str, Any]]:
        with closing(sqlite3.connect(path)) as db:
            rows = db.execute("SELECT user_key, attributes FROM user_attributes")
            return {key: json.loads(text) for key, text in rows}

    def dump() -> str:
        return "".join(file.read_bytes().decode("latin-1") for file in tmp_path.glob("skill.db*"))

    def break_it() -> None:
        with closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("DROP TABLE user_attributes")

    yield StoreCase("sqlite", open_store(f"sqlite:///{path}"), rows, dump, break_it)


def postgres_case(url: str) -> Iterator[StoreCase]:
    import psycopg

    def query(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    store = open_store(url)
    try:
        yield StoreCase(
            "postgresql", store,
            rows=lambda: dict(query("SELECT user_key, attributes FROM user_attributes")),
            dump=lambda: repr(query("SELECT user_key, attributes::text, updated_at::text FROM user_attributes")),
            break_it=lambda: query("DROP TABLE user_attributes"),
        )
    finally:
        store.close()


def dynamodb_case(table: str) -> Iterator[StoreCase]:
    import boto3

    from skill.stores.dynamodb import from_dynamodb

    yield StoreCase(
        "dynamodb", open_store(f"dynamodb://{table}"),
        rows=lambda: {item["id"]: from_dynamodb(item["attributes"]) for item in dynamodb_items(table)},
        dump=lambda: repr(dynamodb_items(table)),
        break_it=lambda: boto3.client("dynamodb").delete_table(TableName=table),
    )


@pytest.fixture(params=["sqlite", "postgresql", "dynamodb"])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreCase]:
    if request.param == "sqlite":
        yield from sqlite_case(tmp_path)
    elif request.param == "postgresql":
        yield from postgres_case(request.getfixturevalue("postgres_schema_url"))
    else:
        yield from dynamodb_case(request.getfixturevalue("dynamodb_table"))


# --- the contract every store keeps --------------------------------------------------------------

def test_an_unknown_user_has_no_attributes(case: StoreCase) -> None:
    assert case.store.get_attributes(envelope()) == {}


def test_saved_attributes_come_back_equal_and_with_their_types(case: StoreCase) -> None:
    attributes = {"heard_disclaimer": True, "ratio": 0.25, "note": "Grüße & <ok>",
                  "routine": {"routine": "relief", "step": 3, "part": 1, "paused": False,
                              "updated": "2026-01-01T00:00:00Z"},
                  "list": [1, "two", None]}
    case.store.save_attributes(envelope(), attributes)
    loaded = case.store.get_attributes(envelope())
    assert loaded == attributes
    assert type(loaded["routine"]["step"]) is int and type(loaded["ratio"]) is float, "numbers must keep their types"


def test_a_plain_dict_is_saved_as_the_whole_document(case: StoreCase) -> None:
    case.store.save_attributes(envelope(), {"a": 1, "b": 2})
    case.store.save_attributes(envelope(), {"b": 3})
    assert case.store.get_attributes(envelope()) == {"b": 3}


def test_a_save_after_a_read_writes_what_changed_and_removes_what_was_removed(case: StoreCase) -> None:
    case.store.save_attributes(envelope(), {"keep": 1, "change": 1, "drop": 1})
    attributes = case.store.get_attributes(envelope())
    attributes["change"] = 2
    attributes["new"] = {"nested": [1, 2]}
    del attributes["drop"]
    case.store.save_attributes(envelope(), attributes)
    assert case.store.get_attributes(envelope()) == {"keep": 1, "change": 2, "new": {"nested": [1, 2]}}


def test_two_saves_in_one_request_both_land(case: StoreCase) -> None:
    attributes = case.store.get_attributes(envelope())
    attributes["routine"] = {"step": 1}
    case.store.save_attributes(envelope(), attributes)
    attributes.pop("routine")
    attributes["heard_disclaimer"] = True
    case.store.save_attributes(envelope(), attributes)
    assert case.store.get_attributes(envelope()) == {"heard_disclaimer": True}


def test_two_requests_holding_stale_copies_do_not_undo_each_others_changes(case: StoreCase) -> None:
    """The lost update: both read, both change a different key, both save."""
    case.store.save_attributes(envelope(), {"heard_disclaimer": True, "routine": {"step": 1}})
    first, second = case.store.get_attributes(envelope()), case.store.get_attributes(envelope())
    first["routine"] = {"step": 2}
    second.pop("heard_disclaimer")
    second["other"] = "x"
    case.store.save_attributes(envelope(), first)
    case.store.save_attributes(envelope(), second)
    assert case.store.get_attributes(envelope()) == {"routine": {"step": 2}, "other": "x"}


def test_when_two_requests_change_the_same_key_the_later_save_wins(case: StoreCase) -> None:
    first, second = case.store.get_attributes(envelope()), case.store.get_attributes(envelope())
    first["routine"] = {"step": 5}
    second["routine"] = {"step": 2}
    case.store.save_attributes(envelope(), first)
    case.store.save_attributes(envelope(), second)
    assert case.store.get_attributes(envelope()) == {"routine": {"step": 2}}


def test_delete_forgets_one_user_and_keeps_the_others(case: StoreCase) -> None:
    other = "amzn1.ask.account.SOMEONEELSE"
    case.store.save_attributes(envelope(), {"heard_disclaimer": True})
    case.store.save_attributes(envelope(other), {"heard_disclaimer": True})
    case.store.delete_attributes(envelope())
    assert case.store.get_attributes(envelope()) == {}
    assert case.store.get_attributes(envelope(other)) == {"heard_disclaimer": True}
    assert list(case.rows()) == [user_key(other)]


def test_deleting_a_user_with_nothing_stored_is_not_an_error(case: StoreCase) -> None:
    case.store.delete_attributes(envelope("amzn1.ask.account.NEVERSEEN"))
    assert case.rows() == {}


def test_users_are_stored_under_the_sha256_of_their_id(case: StoreCase) -> None:
    case.store.save_attributes(envelope(), {"heard_disclaimer": True})
    assert case.rows() == {user_key(USER): {"heard_disclaimer": True}}
    assert len(user_key(USER)) == 64 and user_key(USER) != user_key(USER + "x")


def test_no_store_holds_the_user_id_in_clear(case: StoreCase) -> None:
    case.store.save_attributes(envelope(), {"heard_disclaimer": True})
    attributes = case.store.get_attributes(envelope())
    attributes["routine"] = {"step": 2}
    case.store.save_attributes(envelope(), attributes)
    dump = case.dump()
    assert user_key(USER) in dump, "the dump must show the stored record"
    assert USER not in dump and USER.split(".")[-1] not in dump


def test_a_request_without_a_user_id_reads_nothing_and_stores_nothing(case: StoreCase) -> None:
    anonymous = envelope(None)
    assert case.store.get_attributes(anonymous) == {}
    case.store.save_attributes(anonymous, {"heard_disclaimer": True})
    case.store.delete_attributes(anonymous)
    assert case.rows() == {}


def test_a_healthy_store_passes_its_check_and_the_probe_writes_nothing(case: StoreCase) -> None:
    case.store.save_attributes(envelope(), {"heard_disclaimer": True})
    before = case.rows()
    case.store.check()
    assert case.rows() == before


def test_every_call_on_a_broken_store_raises_store_error(case: StoreCase) -> None:
    case.store.save_attributes(envelope(), {"heard_disclaimer": True})
    case.break_it()
    calls: dict[str, Callable[[], object]] = {
        "get": lambda: case.store.get_attributes(envelope()),
        "save": lambda: case.store.save_attributes(envelope(), {"x": 1}),
        "delete": lambda: case.store.delete_attributes(envelope()),
        "check": case.store.check,
    }
    wrong = []
    for name, call in calls.items():
        try:
            call()
        except StoreError:
            continue
        except Exception as exc:  # anything but StoreError would reach the user as a crash
            wrong.append(f"{name} raised {type(exc).__name__}")
        else:
            wrong.append(f"{name} did not fail")
    assert wrong == []


# --- no update lost under real parallel writers -------------------------------------------------

PROCESSES, THREADS, ROUNDS = 4, 4, 20
SHARED = "amzn1.ask.account.SHARED"


def _write_rounds(store: Store, process: int, thread: int, start: threading.Event, errors: list[str]) -> None:
    """One writer: each round is a request that reads, changes its own key, and saves.

    Every writer also keeps a private user of its own, so same-user and different-user
    writes interleave.
    """
    start.wait()
    mine, private = f"writer-{process}-{thread}", envelope(f"amzn1.ask.account.P{process}T{thread}")
    try:
        for round_ in range(ROUNDS):
            shared = store.get_attributes(envelope(SHARED))
            shared[mine] = round_
            store.save_attributes(envelope(SHARED), shared)
            own = store.get_attributes(private)
            own["rounds"] = own.get("rounds", 0) + 1
            store.save_attributes(private, own)
    except Exception as exc:  # reported to the parent, which fails the test
        errors.append(f"{mine}: {type(exc).__name__}: {exc}")


def _writer_process(store: Store, process: int) -> None:
    """A forked worker, as gunicorn forks them after building the app (and its store)."""
    start, errors = threading.Event(), []
    threads = [threading.Thread(target=_write_rounds, args=(store, process, index, start, errors))
               for index in range(THREADS)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join()
    if errors:
        print("\n".join(errors), flush=True)
    raise SystemExit(1 if errors else 0)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_parallel_writers_in_several_processes_lose_no_update(kind: str, request: pytest.FixtureRequest,
                                                              tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'skill.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_schema_url")
    store = open_store(url)
    store.check()  # the parent has used its store (and its pool) before forking, as the master may
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer_process, args=(store, index)) for index in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES, "a writer failed (see captured output)"
    shared = store.get_attributes(envelope(SHARED))
    expected = {f"writer-{p}-{t}": ROUNDS - 1 for p in range(PROCESSES) for t in range(THREADS)}
    lost = {key: shared.get(key) for key, value in expected.items() if shared.get(key) != value}
    assert lost == {}, f"lost updates (writer: value left in the store, expected {ROUNDS - 1})"
    assert dict(shared) == expected
    for p in range(PROCESSES):
        for t in range(THREADS):
            assert store.get_attributes(envelope(f"amzn1.ask.account.P{p}T{t}")) == {"rounds": ROUNDS}
    if kind == "postgresql":
        store.close()


# --- PostgreSQL: short timeouts and clear start-up errors ---------------------------------------

def test_the_health_check_fails_while_the_table_is_locked_for_writing_and_passes_after(
        postgres_schema_url: str) -> None:
    """Reads still work under an EXCLUSIVE lock; only a probe that writes sees that saves would fail."""
    import psycopg

    store = open_store(postgres_schema_url)
    store.check()
    with psycopg.connect(postgres_schema_url) as blocker:
        blocker.execute("LOCK TABLE user_attributes IN EXCLUSIVE MODE")
        assert store.get_attributes(envelope()) is not None  # reading is not blocked
        with pytest.raises(StoreError, match="LockNotAvailable"):
            store.check()
        blocker.rollback()
    store.check()
    store.close()


def test_the_health_check_fails_on_a_read_only_server(postgres_schema_url: str) -> None:
    """A standby after a failover, or a database set read-only, answers reads and refuses saves."""
    open_store(postgres_schema_url).close()  # the table exists, as it would on a standby
    store = open_store(postgres_schema_url.replace("options=", "options=-cdefault_transaction_read_only%3Don%20"))
    assert store.get_attributes(envelope()) is not None
    with pytest.raises(StoreError, match="ReadOnlySqlTransaction"):
        store.check()
    with pytest.raises(StoreError):
        store.save_attributes(envelope(), {"heard_disclaimer": True})
    store.close()


def test_a_row_locked_elsewhere_becomes_a_store_error_within_the_lock_timeout_and_then_saves(
        postgres_schema_url: str) -> None:
    import psycopg

    from skill.stores.postgres import LOCK_TIMEOUT_MS

    store = open_store(postgres_schema_url)
    store.save_attributes(envelope(), {"heard_disclaimer": True})
    with psycopg.connect(postgres_schema_url) as blocker:
        blocker.execute("SELECT 1 FROM user_attributes WHERE user_key = %s FOR UPDATE", (user_key(USER),))
        began = time.monotonic()
        with pytest.raises(StoreError, match="LockNotAvailable"):
            store.save_attributes(envelope(), {"heard_disclaimer": False})
        waited = time.monotonic() - began
        blocker.rollback()
    assert LOCK_TIMEOUT_MS / 1000 - 0.1 <= waited < LOCK_TIMEOUT_MS / 1000 + 1.5
    store.save_attributes(envelope(), {"heard_disclaimer": False})
    assert store.get_attributes(envelope()) == {"heard_disclaimer": False}
    store.close()


def test_a_stopped_server_fails_each_call_fast_and_the_same_store_recovers_when_it_is_back(private_postgres) -> None:
    from skill.stores.postgres import POOL_WAIT_S

    store = open_store(private_postgres.url)
    store.save_attributes(envelope(), {"heard_disclaimer": True})
    private_postgres.stop()
    for call in (lambda: store.get_attributes(envelope()), store.check):
        began = time.monotonic()
        with pytest.raises(StoreError):
            call()
        assert time.monotonic() - began < POOL_WAIT_S + 1.5, "a dead database must not hold the answer up"
    assert private_postgres.start() == store.conninfo, "restarted on the same port"
    assert _eventually(lambda: store.get_attributes(envelope())) == {"heard_disclaimer": True}
    store.close()


def _eventually(call: Callable[[], Any], seconds: float = 5) -> Any:
    """The first result of `call` that is not a StoreError, trying for a few seconds."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_every_pooled_connection_carries_the_short_timeouts_and_the_urls_own_options(postgres_schema_url: str) -> None:
    from skill.stores.postgres import STATEMENT_TIMEOUT_MS

    store = open_store(postgres_schema_url)
    with store._pool().connection() as connection:
        timeout = connection.execute("SHOW statement_timeout").fetchone()[0]
        search_path = connection.execute("SHOW search_path").fetchone()[0]
    store.close()
    assert timeout == f"{STATEMENT_TIMEOUT_MS}ms"
    assert search_path.startswith("test_"), "the URL's options (here a schema) must be kept"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_postgresql_stops_start_up_naming_the_variable_but_not_the_password() -> None:
    with pytest.raises(ConfigError) as error:
        open_store(f"postgresql://skill:s3cret-pw@127.0.0.1:{closed_port()}/skill")
    message = str(error.value)
    assert message.startswith("SKILL_DATABASE_URL: cannot use postgresql://skill:***@127.0.0.1:")
    assert "s3cret-pw" not in message


def test_a_postgresql_server_that_never_answers_is_given_up_on_within_the_connect_timeout() -> None:
    from skill.stores.postgres import CONNECT_TIMEOUT_S

    with socket.socket() as silent:  # accepts TCP connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        began = time.monotonic()
        with pytest.raises(ConfigError, match="SKILL_DATABASE_URL"):
            open_store(f"postgresql://skill@127.0.0.1:{silent.getsockname()[1]}/skill")
        assert time.monotonic() - began < CONNECT_TIMEOUT_S + 1.5


@pytest.mark.parametrize("url, problem", [
    ("mysql://host/db", "unsupported scheme 'mysql'"),
    ("dynamodb://", "name the table"),
    ("sqlite://host/db", "sqlite:///relative/path"),
])
def test_an_unusable_database_url_stops_start_up_naming_the_variable(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match="SKILL_DATABASE_URL") as error:
        open_store(url)
    assert problem in str(error.value)


# --- DynamoDB: the parts only it has ----------------------------------------------------------------

def test_dynamodb_saves_set_a_ttl_about_a_year_ahead(dynamodb_table: str) -> None:
    from skill.stores.dynamodb import RETENTION_SECONDS

    store = open_store(f"dynamodb://{dynamodb_table}")
    store.save_attributes(envelope(), {"heard_disclaimer": True})
    attributes = store.get_attributes(envelope())
    attributes["routine"] = {"step": 1}
    before = time.time()
    store.save_attributes(envelope(), attributes)
    [item] = dynamodb_items(dynamodb_table)
    assert before + RETENTION_SECONDS - 5 <= item["expires_at"] <= time.time() + RETENTION_SECONDS


def test_the_dynamodb_partition_key_cannot_be_made_without_a_user_id(monkeypatch: pytest.MonkeyPatch) -> None:
    from ask_sdk_core.exceptions import PersistenceException

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the SDK adapter builds a boto3 resource on import
    from skill.stores.dynamodb import hashed_user_partition_keygen

    assert hashed_user_partition_keygen(envelope()) == user_key(USER)
    with pytest.raises(PersistenceException):
        hashed_user_partition_keygen(envelope(None))


# --- the whole web skill on PostgreSQL ----------------------------------------------------------------

def test_the_web_skill_keeps_a_users_state_in_postgresql(postgres_schema_url: str, make_app, pki) -> None:
    import psycopg

    client = make_app(database_url=postgres_schema_url).test_client()

    def post(body: bytes) -> tuple[int, dict[str, Any]]:
        headers = {**signed_headers(pki, body), "Content-Type": "application/json"}
        response = client.post("/alexa", data=body, headers=headers)
        return response.status_code, json.loads(response.data or b"{}")

    conversation = Conversation(post)
    assert "not medical advice" in conversation.launch().speech
    conversation.ask("ReliefIntent")
    conversation.ask("AMAZON.NextIntent")
    conversation.ask("AMAZON.StopIntent")
    with psycopg.connect(postgres_schema_url) as connection:
        [(stored,)] = connection.execute("SELECT attributes FROM user_attributes WHERE user_key = %s",
                                         (user_key(conversation.user_id),)).fetchall()
    assert stored["heard_disclaimer"] is True and stored["routine"]["step"] == 2
    later = Conversation(post, user_id=conversation.user_id).launch()
    assert "not medical advice" not in later.speech and "continue from step 2" in later.speech
    assert client.get("/healthz").status_code == 200
