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

from skill.tools.devtools.conversation import fixture, now_iso
from skill.config import REPO_ROOT
from support.served import free_port

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
