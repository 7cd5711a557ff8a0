"""Verify that an HTTPS request really comes from Alexa, for this skill, right now.

Amazon requires a self-hosted skill to check every request, in a fixed order, and to answer
HTTP 400 on any failure (docs/alexa-platform.md, "Hosting as an HTTPS web service"):

1. both signature headers are present;
2. the certificate URL points into Amazon's ``echo.api`` S3 bucket (checked before any
   download, so we never fetch from a URL an attacker chose);
3. + 4. the chain is downloaded and validated (``skill.runtime.certificates``);
5. ``Signature-256`` signs the raw body bytes;
6. the request timestamp is fresh (replay protection);
7. the application id is ours.

Each rule is one small function below; ``RequestVerifier.verify`` runs them in that order and
turns every failure into a ``VerificationError`` whose short ``reason`` goes verbatim into
the 400 body and the log line.
"""

from __future__ import annotations

import base64
import binascii
import functools
import posixpath
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from skill import fastjson
from skill.runtime.addressing import VerificationError, check_application_id
from skill.runtime.certificates import CertificateError, SigningCertificates, load_trust_roots

__all__ = [
    "CERT_URL_HEADER",
    "SIGNATURE_HEADER",
    "RequestVerifier",
    "VerificationError",
    "check_application_id",
    "check_certificate_url",
    "check_signature",
    "check_timestamp",
    "fetch_signing_certificate",
    "parse_envelope",
    "parse_timestamp",
    "require_signature_headers",
]

CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"

CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"

TIMESTAMP_TOLERANCE = timedelta(seconds=150)
"""Alexa's replay window, both into the past and (for clock skew) into the future."""

SKILL_EVENT_MAX_AGE = timedelta(hours=1)
"""Skill events (e.g. ``AlexaSkillEvent.SkillDisabled``) may be delivered late."""

SKILL_EVENT_PREFIX = "AlexaSkillEvent."

_EPOCH_MILLISECONDS_THRESHOLD = 10**11  # 1e11 s is the year 5138; 1e11 ms is 1973


# --------------------------------------------------------------------------- rule 1


def require_signature_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """Rule 1: return ``(certificate URL, Signature-256)``; both must be present and non-empty.

    HTTP header names are case-insensitive.  A werkzeug ``Headers`` already knows that, a
    plain dict (tests, other frameworks) does not, so names are folded here.  The retired
    SHA-1 ``Signature`` header is deliberately not looked at.
    """
    folded = {str(name).lower(): str(value).strip() for name, value in headers.items()}
    cert_url = folded.get(CERT_URL_HEADER.lower(), "")
    signature = folded.get(SIGNATURE_HEADER.lower(), "")
    if not cert_url or not signature:
        raise VerificationError("missing signature headers")
    return cert_url, signature


# --------------------------------------------------------------------------- rule 2


@functools.lru_cache(maxsize=256)  # Alexa repeats a few URLs; refusals raise, so are never kept
def check_certificate_url(url: str) -> str:
    """Rule 2: accept only ``https://s3.amazonaws.com[:443]/echo.api/...``; return it canonical.

    The path is percent-decoded and its ``.``/``..`` segments resolved *before* the prefix
    check, because that is how S3 will read it: ``/echo.api/../evil/cert`` is another bucket.
    The returned URL is rebuilt from the checked parts, so what we download (and cache) is
    exactly what we checked, and equivalent spellings share one cache entry.
    """
    if not url.isascii() or not url.isprintable() or " " in url:
        raise VerificationError("invalid certificate url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise VerificationError("invalid certificate url") from None
    path = _resolve_dot_segments(unquote(parts.path))
    acceptable = (
        parts.scheme.lower() == "https"
        and parts.hostname == CERT_URL_HOST  # .hostname is already lower-cased
        and parts.username is None
        and parts.password is None
        and port in (None, 443)
        and path.startswith(CERT_URL_PATH_PREFIX)
    )
    if not acceptable:
        raise VerificationError("invalid certificate url")
    return urlunsplit(("https", CERT_URL_HOST, quote(path), parts.query, ""))


def _resolve_dot_segments(path: str) -> str:
    """Resolve ``.`` and ``..`` the way a URL path is resolved: always with ``/``.

    ``posixpath`` rather than ``os.path`` so the result does not depend on the host OS.
    ``normpath`` keeps a leading ``//``, which then fails the prefix check: fine, S3 would
    not read that as the ``echo.api`` bucket either.
    """
    return posixpath.normpath(path) if path else ""


# --------------------------------------------------------------------------- rules 3 + 4


def fetch_signing_certificate(certificates: SigningCertificates, url: str) -> x509.Certificate:
    """Rules 3 and 4: download (or reuse) the chain and return its validated signing cert."""
    try:
        return certificates.get(url)
    except CertificateError as exc:
        raise VerificationError(exc.reason) from exc


# --------------------------------------------------------------------------- rule 5


def check_signature(certificate: x509.Certificate, signature_b64: str, body: bytes) -> None:
    """Rule 5: ``Signature-256`` is RSA PKCS#1 v1.5 / SHA-256 over the *raw* body bytes.

    The bytes are verified exactly as received: re-serialising the JSON would change
    whitespace or key order and break (or, worse, fake) the match.  Base64 decoding is strict
    so a header mangled on the way (e.g. by a proxy) is reported as such, not as forgery.
    """
    signature = _strict_base64(signature_b64)
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise VerificationError("invalid signature")
    try:
        public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise VerificationError("invalid signature") from None


def _strict_base64(text: str) -> bytes:
    """Decode canonical base64 only: the alphabet, correct padding, nothing left over.

    ``b64decode(validate=True)`` still tolerates surplus padding (``"QUJD="``); requiring
    the value to re-encode to itself closes every such loophole.
    """
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError("malformed signature") from None
    if base64.b64encode(decoded).decode("ascii") != text:
        raise VerificationError("malformed signature")
    return decoded


# --------------------------------------------------------------------------- envelope


def parse_envelope(body: bytes, *, require_timestamp: bool = True) -> dict[str, Any]:
    """Parse the body as the Alexa JSON envelope, or refuse it as a 400 (never a 500).

    The envelope must be a UTF-8 JSON object whose ``request`` is an object with a string
    ``type`` (and a ``timestamp`` when timestamps are checked): everything downstream relies
    on that shape.
    """
    if not body:
        raise VerificationError("missing request body")
    try:
        envelope = fastjson.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise VerificationError("malformed request") from None
    request = envelope.get("request") if isinstance(envelope, dict) else None
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        raise VerificationError("malformed request")
    if require_timestamp and request.get("timestamp") is None:
        raise VerificationError("malformed request")
    return envelope


# --------------------------------------------------------------------------- rule 6


def check_timestamp(request: Mapping[str, Any], now: datetime) -> None:
    """Rule 6: refuse replays.  The request must be at most 150 s old (skill events: one
    hour) and at most 150 s in the future (clock skew)."""
    sent = parse_timestamp(request.get("timestamp"))
    age = now - sent
    request_type = request.get("type")
    is_skill_event = isinstance(request_type, str) and request_type.startswith(SKILL_EVENT_PREFIX)
    max_age = SKILL_EVENT_MAX_AGE if is_skill_event else TIMESTAMP_TOLERANCE
    if age > max_age or -age > TIMESTAMP_TOLERANCE:
        raise VerificationError("request timestamp out of tolerance")


def parse_timestamp(value: object) -> datetime:
    """Read ``request.timestamp``: ISO-8601 (``Z`` or an offset, any fraction of a second),
    or, tolerated, an integer epoch in seconds or milliseconds.  A time without a zone is
    taken as UTC, which is what Alexa sends."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = value / 1000 if abs(value) >= _EPOCH_MILLISECONDS_THRESHOLD else value
            return datetime.fromtimestamp(seconds, tz=UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise VerificationError("invalid request timestamp")


# --------------------------------------------------------------------------- rule 7


# ``check_application_id`` (skill/runtime/addressing.py): the Lambda entry runs this rule alone,
# and should not import the X.509 machinery of the others to do it.


# --------------------------------------------------------------------------- the chain


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RequestVerifier:
    """Runs Amazon's request checks in the documented order.

    ``verify_signatures=False`` skips rules 1-5 and ``verify_timestamps=False`` skips rule 6
    (local testing with the simulator or curl).  Parsing the envelope and checking the
    application id always run: they protect the handlers, not just the transport.
    """

    def __init__(
        self,
        *,
        verify_signatures: bool = True,
        verify_timestamps: bool = True,
        skill_id: str | None = None,
        certificates: SigningCertificates | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.verify_signatures = verify_signatures
        self.verify_timestamps = verify_timestamps
        self.skill_id = skill_id or None
        if verify_signatures and certificates is None:
            certificates = SigningCertificates(load_trust_roots(None))
        self.certificates = certificates
        self._clock = clock or _utc_now

    def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Return the parsed envelope of a genuine, fresh request for this skill.

        Raises ``VerificationError`` (answer HTTP 400 with its ``reason``) otherwise.  An
        empty body is refused first: it can never carry a valid signature, and refusing it
        early spares a certificate download.
        """
        if not body:
            raise VerificationError("missing request body")
        if self.verify_signatures:
            self._verify_signature(headers, body)
        envelope = parse_envelope(body, require_timestamp=self.verify_timestamps)
        if self.verify_timestamps:
            check_timestamp(envelope["request"], self._now())
        if self.skill_id is not None:
            check_application_id(envelope, self.skill_id)
        return envelope

    def _verify_signature(self, headers: Mapping[str, str], body: bytes) -> None:
        if self.certificates is None:  # fail closed, never skip silently
            raise VerificationError("signature verification unavailable")
        cert_url, signature = require_signature_headers(headers)
        canonical_url = check_certificate_url(cert_url)
        certificate = fetch_signing_certificate(self.certificates, canonical_url)
        check_signature(certificate, signature, body)

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=UTC)
