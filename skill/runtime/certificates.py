"""Download, validate and cache the certificate chain Alexa signs its requests with.

Every request Alexa sends names, in its ``SignatureCertChainUrl`` header, a PEM chain on
S3 (signing certificate first, then intermediates).  Before trusting a signature we must
know that chain really belongs to ``echo-api.amazon.com`` and leads to a root we trust.

Three concerns shape this module:

* **Latency.**  Alexa gives up after about 8 s, so a slow or hanging S3 must never hold a
  request longer than a few seconds.  Downloads run in a small worker pool and callers wait
  with a deadline; the locks that serialise downloads are also taken with a deadline.
* **Per-request cost.**  Validating a chain is comparatively expensive, so it happens once
  per download.  A cached hit is a dict lookup plus an expiry comparison.
* **Trust.**  Nothing about Amazon's certificate is hard-coded: the chain is downloaded,
  checked against the configured roots, and cached only until the first certificate in the
  chain expires.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import logging
import os
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
)
from cryptography.x509.verification import VerificationError as PathValidationError

__all__ = [
    "ECHO_API_HOSTNAME",
    "CertificateError",
    "SigningCertificates",
    "fetch_https",
    "load_trust_roots",
    "parse_pem_certificates",
]

logger = logging.getLogger(__name__)

ECHO_API_HOSTNAME = "echo-api.amazon.com"
"""The DNS name Amazon's signing certificate must carry in its subjectAltName."""

MAX_CHAIN_BYTES = 65536
"""Real chains are a few KiB; anything far larger is not a certificate chain."""

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*-----END CERTIFICATE-----"
)
_READ_CHUNK = 8192
_DOWNLOAD_WORKERS = 4


class CertificateError(Exception):
    """The signing certificate chain could not be obtained or is not trustworthy.

    ``reason`` is short, lowercase and safe to show to the caller (it ends up in the HTTP 400
    body); ``detail`` carries the underlying cause for the logs only.
    """

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------- trust roots


def parse_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """Parse every ``CERTIFICATE`` PEM block in ``data``, skipping ones that do not parse.

    System bundles occasionally hold certificates that cryptography refuses (or will refuse
    in a future release); one odd root must not make the whole store unusable, so each
    block is parsed on its own.
    """
    certificates: list[x509.Certificate] = []
    with warnings.catch_warnings():
        # Old roots with non-positive serials only warn today; they are harmless here.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in _PEM_CERTIFICATE.findall(data):
            try:
                certificates.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
    return certificates


def load_trust_roots(ca_file: str | None) -> list[x509.Certificate]:
    """Return the roots a signing chain must lead to.

    With ``ca_file`` (ALEXA_CA_FILE) those roots *replace* the system store, so a test or
    staging deployment can trust exactly its own PKI.  A configured file that is unreadable
    or holds no certificate raises ``ValueError`` naming the file, because silently falling
    back to an empty store would reject every request with a misleading reason.

    Without it, the system store is used: ``ssl.get_default_verify_paths()`` already honours
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``, so the same environment that configures outgoing TLS
    configures this.
    """
    if ca_file:
        return _load_ca_file(ca_file)
    roots = _load_system_roots()
    if not roots:
        logger.warning("no system trust roots found; every Alexa signature will be rejected")
    return roots


def _load_ca_file(ca_file: str) -> list[x509.Certificate]:
    try:
        with open(ca_file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ValueError(f"trust roots file {ca_file!r} is unreadable: {exc}") from exc
    roots = parse_pem_certificates(data)
    if not roots:
        raise ValueError(f"trust roots file {ca_file!r} holds no usable PEM certificate")
    return roots


def _load_system_roots() -> list[x509.Certificate]:
    paths = ssl.get_default_verify_paths()
    cafile = paths.cafile or _existing_file(paths.openssl_cafile)
    capath = paths.capath or paths.openssl_capath
    roots = list(_read_pem_file(cafile)) if cafile else []
    if capath and os.path.isdir(capath):
        for entry in sorted(os.scandir(capath), key=lambda item: item.name):
            if entry.is_file():
                roots.extend(_read_pem_file(entry.path))
    return list(dict.fromkeys(roots))  # capath usually repeats the bundle: de-duplicate


def _existing_file(path: str | None) -> str | None:
    return path if path and os.path.isfile(path) else None


def _read_pem_file(path: str) -> Iterable[x509.Certificate]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(4 * 1024 * 1024)
    except OSError:
        return []
    return parse_pem_certificates(data)


# --------------------------------------------------------------------------- download


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never away from HTTPS (a downgrade would leak nothing secret,
    yet there is no reason a certificate URL should ever need one)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if urlsplit(newurl).scheme.lower() != "https":
            fp.close()
            raise urllib.error.URLError(f"refusing redirect to non-https {newurl!r}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_https(url: str, timeout: float, max_bytes: int = MAX_CHAIN_BYTES) -> bytes:
    """Download ``url`` over verified HTTPS, within ``timeout`` seconds and ``max_bytes``.

    ``ssl.create_default_context()`` is created per call so ``SSL_CERT_FILE`` in effect now
    applies, and urllib's default handlers honour the usual proxy variables.  The socket
    timeout bounds each network wait and a deadline is checked between reads, so a server
    trickling bytes cannot stretch the download indefinitely.  Any failure becomes a
    ``CertificateError``.
    """
    if urlsplit(url).scheme.lower() != "https":
        raise CertificateError("certificate download failed", f"not an https url: {url!r}")
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=ssl.create_default_context()),
        _HttpsOnlyRedirects(),
    )
    try:
        with opener.open(url, timeout=timeout) as response:
            return _read_capped(response, max_bytes, deadline)
    except CertificateError:
        raise
    except Exception as exc:  # urllib raises a zoo of types; all mean "no chain"
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()  # it carries the open error response
        raise _download_error(exc) from exc


def _read_capped(response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdecimal() and int(declared) > max_bytes:
        raise CertificateError("certificate too large", f"Content-Length {declared}")
    body = bytearray()
    while True:
        if time.monotonic() > deadline:
            raise CertificateError("certificate download timed out", "deadline passed")
        chunk = response.read1(_READ_CHUNK)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise CertificateError("certificate too large", f"over {max_bytes} bytes")


def _download_error(exc: BaseException) -> CertificateError:
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(cause, TimeoutError):
        return CertificateError("certificate download timed out", str(cause) or "timeout")
    return CertificateError("certificate download failed", f"{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- validation


def _ca_key_usage(
    policy: Policy, certificate: x509.Certificate, usage: x509.KeyUsage | None
) -> None:
    """RFC 5280: when a CA certificate restricts its key usage, keyCertSign must be in it."""
    if usage is not None and not usage.key_cert_sign:
        raise ValueError("issuer keyUsage lacks keyCertSign")


# The webpki defaults demand CA/Browser-Forum extras (AKI on every certificate, EKU,
# exact criticality...) that test PKIs and private CAs often lack.  Keep the RFC 5280 core
# instead: issuers must be CAs allowed to sign certificates.  cryptography itself rejects an
# issuer whose basicConstraints says cA=false, but accepts one without the extension unless
# the policy requires it (and it refuses to build a CA policy that does not).  The leaf's
# policy only requires a subjectAltName: the server verifier insists on that, and matches
# the name as a second line behind our own, more specific, check.
_CA_POLICY = (
    ExtensionPolicy.permit_all()
    .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
    .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _ca_key_usage)
)
_LEAF_POLICY = ExtensionPolicy.permit_all().require_present(
    x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
)


def _parse_chain(pem: bytes) -> list[x509.Certificate]:
    """Parse the downloaded chain strictly: a chain with garbage in it is not Amazon's."""
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise CertificateError("certificate chain unreadable", str(exc)) from exc
    if not chain:
        raise CertificateError("certificate chain unreadable", "no certificate")
    return chain


def _check_validity_dates(leaf: x509.Certificate, now: datetime) -> None:
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise CertificateError(
            "certificate expired or not yet valid",
            f"valid {leaf.not_valid_before_utc} .. {leaf.not_valid_after_utc}, now {now}",
        )


def _check_echo_api_name(leaf: x509.Certificate) -> None:
    reason = f"certificate lacks SAN {ECHO_API_HOSTNAME}"
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise CertificateError(reason, "no subjectAltName") from None
    except (ValueError, x509.DuplicateExtension) as exc:
        raise CertificateError("certificate chain unreadable", str(exc)) from exc
    dns_names = [name.lower() for name in names.get_values_for_type(x509.DNSName)]
    if ECHO_API_HOSTNAME not in dns_names:
        raise CertificateError(reason, f"subjectAltName DNS names {dns_names}")


def _verify_path(
    store: Store | None,
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    now: datetime,
) -> list[x509.Certificate]:
    """Build a path from ``leaf`` to a trusted root; return it leaf first, root last."""
    if store is None:
        raise CertificateError("untrusted certificate chain", "no trust roots configured")
    verifier = (
        PolicyBuilder()
        .store(store)
        .time(now)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_LEAF_POLICY)
        .build_server_verifier(x509.DNSName(ECHO_API_HOSTNAME))
    )
    try:
        return verifier.verify(leaf, intermediates)
    except (PathValidationError, ValueError, x509.UnsupportedGeneralNameType) as exc:
        raise CertificateError("untrusted certificate chain", str(exc)) from exc


# --------------------------------------------------------------------------- cache


class _PerKeyLocks:
    """One lock per key, which exists only while somebody holds or awaits it.

    Keys here are URLs from request headers; a lock table that only ever grew would let
    anyone inflate it by sending endless distinct URLs.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextlib.contextmanager
    def hold(self, key: str, timeout: float) -> Iterator[bool]:
        """Acquire the key's lock within ``timeout``; yield whether that succeeded."""
        with self._guard:
            lock, users = self._locks.get(key, (None, 0))
            lock = lock or threading.Lock()
            self._locks[key] = (lock, users + 1)
        acquired = lock.acquire(timeout=max(0.0, timeout))
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
            with self._guard:
                users = self._locks[key][1] - 1
                if users:
                    self._locks[key] = (lock, users)
                else:
                    del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


@dataclass(frozen=True)
class _CachedLeaf:
    leaf: x509.Certificate
    expires_at: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SigningCertificates:
    """Validated Alexa signing certificates, keyed by certificate-chain URL.

    ``get`` answers from the cache when it can.  On a miss it downloads the chain once per
    URL (concurrent callers for the same URL wait for that download instead of starting
    their own), validates it once, and caches the signing certificate until the earliest
    expiry in the validated path.  Failures are never cached, so a transient S3 error does
    not poison the skill.  No caller ever waits much longer than ``timeout`` seconds.
    """

    def __init__(
        self,
        trust_roots: list[x509.Certificate],
        fetch: Callable[[str], bytes] | None = None,
        timeout: float = 5.0,
        clock: Callable[[], datetime] | None = None,
        max_entries: int = 32,
    ) -> None:
        self._store = Store(list(trust_roots)) if trust_roots else None
        self._fetch = fetch or functools.partial(fetch_https, timeout=timeout)
        self._timeout = timeout
        self._clock = clock or _utc_now
        self._max_entries = max(1, max_entries)
        self._cache: dict[str, _CachedLeaf] = {}
        self._cache_lock = threading.Lock()
        self._url_locks = _PerKeyLocks()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pool_pid: int | None = None
        self._pool_lock = threading.Lock()

    def get(self, url: str) -> x509.Certificate:
        """Return the validated signing certificate for ``url`` or raise ``CertificateError``."""
        now = self._now()
        cached = self._cached(url, now)
        if cached is not None:
            return cached
        deadline = time.monotonic() + self._timeout
        with self._url_locks.hold(url, deadline - time.monotonic()) as acquired:
            if not acquired:
                logger.warning("alexa signing certificate %s: gave up waiting for a download", url)
                raise CertificateError(
                    "certificate download timed out", "waited for another caller"
                )
            cached = self._cached(url, self._now())  # another caller may have just filled it
            if cached is not None:
                return cached
            try:
                entry = self._validate(self._download(url, deadline))
            except CertificateError as exc:
                logger.warning("alexa signing certificate %s rejected: %s", url, exc)
                raise
            self._remember(url, entry)
            return entry.leaf

    def __len__(self) -> int:
        return len(self._cache)

    # -- internals ---------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=UTC)

    def _cached(self, url: str, now: datetime) -> x509.Certificate | None:
        entry = self._cache.get(url)
        if entry is not None and now < entry.expires_at:
            return entry.leaf
        return None

    def _download(self, url: str, deadline: float) -> bytes:
        if time.monotonic() >= deadline:  # the wait for the lock used up the time budget
            raise CertificateError("certificate download timed out", "no time left to start")
        future: concurrent.futures.Future[bytes] | None = None
        try:
            future = self._executor().submit(self._fetch, url)
            pem = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:  # concurrent.futures.TimeoutError is TimeoutError on 3.11+
            if future is not None:
                future.cancel()  # frees the slot if the download never started
            raise CertificateError(
                "certificate download timed out", f"after {self._timeout}s"
            ) from None
        except CertificateError:
            raise
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            raise CertificateError("certificate download failed", detail) from exc
        if not isinstance(pem, (bytes, bytearray)):
            detail = f"fetch returned {type(pem).__name__}"
            raise CertificateError("certificate download failed", detail)
        if len(pem) > MAX_CHAIN_BYTES:
            raise CertificateError("certificate too large", f"{len(pem)} bytes")
        return bytes(pem)

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        """The download pool, created on first use and again in a forked child.

        Worker threads do not survive ``fork`` (gunicorn forks after the app is built), so a
        pool inherited from the parent would accept work that never runs.
        """
        pid = os.getpid()
        with self._pool_lock:
            if self._pool is None or self._pool_pid != pid:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=_DOWNLOAD_WORKERS, thread_name_prefix="alexa-cert-fetch"
                )
                self._pool_pid = pid
            return self._pool

    def _validate(self, pem: bytes) -> _CachedLeaf:
        chain = _parse_chain(pem)
        leaf, intermediates = chain[0], chain[1:]
        now = self._now()
        _check_validity_dates(leaf, now)
        _check_echo_api_name(leaf)
        path = _verify_path(self._store, leaf, intermediates, now)
        return _CachedLeaf(leaf, min(cert.not_valid_after_utc for cert in path))

    def _remember(self, url: str, entry: _CachedLeaf) -> None:
        with self._cache_lock:
            if url not in self._cache and len(self._cache) >= self._max_entries:
                soonest = min(self._cache, key=lambda key: self._cache[key].expires_at)
                del self._cache[soonest]
            self._cache[url] = entry
