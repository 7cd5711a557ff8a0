"""Downloading, validating and caching Alexa's signing certificate chain.

No test here touches the internet: ``SigningCertificates`` gets a stub ``fetch`` and a fixed
clock, and ``fetch_https`` talks to a local HTTPS server trusted through ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import ssl
from pathlib import Path

import pytest

from skill.runtime import certificates as certificates_module
from skill.runtime.certificates import (
    CertificateError,
    SigningCertificates,
    fetch_https,
    load_trust_roots,
)
from support.pki import (
    DEFAULT_URL,
    expired_chain,
    not_yet_valid_chain,
    FakeClock,
    RecordingFetch,
    TestPKI,
    pem,
    rsa_key,
    shared_pki,
    untrusted_pki,
)

OTHER_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-13.pem"


def make_store(
    pki: TestPKI, fetch: Callable[[str], bytes], clock: FakeClock, **options
) -> SigningCertificates:
    return SigningCertificates([pki.root], fetch=fetch, clock=clock, **options)


def reason_of(get: Callable[[], object]) -> str:
    with pytest.raises(CertificateError) as caught:
        get()
    return caught.value.reason


# --------------------------------------------------------------------------- trust roots


def test_a_ca_file_supplies_the_roots_and_unparseable_blocks_are_skipped(
    pki: TestPKI, tmp_path: Path
) -> None:
    junk = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    ca_file = tmp_path / "roots.pem"
    ca_file.write_bytes(junk + b"a comment line\n" + pki.root_pem())

    assert load_trust_roots(str(ca_file)) == [pki.root]


def test_an_unreadable_ca_file_is_refused_with_its_name(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-roots.pem"
    with pytest.raises(ValueError, match="no-such-roots.pem"):
        load_trust_roots(str(missing))


def test_a_ca_file_without_any_certificate_is_refused_with_its_name(tmp_path: Path) -> None:
    ca_file = tmp_path / "empty-roots.pem"
    ca_file.write_text("nothing to see here\n")
    with pytest.raises(ValueError, match="empty-roots.pem"):
        load_trust_roots(str(ca_file))


def test_without_a_ca_file_the_system_store_follows_ssl_cert_file(
    pki: TestPKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(pki.root_pem())
    empty_dir = tmp_path / "certs"
    empty_dir.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty_dir))

    assert load_trust_roots(None) == [pki.root]


# --------------------------------------------------------------------------- validation


def test_a_valid_chain_yields_its_signing_certificate(pki: TestPKI, clock: FakeClock) -> None:
    store = make_store(pki, RecordingFetch({DEFAULT_URL: pki.chain_pem()}), clock)

    assert store.get(DEFAULT_URL) == pki.leaf


def test_a_leaf_issued_directly_by_a_trusted_root_is_accepted(
    pki: TestPKI, clock: FakeClock
) -> None:
    leaf, _ = pki.issue_leaf(issuer="root")
    store = make_store(pki, RecordingFetch({DEFAULT_URL: pem(leaf)}), clock)

    assert store.get(DEFAULT_URL) == leaf


def _without_san(pki: TestPKI) -> bytes:
    return pki.chain_pem(pki.issue_leaf(san=None)[0])


def _wrong_san(pki: TestPKI) -> bytes:
    return pki.chain_pem(pki.issue_leaf(san="echo-api.amazon.com.evil.example")[0])


def _untrusted_root(pki: TestPKI) -> bytes:
    return untrusted_pki(pki).chain_pem()


def _foreign_leaf_padded_with_our_intermediate(pki: TestPKI) -> bytes:
    other = untrusted_pki(pki)
    return pem(pki.issue_leaf(issuer=other)[0], other.intermediate, pki.intermediate)


def _missing_intermediate(pki: TestPKI) -> bytes:
    return pem(pki.leaf)


def _self_signed(pki: TestPKI) -> bytes:
    return pem(pki.issue_leaf(issuer="self")[0], pki.intermediate)


def _intermediate_first(pki: TestPKI) -> bytes:
    return pem(pki.intermediate, pki.leaf)


def _valid_chain_with_a_corrupt_block(pki: TestPKI) -> bytes:
    return pki.chain_pem() + _garbage(pki)


def _garbage(pki: TestPKI) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n"


def _html_error_page(pki: TestPKI) -> bytes:
    return b"<html><body>Access Denied</body></html>"


@pytest.mark.parametrize(
    ("make_chain", "reason"),
    [
        pytest.param(expired_chain, "certificate expired or not yet valid", id="expired-leaf"),
        pytest.param(not_yet_valid_chain, "certificate expired or not yet valid", id="future-leaf"),
        pytest.param(_without_san, "certificate lacks SAN echo-api.amazon.com", id="no-san"),
        pytest.param(_wrong_san, "certificate lacks SAN echo-api.amazon.com", id="wrong-san"),
        pytest.param(
            _intermediate_first, "certificate lacks SAN echo-api.amazon.com", id="reordered"
        ),
        pytest.param(_untrusted_root, "untrusted certificate chain", id="untrusted-root"),
        pytest.param(
            _foreign_leaf_padded_with_our_intermediate,
            "untrusted certificate chain",
            id="foreign-intermediate",
        ),
        pytest.param(_missing_intermediate, "untrusted certificate chain", id="no-intermediate"),
        pytest.param(_self_signed, "untrusted certificate chain", id="self-signed"),
        pytest.param(_garbage, "certificate chain unreadable", id="garbage-pem"),
        pytest.param(
            _valid_chain_with_a_corrupt_block, "certificate chain unreadable", id="corrupt-block"
        ),
        pytest.param(_html_error_page, "certificate chain unreadable", id="not-pem"),
    ],
)
def test_a_bad_chain_is_rejected_with_a_specific_reason(
    pki: TestPKI, clock: FakeClock, make_chain: Callable[[TestPKI], bytes], reason: str
) -> None:
    store = make_store(pki, RecordingFetch({DEFAULT_URL: make_chain(pki)}), clock)

    assert reason_of(lambda: store.get(DEFAULT_URL)) == reason


@pytest.mark.parametrize(
    ("ca", "key_cert_sign"),
    [(False, True), (None, True), (True, False)],
    ids=["not-a-ca", "no-basic-constraints", "may-not-sign-certificates"],
)
def test_an_intermediate_that_may_not_issue_certificates_breaks_the_chain(
    pki: TestPKI, clock: FakeClock, ca: bool | None, key_cert_sign: bool
) -> None:
    intermediate = pki.issue_intermediate(ca=ca, key_cert_sign=key_cert_sign)
    leaf, _ = pki.issue_leaf(issuer=intermediate)
    store = make_store(pki, RecordingFetch({DEFAULT_URL: pem(leaf, intermediate[0])}), clock)

    assert reason_of(lambda: store.get(DEFAULT_URL)) == "untrusted certificate chain"


def test_a_proper_extra_intermediate_is_accepted(pki: TestPKI, clock: FakeClock) -> None:
    intermediate = pki.issue_intermediate()
    leaf, _ = pki.issue_leaf(issuer=intermediate)
    store = make_store(pki, RecordingFetch({DEFAULT_URL: pem(leaf, intermediate[0])}), clock)

    assert store.get(DEFAULT_URL) == leaf


def test_with_no_trust_roots_nothing_is_trusted(pki: TestPKI, clock: FakeClock) -> None:
    fetch = RecordingFetch({DEFAULT_URL: pki.chain_pem()})
    store = SigningCertificates([], fetch=fetch, clock=clock)

    assert reason_of(lambda: store.get(DEFAULT_URL)) == "untrusted certificate chain"


# --------------------------------------------------------------------------- downloads


def test_a_failing_download_is_reported_as_a_download_failure(
    pki: TestPKI, clock: FakeClock
) -> None:
    store = make_store(pki, RecordingFetch({}), clock)  # every URL answers "404"

    assert reason_of(lambda: store.get(DEFAULT_URL)) == "certificate download failed"


def test_a_download_over_the_size_cap_is_rejected(pki: TestPKI, clock: FakeClock) -> None:
    oversized = pki.chain_pem() + b"\n" * 65536
    store = make_store(pki, RecordingFetch({DEFAULT_URL: oversized}), clock)

    assert reason_of(lambda: store.get(DEFAULT_URL)) == "certificate too large"


def test_a_hanging_download_gives_up_within_the_timeout(pki: TestPKI, clock: FakeClock) -> None:
    release = threading.Event()
    store = make_store(pki, lambda url: release.wait(30) and b"", clock, timeout=0.3)
    try:
        started = time.monotonic()
        reason = reason_of(lambda: store.get(DEFAULT_URL))
        elapsed = time.monotonic() - started
    finally:
        release.set()

    assert reason == "certificate download timed out"
    assert elapsed < 0.3 + 1.5  # the download would hang for 30 s: this is giving up, with room for a busy machine


def test_callers_queued_behind_a_hanging_download_also_give_up_in_time(
    pki: TestPKI, clock: FakeClock
) -> None:
    release = threading.Event()
    store = make_store(pki, lambda url: release.wait(30) and b"", clock, timeout=0.3)
    outcomes: list[tuple[str, float]] = []

    def attempt() -> None:
        started = time.monotonic()
        reason = reason_of(lambda: store.get(DEFAULT_URL))
        outcomes.append((reason, time.monotonic() - started))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
    finally:
        release.set()

    assert [reason for reason, _ in outcomes] == ["certificate download timed out"] * 4
    assert max(elapsed for _, elapsed in outcomes) < 0.3 + 1.5  # not the 30 s hang


def test_a_hanging_url_does_not_hold_up_another_url(pki: TestPKI, clock: FakeClock) -> None:
    release = threading.Event()

    def fetch(url: str) -> bytes:
        if url == OTHER_URL:
            release.wait(30)
        return pki.chain_pem()

    def get_stuck_url() -> None:
        try:
            store.get(OTHER_URL)
        except CertificateError:
            pass

    store = make_store(pki, fetch, clock, timeout=1.0)
    stuck = threading.Thread(target=get_stuck_url)
    try:
        stuck.start()
        time.sleep(0.05)
        assert store.get(DEFAULT_URL) == pki.leaf
    finally:
        release.set()
        stuck.join(5)


# --------------------------------------------------------------------------- caching


def test_a_second_get_is_served_from_the_cache_without_downloading(
    pki: TestPKI, clock: FakeClock
) -> None:
    fetch = RecordingFetch({DEFAULT_URL: pki.chain_pem()})
    store = make_store(pki, fetch, clock)

    first = store.get(DEFAULT_URL)
    second = store.get(DEFAULT_URL)

    assert first is second
    assert fetch.calls == [DEFAULT_URL]


def test_a_rejected_chain_is_not_cached(pki: TestPKI, clock: FakeClock) -> None:
    fetch = RecordingFetch({DEFAULT_URL: OSError("S3 hiccup")})
    store = make_store(pki, fetch, clock)
    reason_of(lambda: store.get(DEFAULT_URL))

    fetch.responses[DEFAULT_URL] = pki.chain_pem()

    assert store.get(DEFAULT_URL) == pki.leaf
    assert len(fetch.calls) == 2


def test_an_expired_cache_entry_is_downloaded_again(pki: TestPKI, clock: FakeClock) -> None:
    short_lived, _ = pki.issue_leaf(not_after=pki.now + timedelta(hours=1))
    fetch = RecordingFetch({DEFAULT_URL: pki.chain_pem(short_lived)})
    store = make_store(pki, fetch, clock)
    store.get(DEFAULT_URL)

    clock.advance(minutes=59)
    assert store.get(DEFAULT_URL) == short_lived
    assert len(fetch.calls) == 1

    renewed, _ = pki.issue_leaf()
    fetch.responses[DEFAULT_URL] = pki.chain_pem(renewed)
    clock.advance(minutes=2)
    assert store.get(DEFAULT_URL) == renewed
    assert len(fetch.calls) == 2


def test_the_cache_lasts_only_until_the_earliest_expiry_in_the_chain(
    pki: TestPKI, clock: FakeClock
) -> None:
    # The leaf outlives its intermediate: the intermediate's expiry must end the cache entry.
    outlives_intermediate = pki.intermediate.not_valid_after_utc + timedelta(days=90)
    long_lived, _ = pki.issue_leaf(not_after=outlives_intermediate)
    fetch = RecordingFetch({DEFAULT_URL: pki.chain_pem(long_lived)})
    store = make_store(pki, fetch, clock)
    store.get(DEFAULT_URL)

    clock.now = pki.intermediate.not_valid_after_utc + timedelta(seconds=1)

    assert reason_of(lambda: store.get(DEFAULT_URL)) == "untrusted certificate chain"
    assert len(fetch.calls) == 2


def test_the_cache_is_bounded_and_evicts_the_entry_expiring_soonest(
    pki: TestPKI, clock: FakeClock
) -> None:
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{n}.pem" for n in range(3)]
    leaves = [pki.issue_leaf(not_after=pki.now + timedelta(days=days))[0] for days in (10, 20, 30)]
    fetch = RecordingFetch({url: pki.chain_pem(leaf) for url, leaf in zip(urls, leaves)})
    store = make_store(pki, fetch, clock, max_entries=2)

    for url in urls:
        store.get(url)
    assert len(store) == 2

    store.get(urls[1])
    store.get(urls[2])
    assert len(fetch.calls) == 3  # the two longest-lived entries were kept
    store.get(urls[0])
    assert len(fetch.calls) == 4  # the soonest-expiring one had been evicted


def test_concurrent_misses_on_one_url_download_it_once(pki: TestPKI, clock: FakeClock) -> None:
    fetch = RecordingFetch({DEFAULT_URL: pki.chain_pem()}, delay=0.2)
    store = make_store(pki, fetch, clock)
    barrier = threading.Barrier(8)
    results: list[object] = []

    def get() -> None:
        barrier.wait()
        results.append(store.get(DEFAULT_URL))

    threads = [threading.Thread(target=get) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert results == [pki.leaf] * 8
    assert fetch.calls == [DEFAULT_URL]


def test_a_forked_process_gets_a_fresh_download_pool(
    pki: TestPKI, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch = RecordingFetch({DEFAULT_URL: pki.chain_pem(), OTHER_URL: pki.chain_pem()})
    store = make_store(pki, fetch, clock)
    store.get(DEFAULT_URL)
    parent_pool = store._pool

    monkeypatch.setattr(certificates_module.os, "getpid", lambda: -1)  # "we are the child"

    assert store.get(OTHER_URL) == pki.leaf
    assert store._pool is not parent_pool


# --------------------------------------------------------------------------- fetch_https


class _Handler(BaseHTTPRequestHandler):
    """Routes for the local HTTPS server; ``server.chain`` and ``server.release`` are set
    by the fixture."""

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        route = {
            "/chain.pem": self._chain,
            "/large": self._large_announced,
            "/large-unannounced": self._large_unannounced,
            "/huge-promise": self._huge_promise,
            "/hang": self._hang,
            "/redirect-to-http": self._redirect_to_http,
        }.get(self.path, self._missing)
        route()

    def _chain(self) -> None:
        self._send(200, self.server.chain)  # type: ignore[attr-defined]

    def _large_announced(self) -> None:
        self._send(200, b"A" * (64 * 1024 + 1))

    def _large_unannounced(self) -> None:
        self.send_response(200)
        self.end_headers()  # HTTP/1.0, no Content-Length: the body ends when we close
        self.wfile.write(b"A" * (64 * 1024 + 1))

    def _huge_promise(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(10 * 1024 * 1024))
        self.end_headers()
        self.wfile.flush()
        self.server.release.wait(30)  # type: ignore[attr-defined]

    def _hang(self) -> None:
        self.server.release.wait(30)  # type: ignore[attr-defined]

    def _redirect_to_http(self) -> None:
        self.send_response(302)
        target = f"{self.server.plain_url}/chain.pem"  # type: ignore[attr-defined]
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _missing(self) -> None:
        self._send(404, b"not found")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # failed handshakes are the point of some tests; keep the output clean


@dataclass
class LocalServer:
    base_url: str
    roots_file: Path


@contextlib.contextmanager
def _serving(server: _QuietServer) -> Iterator[_QuietServer]:
    server.chain = shared_pki().chain_pem()  # type: ignore[attr-defined]
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def plain_http_url() -> Iterator[str]:
    """A plain-HTTP server with the same routes: what fetch_https must never talk to."""
    with _serving(_QuietServer(("127.0.0.1", 0), _Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def https_server(
    tmp_path_factory: pytest.TempPathFactory, plain_http_url: str
) -> Iterator[LocalServer]:
    """A real HTTPS server on 127.0.0.1 whose certificate (for "localhost") our test CA issued."""
    pki = shared_pki()
    directory = tmp_path_factory.mktemp("tls")
    server_cert, server_key = pki.issue_leaf(san="localhost", key=rsa_key("localhost"))
    (directory / "server.pem").write_bytes(pem(server_cert, pki.intermediate))
    (directory / "server.key").write_bytes(pki.key_pem(server_key))
    (directory / "roots.pem").write_bytes(pki.root_pem())

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.pem", directory / "server.key")
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    # Handshake lazily, in the per-connection thread, so no client can stall the accept loop.
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    server.plain_url = plain_http_url  # type: ignore[attr-defined]
    with _serving(server) as running:
        yield LocalServer(
            f"https://localhost:{running.server_address[1]}", directory / "roots.pem"
        )


@pytest.fixture
def trust_local_server(
    https_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> LocalServer:
    """Point outgoing TLS at the test root, and make sure no proxy gets in the way."""
    empty_dir = tmp_path / "no-system-certs"
    empty_dir.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(https_server.roots_file))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty_dir))
    for variable in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    return https_server


def test_fetch_https_returns_the_body_from_a_server_trusted_via_ssl_cert_file(
    trust_local_server: LocalServer,
) -> None:
    body = fetch_https(f"{trust_local_server.base_url}/chain.pem", timeout=5)

    assert body == shared_pki().chain_pem()


def test_the_default_fetch_feeds_signing_certificates_end_to_end(
    trust_local_server: LocalServer,
) -> None:
    pki = shared_pki()
    store = SigningCertificates([pki.root], timeout=5)

    assert store.get(f"{trust_local_server.base_url}/chain.pem") == pki.leaf


@pytest.mark.parametrize("path", ["/large", "/large-unannounced"])
def test_fetch_https_rejects_a_body_over_64_kib(trust_local_server: LocalServer, path: str) -> None:
    with pytest.raises(CertificateError) as caught:
        fetch_https(trust_local_server.base_url + path, timeout=5)

    assert caught.value.reason == "certificate too large"


def test_fetch_https_refuses_an_announced_oversize_body_without_reading_it(
    trust_local_server: LocalServer,
) -> None:
    started = time.monotonic()
    with pytest.raises(CertificateError) as caught:
        fetch_https(f"{trust_local_server.base_url}/huge-promise", timeout=2)

    assert caught.value.reason == "certificate too large"
    assert time.monotonic() - started < 1.0  # did not sit waiting for the body


def test_fetch_https_times_out_on_a_server_that_never_answers(
    trust_local_server: LocalServer,
) -> None:
    started = time.monotonic()
    with pytest.raises(CertificateError) as caught:
        fetch_https(f"{trust_local_server.base_url}/hang", timeout=0.5)

    assert caught.value.reason == "certificate download timed out"
    assert time.monotonic() - started < 0.5 + 1.0


def test_fetch_https_reports_an_http_error_as_a_download_failure(
    trust_local_server: LocalServer,
) -> None:
    with pytest.raises(CertificateError) as caught:
        fetch_https(f"{trust_local_server.base_url}/missing", timeout=5)

    assert caught.value.reason == "certificate download failed"


def test_fetch_https_refuses_a_server_it_does_not_trust(
    https_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign_roots = tmp_path / "foreign.pem"
    foreign_roots.write_bytes(untrusted_pki(shared_pki()).root_pem())
    monkeypatch.setenv("SSL_CERT_FILE", str(foreign_roots))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    monkeypatch.setenv("no_proxy", "*")

    with pytest.raises(CertificateError) as caught:
        fetch_https(f"{https_server.base_url}/chain.pem", timeout=5)

    assert caught.value.reason == "certificate download failed"


def test_fetch_https_refuses_a_plain_http_url(
    trust_local_server: LocalServer, plain_http_url: str
) -> None:
    with pytest.raises(CertificateError) as caught:
        fetch_https(f"{plain_http_url}/chain.pem", timeout=5)

    assert caught.value.reason == "certificate download failed"


def test_fetch_https_refuses_a_redirect_to_plain_http(trust_local_server: LocalServer) -> None:
    with pytest.raises(CertificateError) as caught:
        fetch_https(f"{trust_local_server.base_url}/redirect-to-http", timeout=5)

    assert caught.value.reason == "certificate download failed"
