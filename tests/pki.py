"""A throw-away PKI shaped like Amazon's, made at test time (no key or certificate on disk).

Alexa signs requests with a certificate for ``echo-api.amazon.com`` issued by an
intermediate CA under a public root.  ``TestPKI`` mirrors that shape with realistic
extensions, so the verifier is exercised the way production exercises it, and can issue
deliberately broken leaves (expired, wrong name, wrong issuer, ...) for the negative tests.

RSA key generation is the slow part, so keys are generated once per process and shared by
name; certificates are cheap and made on demand.
"""

from __future__ import annotations

import base64
import functools
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Literal, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
ECHO_API_HOSTNAME = "echo-api.amazon.com"

Issuer = Union[
    Literal["intermediate", "root", "self"],
    "TestPKI",
    tuple[x509.Certificate, rsa.RSAPrivateKey],
]


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """The RSA-2048 key called ``name``, generated on first use and then reused."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(*certificates: x509.Certificate) -> bytes:
    """Concatenate certificates as PEM, in the order given."""
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, signing: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


class TestPKI:
    """Root CA -> intermediate CA -> ``echo-api.amazon.com`` leaf.

    ``now`` is the PKI's reference time: everything it issues is valid at ``now``, so tests
    use ``lambda: pki.now`` as their clock.  The reference time is the real current time by
    default so the same certificates also work for real TLS (the local HTTPS server test).
    """

    __test__ = False  # a helper, not a test class, despite the name

    def __init__(self, name: str = "Back Twitch Test", now: datetime | None = None) -> None:
        self.name = name
        self.now = now or datetime.now(timezone.utc).replace(microsecond=0)
        self.root_key = rsa_key(f"{name} root")
        self.root = self._issue_ca(
            _name(f"{name} Root CA", name), self.root_key, None, path_length=1, years=10
        )
        self.intermediate_key = rsa_key(f"{name} intermediate")
        self.intermediate = self._issue_ca(
            _name(f"{name} Intermediate CA", name),
            self.intermediate_key,
            (self.root, self.root_key),
            path_length=0,
            years=5,
        )
        self.leaf, self.leaf_key = self.issue_leaf(key=rsa_key(f"{name} leaf"))
        self.other_key = rsa_key("spare")
        """A key no certificate here belongs to: for 'signed by someone else' cases."""

    # -- PEM ---------------------------------------------------------------------

    def root_pem(self) -> bytes:
        return pem(self.root)

    def chain_pem(self, leaf: x509.Certificate | None = None) -> bytes:
        """The chain as Alexa publishes it: signing certificate, then the intermediate."""
        return pem(leaf or self.leaf, self.intermediate)

    # -- signing -----------------------------------------------------------------

    def sign(self, body: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
        """Base64 ``Signature-256`` of ``body`` (RSA PKCS#1 v1.5, SHA-256), by the leaf key."""
        signature = (key or self.leaf_key).sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    # -- issuing -----------------------------------------------------------------

    def issue_leaf(
        self,
        san: str | None = ECHO_API_HOSTNAME,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        issuer: Issuer = "intermediate",
        key: rsa.RSAPrivateKey | None = None,
    ) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """Issue an end-entity certificate; every argument is a way to make it wrong.

        ``san=None`` leaves out the subjectAltName; ``issuer`` may be ``"intermediate"``
        (normal), ``"root"`` (no intermediate), ``"self"`` (self-signed), another
        ``TestPKI`` (its intermediate: an untrusted chain) or any ``(certificate, key)``,
        e.g. from ``issue_intermediate``.
        """
        key = key or rsa_key("variant leaf")
        subject = _name(san or "no-san.invalid", self.name)
        if issuer == "self":
            issuer_cert, issuer_key = None, key
            issuer_name = subject
        else:
            issuer_cert, issuer_key = self._issuer(issuer)
            issuer_name = issuer_cert.subject
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or self.now - timedelta(days=1))
            .not_valid_after(not_after or self.now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True, ca=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
        )
        if san is not None:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256()), key

    def issue_intermediate(
        self, *, ca: bool | None = True, key_cert_sign: bool = True
    ) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """Issue a would-be intermediate under the root; ``ca=None`` omits basicConstraints
        and ``key_cert_sign=False`` withholds the right to sign certificates."""
        key = rsa_key("variant intermediate")
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=key_cert_sign,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{self.name} Variant CA", self.name))
            .issuer_name(self.root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=30))
            .not_valid_after(self.now + timedelta(days=365))
            .add_extension(usage, critical=True)
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

    def _issuer(self, issuer: Issuer) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        if isinstance(issuer, tuple):
            return issuer
        if isinstance(issuer, TestPKI):
            return issuer.intermediate, issuer.intermediate_key
        if issuer == "root":
            return self.root, self.root_key
        if issuer == "intermediate":
            return self.intermediate, self.intermediate_key
        raise ValueError(f"unknown issuer {issuer!r}")

    def _issue_ca(
        self,
        subject: x509.Name,
        key: rsa.RSAPrivateKey,
        issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
        *,
        path_length: int,
        years: int,
    ) -> x509.Certificate:
        issuer_name, issuer_key = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=30))
            .not_valid_after(self.now + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(_key_usage(signing=True, ca=True), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
            .sign(issuer_key, hashes.SHA256())
        )

    def key_pem(self, key: rsa.RSAPrivateKey) -> bytes:
        """Unencrypted PKCS#8 PEM of ``key`` (for ``ssl.SSLContext.load_cert_chain``)."""
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def untrusted_pki(reference: TestPKI) -> TestPKI:
    """A complete, well-formed PKI that nobody trusts, valid at the same reference time."""
    return TestPKI(name="Untrusted Test", now=reference.now)


@functools.cache
def shared_pki() -> TestPKI:
    """One PKI per test session: certificates are cheap, keys are not."""
    return TestPKI()


def signed_headers(pki: TestPKI, body: bytes, url: str = DEFAULT_URL) -> dict[str, str]:
    """The two headers Alexa adds to a request whose raw body is ``body``."""
    return {"SignatureCertChainUrl": url, "Signature-256": pki.sign(body)}


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
