"""What an operator sees: one JSON line per Alexa request, and Prometheus metrics at /metrics.

The line says what was asked and how it went; it never says who asked (not even hashed) nor
what they answered in the screening.  /metrics counts requests by type, intent and outcome,
their latency, refusals by reason and store errors, summed over all gunicorn workers.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from skill.tools.devtools.conversation import SKILL_ID, fixture, now_iso
from support.served import Gunicorn
from support.store_faults import hide_tables
from skill.runtime.dispatch import LeanInvoker
from skill.conversation.handlers.base import Turn
from skill.observability import REQUEST_LOGGER, LineFormatter, Metrics, ObservedStore, RequestLog, RequestRecord
from skill.observability import StdoutLineHandler, utc_timestamp
from skill.persistence import StoreError

LINE_KEYS = {"ts", "event", "level", "request_id", "type", "intent", "locale", "outcome", "status",
             "latency_ms", "reason", "store_errors", "pid"}


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == REQUEST_LOGGER]


def launch_body(**request: Any) -> bytes:
    envelope = fixture("launch_request.json")
    envelope["request"].update(timestamp=now_iso(), **request)
    return json.dumps(envelope).encode()


def metric_samples(client: Any) -> dict[tuple[str, frozenset], float]:
    """``{(sample name, labels): value}`` from GET /metrics, parsed as Prometheus text."""
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    return parse_metrics(response.get_data(as_text=True))


def parse_metrics(text: str) -> dict[tuple[str, frozenset], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


# --------------------------------------------------------------------------- the line


def test_an_answered_request_logs_one_json_line_saying_what_was_asked_and_how_it_went(post, logged):
    body = launch_body(requestId="amzn1.echo-api.request.line-test")
    status, _ = post(body)

    assert status == 200
    (line,) = request_lines(logged)
    assert set(line) == LINE_KEYS
    assert line["request_id"] == "amzn1.echo-api.request.line-test"
    assert (line["type"], line["intent"], line["locale"]) == ("LaunchRequest", None, "en-US")
    assert (line["outcome"], line["status"], line["reason"], line["level"]) == ("answered", 200, None, "INFO")
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert not any("request id=" in record.getMessage() for record in logged.records), "the old text line is gone"


def test_an_intent_request_line_names_the_intent(talk, logged):
    talk().ask("WhyTwitchingIntent")
    (line,) = request_lines(logged)
    assert (line["type"], line["intent"]) == ("IntentRequest", "WhyTwitchingIntent")


def test_a_refused_request_logs_one_warning_line_with_the_reason(app, logged):
    response = app.test_client().post("/alexa", data=launch_body())  # no signature headers

    assert response.status_code == 400
    (line,) = request_lines(logged)
    assert (line["outcome"], line["status"], line["reason"], line["level"]) == (
        "rejected", 400, "missing signature headers", "WARNING")
    assert line["type"] is None and line["request_id"] is None, "nothing unverified is repeated"


def test_a_signed_but_unreadable_envelope_is_logged_as_malformed(post, logged):
    status, body = post(launch_body(type="NoSuchRequestType"))
    assert (status, body) == (400, {"error": "malformed request"})
    assert [line["reason"] for line in request_lines(logged)] == ["malformed request"]


def test_an_oversized_body_is_logged_as_refused_with_413(app, logged):
    response = app.test_client().post("/alexa", data=b"x" * (65 * 1024))
    assert response.status_code == 413
    (line,) = request_lines(logged)
    assert (line["outcome"], line["status"], line["reason"]) == ("rejected", 413, "request entity too large")


def test_an_exception_the_skill_apologised_for_is_logged_as_an_error_without_its_message(talk, logged, monkeypatch):
    def broken(self: Turn, *args: Any) -> Any:
        raise RuntimeError("the user said zebra-7")

    monkeypatch.setattr(Turn, "respond", broken)
    turn = talk().ask("WhyTwitchingIntent")

    assert turn.status == 200 and "something went wrong" in turn.speech
    (line,) = request_lines(logged)
    assert (line["outcome"], line["status"], line["reason"], line["level"]) == (
        "error", 200, "skill error: RuntimeError", "ERROR")
    assert "zebra" not in json.dumps(line)


def test_a_dispatch_failure_is_a_500_and_one_error_line(post, logged, monkeypatch):
    def failing_invoke(self: LeanInvoker, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(LeanInvoker, "invoke", failing_invoke)  # what the edge calls (skill/runtime/dispatch.py)
    status, body = post(launch_body())

    assert (status, body) == (500, {"error": "internal error"})
    (line,) = request_lines(logged)
    assert (line["outcome"], line["status"], line["reason"]) == ("error", 500, "dispatch failed: RuntimeError")


def test_on_stdout_request_lines_are_bare_json_and_other_records_keep_their_text_format():
    formatter = LineFormatter("%(levelname)s %(name)s: %(message)s")
    request = logging.LogRecord(REQUEST_LOGGER, logging.INFO, __file__, 1, '{"event":"alexa_request"}', None, None)
    other = logging.LogRecord("skill.runtime.app", logging.WARNING, __file__, 1, "careful", None, None)
    assert formatter.format(request) == '{"event":"alexa_request"}'
    assert formatter.format(other) == "WARNING skill.runtime.app: careful"


@pytest.fixture
def stdout_handler() -> Iterator[StdoutLineHandler]:
    """The skill's stdout handler (on a StringIO), on the request logger for the test."""
    handler = StdoutLineHandler()
    handler.setStream(io.StringIO())
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_request_line_is_one_bare_json_object(stdout_handler: StdoutLineHandler) -> None:
    record = RequestRecord(request_id="amzn1.echo-api.request.1", request_type="IntentRequest",
                           intent="WhyTwitchingIntent", locale="en-US")
    RequestLog().write(record, 0.0042)
    written = stdout_handler.stream.getvalue()
    assert written.endswith("\n") and written.count("\n") == 1
    fields = json.loads(written)
    assert fields["intent"] == "WhyTwitchingIntent" and fields["latency_ms"] == 4.2 and fields["level"] == "INFO"


def test_a_filter_on_the_stdout_handler_still_decides(stdout_handler: StdoutLineHandler) -> None:
    stdout_handler.addFilter(lambda record: record.name != REQUEST_LOGGER)
    RequestLog().write(RequestRecord(request_type="LaunchRequest"), 0.001)
    assert stdout_handler.stream.getvalue() == ""


def test_a_broken_stdout_never_fails_the_request(stdout_handler: StdoutLineHandler, monkeypatch, capsys) -> None:
    monkeypatch.setattr(stdout_handler.stream, "write", lambda text: (_ for _ in ()).throw(BrokenPipeError()))
    RequestLog().write(RequestRecord(request_type="LaunchRequest"), 0.001)  # reported, not raised
    assert "BrokenPipeError" in capsys.readouterr().err


# --------------------------------------------------------------------------- privacy


DISTINCT_ANSWERS = {"duration": "P17D", "weakness": "quokka-weakness", "numbness": "tingling-marmot",
                    "widespread": "axolotl-spread"}


def test_no_log_output_ever_holds_the_user_id_or_a_screening_answer(talk, logged, capsys):
    conversation = talk(user_id="amzn1.ask.account.PRIVATE-USER-4242")
    conversation.launch()
    conversation.ask("IsItSeriousIntent")
    conversation.ask("AMAZON.NoIntent")
    for slot, value in DISTINCT_ANSWERS.items():
        conversation.ask("ScreeningIntent", **{slot: value})
    conversation.ask("ReliefIntent")
    conversation.end()

    lines = request_lines(logged)
    assert len(lines) == 9 and all(set(line) == LINE_KEYS for line in lines)
    everything = "\n".join(record.getMessage() for record in logged.records) + capsys.readouterr().out
    secrets = ["PRIVATE-USER-4242", hashlib.sha256(conversation.user_id.encode()).hexdigest()[:12],
               *DISTINCT_ANSWERS.values(), "17 days"]
    assert [secret for secret in secrets if secret in everything] == []


# --------------------------------------------------------------------------- metrics


def test_metrics_count_requests_by_type_intent_and_outcome_with_latency_and_refusals(app, talk):
    conversation = talk()
    conversation.launch()
    conversation.ask("WhyTwitchingIntent")
    conversation.ask("WhyTwitchingIntent")
    client = app.test_client()
    client.post("/alexa", data=launch_body())  # unsigned: refused

    samples = metric_samples(client)
    requests = "backtwitch_requests_total"
    assert sample(samples, requests, type="LaunchRequest", intent="none", outcome="answered") == 1
    assert sample(samples, requests, type="IntentRequest", intent="WhyTwitchingIntent", outcome="answered") == 2
    assert sample(samples, requests, type="none", intent="none", outcome="rejected") == 1
    assert sample(samples, "backtwitch_verification_failures_total", reason="missing signature headers") == 1
    assert sample(samples, "backtwitch_request_duration_seconds_count", outcome="answered") == 3
    assert sample(samples, "backtwitch_request_duration_seconds_bucket", outcome="answered", le="+Inf") == 3


def test_store_errors_are_counted_by_operation_and_named_on_the_request_line(app, talk, logged, tmp_path):
    hide_tables(tmp_path / "skill.db")
    conversation = talk()
    turn = conversation.launch()  # reads (is the disclaimer due?), then saves that it was heard
    conversation.ask("DeleteDataIntent")
    conversation.ask("AMAZON.YesIntent")  # deletes

    assert turn.status == 200 and "Welcome" in turn.speech
    lines = request_lines(logged)
    assert [line["outcome"] for line in lines] == ["answered"] * 3
    assert set(lines[0]["store_errors"]) == {"read"} and lines[2]["store_errors"] == ["delete"]
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    samples = metric_samples(app.test_client())
    assert sample(samples, "backtwitch_store_errors_total", operation="read") == len(lines[0]["store_errors"])
    assert sample(samples, "backtwitch_store_errors_total", operation="delete") == 1
    assert sample(samples, "backtwitch_store_errors_total", operation="check") == 1


class FlakyStore:
    """A store whose every operation fails while ``broken``, and answers otherwise."""

    def __init__(self) -> None:
        self.broken = True

    def _answer(self, value: Any = None) -> Any:
        if self.broken:
            raise StoreError("down")
        return value

    def get_attributes(self, envelope: Any) -> dict:
        return self._answer({"heard_disclaimer": True})

    def save_attributes(self, envelope: Any, attributes: dict) -> None:
        self._answer()

    def delete_attributes(self, envelope: Any) -> None:
        self._answer()

    def check(self) -> None:
        self._answer()


def test_every_store_operation_that_fails_is_counted_once_and_its_error_still_raised():
    metrics, inner = Metrics(), FlakyStore()
    store = ObservedStore(inner, metrics)
    calls = {"read": lambda: store.get_attributes(None), "save": lambda: store.save_attributes(None, {}),
             "delete": lambda: store.delete_attributes(None), "check": store.check}
    for operation, call in calls.items():
        with pytest.raises(StoreError):
            call()
    inner.broken = False
    assert store.get_attributes(None) == {"heard_disclaimer": True}
    for call in calls.values():
        call()
    samples = parse_metrics(metrics.exposition()[0].decode())
    assert {operation: sample(samples, "backtwitch_store_errors_total", operation=operation)
            for operation in calls} == dict.fromkeys(calls, 1.0)


def test_label_values_from_unverified_input_are_capped():
    metrics = Metrics()
    for number in range(200):
        metrics.observe(RequestRecord(request_type="IntentRequest", intent=f"MadeUp{number}Intent"), 0.01)
    intents = {labels for (name, labels) in parse_metrics(metrics.exposition()[0].decode())
               if name == "backtwitch_requests_total"}
    assert len(intents) <= 65 and frozenset({("type", "IntentRequest"), ("intent", "other"),
                                               ("outcome", "answered")}) in intents


# --------------------------------------------------------------------------- under gunicorn


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Gunicorn]:
    env = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "2", "ALEXA_VERIFY_SIGNATURES": "false",
           "ALEXA_SKILL_ID": SKILL_ID, "SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    with Gunicorn(env) as server:
        yield server


def send_until_both_workers_answered(server: Gunicorn, limit: int = 400) -> int:
    """Concurrent launches until the log shows two worker pids; return how many were sent."""
    sent = 0
    while sent < limit:
        batch = [threading.Thread(target=server.post, args=(launch_body(),)) for _ in range(8)]
        for thread in batch:
            thread.start()
        for thread in batch:
            thread.join()
        sent += len(batch)
        if len({line["pid"] for line in server.request_lines()}) == 2:
            return sent
    raise AssertionError(f"one worker answered all {sent} requests")


def test_under_gunicorn_every_worker_logs_its_lines_and_metrics_sum_all_workers(two_workers):
    sent = send_until_both_workers_answered(two_workers)

    lines = two_workers.request_lines()
    assert len(lines) == sent, "exactly one line per request, gunicorn's access line is off"
    assert {line["outcome"] for line in lines} == {"answered"}
    for _ in range(4):  # whichever worker answers the scrape, it reports all of them
        status, text = two_workers.get("/metrics")
        samples = parse_metrics(text)
        assert status == 200
        assert sample(samples, "backtwitch_requests_total", type="LaunchRequest", intent="none",
                      outcome="answered") == sent


@given(st.floats(min_value=0, max_value=4e9) | st.integers(min_value=0, max_value=4_000_000_000).map(lambda s: s + 0.9995))
def test_the_line_timestamp_is_the_iso_utc_time_to_the_millisecond(now: float) -> None:
    # Formatted once per second and cached: a cached prefix must never leak into another second.
    assert utc_timestamp(now) == datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="milliseconds")
