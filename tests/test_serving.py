"""`make run`'s server for real: gunicorn with infra/gunicorn.conf.py on a local port."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from support.served import free_port

from skill.config import REPO_ROOT
from skill.tools.devtools.conversation import fixture, now_iso

GUNICORN = Path(sys.executable).with_name("gunicorn")


def start(env_overrides: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
           "SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}", **env_overrides}
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(REPO_ROOT / "infra" / "gunicorn.conf.py"), "skill.runtime.app:create_app()"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not become ready")


@pytest.fixture
def served(tmp_path):
    process, base = start({"ALEXA_VERIFY_SIGNATURES": "false"}, tmp_path)
    try:
        wait_ready(process, base)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=10)  # waits, and closes the output pipe


def post(base: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(base + "/alexa", data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_gunicorn_serves_a_launch_request(served):
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    status, body = post(served, json.dumps(envelope).encode())
    assert status == 200
    assert "Welcome to Back Twitch Helper" in body["response"]["outputSpeech"]["ssml"]
    assert body["response"]["shouldEndSession"] is False


@pytest.mark.parametrize("worker_class", ["gevent", "gthread"])
def test_the_wsgi_workers_serve_the_same_app(tmp_path, worker_class):
    """GUNICORN_WORKER_CLASS=gevent or gthread: the same app through the WSGI edge (skill/runtime/edge.py)."""
    process, base = start({"ALEXA_VERIFY_SIGNATURES": "false", "GUNICORN_WORKER_CLASS": worker_class}, tmp_path)
    try:
        wait_ready(process, base)
        envelope = fixture("launch_request.json")
        envelope["request"]["timestamp"] = now_iso()
        status, body = post(base, json.dumps(envelope).encode())
        assert status == 200 and "Welcome" in body["response"]["outputSpeech"]["ssml"]
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_gunicorn_rejects_a_stale_request_with_400_json(served):
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = "2020-01-01T00:00:00Z"
    status, body = post(served, json.dumps(envelope).encode())
    assert status == 400 and body == {"error": "request timestamp out of tolerance"}


def test_broken_content_stops_start_up_naming_the_problem(tmp_path):
    content = tmp_path / "content" / "en-US"
    content.mkdir(parents=True)
    for source in (REPO_ROOT / "content" / "en-US").glob("*.yaml"):
        (content / source.name).write_text(source.read_text())
    (content / "common.yaml").write_text((content / "common.yaml").read_text().replace("  goodbye:", "  goodbye_typo:"))
    process, _ = start({"SKILL_CONTENT_DIR": str(tmp_path / "content")}, tmp_path)
    output, _ = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "common.yaml: phrases: 'goodbye' is a required property" in output


def _slow_clients(base: str) -> list[socket.socket]:
    """20 connections that hold the server the way slow or hostile clients do: one byte then
    silence, headers dribbled a line at a time and never finished, a body promised and never sent."""
    host, port = base.removeprefix("http://").split(":")
    openers = [
        b"G",
        b"POST /alexa HTTP/1.1\r\nHost: x\r\n",
        b"POST /alexa HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"ver",
        b"",  # connected, nothing sent
    ]
    sockets = []
    for index in range(20):
        client = socket.create_connection((host, int(port)), timeout=5)
        if openers[index % len(openers)]:
            client.sendall(openers[index % len(openers)])
        sockets.append(client)
    return sockets


def test_slow_clients_never_starve_normal_requests(served):
    """With 20 idle or dribbling connections open, every normal request is still answered within
    2 s: the worker model (infra/gunicorn.conf.py) is not held by a socket that sends nothing."""
    slow = _slow_clients(served)
    try:
        time.sleep(0.3)  # let the server accept them all
        for socket_ in slow[1::4]:
            socket_.sendall(b"X-Dribble: 1\r\n")  # another header line, still not finished
        late = []
        for index in range(20):
            started = time.monotonic()
            if index % 2:
                with urllib.request.urlopen(served + "/healthz", timeout=5) as response:
                    assert response.status == 200
            else:
                envelope = fixture("launch_request.json")
                envelope["request"]["timestamp"] = now_iso()
                status, body = post(served, json.dumps(envelope).encode())
                assert status == 200 and body["response"]["outputSpeech"]["ssml"].startswith("<speak>")
            elapsed = time.monotonic() - started
            if elapsed > 2:
                late.append((index, round(elapsed, 2)))
        assert late == []
    finally:
        for socket_ in slow:
            socket_.close()


def chunked_post(base: str, body: bytes) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", "/alexa", body=iter([body[:100], body[100:]]),
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_gunicorn_answers_a_chunked_request_and_refuses_one_over_the_limit_with_413(served):
    """gunicorn de-chunks the body (wsgi.input_terminated); skill/runtime/edge.py reads it up to the limit."""
    envelope = fixture("launch_request.json")
    envelope["request"]["timestamp"] = now_iso()
    status, answer = chunked_post(served, json.dumps(envelope).encode())
    assert status == 200 and b"Welcome to Back Twitch Helper" in answer
    envelope["padding"] = "x" * (64 * 1024)
    assert chunked_post(served, json.dumps(envelope).encode()) == (413, b'{"error":"request entity too large"}\n')


# --- the default worker (skill/runtime/worker.py): gunicorn's head limits on uvicorn's parser ---------

def raw_exchange(base: str, request: bytes, pause: float = 0.0) -> bytes:
    """Send ``request`` bytes as they are and read until the server closes (or 5 s pass)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as client:
        try:
            client.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse and close before the whole head is sent
        time.sleep(pause)
        answer = b""
        try:
            while chunk := client.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return answer


@pytest.fixture(scope="module")
def heads_served(tmp_path_factory):
    """One server for the head-limit tests below: each sends raw bytes and reads the answer, and
    none changes what the next one sees."""
    process, base = start({"ALEXA_VERIFY_SIGNATURES": "false"}, tmp_path_factory.mktemp("heads"))
    try:
        wait_ready(process, base)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=10)


def head(lines: list[bytes]) -> bytes:
    return b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(line + b"\r\n" for line in lines) + b"\r\n"


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /healthz?" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
    (head([b"X-Big: " + b"a" * 9000]), b"431"),
    (head([b"X-H%d: 1" % index for index in range(101)]), b"431"),
], ids=["request line over limit_request_line", "field over limit_request_field_size", "over limit_request_fields"])
def test_a_request_head_over_gunicorns_limits_is_refused_and_closed(heads_served, request_bytes, status):
    answer = raw_exchange(heads_served, request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status) and b"connection: close" in answer.lower()
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]


def test_a_header_that_never_ends_is_cut_off_at_the_cap(heads_served):
    """httptools holds a header until its line ends, so the per-field limit alone would never see
    one that doesn't: the worker counts the head's bytes as they arrive."""
    answer = raw_exchange(heads_served, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: " + b"a" * 1_000_000)
    assert answer.startswith(b"HTTP/1.1 431")


def test_heads_within_the_limits_and_keep_alive_still_work(heads_served):
    served = heads_served
    """100 fields of 8 KiB each are allowed (gunicorn's defaults), and one connection serves many requests."""
    near_limit = [b"X-H%d: %s" % (index, b"a" * 50) for index in range(90)] + [b"X-Big: " + b"a" * 8000]
    assert raw_exchange(served, head(near_limit)[:-2] + b"Connection: close\r\n\r\n").startswith(b"HTTP/1.1 200")
    host, port = served.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        for _ in range(5):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["status"] == "ok"
    finally:
        connection.close()
