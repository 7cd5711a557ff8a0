"""Drive a server on 127.0.0.1 with a fixed number of keep-alive connections for a fixed time.

``wrk`` (Debian package ``wrk``) when it is installed: it is written in C and costs the
machine little, so the numbers are the server's.  Otherwise a Python generator: processes
of threads, one keep-alive ``http.client`` connection each.  It is much hungrier than wrk, so
its absolute numbers are lower; the echo and the skill pay the same toll, which keeps the
ratio meaningful.  Both only ever talk to 127.0.0.1 and stop after ``seconds``.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from traffic import SignedRequest, headers_for, write_for_wrk

LUA_SCRIPT = Path(__file__).with_name("alexa.lua")
_PROCESSES = 2


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def drive(port: int, requests: list[SignedRequest], cert_url: str, connections: int, seconds: float,
          use_wrk: bool) -> LoadResult:
    """Load ``127.0.0.1:port`` with ``requests`` in a cycle; see the module docstring."""
    if use_wrk:
        return _drive_wrk(port, requests, cert_url, connections, seconds)
    return _drive_python(port, requests, cert_url, connections, seconds)


# --------------------------------------------------------------------------- wrk


def _drive_wrk(port: int, requests: list[SignedRequest], cert_url: str, connections: int,
               seconds: float) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as directory:
        lines = write_for_wrk(requests, Path(directory) / "requests.txt")
        command = ["wrk", f"-t{min(_PROCESSES, connections)}", f"-c{connections}", f"-d{seconds:g}s",
                   "--timeout", "5s", "-s", str(LUA_SCRIPT), f"http://127.0.0.1:{port}/alexa",
                   "--", str(lines), cert_url]
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    summary = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    return LoadResult(
        requests=summary["requests"], seconds=summary["duration_us"] / 1e6, errors=summary["errors"],
        p50_ms=summary["p50_us"] / 1000, p99_ms=summary["p99_us"] / 1000,
    )


# --------------------------------------------------------------------------- Python


def _drive_python(port: int, requests: list[SignedRequest], cert_url: str, connections: int,
                  seconds: float) -> LoadResult:
    prepared = [(r.body, headers_for(r, cert_url)) for r in requests]
    shares = [connections // _PROCESSES + (i < connections % _PROCESSES) for i in range(_PROCESSES)]
    with multiprocessing.get_context("fork").Pool(_PROCESSES) as pool:
        started = time.monotonic()
        parts = pool.starmap(_process_load, [(port, prepared, share, seconds) for share in shares if share])
        elapsed = time.monotonic() - started
    latencies = sorted(latency for part, _ in parts for latency in part)
    errors = sum(failed for _, failed in parts)
    return LoadResult(len(latencies), min(elapsed, seconds + 1), errors,
                      _percentile(latencies, 50), _percentile(latencies, 99))


def _process_load(port: int, prepared: list[tuple[bytes, dict[str, str]]], threads: int,
                  seconds: float) -> tuple[list[float], int]:
    deadline = time.monotonic() + seconds
    results: list[tuple[list[float], int]] = []
    workers = [threading.Thread(target=lambda i=i: results.append(_connection_load(port, prepared, i, deadline)))
               for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [x for part, _ in results for x in part], sum(failed for _, failed in results)


def _connection_load(port: int, prepared: list[tuple[bytes, dict[str, str]]], offset: int,
                     deadline: float) -> tuple[list[float], int]:
    """One keep-alive connection sending requests back to back until the deadline."""
    latencies: list[float] = []
    errors = 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    position = offset * 7
    while time.monotonic() < deadline:
        body, headers = prepared[position % len(prepared)]
        position += 1
        started = time.perf_counter()
        try:
            connection.request("POST", "/alexa", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            continue
        latencies.append((time.perf_counter() - started) * 1000)
    connection.close()
    return latencies, errors


def _percentile(sorted_values: list[float], percent: int) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[percent - 1]
