"""The HTTP edge, through the whole app: one rejected request per verification rule (each a
400 with a short JSON reason and a log line), valid signed requests 200, and the plumbing."""
from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from skill.tools.devtools.conversation import SKILL_ID, fixture, now_iso
from support.pki import DEFAULT_URL, untrusted_pki
from skill.runtime.app import create_app
from skill.config import ConfigError

BASE = "https://s3.amazonaws.com/echo.api/"


def launch_body(**request_overrides) -> bytes:
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    envelope["request"].update(request_overrides)
    return json.dumps(envelope).encode()


@pytest.fixture
def variants(pki):
    """Signing chains served at distinct URLs, each with the key that signs for it."""
    stranger = untrusted_pki(pki)
    now = pki.now
    made = {
        "good": (pki.leaf, pki.leaf_key),
        "no-san": pki.issue_leaf(san=None),
        "wrong-san": pki.issue_leaf(san="evil.example.com"),
        "expired": pki.issue_leaf(not_before=now - timedelta(days=60), not_after=now - timedelta(days=1)),
        "not-yet-valid": pki.issue_leaf(not_before=now + timedelta(days=1), not_after=now + timedelta(days=30)),
        "self-signed": pki.issue_leaf(issuer="self"),
        "untrusted": pki.issue_leaf(issuer=stranger),
    }
    chains = {BASE + name: pki.chain_pem(cert) for name, (cert, _) in made.items()}
    chains[BASE + "untrusted"] = pki.chain_pem(made["untrusted"][0]).replace(
        pki.chain_pem(made["untrusted"][0]).split(b"-----END CERTIFICATE-----\n", 1)[1], stranger.root_pem()
    )
    chains[BASE + "garbage"] = b"-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n"
    return made, chains


@pytest.fixture
def edge(make_app, variants):
    made, chains = variants

    def fetch(url: str) -> bytes:
        if url not in chains:
            raise OSError("HTTP 404")
        return chains[url]

    return make_app(cert_fetcher=fetch).test_client(), made


def signed(made, name: str, body: bytes, url: str | None = None) -> dict[str, str]:
    _, key = made[name]
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return {"SignatureCertChainUrl": url or BASE + name, "Signature-256": base64.b64encode(signature).decode()}


def assert_rejected(response, reason: str, caplog) -> None:
    assert response.status_code == 400, response.data
    assert response.get_json() == {"error": reason}
    assert any(reason in record.getMessage() and record.levelno == logging.WARNING for record in caplog.records)


def test_a_properly_signed_request_is_answered(edge):
    client, made = edge
    body = launch_body()
    response = client.post("/alexa", data=body, headers=signed(made, "good", body))
    assert response.status_code == 200
    assert "Welcome to Back Twitch Helper" in response.get_json()["response"]["outputSpeech"]["ssml"]


def test_rule_1_a_request_without_signature_headers_is_rejected(edge, caplog):
    client, made = edge
    body = launch_body()
    headers = signed(made, "good", body)
    response = client.post("/alexa", data=body, headers={"SignatureCertChainUrl": headers["SignatureCertChainUrl"]})
    assert_rejected(response, "missing signature headers", caplog)


def test_rule_1_header_names_are_case_insensitive(edge):
    client, made = edge
    body = launch_body()
    headers = {k.lower(): v for k, v in signed(made, "good", body).items()}
    assert client.post("/alexa", data=body, headers=headers).status_code == 200


@pytest.mark.parametrize("url", [
    "http://s3.amazonaws.com/echo.api/good",
    "https://very.bad/echo.api/good",
    "https://s3.amazonaws.com:563/echo.api/good",
    "https://s3.amazonaws.com/good",
    "https://s3.amazonaws.com/echo.api/../good",
    "https://s3.amazonaws.com/ECHO.API/good",
])
def test_rule_2_a_certificate_url_off_amazons_bucket_is_rejected_before_download(edge, caplog, url):
    client, made = edge
    body = launch_body()
    assert_rejected(client.post("/alexa", data=body, headers=signed(made, "good", body, url=url)),
                    "invalid certificate url", caplog)


@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/good",
    "HTTPS://S3.AMAZONAWS.COM/echo.api/good",
    "https://s3.amazonaws.com:443/echo.api/good",
    "https://s3.amazonaws.com/echo.api/../echo.api/good",
])
def test_rule_2_equivalent_spellings_of_the_url_are_accepted(edge, make_app, variants, url):
    made, chains = variants
    client = make_app(cert_fetcher=lambda _: chains[BASE + "good"]).test_client()
    body = launch_body()
    assert client.post("/alexa", data=body, headers=signed(made, "good", body, url=url)).status_code == 200


def test_rule_3_a_chain_that_cannot_be_downloaded_is_rejected(edge, caplog):
    client, made = edge
    body = launch_body()
    response = client.post("/alexa", data=body, headers=signed(made, "good", body, url=BASE + "missing"))
    assert response.status_code == 400 and "certificate" in response.get_json()["error"]


@pytest.mark.parametrize("variant", ["no-san", "wrong-san", "expired", "not-yet-valid", "self-signed", "untrusted", "garbage"])
def test_rule_4_a_bad_signing_certificate_is_rejected(edge, caplog, variant):
    client, made = edge
    body = launch_body()
    key_owner = variant if variant in made else "good"
    response = client.post("/alexa", data=body, headers=signed(made, key_owner, body, url=BASE + variant))
    assert response.status_code == 400
    assert "certificate" in response.get_json()["error"]


def test_rule_5_a_body_changed_after_signing_is_rejected(edge, caplog):
    client, made = edge
    body = launch_body()
    headers = signed(made, "good", body)
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    assert_rejected(client.post("/alexa", data=tampered, headers=headers), "invalid signature", caplog)


def test_rule_5_a_signature_by_another_key_is_rejected(edge, caplog):
    client, made = edge
    body = launch_body()
    headers = signed(made, "wrong-san", body, url=BASE + "good")
    assert_rejected(client.post("/alexa", data=body, headers=headers), "invalid signature", caplog)


def test_rule_5_the_old_sha1_header_alone_is_not_enough(edge, caplog):
    client, made = edge
    body = launch_body()
    headers = signed(made, "good", body)
    response = client.post("/alexa", data=body, headers={"SignatureCertChainUrl": headers["SignatureCertChainUrl"],
                                                         "Signature": headers["Signature-256"]})
    assert_rejected(response, "missing signature headers", caplog)


@pytest.mark.parametrize("age", [-151, 151, 3600])
def test_rule_6_a_stale_or_future_request_is_rejected(edge, caplog, age):
    client, made = edge
    stamp = (datetime.now(timezone.utc) - timedelta(seconds=age)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = launch_body(timestamp=stamp)
    assert_rejected(client.post("/alexa", data=body, headers=signed(made, "good", body)),
                    "request timestamp out of tolerance", caplog)


def test_rule_6_a_skill_event_may_be_up_to_an_hour_old(edge):
    client, made = edge
    envelope = fixture("skill_disabled_event.json")
    envelope["request"]["timestamp"] = (datetime.now(timezone.utc) - timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps(envelope).encode()
    assert client.post("/alexa", data=body, headers=signed(made, "good", body)).status_code == 200


def test_rule_7_a_request_for_another_skill_is_rejected(edge, caplog):
    client, made = edge
    envelope = json.loads(launch_body())
    envelope["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    body = json.dumps(envelope).encode()
    assert_rejected(client.post("/alexa", data=body, headers=signed(made, "good", body)), "application id mismatch", caplog)


def test_without_a_configured_skill_id_any_application_is_served(make_app, variants):
    made, chains = variants
    client = make_app(skill_id=None, cert_fetcher=lambda url: chains[url]).test_client()
    envelope = json.loads(launch_body())
    envelope["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.another"
    body = json.dumps(envelope).encode()
    assert client.post("/alexa", data=body, headers=signed(made, "good", body)).status_code == 200


@pytest.mark.parametrize("body, reason", [
    (b"", "missing request body"),
    (b"{not json", "malformed request"),
    (b"[1, 2, 3]", "malformed request"),
    (b'{"version": "1.0"}', "malformed request"),
])
def test_malformed_bodies_are_rejected_with_400(edge, caplog, body, reason):
    client, made = edge
    headers = signed(made, "good", body) if body else {"SignatureCertChainUrl": BASE + "good", "Signature-256": "AAAA"}
    response = client.post("/alexa", data=body, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"] in {reason, "invalid signature"}


@pytest.mark.parametrize("request_part", [
    {"type": "IntentRequest"},
    {"type": "IntentRequest", "intent": None},
    {"type": "IntentRequest", "intent": {"name": 42, "slots": "nope"}},
    {"type": "Nonsense.Request"},
    {"type": "LaunchRequest", "locale": None},
])
def test_odd_but_signed_envelopes_never_cause_a_server_error(edge, request_part):
    client, made = edge
    envelope = json.loads(launch_body())
    envelope["request"] = {"requestId": "amzn1.echo-api.request.x", "timestamp": now_iso(), **request_part}
    body = json.dumps(envelope).encode()
    response = client.post("/alexa", data=body, headers=signed(made, "good", body))
    assert response.status_code in {200, 400}
    assert response.is_json


def test_get_on_the_endpoint_is_405_json(app):
    response = app.test_client().get("/alexa")
    assert response.status_code == 405 and response.is_json and "error" in response.get_json()


def test_a_body_over_64_kib_is_413(app):
    response = app.test_client().post("/alexa", data=b"x" * (64 * 1024 + 1))
    assert response.status_code == 413 and response.is_json


def test_healthz_reports_the_store(app, tmp_path):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "store": "ok"}


def test_verification_is_on_by_default_from_the_environment(tmp_path, caplog):
    app = create_app({"SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    response = app.test_client().post("/alexa", data=launch_body())
    assert response.status_code == 400 and response.get_json() == {"error": "missing signature headers"}
    assert "is off" not in caplog.text


def test_switching_verification_off_warns_loudly_and_serves_unsigned_requests(tmp_path, caplog):
    app = create_app({"SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                      "ALEXA_VERIFY_SIGNATURES": "false", "ALEXA_VERIFY_TIMESTAMPS": "0"})
    assert "ALEXA_VERIFY_SIGNATURES is off" in caplog.text and "ALEXA_VERIFY_TIMESTAMPS is off" in caplog.text
    stale = launch_body(timestamp="2020-01-01T00:00:00Z")
    assert app.test_client().post("/alexa", data=stale).status_code == 200


@pytest.mark.parametrize("env, key", [
    ({"ALEXA_VERIFY_SIGNATURES": "maybe"}, "ALEXA_VERIFY_SIGNATURES"),
    ({"ALEXA_CERT_TIMEOUT": "30"}, "ALEXA_CERT_TIMEOUT"),
    ({"ALEXA_API_TIMEOUT": "9"}, "ALEXA_API_TIMEOUT"),
    ({"ALEXA_API_TIMEOUT": "soon"}, "ALEXA_API_TIMEOUT"),
    ({"ALEXA_CA_FILE": "/nonexistent/roots.pem"}, "ALEXA_CA_FILE"),
    ({"SKILL_DATABASE_URL": "mysql://db/skill"}, "SKILL_DATABASE_URL"),
    ({"SKILL_LOG_LEVEL": "LOUD"}, "SKILL_LOG_LEVEL"),
])
def test_bad_configuration_refuses_to_start_naming_the_key(tmp_path, env, key):
    with pytest.raises(ConfigError, match=key):
        create_app({"SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env})


def test_an_alexa_ca_file_without_certificates_refuses_to_start(tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing here\n")
    with pytest.raises(ConfigError, match="ALEXA_CA_FILE"):
        create_app({"SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "ALEXA_CA_FILE": str(empty)})


def test_default_url_is_the_one_alexa_uses():
    assert DEFAULT_URL.startswith(BASE)
    assert SKILL_ID.startswith("amzn1.ask.skill.")
