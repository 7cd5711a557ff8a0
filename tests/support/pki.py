"""The test PKI: the product's throwaway PKI (skill/tools/devtools/pki.py), plus the deliberately
broken certificates the negative verification tests need.

Alexa signs requests with a certificate for ``echo-api.amazon.com`` issued by an intermediate
CA under a public root; ``LocalPKI`` mirrors that shape, and ``TestPKI`` adds would-be
intermediates that break one rule each. Keys are generated once per process and shared by name.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask

from skill.tools.devtools.pki import CERT_URL, ECHO_API_HOSTNAME, LocalPKI, _name, key_usage, pem, rsa_key

DEFAULT_URL = CERT_URL
__all__ = ["DEFAULT_URL", "ECHO_API_HOSTNAME", "TestPKI", "pem", "rsa_key", "shared_pki", "signed_headers",
           "untrusted_pki", "RecordingFetch", "FakeClock"]


class TestPKI(LocalPKI):
    """Root CA -> intermediate CA -> ``echo-api.amazon.com`` leaf, valid at ``now``; tests use
    ``lambda: pki.now`` as their clock. ``issue_leaf`` (inherited) makes broken leaves."""

    __test__ = False  # a helper, not a test class, despite the name

    def __init__(self, name: str = "Back Twitch Test", now: datetime | None = None) -> None:
        super().__init__(name, now)
        self.other_key = rsa_key("spare")
        """A key no certificate here belongs to: for 'signed by someone else' cases."""

    def issue_intermediate(
        self, *, ca: bool | None = True, key_cert_sign: bool = True
    ) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """Issue a would-be intermediate under the root; ``ca=None`` omits basicConstraints
        and ``key_cert_sign=False`` withholds the right to sign certificates."""
        key = rsa_key("variant intermediate")
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{self.name} Variant CA", self.name))
            .issuer_name(self.root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=30))
            .not_valid_after(self.now + timedelta(days=365))
            .add_extension(key_usage(signing=True, ca=True, cert_sign=key_cert_sign), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()),
                critical=False,
            )
        )
        if ca is not None:
            builder = builder.add_extension(
                x509.BasicConstraints(ca=ca, path_length=None), critical=True
            )
        return builder.sign(self.root_key, hashes.SHA256()), key


def untrusted_pki(reference: TestPKI) -> TestPKI:
    """A complete, well-formed PKI that nobody trusts, valid at the same reference time."""
    return TestPKI(name="Untrusted Test", now=reference.now)


@functools.cache
def shared_pki() -> TestPKI:
    """One PKI per test session: certificates are cheap, keys are not."""
    return TestPKI()


def expired_chain(pki: TestPKI) -> bytes:
    """A chain whose signing certificate expired a second before the PKI's reference time."""
    leaf, _ = pki.issue_leaf(not_before=pki.now - timedelta(days=30), not_after=pki.now - timedelta(seconds=1))
    return pki.chain_pem(leaf)


def not_yet_valid_chain(pki: TestPKI) -> bytes:
    """A chain whose signing certificate becomes valid a second after the reference time."""
    leaf, _ = pki.issue_leaf(not_before=pki.now + timedelta(seconds=1), not_after=pki.now + timedelta(days=30))
    return pki.chain_pem(leaf)


def signed_headers(pki: TestPKI, body: bytes, url: str = DEFAULT_URL) -> dict[str, str]:
    """The two headers Alexa adds to a request whose raw body is ``body``."""
    return pki.signed_headers(body, url)


# --------------------------------------------------------------------------- test doubles
# The certificate store takes its network and its clock as arguments; these stand in for
# both so the verification tests never touch the network or the real time.


class RecordingFetch:
    """A ``fetch(url) -> bytes`` that answers from a dict and records every call.

    A value may be an exception instance (raised) instead of bytes; a URL not in the dict
    behaves like a 404.  ``delay`` makes each download take that long, for concurrency tests.
    """

    def __init__(
        self, responses: dict[str, bytes | BaseException] | None = None, delay: float = 0.0
    ) -> None:
        self.responses = dict(responses or {})
        self.delay = delay
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.calls.append(url)
        if self.delay:
            time.sleep(self.delay)
        response = self.responses.get(url)
        if response is None:
            raise OSError(f"HTTP 404 for {url}")
        if isinstance(response, BaseException):
            raise response
        return response


class FakeClock:
    """A settable UTC clock: ``clock()`` returns ``clock.now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def poster(app: Flask, pki: TestPKI) -> Callable[[bytes], tuple[int, dict[str, Any]]]:
    """POST a body to ``app``'s /alexa signed by the test PKI, as Alexa would."""
    client = app.test_client()

    def send(body: bytes) -> tuple[int, dict[str, Any]]:
        response = client.post("/alexa", data=body, headers={**signed_headers(pki, body), "Content-Type": "application/json"})
        return response.status_code, json.loads(response.data or b"{}")

    return send
