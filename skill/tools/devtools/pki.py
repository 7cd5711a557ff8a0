"""A throwaway PKI shaped like Amazon's, made in memory (no key or certificate on disk).

Alexa signs requests with a certificate for ``echo-api.amazon.com`` issued by an intermediate
CA under a public root. ``LocalPKI`` mirrors that shape with realistic extensions, so a local
tool (``backtwitch chat``) or a test can sign requests and the server's *real* verification
runs: the root goes where ``ALEXA_CA_FILE`` would point, and the chain is served by an
injected certificate fetcher instead of S3.

RSA key generation is the slow part, so keys are generated once per process and shared by
name; certificates are cheap and made on demand.
"""
from __future__ import annotations

import base64
import functools
from datetime import UTC, datetime, timedelta
from typing import Literal, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
ECHO_API_HOSTNAME = "echo-api.amazon.com"

Issuer = Union[
    Literal["intermediate", "root", "self"],
    "LocalPKI",
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


def key_usage(*, signing: bool, ca: bool, cert_sign: bool | None = None) -> x509.KeyUsage:
    """Key usage for a leaf (``ca=False``) or a CA; ``cert_sign`` defaults to ``ca``."""
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca if cert_sign is None else cert_sign,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


class LocalPKI:
    """Root CA -> intermediate CA -> ``echo-api.amazon.com`` leaf.

    ``now`` is the PKI's reference time: everything it issues is valid at ``now``. It is the real
    current time by default, so the same certificates also work for real TLS.
    """

    def __init__(self, name: str = "Back Twitch Local", now: datetime | None = None) -> None:
        self.name = name
        self.now = now or datetime.now(UTC).replace(microsecond=0)
        self.root_key = rsa_key(f"{name} root")
        self.root = self._issue_ca(_name(f"{name} Root CA", name), self.root_key, None, path_length=1, years=10)
        self.intermediate_key = rsa_key(f"{name} intermediate")
        self.intermediate = self._issue_ca(
            _name(f"{name} Intermediate CA", name),
            self.intermediate_key,
            (self.root, self.root_key),
            path_length=0,
            years=5,
        )
        self.leaf, self.leaf_key = self.issue_leaf(key=rsa_key(f"{name} leaf"))

    # -- PEM ---------------------------------------------------------------------

    def root_pem(self) -> bytes:
        return pem(self.root)

    def chain_pem(self, leaf: x509.Certificate | None = None) -> bytes:
        """The chain as Alexa publishes it: signing certificate, then the intermediate."""
        return pem(leaf or self.leaf, self.intermediate)

    def key_pem(self, key: rsa.RSAPrivateKey) -> bytes:
        """Unencrypted PKCS#8 PEM of ``key`` (for ``ssl.SSLContext.load_cert_chain``)."""
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    # -- signing -----------------------------------------------------------------

    def sign(self, body: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
        """Base64 ``Signature-256`` of ``body`` (RSA PKCS#1 v1.5, SHA-256), by the leaf key."""
        signature = (key or self.leaf_key).sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def signed_headers(self, body: bytes, url: str = CERT_URL) -> dict[str, str]:
        """The two headers Alexa adds to a request whose raw body is ``body``."""
        return {"SignatureCertChainUrl": url, "Signature-256": self.sign(body)}

    # -- issuing -----------------------------------------------------------------

    def issue_leaf(
        self,
        san: str | None = ECHO_API_HOSTNAME,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        issuer: Issuer = "intermediate",
        key: rsa.RSAPrivateKey | None = None,
    ) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """Issue an end-entity certificate: by default one Alexa's would pass for.

        ``san=None`` leaves out the subjectAltName; ``issuer`` may be ``"intermediate"``
        (normal), ``"root"`` (no intermediate), ``"self"`` (self-signed), another ``LocalPKI``
        (its intermediate) or any ``(certificate, key)``.
        """
        key = key or rsa_key("variant leaf")
        subject = _name(san or "no-san.invalid", self.name)
        if issuer == "self":
            issuer_key, issuer_name = key, subject
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
            .add_extension(key_usage(signing=True, ca=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        )
        if san is not None:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256()), key

    def _issuer(self, issuer: Issuer) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        if isinstance(issuer, tuple):
            return issuer
        if isinstance(issuer, LocalPKI):
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
            .add_extension(key_usage(signing=True, ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
            .sign(issuer_key, hashes.SHA256())
        )
