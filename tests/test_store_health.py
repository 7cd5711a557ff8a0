"""`/healthz` tells the truth about the store, and no progress acknowledged as saved is lost.

Each fault is made for real against the SQLite file the app serves from: another connection
holding the exclusive lock, the file (or its directory) made read-only, the directory removed
while serving. Each time `/healthz` must say 503 with the store's reason within a few seconds,
the skill must go on answering, and once the fault is gone `/healthz` says 200 again and what
the skill said it saved is there after a restart.
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import skill.stores.sqlite as sqlite_store
from skill.tools.devtools.conversation import Conversation
from support.pki import TestPKI
from skill.stores.base import SaveRecord
from support.store_faults import can_make_read_only, exclusively_locked, read_only
from support.pki import poster

CANT_SAVE = "I can't save your place right now"
FAULT_VISIBLE_WITHIN = 5.0  # seconds


def health(app: Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def wait_for_health(app: Flask, status: int, since: float, limit: float = FAULT_VISIBLE_WITHIN) -> dict[str, Any]:
    """Poll /healthz until it answers `status`; fail if that takes more than `limit` s from `since`."""
    while True:
        code, body = health(app)
        if code == status:
            return body
        assert time.monotonic() - since < limit, f"/healthz still {code} {body} after {limit} s"
        time.sleep(0.05)


def assert_continues_at(app: Flask, pki: TestPKI, user_id: str, step: int) -> None:
    offer = Conversation(poster(app, pki), user_id=user_id).launch()
    assert f"Last time, you got to step {step} of the relief routine" in offer.speech, offer.speech


def restarted(make_app: Callable[..., Flask], **overrides: Any) -> Flask:
    return make_app(**overrides)


def test_healthz_is_503_while_the_database_is_locked_and_saved_progress_survives(
        app: Flask, pki: TestPKI, make_app, tmp_path: Path) -> None:
    post = poster(app, pki)
    user = Conversation(post)
    user.launch()
    user.ask("ReliefIntent")  # step 1, saved

    with exclusively_locked(tmp_path / "skill.db"):
        fault = time.monotonic()
        second = user.ask("AMAZON.NextIntent")  # its save waits out the busy timeout and fails
        body = wait_for_health(app, 503, since=fault)
    assert second.status == 200 and "Step 2 of 6" in second.speech and CANT_SAVE in second.speech
    assert body["status"] == "unavailable" and "locked" in body["reason"], body

    third = user.ask("AMAZON.NextIntent")  # saved again
    assert "Step 3 of 6" in third.speech and CANT_SAVE not in third.speech
    wait_for_health(app, 200, since=time.monotonic())
    assert_continues_at(restarted(make_app), pki, user.user_id, step=3)


def test_repeated_failed_saves_alone_make_healthz_503(app: Flask, pki: TestPKI, tmp_path: Path) -> None:
    """A store that still reads but cannot write (the lock taken between probes) is not healthy."""
    user = Conversation(poster(app, pki))
    user.launch()
    user.ask("ReliefIntent")
    with exclusively_locked(tmp_path / "skill.db"):
        assert CANT_SAVE in user.ask("AMAZON.NextIntent").speech
    code, body = health(app)  # the lock is gone: only the failed save tells
    assert code == 503 and "the last 1 save failed" in body["reason"] and "locked" in body["reason"], body
    assert "Step 3 of 6" in user.ask("AMAZON.NextIntent").speech
    assert health(app)[0] == 200, "a successful save clears it"


def test_the_save_record_forgets_old_failures() -> None:
    record = SaveRecord(streak=3, streak_window=0.4, recent=0.1)
    assert record.problem() is None
    record.failed("database is locked")
    assert record.problem() == "the last 1 save failed: database is locked"
    time.sleep(0.15)
    assert record.problem() is None, "one old failure is forgotten"
    for _ in range(3):
        record.failed("disk I/O error")
    time.sleep(0.15)
    assert record.problem() == "the last 4 saves failed: disk I/O error", "a streak is remembered longer"
    time.sleep(0.3)
    assert record.problem() is None
    record.failed("x")
    record.saved()
    assert record.problem() is None


needs_read_only = pytest.mark.skipif(not can_make_read_only(), reason="root without chattr cannot make a file read-only")


@needs_read_only
def test_healthz_is_503_while_the_database_file_is_read_only(app: Flask, pki: TestPKI, make_app,
                                                            tmp_path: Path) -> None:
    user = Conversation(poster(app, pki))
    user.launch()
    user.ask("ReliefIntent")
    database = tmp_path / "skill.db"

    with read_only(database):
        body = wait_for_health(app, 503, since=time.monotonic())
        assert "read-only" in body["reason"], body
        answered = user.ask("AMAZON.NextIntent")
        assert answered.status == 200 and "Step 2 of 6" in answered.speech

    wait_for_health(app, 200, since=time.monotonic())
    user.ask("AMAZON.NextIntent")
    assert_continues_at(restarted(make_app), pki, user.user_id, step=3)


@needs_read_only
def test_started_on_a_read_only_file_healthz_is_503_saves_say_so_and_it_recovers(
        app: Flask, pki: TestPKI, make_app, tmp_path: Path) -> None:
    database = tmp_path / "skill.db"
    Conversation(poster(app, pki)).launch()  # the file exists, with its table
    with read_only(database, tmp_path):
        started = time.monotonic()
        served = restarted(make_app)
        body = wait_for_health(served, 503, since=started)
        assert "read-only" in body["reason"] or "readonly" in body["reason"], body
        user = Conversation(poster(served, pki))
        user.launch()
        first = user.ask("ReliefIntent")
        assert first.status == 200 and "Step 1 of 6" in first.speech and CANT_SAVE in first.speech
        assert health(served)[0] == 503

    second = user.ask("AMAZON.NextIntent")
    assert "Step 2 of 6" in second.speech and CANT_SAVE not in second.speech
    wait_for_health(served, 200, since=time.monotonic())
    assert_continues_at(restarted(make_app), pki, user.user_id, step=2)


@pytest.fixture
def data_dir_app(make_app, make_config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Flask]:
    """The database in a directory of its own, which a test may remove; reopening shows for 1 s."""
    monkeypatch.setattr(sqlite_store, "REOPENED_RECENTLY", 1.0)
    return lambda: make_app(make_config(database_url=f"sqlite:///{tmp_path / 'data' / 'skill.db'}"))


def test_with_the_directory_removed_while_serving_progress_goes_to_a_file_that_survives(
        data_dir_app, pki: TestPKI, tmp_path: Path) -> None:
    app = data_dir_app()
    users = [Conversation(poster(app, pki)) for _ in range(3)]
    for user in users:
        user.launch()
        user.ask("ReliefIntent")

    shutil.rmtree(tmp_path / "data")
    removed = time.monotonic()
    body = wait_for_health(app, 503, since=removed)
    assert "removed" in body["reason"], body
    for user in users:
        turn = user.ask("AMAZON.NextIntent")  # step 2, saved into the file now at the path
        assert turn.status == 200 and "Step 2 of 6" in turn.speech and CANT_SAVE not in turn.speech

    wait_for_health(app, 200, since=time.monotonic(), limit=3)
    assert (tmp_path / "data" / "skill.db").exists()
    again = data_dir_app()
    for user in users:
        assert_continues_at(again, pki, user.user_id, step=2)


def test_a_removed_directory_is_noticed_by_the_next_save_too(data_dir_app, pki: TestPKI, tmp_path: Path) -> None:
    app = data_dir_app()
    user = Conversation(poster(app, pki))
    user.launch()
    user.ask("ReliefIntent")
    shutil.rmtree(tmp_path / "data")
    assert CANT_SAVE not in user.ask("AMAZON.NextIntent").speech  # before any health check
    code, body = health(app)
    assert code == 503 and "removed" in body["reason"], body
    assert_continues_at(data_dir_app(), pki, user.user_id, step=2)


def test_a_replaced_file_is_reopened_rather_than_written_unseen(data_dir_app, pki: TestPKI, tmp_path: Path) -> None:
    app = data_dir_app()
    user = Conversation(poster(app, pki))
    user.launch()
    user.ask("ReliefIntent")
    database = tmp_path / "data" / "skill.db"
    for suffix in ("", "-wal", "-shm"):  # moved aside, as an operator's "mv" would
        moved = Path(f"{database}{suffix}")
        if moved.exists():
            moved.rename(tmp_path / f"aside{suffix}")
    assert CANT_SAVE not in user.ask("AMAZON.NextIntent").speech
    code, body = health(app)
    assert code == 503 and "removed" in body["reason"], body
    assert_continues_at(data_dir_app(), pki, user.user_id, step=2)


@needs_read_only
def test_when_the_file_cannot_be_reopened_saves_are_refused_loudly(data_dir_app, pki: TestPKI,
                                                                   tmp_path: Path) -> None:
    app = data_dir_app()
    user = Conversation(poster(app, pki))
    user.launch()
    user.ask("ReliefIntent")
    shutil.rmtree(tmp_path / "data")
    with read_only(tmp_path):  # the directory cannot be made again
        turn = user.ask("AMAZON.NextIntent")
        assert turn.status == 200 and "Step 2 of 6" in turn.speech and CANT_SAVE in turn.speech
        code, body = health(app)
        assert code == 503 and "cannot be reopened" in body["reason"], body
    third = user.ask("AMAZON.NextIntent")
    assert "Step 3 of 6" in third.speech and CANT_SAVE not in third.speech
    wait_for_health(app, 200, since=time.monotonic(), limit=3)
    assert_continues_at(data_dir_app(), pki, user.user_id, step=3)


def test_a_save_that_committed_into_a_file_removed_meanwhile_is_written_again(tmp_path: Path, monkeypatch) -> None:
    from test_stores import envelope

    from skill.persistence import open_store

    store = open_store(f"sqlite:///{tmp_path / 'data' / 'skill.db'}")
    store.save_attributes(envelope(), {"heard_disclaimer": True})
    real_apply = sqlite_store.apply_changes
    calls: list[int] = []

    def remove_the_directory_mid_save(document: Any, changes: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            shutil.rmtree(tmp_path / "data")  # the transaction goes on in the unlinked file
        return real_apply(document, changes)

    monkeypatch.setattr(sqlite_store, "apply_changes", remove_the_directory_mid_save)
    attributes = store.get_attributes(envelope())
    attributes["routine"] = {"step": 4}
    store.save_attributes(envelope(), attributes)  # acknowledged: it must be in the file at the path

    assert len(calls) == 2, "written a second time, into the reopened file"
    assert open_store(f"sqlite:///{tmp_path / 'data' / 'skill.db'}").get_attributes(envelope())["routine"] == {"step": 4}
