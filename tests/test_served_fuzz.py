"""Thousands of hostile envelopes against the skill served as in production (issue 12, "Done when").

gunicorn with `infra/gunicorn.conf.py` (its default workers), verification on, certificates
fetched over HTTPS from a stand-in host, SQLite on disk. Each envelope starts from a real point
of a real conversation (`fuzzing.conversation_corpus`) and is bent one to four ways, then signed
as Alexa would sign it, so it reaches the skill unless the edge refuses it. Sent from several
connections at once, with `/metrics` and `/healthz` asked in between.

Every answer is below 500; a 400 carries a short reason; a 200's speech and reprompt are
well-formed SSML; the catch-all apology answers fewer than 1 in 100 (the metrics count the same);
no log line holds a user id, and no traceback text reaches the log at all.
"""
from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from skill.tools.devtools.certhost import FakeCertificateHost
from skill.tools.devtools.conversation import SKILL_ID, Exchange
from support.fuzzing import EnvelopeFuzzer, conversation_corpus
from support.pki import TestPKI, signed_headers
from support.served import Gunicorn
from skill.tools.validation.speech import ssml_problems
from test_hostile_envelopes import APOLOGY, dumps

ENVELOPES = 6000
CONNECTIONS = 8
SEED = 20261203


@pytest.fixture
def production(tmp_path: Path, pki: TestPKI, ca_file: str) -> Iterator[Gunicorn]:
    with FakeCertificateHost(pki, {"/echo.api/echo-api-cert-12.pem": pki.chain_pem()}) as host:
        env = {**host.environment(), "ALEXA_SKILL_ID": SKILL_ID, "ALEXA_CA_FILE": ca_file,
               "SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
        with Gunicorn(env) as server:
            yield server


class Client:
    """One keep-alive connection to the server, reopened when the server closes it."""

    def __init__(self, server: Gunicorn) -> None:
        self.port = server.port
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
             ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def check(status: int, raw: bytes, tally: Counter, problems: list[str]) -> None:
    if status >= 500:
        problems.append(f"HTTP {status}: {raw[:200]!r}")
        return
    body = json.loads(raw)
    if status != 200:
        tally[f"{status} {body.get('error')}"] += 1
        if set(body) != {"error"} or not 0 < len(body["error"]) <= 60:
            problems.append(f"odd refusal {status}: {body}")
        return
    tally["200"] += 1
    response = body.get("response", {})
    for said in (response.get("outputSpeech"), (response.get("reprompt") or {}).get("outputSpeech")):
        if said and said.get("type") == "SSML" and ssml_problems(said["ssml"]):
            problems.append(f"invalid SSML: {said['ssml'][:200]}")
    if APOLOGY in Exchange(status, body).speech:
        tally["apology"] += 1


def apologies_counted(server: Gunicorn) -> float:
    status, text = server.get("/metrics")
    assert status == 200
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "backtwitch_apologies_total")


def test_thousands_of_hostile_envelopes_get_no_5xx_no_bad_ssml_and_almost_no_apology(production: Gunicorn,
                                                                                    pki: TestPKI) -> None:
    def post(body: bytes) -> tuple[int, dict[str, Any]]:
        return production.post(body, signed_headers(pki, body))

    corpus = conversation_corpus(post)
    fuzzer = EnvelopeFuzzer(SEED, corpus)
    bodies = [dumps(fuzzer.envelope()) for _ in range(ENVELOPES)]
    user_ids = {entry["session"]["user"]["userId"] for entry in corpus if "session" in entry}
    tally: Counter = Counter()
    problems: list[str] = []
    lock = threading.Lock()

    def worker(share: list[bytes]) -> None:
        client = Client(production)
        try:
            send_all(client, share)
        finally:
            client.connection.close()

    def send_all(client: Client, share: list[bytes]) -> None:
        for number, body in enumerate(share):
            status, raw = client.call("POST", "/alexa", body, {"Content-Type": "application/json",
                                                               **signed_headers(pki, body)})
            with lock:
                check(status, raw, tally, problems)
            if number % 250 == 0:
                for path in ("/metrics", "/healthz"):
                    answered, _ = client.call("GET", path)
                    if answered != 200:
                        with lock:
                            problems.append(f"GET {path} answered {answered}")

    threads = [threading.Thread(target=worker, args=(bodies[start::CONNECTIONS],)) for start in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "the server stopped answering"

    assert problems == [], problems[:10]
    assert sum(tally.values()) - tally["apology"] == ENVELOPES
    assert tally["200"] > ENVELOPES / 3, f"too few reached the skill to say anything: {tally.most_common()}"
    assert tally["apology"] < ENVELOPES / 100, tally.most_common()
    assert apologies_counted(production) == tally["apology"]
    log = production.output()
    assert "Traceback" not in log
    leaked = [user_id for user_id in user_ids if user_id in log]
    assert leaked == [], leaked[:3]
