"""A stand-in for Amazon's certificate host, reached the way production reaches it.

The signing chain URL must be ``https://s3.amazonaws.com/echo.api/...``, and nothing here may
talk to the internet.  So this is an HTTPS *proxy* on 127.0.0.1: point ``HTTPS_PROXY`` at it
and ``SSL_CERT_FILE`` at the test root, and the skill's unmodified ``fetch_https`` (urllib,
verified TLS, a ``CONNECT s3.amazonaws.com:443`` tunnel) downloads the chain from it.  Inside
the tunnel it terminates TLS itself with an ``s3.amazonaws.com`` certificate issued by the
test root and answers ``GET /echo.api/...`` from a dict.

``hang = True`` turns it into the worst kind of host: it accepts the connection and never says
a word, so the fetch can only end by its own timeout.  ``hang_paths`` does the same for some
paths only, after the tunnel and the TLS handshake.  ``holding`` is set once a connection is
being held that way, so a test knows a request is stuck inside the server.

Used by the resilience tests and by the benchmark (``bench/run.py``), with a ``LocalPKI``.
"""
from __future__ import annotations

import socket
import socketserver
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType

from .pki import LocalPKI, pem, rsa_key

CERT_HOST = "s3.amazonaws.com"
_MAX_HEAD = 16 * 1024


class FakeCertificateHost:
    """``with FakeCertificateHost(pki, {path: pem}) as host: env.update(host.environment())``."""

    def __init__(self, pki: LocalPKI, chains: dict[str, bytes]) -> None:
        self.chains = dict(chains)
        self.hang = False
        self.hang_paths: set[str] = set()
        self.holding = threading.Event()
        self.downloads: list[str] = []
        self._released = threading.Event()
        self._directory = Path(tempfile.mkdtemp(prefix="fake-s3-"))
        self.roots_file = self._directory / "roots.pem"
        self.roots_file.write_bytes(pki.root_pem())
        self._tls = self._server_context(pki)
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-s3", daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def environment(self) -> dict[str, str]:
        """Variables that send the process's certificate downloads here (and trust them)."""
        return {
            "HTTPS_PROXY": self.proxy_url, "https_proxy": self.proxy_url,
            "NO_PROXY": "localhost,127.0.0.1", "no_proxy": "localhost,127.0.0.1",
            "SSL_CERT_FILE": str(self.roots_file), "SSL_CERT_DIR": str(self._directory),
        }

    def __enter__(self) -> FakeCertificateHost:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._released.set()  # lets hanging connections go
        self._server.shutdown()
        self._server.server_close()

    def _server_context(self, pki: LocalPKI) -> ssl.SSLContext:
        certificate, key = pki.issue_leaf(san=CERT_HOST, key=rsa_key("fake s3"))
        (self._directory / "s3.pem").write_bytes(pem(certificate, pki.intermediate))
        (self._directory / "s3.key").write_bytes(pki.key_pem(key))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._directory / "s3.pem", self._directory / "s3.key")
        return context

    # -- one proxied connection -------------------------------------------------------

    def serve(self, connection: socket.socket) -> None:
        connection.settimeout(10)
        head = _read_head(connection)
        if self.hang:
            self._hold()  # accepted, and never answered
            return
        if not head.startswith(f"CONNECT {CERT_HOST}:443 ".encode()):
            connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with self._tls.wrap_socket(connection, server_side=True) as tunnel:
            self._answer(tunnel, _read_head(tunnel))

    def _hold(self) -> None:
        self.holding.set()
        self._released.wait()

    def _answer(self, tunnel: ssl.SSLSocket, head: bytes) -> None:
        parts = head.split(b" ", 2)
        path = parts[1].decode("latin-1") if len(parts) > 2 and parts[0] == b"GET" else ""
        self.downloads.append(path)
        if path in self.hang_paths:
            self._hold()
            return
        body = self.chains.get(path)
        status = b"200 OK" if body is not None else b"404 Not Found"
        body = body if body is not None else b"not found"
        tunnel.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/x-pem-file\r\n"
                       b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def _read_head(connection: socket.socket) -> bytes:
    """Bytes up to the blank line ending an HTTP request head (a GET or CONNECT has no body)."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
        chunk = connection.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up mid-tunnel is routine here


def _handler_for(host: FakeCertificateHost) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            host.serve(self.request)

    return Handler
