"""The skill under real gunicorn (``infra/gunicorn.conf.py``) on a free 127.0.0.1 port, for the
tests that need real worker processes: multiprocess metrics, a worker killed mid-request."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from skill.config import REPO_ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """``with Gunicorn(env) as server: server.post(body)``; stdout is kept in ``server.output()``."""

    def __init__(self, env: dict[str, str], app: str = "skill.runtime.app:create_app()") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
        self._env = {**os.environ, "BIND": f"127.0.0.1:{self.port}", **env}
        self._env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the config makes a fresh one
        self._app = app
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(REPO_ROOT / "infra" / "gunicorn.conf.py"), self._app],
            cwd=REPO_ROOT, env=self._env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self.wait_ready()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=15)
        self._log.close()
        os.unlink(self._log.name)

    def wait_ready(self, limit: float = 20) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, f"gunicorn exited:\n{self.output()}"
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"gunicorn did not become ready:\n{self.output()}")

    def output(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def request_lines(self) -> list[dict[str, Any]]:
        """The JSON request lines gunicorn's processes wrote to stdout."""
        lines = [line for line in self.output().splitlines() if line.startswith("{")]
        return [entry for entry in map(json.loads, lines) if entry.get("event") == "alexa_request"]

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, body: bytes, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, dict]:
        request = urllib.request.Request(self.base + "/alexa", data=body,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")
