"""`make bench`: the skill's full path against a bare Flask echo, in one run, on this machine.

    python bench/run.py                 # the side-by-side table, checked against the targets
    python bench/run.py --soak          # 60 s at 32 connections: every request must succeed

What runs: a throw-away PKI shaped like Amazon's; a stand-in certificate host reached through
``HTTPS_PROXY`` (skill/tools/devtools/certhost.py), so each worker downloads and validates the chain once
through the real ``fetch_https`` and then answers from its cache, as in production; the skill
under gunicorn (``infra/gunicorn.conf.py``, verification on, SQLite in a temp dir, JSON request
lines to a log file); the echo under the same settings; signed requests from whole recorded
conversations (bench/traffic.py), driven by wrk or a Python generator (bench/loadgen.py),
alternating echo and skill for several rounds and taking each one's median.

Everything listens on and talks to 127.0.0.1 only, and every load phase stops by itself.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR)]

from loadgen import LoadResult, drive, have_wrk  # noqa: E402  (bench/ modules, put on the path above)
from servers import DEFAULT_WORKER, ECHO_WORKER_CLASS, WORKER_CLASS, Server, worker_label  # noqa: E402
from traffic import SignedRequest, headers_for, record_conversations, sign_all  # noqa: E402

from skill.config import Config  # noqa: E402
from skill.runtime.app import create_app  # noqa: E402
from skill.tools.devtools.certhost import FakeCertificateHost  # noqa: E402
from skill.tools.devtools.conversation import SKILL_ID  # noqa: E402
from skill.tools.devtools.pki import CERT_URL, LocalPKI  # noqa: E402

CHAIN_PATH = "/echo.api/echo-api-cert-12.pem"
MAX_PHASE_SECONDS = 120


@dataclass(frozen=True)
class Targets:
    throughput_ratio: float = 0.75
    p99_ratio: float = 2.0
    cpu_ms: float = 0.6
    cold_start_s: float = 1.0
    rss_mb: float = 80.0


@dataclass
class Bench:
    """Shared state of one benchmark run: the PKI, the traffic, the temp dir, the options."""

    pki: LocalPKI
    host: FakeCertificateHost
    envelopes: list[dict]
    workdir: Path
    use_wrk: bool
    workers: int
    threads: int

    def signed(self) -> list[SignedRequest]:
        return sign_all(self.pki, self.envelopes)

    def skill_server(self, name: str) -> Server:
        env = {**self._gunicorn_env(), **self.host.environment(), "ALEXA_SKILL_ID": SKILL_ID,
               "ALEXA_CA_FILE": str(self.host.roots_file), "SKILL_LOG_LEVEL": "INFO",
               "SKILL_DATABASE_URL": f"sqlite:///{self.workdir / (name + '.db')}"}
        return Server("skill.runtime.app:create_app()", env, self.workdir / f"{name}.log")

    def echo_server(self) -> Server:
        return Server("bench.echo:create_echo_app()", {**self._gunicorn_env(), "GUNICORN_WORKER_CLASS": ECHO_WORKER_CLASS},
                      self.workdir / "echo.log")

    def load(self, server: Server, connections: int, seconds: float) -> LoadResult:
        return drive(server.port, self.signed(), CERT_URL, connections, seconds, self.use_wrk)

    def _gunicorn_env(self) -> dict[str, str]:
        return {"WEB_CONCURRENCY": str(self.workers), "GUNICORN_THREADS": str(self.threads)}


def worker_model(bench: Bench) -> str:
    """infra/gunicorn.conf.py's worker class (the uvicorn worker unless GUNICORN_WORKER_CLASS says otherwise)."""
    threads = f", {bench.threads} threads each" if WORKER_CLASS in ("gthread", DEFAULT_WORKER) else ""
    return f"{worker_label(WORKER_CLASS)}{threads} (echo: {worker_label(ECHO_WORKER_CLASS)})"


# --------------------------------------------------------------------------- measurements


def cold_start(bench: Bench, server: Server) -> float:
    """Seconds from spawning gunicorn to the first answered (signed, verified) launch."""
    first = bench.signed()[0]
    server.start()
    return server.first_answer(first.body, headers_for(first, CERT_URL))


@dataclass(frozen=True)
class Round:
    """One load phase against one server, and the server's CPU time per request during it."""

    load: LoadResult
    server_cpu_us: float


def side_by_side(bench: Bench, echo: Server, skill: Server, rounds: int, seconds: float,
                 connections: int) -> dict[str, list[Round]]:
    """Alternate echo and skill, so drift in the machine's speed hits both alike."""
    results: dict[str, list[Round]] = {"echo": [], "skill": []}
    for server in (echo, skill):  # warm both: first requests fill caches, connect the store
        bench.load(server, connections, min(2.0, seconds))
    for _ in range(rounds):
        for name, server in (("echo", echo), ("skill", skill)):
            cpu_before = server.cpu_seconds()
            load = bench.load(server, connections, seconds)
            cpu_us = (server.cpu_seconds() - cpu_before) / max(load.requests, 1) * 1e6
            results[name].append(Round(load, cpu_us))
    return results


def cpu_per_request(bench: Bench, count: int) -> float:
    """Milliseconds of CPU per request through the app's WSGI callable, the JSON line included."""
    with in_process(bench) as calls:
        started = time.process_time()
        for index in range(count):
            calls[index % len(calls)]()
        return (time.process_time() - started) / count * 1000


def profile(bench: Bench, count: int, top: int = 30) -> None:
    """cProfile of ``count`` requests through the app in process: where the CPU goes."""
    profiler = cProfile.Profile()
    with in_process(bench) as calls:
        profiler.enable()
        for index in range(count):
            calls[index % len(calls)]()
        profiler.disable()
    for order in ("tottime", "cumulative"):
        pstats.Stats(profiler).strip_dirs().sort_stats(order).print_stats(top)


@contextmanager
def in_process(bench: Bench) -> Iterator[list[Callable[[], None]]]:
    """The app built in this process (stdout to /dev/null), warmed up, one call per request."""
    config = Config(skill_id=SKILL_ID, ca_file=str(bench.host.roots_file), log_level="INFO",
                    cert_fetcher=lambda url: bench.pki.chain_pem(),
                    database_url=f"sqlite:///{bench.workdir / 'in-process.db'}")
    with open(os.devnull, "w") as devnull, redirect_stdout(devnull), _logging_to(devnull):
        app = create_app(config)
        calls = [_wsgi_call(app.wsgi_app, request) for request in bench.signed()]
        for index in range(max(200, len(calls))):  # warm-up: caches, connections
            calls[index % len(calls)]()
        yield calls


@contextmanager
def _logging_to(stream: io.TextIOBase) -> Iterator[None]:
    """Root log handlers (made by an earlier app in this process) write to ``stream`` meanwhile.

    The JSON lines are still formatted and written, as in production, just not to the screen.
    """
    handlers = [handler for handler in logging.getLogger().handlers if isinstance(handler, logging.StreamHandler)]
    previous = [handler.setStream(stream) for handler in handlers]
    try:
        yield
    finally:
        for handler, old in zip(handlers, previous):
            handler.setStream(old)


def _wsgi_call(wsgi: Callable, request: SignedRequest) -> Callable[[], None]:
    base = {"REQUEST_METHOD": "POST", "PATH_INFO": "/alexa", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "wsgi.url_scheme": "http", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(request.body)),
            "HTTP_SIGNATURECERTCHAINURL": CERT_URL, "HTTP_SIGNATURE_256": request.signature,
            "wsgi.errors": sys.stderr}

    def call() -> None:
        statuses: list[str] = []
        body = b"".join(wsgi({**base, "wsgi.input": io.BytesIO(request.body)},
                             lambda status, headers: statuses.append(status)))
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"in-process request failed: {statuses[0]} {body[:200]!r}")

    return call


def outcomes_in_log(path: Path) -> dict[str, int]:
    """Count the skill's JSON request lines by outcome: anything but "answered" is a failure."""
    counts: dict[str, int] = {}
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"event":"alexa_request"' in line:
            outcome = json.loads(line)["outcome"]
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --------------------------------------------------------------------------- report


def median_result(rounds: list[Round]) -> LoadResult:
    results = [r.load for r in rounds]
    return LoadResult(
        requests=int(statistics.median(r.requests for r in results)),
        seconds=statistics.median(r.seconds for r in results),
        errors=sum(r.errors for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
    )


def report(bench: Bench, rounds: dict[str, list[Round]], cpu_ms: float, cold_s: float,
           memory: tuple[float, float], args: argparse.Namespace, targets: Targets = Targets()) -> bool:
    """Print the two Markdown tables (as kept in the README); True when every target is met."""
    echo, skill = median_result(rounds["echo"]), median_result(rounds["skill"])
    pairs = list(zip(rounds["skill"], rounds["echo"]))
    rate_ratio = statistics.median(s.load.rate / e.load.rate for s, e in pairs)
    p99_ratio = statistics.median(s.load.p99_ms / e.load.p99_ms for s, e in pairs)
    cpu = {name: statistics.median(r.server_cpu_us for r in rounds[name]) for name in rounds}
    checks = [
        ("throughput, skill / echo", f"{rate_ratio:.3f}x", f">= {targets.throughput_ratio}x", rate_ratio >= targets.throughput_ratio),
        ("p99 latency, skill / echo", f"{p99_ratio:.3f}x", f"<= {targets.p99_ratio}x", p99_ratio <= targets.p99_ratio),
        ("CPU per request in process", f"{cpu_ms:.3f} ms", f"<= {targets.cpu_ms} ms", cpu_ms <= targets.cpu_ms),
        ("cold start to first answer", f"{cold_s:.2f} s", f"<= {targets.cold_start_s} s", cold_s <= targets.cold_start_s),
        ("worker RSS (largest)", f"{memory[0]:.1f} MB (PSS {memory[1]:.1f} MB)", f"<= {targets.rss_mb} MB", memory[0] <= targets.rss_mb),
        ("errors during the load", str(echo.errors + skill.errors), "0", echo.errors + skill.errors == 0),
    ]
    tool = "wrk" if bench.use_wrk else "Python load generator"
    print(f"\n{tool}, {args.connections} connections, {args.rounds} rounds x {args.seconds:g} s each, median; "
          f"gunicorn {bench.workers} workers, {worker_model(bench)}; {os.cpu_count()} cores\n")
    print("| server | requests/s | p50 ms | p99 ms | server CPU per request |\n|---|---:|---:|---:|---:|")
    for name, key, result in (("bare Flask JSON echo", "echo", echo), ("skill, full path", "skill", skill)):
        print(f"| {name} | {result.rate:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} | {cpu[key]:.0f} µs |")
    print(f"| ratio skill / echo | {rate_ratio:.2f} | {skill.p50_ms / echo.p50_ms:.2f} | {p99_ratio:.2f} | "
          f"{cpu['skill'] / cpu['echo']:.2f} |\n")
    print("throughput ratio of each pair, in order: " + ", ".join(f"{s.load.rate / e.load.rate:.3f}" for s, e in pairs)
          + "; skill CPU per request: " + ", ".join(f"{s.server_cpu_us:.0f}" for s, _ in pairs) + " µs\n")
    print("| measure | measured | target | |\n|---|---:|---:|---|")
    for name, measured, target, passed in checks:
        print(f"| {name} | {measured} | {target} | {'pass' if passed else 'FAIL'} |")
    return all(passed for *_, passed in checks)


# --------------------------------------------------------------------------- main


@contextmanager
def running(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.stop()


def benchmark(bench: Bench, args: argparse.Namespace) -> bool:
    skill = bench.skill_server("skill")
    echo = bench.echo_server()
    with running(skill, echo):
        cold_s = cold_start(bench, skill)
        echo.start().first_answer(*_echo_probe(bench))
        rounds = side_by_side(bench, echo, skill, args.rounds, args.seconds, args.connections)
        memory = skill.worker_memory_mb()
    outcomes = outcomes_in_log(skill.log_path)
    print(f"skill request lines by outcome: {outcomes}")
    cpu_ms = cpu_per_request(bench, args.cpu_requests)
    passed = report(bench, rounds, cpu_ms, cold_s, memory, args)
    return passed and set(outcomes) == {"answered"}


def _echo_probe(bench: Bench) -> tuple[bytes, dict[str, str]]:
    first = bench.signed()[0]
    return first.body, headers_for(first, CERT_URL)


def soak(bench: Bench, args: argparse.Namespace) -> bool:
    """``--soak-seconds`` at ``--soak-connections``: zero errors and every request answered."""
    skill = bench.skill_server("soak")
    with running(skill):
        cold_start(bench, skill)
        result = bench.load(skill, args.soak_connections, args.soak_seconds)
        memory = skill.worker_memory_mb()
    outcomes = outcomes_in_log(skill.log_path)
    print(f"\nsoak: {args.soak_seconds:g} s at {args.soak_connections} connections "
          f"({'wrk' if bench.use_wrk else 'Python load generator'})")
    print("| requests | requests/s | p50 ms | p99 ms | errors | outcomes in the log | worker RSS |")
    print("|---:|---:|---:|---:|---:|---|---:|")
    print(f"| {result.requests:,} | {result.rate:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} | "
          f"{result.errors} | {outcomes} | {memory[0]:.1f} MB |")
    return result.errors == 0 and set(outcomes) == {"answered"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measured round")
    parser.add_argument("--rounds", type=int, default=9, help="echo-skill pairs; the ratios are their medians")
    parser.add_argument("--cpu-requests", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="GUNICORN_THREADS (infra/gunicorn.conf.py's default: 2)")
    parser.add_argument("--users", type=int, default=8, help="recorded conversations in the mix")
    parser.add_argument("--python-load", action="store_true", help="use the Python generator even if wrk exists")
    parser.add_argument("--soak", action="store_true", help="run the soak instead of the comparison")
    parser.add_argument("--profile", type=int, metavar="N", help="only profile N requests in process (cProfile)")
    parser.add_argument("--soak-seconds", type=float, default=60.0)
    parser.add_argument("--soak-connections", type=int, default=32)
    args = parser.parse_args(argv)
    longest = max(args.seconds, args.soak_seconds if args.soak else 0)
    if longest > MAX_PHASE_SECONDS:
        parser.error(f"a load phase may last at most {MAX_PHASE_SECONDS} s: its requests are signed once, "
                     "and Alexa's replay window (150 s) would refuse them after that")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pki = LocalPKI(name="Back Twitch Bench")
    with tempfile.TemporaryDirectory(prefix="backtwitch-bench-") as directory, \
            FakeCertificateHost(pki, {CHAIN_PATH: pki.chain_pem()}) as host:
        bench = Bench(pki, host, record_conversations(args.users), Path(directory),
                      use_wrk=have_wrk() and not args.python_load, workers=args.workers, threads=args.threads)
        if args.profile:
            profile(bench, args.profile)
            return 0
        passed = soak(bench, args) if args.soak else benchmark(bench, args)
        print(f"\ncertificate chain downloads (one per worker, then cached): {len(host.downloads)}")
    print("all targets met" if passed else "SOME TARGETS MISSED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
