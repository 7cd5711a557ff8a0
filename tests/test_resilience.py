"""What the skill survives: any envelope or header (never a 5xx, never a stack trace), a broken or
locked store, a certificate host that never answers, and a worker killed mid-request.

The 60 s load at 32 connections lives in the benchmark (`make soak`), not here.
"""
from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.serving import make_server

from skill.tools.devtools.certhost import FakeCertificateHost
from skill.tools.devtools.conversation import SKILL_ID, Conversation, fixture, now_iso
from support.fuzzing import JSON_VALUES, mutated_envelopes
from support.pki import DEFAULT_URL, TestPKI, signed_headers
from support.served import Gunicorn
from skill.persistence import user_key
from support.store_faults import exclusively_locked, hide_tables

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LEAKS = ("Traceback", 'File "', "object at 0x", "Error(", "Exception(", "<class ", "<module>")
CANT_SAVE = "I can't save your place right now"


def assert_safe(response: Any) -> None:
    """Below 500; a 200 is an Alexa response, anything else a short JSON error; no Python leaks."""
    assert response.status_code < 500, response.data
    document = json.loads(response.get_data(as_text=True))
    event(f"HTTP {response.status_code} {document.get('error', '')}".strip())  # --hypothesis-show-statistics
    if response.status_code == 200:
        assert document["version"] == "1.0" and isinstance(document["response"], dict)
        text = json.dumps(document["response"])  # sessionAttributes echo what the request sent
    else:
        assert set(document) == {"error"} and isinstance(document["error"], str) and len(document["error"]) <= 60
        text = document["error"]
    assert not [leak for leak in LEAKS if leak in text], text


# --------------------------------------------------------------------------- fuzzing


@pytest.fixture
def unverified_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(verify_signatures=False, verify_timestamps=False)


@FUZZ
@given(mutated_envelopes(fresh=True))
def test_any_signed_envelope_gets_an_answer_or_a_short_400(app: Flask, pki: TestPKI, document: dict) -> None:
    body = json.dumps(document).encode()
    assert_safe(app.test_client().post("/alexa", data=body, headers=signed_headers(pki, body)))


@FUZZ
@given(st.one_of(mutated_envelopes(fresh=True), JSON_VALUES))
def test_without_verification_any_json_gets_an_answer_or_a_short_400(unverified_app: Flask, document: Any) -> None:
    assert_safe(unverified_app.test_client().post("/alexa", data=json.dumps(document).encode()))


@FUZZ
@given(st.binary(max_size=2048))
def test_any_bytes_at_all_get_a_short_400(unverified_app: Flask, body: bytes) -> None:
    response = unverified_app.test_client().post("/alexa", data=body)
    assert_safe(response)
    assert response.status_code == 400


HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=80)
CERT_URLS = st.one_of(
    HEADER_TEXT,
    HEADER_TEXT.map(lambda tail: "https://s3.amazonaws.com/echo.api/" + tail),
    st.sampled_from([DEFAULT_URL, "https://s3.amazonaws.com:443/echo.api/../echo.api/echo-api-cert-12.pem",
                     "https://s3.amazonaws.com/echo.api/%2e%2e/cert", "https://s3.amazonaws.com:99999/echo.api/x",
                     "https://user:pw@s3.amazonaws.com/echo.api/x", "https://[::1/echo.api/x", ""]),
)


@FUZZ
@given(data=st.data(), url=CERT_URLS, name_case=st.sampled_from([str, str.lower, str.upper]),
       extra=st.dictionaries(st.sampled_from(["Signature", "Content-Type", "X-Forwarded-For", "Content-Encoding"]),
                             HEADER_TEXT, max_size=2))
def test_any_signature_headers_get_an_answer_or_a_short_400(app: Flask, pki: TestPKI, data: st.DataObject,
                                                             url: str, name_case: Callable[[str], str],
                                                             extra: dict[str, str]) -> None:
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    body = json.dumps(envelope).encode()
    signature = data.draw(st.one_of(HEADER_TEXT, st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()),
                                    st.just(pki.sign(body))))
    headers = {**extra, name_case("SignatureCertChainUrl"): url, name_case("Signature-256"): signature}
    assert_safe(app.test_client().post("/alexa", data=body, headers=headers))


# --------------------------------------------------------------------------- the store


def test_with_the_store_gone_the_routine_carries_on_says_so_once_and_recovers(talk, app, tmp_path, caplog):
    restore = hide_tables(tmp_path / "skill.db")
    conversation = talk()
    welcome = conversation.launch()
    first = conversation.ask("ReliefIntent")
    second = conversation.ask("AMAZON.NextIntent")

    assert welcome.status == 200 and "Welcome" in welcome.speech
    assert "Step 1 of 6: Drink water." in first.speech and CANT_SAVE in first.speech
    assert "Step 2 of 6" in second.speech and CANT_SAVE not in second.speech, "said once a session"
    assert any("could not save routine progress" in record.getMessage() and record.levelno == logging.WARNING
               for record in caplog.records)
    assert app.test_client().get("/healthz").status_code == 503

    restore()
    assert app.test_client().get("/healthz").status_code == 200
    third = conversation.ask("AMAZON.NextIntent")
    assert "Step 3 of 6" in third.speech and CANT_SAVE not in third.speech
    assert_offered_to_continue_at(talk(user_id=conversation.user_id), step=3)


def assert_offered_to_continue_at(conversation: Conversation, step: int) -> None:
    offer = conversation.launch()
    assert f"Last time, you got to step {step} of the relief routine" in offer.speech, offer.speech


def test_with_the_store_locked_answers_still_come_progress_is_not_saved_and_then_is(talk, tmp_path):
    returning = talk()
    returning.launch()  # heard the disclaimer: the next visit writes nothing until the routine
    returning.end()
    conversation = talk(user_id=returning.user_id)
    with exclusively_locked(tmp_path / "skill.db"):
        welcome = conversation.launch()
        first = conversation.ask("ReliefIntent")  # its save waits for the lock, then gives up
    assert welcome.status == 200 and first.status == 200
    assert "Step 1 of 6" in first.speech and CANT_SAVE in first.speech

    second = conversation.ask("AMAZON.NextIntent")
    assert "Step 2 of 6" in second.speech and CANT_SAVE not in second.speech
    assert_offered_to_continue_at(talk(user_id=conversation.user_id), step=2)


# --------------------------------------------------------------------------- a hanging certificate host


@pytest.fixture
def cert_host(pki: TestPKI, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCertificateHost]:
    """The stand-in S3, reached through HTTPS_PROXY by the skill's real fetch_https."""
    with FakeCertificateHost(pki, {"/echo.api/echo-api-cert-12.pem": pki.chain_pem()}) as host:
        for variable in ("ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(variable, raising=False)
        for variable, value in host.environment().items():
            monkeypatch.setenv(variable, value)
        yield host


@pytest.fixture
def threaded_server(make_app: Callable[..., Flask], cert_host: FakeCertificateHost) -> Iterator[int]:
    """The app with the real certificate download (1 s budget), in a threaded HTTP server."""
    app = make_app(cert_fetcher=None, cert_timeout=1.0, ca_file=str(cert_host.roots_file))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def post_signed(port: int, pki: TestPKI, url: str = DEFAULT_URL) -> tuple[int, dict]:
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    body = json.dumps(envelope).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/alexa", body=body, headers=signed_headers(pki, body, url))
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_certificate_host_that_never_answers_costs_one_400_while_others_are_served(threaded_server, pki, cert_host):
    assert post_signed(threaded_server, pki)[0] == 200  # chain downloaded through the proxy and cached
    cert_host.hang = True
    stuck: dict[str, Any] = {}
    waiting = threading.Thread(target=lambda: stuck.update(
        answer=post_signed(threaded_server, pki, "https://s3.amazonaws.com/echo.api/new-cert.pem")))
    waiting.start()
    assert cert_host.holding.wait(10), "the download never reached the certificate host"

    served_meanwhile = [post_signed(threaded_server, pki)[0] for _ in range(5)]
    still_waiting = waiting.is_alive()
    waiting.join(30)

    assert served_meanwhile == [200] * 5 and still_waiting, "others were answered while one download hung"
    assert stuck["answer"] == (400, {"error": "certificate download timed out"})
    assert cert_host.downloads == ["/echo.api/echo-api-cert-12.pem"], "the hanging host was never answered"


# --------------------------------------------------------------------------- a worker killed mid-request


class Writer(threading.Thread):
    """One user jumping between routine steps as fast as the server answers; every jump is saved."""

    def __init__(self, server: Gunicorn, pki: TestPKI) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.acknowledged: int | None = None
        self.in_flight: int | None = None
        self.conversation = Conversation(lambda body: server.post(body, signed_headers(pki, body), timeout=10))
        self.conversation.launch()
        self.conversation.ask("ReliefIntent")
        self.acknowledged = 1

    def run(self) -> None:
        step = 1
        while not self.stop.is_set():
            step = step % 6 + 1
            self.in_flight = step
            try:
                turn = self.conversation.ask("GoToStepIntent", number=str(step))
            except (OSError, http.client.HTTPException):  # the worker died under this request (reset,
                return  # or the answer cut off: IncompleteRead)
            if turn.status == 200:
                self.acknowledged, self.in_flight = step, None


def stored_step(database: Path, user_id: str) -> int:
    with sqlite3.connect(database) as connection:
        (attributes,) = connection.execute("SELECT attributes FROM user_attributes WHERE user_key = ?",
                                           (user_key(user_id),)).fetchone()
    return json.loads(attributes)["routine"]["step"]


@pytest.fixture
def one_worker(tmp_path: Path, pki: TestPKI, ca_file: str) -> Iterator[tuple[Gunicorn, FakeCertificateHost]]:
    with FakeCertificateHost(pki, {"/echo.api/echo-api-cert-12.pem": pki.chain_pem()}) as host:
        host.hang_paths.add("/echo.api/hang.pem")
        env = {**host.environment(), "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4", "ALEXA_SKILL_ID": SKILL_ID,
               "ALEXA_CA_FILE": ca_file, "SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
        with Gunicorn(env) as server:
            yield server, host


def test_a_worker_killed_mid_request_is_replaced_and_no_saved_progress_is_corrupted(one_worker, pki, tmp_path):
    server, host = one_worker
    writers = [Writer(server, pki) for _ in range(3)]
    for writer in writers:
        writer.start()
    body = launch_body()
    hanging_url = "https://s3.amazonaws.com/echo.api/hang.pem"
    stuck = threading.Thread(target=_swallow, args=(lambda: server.post(body, signed_headers(pki, body, hanging_url)),),
                             daemon=True)
    stuck.start()
    assert host.holding.wait(10), "no request got stuck inside the worker"
    _wait_for(lambda: all(writer.acknowledged and writer.acknowledged > 1 for writer in writers))

    (victim,) = server.worker_pids()
    assert stuck.is_alive(), "the stuck request must still be inside the worker when it dies"
    os.kill(victim, signal.SIGKILL)  # with one request provably inside it, and saves in flight
    for writer in writers:
        writer.stop.set()
        writer.join(15)
    _wait_for(lambda: server.worker_pids() not in ([], [victim]))
    server.wait_ready()

    database = tmp_path / "served.db"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    for writer in writers:
        assert stored_step(database, writer.conversation.user_id) in {writer.acknowledged, writer.in_flight}
        after = writer.conversation.ask("GoToStepIntent", number="5")
        assert after.status == 200 and "Step 5 of 6" in after.speech
        assert stored_step(database, writer.conversation.user_id) == 5


def launch_body() -> bytes:
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    return json.dumps(envelope).encode()


def _swallow(call: Callable[[], Any]) -> None:
    try:
        call()
    except OSError:
        pass  # its worker was killed under it: that is the point


def _wait_for(condition: Callable[[], bool], limit: float = 15) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition never came true"
        time.sleep(0.02)
