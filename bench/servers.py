"""gunicorn processes for the benchmark: started with the production config, watched, stopped.

Both the skill and the echo run under ``infra/gunicorn.conf.py`` with the same environment
knobs (workers, threads), bound to 127.0.0.1 on a free port, their stdout in a log file.

The echo is a plain Flask (WSGI) app. The skill's default worker (skill/runtime/worker.py) runs
its own ASGI edge and would serve a plain Flask app only through a thread pool, so the echo
keeps gunicorn's fastest WSGI worker, gevent (the production default until December 2026): the
yardstick the README's ratios were always read against.
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from skill.config import REPO_ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")
GUNICORN_CONF = REPO_ROOT / "infra" / "gunicorn.conf.py"
DEFAULT_WORKER = "skill.runtime.worker.SkillWorker"  # infra/gunicorn.conf.py's default
WORKER_CLASS = os.environ.get("GUNICORN_WORKER_CLASS", DEFAULT_WORKER)
ECHO_WORKER_CLASS = "gevent" if WORKER_CLASS == DEFAULT_WORKER else WORKER_CLASS


def worker_label(worker_class: str) -> str:
    return "uvicorn worker" if worker_class == DEFAULT_WORKER else worker_class


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One gunicorn master and its workers."""

    app: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    started_at: float = 0.0

    def start(self) -> Server:
        env = {**os.environ, **self.env, "BIND": f"127.0.0.1:{self.port}"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each server's config makes its own
        self.started_at = time.perf_counter()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([str(GUNICORN), "-c", str(GUNICORN_CONF), self.app],
                                            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def post(self, body: bytes, headers: dict[str, str], timeout: float = 5) -> tuple[int, bytes]:
        """POST ``body`` to /alexa: (status, response body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("POST", "/alexa", body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def first_answer(self, body: bytes, headers: dict[str, str], limit: float = 30) -> float:
        """Seconds from ``start`` to the first 200 answer to ``body`` (polled every 5 ms)."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            self._check_alive()
            try:
                if self.post(body, headers, timeout=limit)[0] == 200:
                    return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{self.app} gave no answer within {limit} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def worker_memory_mb(self) -> tuple[float, float]:
        """The largest worker's RSS and PSS (shared pages split between sharers), in MB."""
        rss = [_proc_kb(pid, "status", "VmRSS:") for pid in self.worker_pids()]
        pss = [_proc_kb(pid, "smaps_rollup", "Pss:") for pid in self.worker_pids()]
        return max(rss) / 1024, max(pss) / 1024

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the master and its live workers."""
        assert self.process is not None
        ticks = 0
        for pid in [self.process.pid, *self.worker_pids()]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"{self.app} exited early; see {self.log_path}")


def _proc_kb(pid: int, name: str, key: str) -> float:
    for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
        if line.startswith(key):
            return float(line.split()[1])
    return 0.0
