"""The request verification chain: Amazon's seven rules, in order, each failing with its own
reason.  Pure unit tests: a stub ``fetch`` serves the test PKI's chain and the clock is fixed."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from werkzeug.datastructures import Headers

from skill.runtime.certificates import SigningCertificates
from skill.runtime.verify import RequestVerifier, VerificationError
from support.pki import (
    DEFAULT_URL,
    expired_chain,
    not_yet_valid_chain,
    FakeClock,
    RecordingFetch,
    TestPKI,
    pem,
    signed_headers,
    untrusted_pki,
)

SKILL_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
OTHER_SKILL_ID = "amzn1.ask.skill.99999999-8888-7777-6666-555555555555"


# --------------------------------------------------------------------------- helpers


def iso(moment: datetime) -> str:
    """Alexa's own timestamp format: UTC, whole seconds, ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    now: datetime,
    *,
    request_type: str = "LaunchRequest",
    timestamp: Any = None,
    application_id: str | None = SKILL_ID,
) -> dict[str, Any]:
    system: dict[str, Any] = {"device": {"deviceId": "amzn1.ask.device.TEST"}}
    if application_id is not None:
        system["application"] = {"applicationId": application_id}
    return {
        "version": "1.0",
        "context": {"System": system},
        "request": {
            "type": request_type,
            "requestId": "amzn1.echo-api.request.TEST",
            "timestamp": iso(now) if timestamp is None else timestamp,
            "locale": "en-US",
        },
    }


def encode(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def reason_for(verifier: RequestVerifier, headers: Any, body: bytes) -> str:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(headers, body)
    return caught.value.reason


@pytest.fixture
def fetch(pki: TestPKI) -> RecordingFetch:
    return RecordingFetch({DEFAULT_URL: pki.chain_pem()})


@pytest.fixture
def verifier(pki: TestPKI, fetch: RecordingFetch, clock: FakeClock) -> RequestVerifier:
    certificates = SigningCertificates([pki.root], fetch=fetch, clock=clock)
    return RequestVerifier(skill_id=SKILL_ID, certificates=certificates, clock=clock)


@pytest.fixture
def body(clock: FakeClock) -> bytes:
    return encode(envelope(clock.now))


# --------------------------------------------------------------------------- happy path


def test_a_genuine_fresh_request_for_this_skill_is_accepted_and_parsed(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    parsed = verifier.verify(signed_headers(pki, body), body)

    assert parsed == json.loads(body)


def test_many_requests_with_one_certificate_url_download_the_chain_once(
    verifier: RequestVerifier, pki: TestPKI, fetch: RecordingFetch, body: bytes
) -> None:
    for _ in range(5):
        verifier.verify(signed_headers(pki, body), body)

    assert fetch.calls == [DEFAULT_URL]


def test_the_reason_is_also_the_error_message() -> None:
    assert str(VerificationError("invalid signature")) == "invalid signature"


# --------------------------------------------------------------------------- rule 1: headers


@pytest.mark.parametrize(
    "missing",
    [["SignatureCertChainUrl"], ["Signature-256"], ["SignatureCertChainUrl", "Signature-256"]],
)
def test_a_request_without_a_signature_header_is_rejected(
    verifier: RequestVerifier, pki: TestPKI, fetch: RecordingFetch, body: bytes, missing: list[str]
) -> None:
    headers = {k: v for k, v in signed_headers(pki, body).items() if k not in missing}

    assert reason_for(verifier, headers, body) == "missing signature headers"
    assert fetch.calls == []


def test_an_empty_signature_header_counts_as_missing(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    headers = {**signed_headers(pki, body), "Signature-256": ""}

    assert reason_for(verifier, headers, body) == "missing signature headers"


@pytest.mark.parametrize(
    "rename",
    [str.lower, str.upper, lambda name: name.swapcase()],
    ids=["lower", "upper", "swapped"],
)
def test_header_names_are_matched_case_insensitively_in_a_plain_dict(
    verifier: RequestVerifier, pki: TestPKI, body: bytes, rename: Callable[[str], str]
) -> None:
    headers = {rename(name): value for name, value in signed_headers(pki, body).items()}

    assert verifier.verify(headers, body)["request"]["type"] == "LaunchRequest"


def test_werkzeug_headers_are_accepted(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    headers = Headers([(name.lower(), value) for name, value in signed_headers(pki, body).items()])

    assert verifier.verify(headers, body)["request"]["type"] == "LaunchRequest"


def test_the_retired_sha1_signature_header_alone_is_rejected(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    sha1_signature = pki.leaf_key.sign(body, padding.PKCS1v15(), hashes.SHA1())
    headers = {
        "SignatureCertChainUrl": DEFAULT_URL,
        "Signature": base64.b64encode(sha1_signature).decode("ascii"),
    }

    assert reason_for(verifier, headers, body) == "missing signature headers"


def test_a_leftover_sha1_signature_header_is_ignored(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    headers = {**signed_headers(pki, body), "Signature": "bm90IGNoZWNrZWQ="}

    assert verifier.verify(headers, body)["request"]["type"] == "LaunchRequest"


# --------------------------------------------------------------------------- rule 2: cert URL

CANONICAL_URL = "https://s3.amazonaws.com/echo.api/cert"


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/cert",
        "https://s3.amazonaws.com:443/echo.api/cert",
        "https://s3.amazonaws.com/echo.api/../echo.api/cert",
        "HTTPS://S3.AMAZONAWS.COM/echo.api/cert",
        "https://s3.amazonaws.com/echo.api/./cert",
    ],
)
def test_a_valid_certificate_url_is_accepted_and_downloaded_in_canonical_form(
    pki: TestPKI, clock: FakeClock, body: bytes, url: str
) -> None:
    fetch = RecordingFetch({CANONICAL_URL: pki.chain_pem()})
    certificates = SigningCertificates([pki.root], fetch=fetch, clock=clock)
    verifier = RequestVerifier(skill_id=SKILL_ID, certificates=certificates, clock=clock)

    verifier.verify(signed_headers(pki, body, url=url), body)

    assert fetch.calls == [CANONICAL_URL]


@pytest.mark.parametrize(
    "url",
    [
        # the examples in docs/alexa-platform.md
        "http://s3.amazonaws.com/echo.api/cert",
        "https://very.bad/echo.api/cert",
        "https://s3.amazonaws.com:563/echo.api/cert",
        "https://s3.amazonaws.com/cert",
        "https://s3.amazonaws.com/echo.api/../cert",
        "https://s3.amazonaws.com/ECHO.API/cert",
        # and the obvious ways around them
        "https://s3.amazonaws.com/echo.api/%2e%2e/cert",
        "https://s3.amazonaws.com/echo.api%2f..%2fcert",
        "https://s3.amazonaws.com/echo.api",
        "https://s3.amazonaws.com/echo.api.evil/cert",
        "https://s3.amazonaws.com//echo.api/cert",
        "https://s3.amazonaws.com.evil.example/echo.api/cert",
        "https://evil.example/s3.amazonaws.com/echo.api/cert",
        "https://s3.amazonaws.com@evil.example/echo.api/cert",
        "https://user@s3.amazonaws.com/echo.api/cert",
        "https://s3.amazonaws.com:notaport/echo.api/cert",
        "https://s3.amazonaws.com:4430/echo.api/cert",
        "ftp://s3.amazonaws.com/echo.api/cert",
        "s3.amazonaws.com/echo.api/cert",
        "https://s3.amazonaws.com/echo.api/ cert",
    ],
)
def test_an_invalid_certificate_url_is_rejected_before_any_download(
    verifier: RequestVerifier, pki: TestPKI, fetch: RecordingFetch, body: bytes, url: str
) -> None:
    headers = signed_headers(pki, body, url=url)

    assert reason_for(verifier, headers, body) == "invalid certificate url"
    assert fetch.calls == []


# --------------------------------------------------------------------------- rules 3 + 4: chain


@pytest.mark.parametrize(
    ("served", "reason"),
    [
        pytest.param(lambda pki: None, "certificate download failed", id="download-fails"),
        pytest.param(
            lambda pki: pki.chain_pem() + b" " * 65536, "certificate too large", id="over-cap"
        ),
        pytest.param(expired_chain, "certificate expired or not yet valid", id="expired"),
        pytest.param(not_yet_valid_chain, "certificate expired or not yet valid", id="not-yet-valid"),
        pytest.param(
            lambda pki: pki.chain_pem(pki.issue_leaf(san=None)[0]),
            "certificate lacks SAN echo-api.amazon.com",
            id="no-san",
        ),
        pytest.param(
            lambda pki: pki.chain_pem(pki.issue_leaf(san="echo-api.amazon.co")[0]),
            "certificate lacks SAN echo-api.amazon.com",
            id="wrong-san",
        ),
        pytest.param(
            lambda pki: untrusted_pki(pki).chain_pem(),
            "untrusted certificate chain",
            id="untrusted-root",
        ),
        pytest.param(
            lambda pki: pem(pki.leaf), "untrusted certificate chain", id="no-intermediate"
        ),
        pytest.param(
            lambda pki: pki.chain_pem(pki.issue_leaf(issuer="self")[0]),
            "untrusted certificate chain",
            id="self-signed",
        ),
        pytest.param(lambda pki: b"garbage", "certificate chain unreadable", id="garbage"),
    ],
)
def test_a_bad_certificate_chain_rejects_the_request_with_its_reason(
    pki: TestPKI,
    clock: FakeClock,
    body: bytes,
    served: Callable[[TestPKI], bytes | None],
    reason: str,
) -> None:
    chain = served(pki)
    fetch = RecordingFetch({DEFAULT_URL: chain} if chain is not None else {})
    certificates = SigningCertificates([pki.root], fetch=fetch, clock=clock)
    verifier = RequestVerifier(skill_id=SKILL_ID, certificates=certificates, clock=clock)

    assert reason_for(verifier, signed_headers(pki, body), body) == reason


def test_a_chain_signed_by_an_untrusted_pki_fails_even_with_a_matching_signature(
    pki: TestPKI, clock: FakeClock, body: bytes
) -> None:
    impostor = untrusted_pki(pki)
    fetch = RecordingFetch({DEFAULT_URL: impostor.chain_pem()})
    certificates = SigningCertificates([pki.root], fetch=fetch, clock=clock)
    verifier = RequestVerifier(skill_id=SKILL_ID, certificates=certificates, clock=clock)

    headers = signed_headers(impostor, body)

    assert reason_for(verifier, headers, body) == "untrusted certificate chain"


# --------------------------------------------------------------------------- rule 5: signature


@pytest.mark.parametrize("signature", ["not base64!", "QUJD=", "QUJD RA==", "ÄÖÜ"])
def test_a_signature_that_is_not_strict_base64_is_rejected(
    verifier: RequestVerifier, body: bytes, signature: str
) -> None:
    headers = {"SignatureCertChainUrl": DEFAULT_URL, "Signature-256": signature}

    assert reason_for(verifier, headers, body) == "malformed signature"


def test_a_signature_made_with_another_key_is_rejected(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    headers = {
        "SignatureCertChainUrl": DEFAULT_URL,
        "Signature-256": pki.sign(body, key=pki.other_key),
    }

    assert reason_for(verifier, headers, body) == "invalid signature"


def test_a_body_altered_by_one_byte_after_signing_is_rejected(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    headers = signed_headers(pki, body)
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    assert len(tampered) == len(body) and tampered != body

    assert reason_for(verifier, headers, tampered) == "invalid signature"


def test_the_signature_covers_raw_bytes_not_the_json_they_encode(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    headers = signed_headers(pki, body)
    reserialised = json.dumps(json.loads(body), indent=2).encode("utf-8")
    assert json.loads(reserialised) == json.loads(body)

    assert reason_for(verifier, headers, reserialised) == "invalid signature"


def test_the_signature_is_checked_before_the_body_is_parsed(
    verifier: RequestVerifier, pki: TestPKI, body: bytes
) -> None:
    headers = signed_headers(pki, body)

    assert reason_for(verifier, headers, b"{not json") == "invalid signature"


# --------------------------------------------------------------------------- envelope


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{not json", id="broken-json"),
        pytest.param(b"[1, 2, 3]", id="array"),
        pytest.param(b'"LaunchRequest"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(b'{"version": "1.0"}', id="no-request"),
        pytest.param(b'{"request": "LaunchRequest"}', id="request-not-object"),
        pytest.param(b'{"request": {"timestamp": "2024-01-01T00:00:00Z"}}', id="no-type"),
        pytest.param(
            b'{"request": {"type": 7, "timestamp": "2024-01-01T00:00:00Z"}}', id="type-not-string"
        ),
        pytest.param(b'{"request": {"type": "LaunchRequest"}}', id="no-timestamp"),
        pytest.param(b'{"request": {"type": "\xff"}}', id="not-utf8"),
        pytest.param(b'{"request": {"type": "X", "timestamp": NaN}}', id="nan"),
        pytest.param(b"[" * 100_000, id="deeply-nested"),
    ],
)
def test_a_body_that_is_not_an_alexa_envelope_is_malformed(
    verifier: RequestVerifier, pki: TestPKI, raw: bytes
) -> None:
    assert reason_for(verifier, signed_headers(pki, raw), raw) == "malformed request"


def test_an_empty_body_is_rejected_without_downloading_anything(
    verifier: RequestVerifier, pki: TestPKI, fetch: RecordingFetch
) -> None:
    assert reason_for(verifier, signed_headers(pki, b""), b"") == "missing request body"
    assert fetch.calls == []


# --------------------------------------------------------------------------- rule 6: timestamp


def _signed_at(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock, offset: timedelta, **fields: Any
) -> dict[str, Any]:
    body = encode(envelope(clock.now + offset, **fields))
    return verifier.verify(signed_headers(pki, body), body)


@pytest.mark.parametrize("seconds", [-149, -150, 0, 149, 150])
def test_a_timestamp_within_150_seconds_either_way_is_accepted(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock, seconds: int
) -> None:
    assert _signed_at(verifier, pki, clock, timedelta(seconds=seconds))


@pytest.mark.parametrize("seconds", [-151, 151, -3600, 3600])
def test_a_timestamp_more_than_150_seconds_off_is_rejected(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock, seconds: int
) -> None:
    with pytest.raises(VerificationError, match="^request timestamp out of tolerance$"):
        _signed_at(verifier, pki, clock, timedelta(seconds=seconds))


def test_a_skill_disabled_event_fifty_minutes_old_is_accepted(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock
) -> None:
    parsed = _signed_at(
        verifier, pki, clock, timedelta(minutes=-50), request_type="AlexaSkillEvent.SkillDisabled"
    )

    assert parsed["request"]["type"] == "AlexaSkillEvent.SkillDisabled"


@pytest.mark.parametrize(
    ("request_type", "offset"),
    [
        ("AlexaSkillEvent.SkillDisabled", timedelta(minutes=-61)),
        ("AlexaSkillEvent.SkillDisabled", timedelta(seconds=151)),
        ("LaunchRequest", timedelta(minutes=-50)),
    ],
    ids=[
        "skill-event-61-minutes-old",
        "skill-event-in-the-future",
        "ordinary-request-50-minutes-old",
    ],
)
def test_the_one_hour_allowance_is_only_for_skill_events_and_only_into_the_past(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock, request_type: str, offset: timedelta
) -> None:
    with pytest.raises(VerificationError, match="^request timestamp out of tolerance$"):
        _signed_at(verifier, pki, clock, offset, request_type=request_type)


@pytest.mark.parametrize(
    "render",
    [
        pytest.param(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.123Z"), id="fraction-z"),
        pytest.param(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.123456789Z"), id="nanoseconds"),
        pytest.param(
            lambda t: t.astimezone(timezone(timedelta(hours=2))).isoformat(), id="plus-02"
        ),
        pytest.param(
            lambda t: t.astimezone(timezone(timedelta(hours=-5, minutes=-30))).isoformat(),
            id="minus-0530",
        ),
        pytest.param(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.5+00:00"), id="fraction-offset"),
        pytest.param(lambda t: int(t.timestamp() * 1000), id="epoch-milliseconds"),
        pytest.param(lambda t: int(t.timestamp()), id="epoch-seconds"),
    ],
)
def test_timestamps_with_fractions_offsets_or_epochs_are_read_correctly(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock, render: Callable[[datetime], Any]
) -> None:
    # 140 s old: accepted only if the zone offset and the unit are understood correctly.
    stamp = render(clock.now - timedelta(seconds=140))

    assert _signed_at(verifier, pki, clock, timedelta(0), timestamp=stamp)


@pytest.mark.parametrize("stamp", ["yesterday", "", True, [2024], "2024-13-01T00:00:00Z"])
def test_an_unreadable_timestamp_is_rejected(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock, stamp: Any
) -> None:
    with pytest.raises(VerificationError, match="^invalid request timestamp$"):
        _signed_at(verifier, pki, clock, timedelta(0), timestamp=stamp)


# --------------------------------------------------------------------------- rule 7: app id


def test_a_request_for_another_skill_is_rejected(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock
) -> None:
    with pytest.raises(VerificationError, match="^application id mismatch$"):
        _signed_at(verifier, pki, clock, timedelta(0), application_id=OTHER_SKILL_ID)


def test_a_request_without_an_application_id_is_rejected_when_a_skill_id_is_configured(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock
) -> None:
    with pytest.raises(VerificationError, match="^missing application id$"):
        _signed_at(verifier, pki, clock, timedelta(0), application_id=None)


def test_the_session_application_id_is_a_fallback_for_a_missing_context(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock
) -> None:
    document = envelope(clock.now, application_id=None)
    document["session"] = {"application": {"applicationId": SKILL_ID}}
    body = encode(document)

    assert verifier.verify(signed_headers(pki, body), body)["session"]


def test_the_session_application_id_cannot_override_a_wrong_context_one(
    verifier: RequestVerifier, pki: TestPKI, clock: FakeClock
) -> None:
    document = envelope(clock.now, application_id=OTHER_SKILL_ID)
    document["session"] = {"application": {"applicationId": SKILL_ID}}
    body = encode(document)

    assert reason_for(verifier, signed_headers(pki, body), body) == "application id mismatch"


def test_without_a_configured_skill_id_any_application_id_is_accepted(
    pki: TestPKI, fetch: RecordingFetch, clock: FakeClock
) -> None:
    certificates = SigningCertificates([pki.root], fetch=fetch, clock=clock)
    verifier = RequestVerifier(certificates=certificates, clock=clock)

    assert _signed_at(verifier, pki, clock, timedelta(0), application_id=OTHER_SKILL_ID)


# --------------------------------------------------------------------------- switches


def test_with_signature_checks_off_an_unsigned_request_is_accepted_without_downloads(
    clock: FakeClock, body: bytes
) -> None:
    verifier = RequestVerifier(verify_signatures=False, skill_id=SKILL_ID, clock=clock)

    assert verifier.verify({}, body)["request"]["type"] == "LaunchRequest"
    assert verifier.certificates is None


def test_with_signature_checks_off_the_envelope_and_application_id_are_still_checked(
    clock: FakeClock,
) -> None:
    verifier = RequestVerifier(verify_signatures=False, skill_id=SKILL_ID, clock=clock)
    foreign = encode(envelope(clock.now, application_id=OTHER_SKILL_ID))

    assert reason_for(verifier, {}, b"{not json") == "malformed request"
    assert reason_for(verifier, {}, b"") == "missing request body"
    assert reason_for(verifier, {}, foreign) == "application id mismatch"


def test_with_timestamp_checks_off_a_stale_request_is_accepted(
    pki: TestPKI, fetch: RecordingFetch, clock: FakeClock
) -> None:
    certificates = SigningCertificates([pki.root], fetch=fetch, clock=clock)
    verifier = RequestVerifier(
        verify_timestamps=False, skill_id=SKILL_ID, certificates=certificates, clock=clock
    )
    stale = encode(envelope(clock.now - timedelta(days=2)))
    undated_document = envelope(clock.now)
    del undated_document["request"]["timestamp"]
    undated = encode(undated_document)

    assert verifier.verify(signed_headers(pki, stale), stale)
    assert verifier.verify(signed_headers(pki, undated), undated)


def test_by_default_an_unsigned_request_is_rejected(
    verifier: RequestVerifier, body: bytes
) -> None:
    assert reason_for(verifier, {}, body) == "missing signature headers"
