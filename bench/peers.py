"""`make bench-peers`: the project against Amazon's own Node.js stack, on this machine.

    python bench/peers.py            # parity check, then interleaved rounds, then the table

Three servers, each with two workers on 127.0.0.1: the bare Flask JSON echo and the project,
both under gunicorn with ``infra/gunicorn.conf.py`` (the production config), and the Node.js
peer in ``bench/peer/`` (Express, ``ask-sdk-core`` through ``ask-sdk-express-adapter``,
better-sqlite3, two cluster workers). All three get the same three request bodies, recorded
from a real conversation with the skill: a LaunchRequest, a cause question (CauseIntent with a
resolved slot) and "next" inside the relief routine. Signature and timestamp verification are
off on both skills, so the comparison is of the serving stacks and the skills' own work.

A parity check comes first: each body gets a 200 from the project and the peer with SSML
speech, a reprompt, a card and the session kept open, and both have written the user's row in
their SQLite file. Then rounds go echo, project, peer, one after the other, so a drift in the
machine's speed hits all three alike; the ratios are medians of the per-round pairs, with their
spread (lowest-highest).
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR)]

from loadgen import LoadResult, drive, have_wrk  # noqa: E402  (bench/ modules, put on the path above)
from servers import ECHO_WORKER_CLASS, WORKER_CLASS, Server, worker_label  # noqa: E402
from traffic import SignedRequest, headers_for, sign_all  # noqa: E402

from skill.config import REPO_ROOT, Config  # noqa: E402
from skill.persistence import user_key  # noqa: E402
from skill.runtime.app import create_app  # noqa: E402
from skill.runtime.snapshot import write_snapshot  # noqa: E402
from skill.tools.devtools.conversation import SKILL_ID, Conversation  # noqa: E402
from skill.tools.devtools.pki import CERT_URL, LocalPKI  # noqa: E402

PEER_DIR = BENCH_DIR / "peer"
TARGET_PEER_RATIO = 1.0  # issue: the production config at least as fast as the Node peer


class NodePeer(Server):
    """The Node.js peer: ``node bench/peer/server.js``, its primary forking the workers."""

    def start(self) -> NodePeer:
        env = {**os.environ, **self.env, "PORT": str(self.port)}
        self.started_at = time.perf_counter()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(["node", str(PEER_DIR / "server.js")], cwd=PEER_DIR, env=env,
                                            stdout=log, stderr=subprocess.STDOUT)
        return self


def record_bodies(workdir: Path) -> list[dict[str, Any]]:
    """Launch, a cause question, and "next" at step 1 of the routine, from one real conversation."""
    config = Config(skill_id=SKILL_ID, verify_signatures=False, verify_timestamps=False, log_level="ERROR",
                    database_url=f"sqlite:///{workdir / 'record.db'}")
    client = create_app(config).test_client()
    sent: list[dict[str, Any]] = []

    def post(body: bytes) -> tuple[int, dict[str, Any]]:
        sent.append(json.loads(body))
        response = client.post("/alexa", data=body, headers={"Content-Type": "application/json"})
        return response.status_code, response.get_json()

    user = Conversation(post)
    user.launch()
    user.ask("CauseIntent", cause={"value": "coffee", "id": "caffeine"})
    user.ask("ReliefIntent")
    user.ask("AMAZON.NextIntent")
    return [sent[0], sent[1], sent[3]]


def parity_problems(servers: dict[str, Server], requests: list[SignedRequest], stores: dict[str, Path],
                    user_id: str) -> list[str]:
    """What differs in kind between the project's and the peer's answers and store writes."""
    problems = []
    for request in requests:
        kind = _kind(request)
        parts = {}
        for name in ("project", "peer"):
            status, raw = servers[name].post(request.body, headers_for(request, CERT_URL))
            body = json.loads(raw or b"{}")
            response = body.get("response") or {}
            parts[name] = {
                "status": status,
                "SSML speech": str((response.get("outputSpeech") or {}).get("ssml", "")).startswith("<speak>"),
                "a reprompt": bool(response.get("reprompt")),
                "a card": bool(response.get("card")),
                "the session kept open": response.get("shouldEndSession") is False,
            }
        if parts["project"] != parts["peer"] or parts["project"]["status"] != 200:
            problems.append(f"{kind}: project {parts['project']}, peer {parts['peer']}")
    for name, path in stores.items():
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT attributes FROM user_attributes WHERE user_key = ?", (user_key(user_id),)).fetchone()
        if row is None or "routine" not in json.loads(row[0]):
            problems.append(f"{name}: the user's routine step is not in its SQLite file")
    return problems


def _kind(request: SignedRequest) -> str:
    sent = json.loads(request.body)["request"]
    return sent.get("intent", {}).get("name") or sent["type"]


WORKERS = {"WEB_CONCURRENCY": "2"}


def project_server(store: Path, workdir: Path) -> Server:
    """The project under gunicorn with its production config, verification off."""
    return Server("skill.runtime.app:create_app()", {
        **WORKERS, "ALEXA_SKILL_ID": SKILL_ID, "ALEXA_VERIFY_SIGNATURES": "false", "ALEXA_VERIFY_TIMESTAMPS": "false",
        "SKILL_LOG_LEVEL": "INFO", "SKILL_DATABASE_URL": f"sqlite:///{store}"}, workdir / "project.log")


def peer_server(store: Path, workdir: Path) -> NodePeer:
    return NodePeer("bench/peer/server.js", {"PEER_WORKERS": "2", "PEER_DB": str(store)}, workdir / "peer.log")


def process_starts(request: SignedRequest, workdir: Path, runs: int) -> dict[str, list[float]]:
    """Spawning each server (the project under gunicorn, the peer under node) to its first 200
    answer to ``request``, polled every 5 ms; fresh store each time, the two interleaved."""
    times: dict[str, list[float]] = {"project": [], "peer": []}
    for run in range(runs):
        for name, make in (("project", project_server), ("peer", peer_server)):
            server = make(workdir / f"start-{name}-{run}.db", workdir).start()
            try:
                times[name].append(server.first_answer(request.body, headers_for(request, CERT_URL)) * 1000)
            finally:
                server.stop()
    return times


def report_process_starts(times: dict[str, list[float]]) -> bool:
    print("\n| server process start to first answer | median ms | lowest-highest |\n|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.0f} | {min(values):.0f}-{max(values):.0f} |")
    ratio = statistics.median(times["project"]) / statistics.median(times["peer"])
    print(f"\n| target | measured | wanted | |\n|---|---:|---:|---|\n"
          f"| process start to first answer, project / peer | {ratio:.2f} | <= 1.0 | {'pass' if ratio <= 1 else 'FAIL'} |")
    return ratio <= 1


def cold_starts(event: dict[str, Any], workdir: Path, runs: int) -> dict[str, list[float]]:
    """Lambda-style cold starts: a fresh process that loads the skill and answers ``event``
    from stdin, timed from spawn to exit (interpreter start, imports, build, first answer).
    The project runs as the Lambda build ships it: from a words snapshot, bytecode compiled
    (one untimed run of each first writes the bytecode a deployment package would hold)."""
    python = sys.executable
    snapshot = write_snapshot(REPO_ROOT / "content", REPO_ROOT / "interaction_model", workdir / "words.json")
    lambda_env = {"SKILL_DATABASE_URL": f"sqlite:///{workdir / 'lambda.db'}", "ALEXA_SKILL_ID": SKILL_ID,
                  "SKILL_LOG_LEVEL": "WARNING"}
    commands = {
        "project": ([python, str(BENCH_DIR / "project_lambda.py")], BENCH_DIR.parent,
                    {**lambda_env, "SKILL_WORDS_SNAPSHOT": str(snapshot)}),
        "project, words read from source": ([python, str(BENCH_DIR / "project_lambda.py")], BENCH_DIR.parent, lambda_env),
        "bare ask-sdk-core (Python)": ([python, str(BENCH_DIR / "bare_lambda.py")], BENCH_DIR.parent, {}),
        "peer": (["node", str(PEER_DIR / "cold_start.js")], PEER_DIR, {"PEER_DB": str(workdir / "peer-lambda.db")}),
    }
    body = json.dumps(event).encode()
    times: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(runs + 1):
        for name, (command, cwd, env) in commands.items():
            started = time.perf_counter()
            done = subprocess.run(command, cwd=cwd, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "", **env},
                                  input=body, capture_output=True, timeout=60)
            elapsed = time.perf_counter() - started
            answer = json.loads(done.stdout or b"{}")
            if done.returncode != 0 or not (answer.get("response") or {}).get("outputSpeech"):
                raise RuntimeError(f"{name}: no answer to the launch ({done.returncode}): {done.stderr[-500:]!r}")
            if run:  # run 0 compiles and caches the bytecode
                times[name].append(elapsed * 1000)
    return times


def report_cold_starts(times: dict[str, list[float]]) -> bool:
    print("\n| Lambda-style cold start (fresh process to first answer) | median ms | lowest-highest |\n|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.0f} | {min(values):.0f}-{max(values):.0f} |")
    project = statistics.median(times["project"])
    to_peer = project / statistics.median(times["peer"])
    to_bare = project / statistics.median(times["bare ask-sdk-core (Python)"])
    print(f"\n| target | measured | wanted | |\n|---|---:|---:|---|\n"
          f"| cold start, project / peer | {to_peer:.2f} | <= 2.0 | {'pass' if to_peer <= 2 else 'FAIL'} |\n"
          f"| cold start, project / bare ask-sdk-core | {to_bare:.2f} | <= 1.5 | {'pass' if to_bare <= 1.5 else 'FAIL'} |")
    return to_peer <= 2 and to_bare <= 1.5


@dataclass(frozen=True)
class Round:
    load: LoadResult
    cpu_us: float


def rounds(servers: dict[str, Server], requests: list[SignedRequest], count: int, seconds: float,
           connections: int, use_wrk: bool) -> dict[str, list[Round]]:
    results: dict[str, list[Round]] = {name: [] for name in servers}
    for server in servers.values():  # warm-up: JITs, caches, connections to the store
        drive(server.port, requests, CERT_URL, connections, min(2.0, seconds), use_wrk)
    for _ in range(count):
        for name, server in servers.items():
            before = server.cpu_seconds()
            load = drive(server.port, requests, CERT_URL, connections, seconds, use_wrk)
            results[name].append(Round(load, (server.cpu_seconds() - before) / max(load.requests, 1) * 1e6))
    return results


def report(results: dict[str, list[Round]], memory: dict[str, float], args: argparse.Namespace, use_wrk: bool) -> bool:
    print(f"\n{'wrk' if use_wrk else 'Python load generator'}, {args.connections} connections, {args.rounds} rounds x "
          f"{args.seconds:g} s, interleaved; 2 workers each; {os.cpu_count()} cores\n")
    print("| server | requests/s | p50 ms | p99 ms | CPU per request | worker RSS |\n|---|---:|---:|---:|---:|---:|")
    labels = {"echo": f"bare Flask JSON echo (gunicorn, production config, {worker_label(ECHO_WORKER_CLASS)})",
              "project": f"the project (gunicorn, production config, {worker_label(WORKER_CLASS)})",
              "peer": "Node.js peer (Express + ask-sdk-core)"}
    for name, rows in results.items():
        print(f"| {labels[name]} | {statistics.median(r.load.rate for r in rows):,.0f} | "
              f"{statistics.median(r.load.p50_ms for r in rows):.2f} | {statistics.median(r.load.p99_ms for r in rows):.2f} | "
              f"{statistics.median(r.cpu_us for r in rows):.0f} µs | {memory[name]:.1f} MB |")
    print("\n| paired ratio | median | lowest-highest |\n|---|---:|---:|")
    ratios = {}
    for label, top, bottom, measure in (
            ("throughput, project / peer", "project", "peer", lambda r: r.load.rate),
            ("p99, project / peer", "project", "peer", lambda r: r.load.p99_ms),
            ("CPU per request, project / peer", "project", "peer", lambda r: r.cpu_us),
            ("throughput, echo / peer", "echo", "peer", lambda r: r.load.rate),
            ("throughput, project / echo", "project", "echo", lambda r: r.load.rate)):
        pairs = [measure(a) / measure(b) for a, b in zip(results[top], results[bottom]) if measure(b)]
        ratios[label] = statistics.median(pairs)
        print(f"| {label} | {ratios[label]:.2f} | {min(pairs):.2f}-{max(pairs):.2f} |")
    errors = sum(r.load.errors for rows in results.values() for r in rows)
    checks = [("throughput, project / peer", ratios["throughput, project / peer"] >= TARGET_PEER_RATIO, f">= {TARGET_PEER_RATIO}"),
              ("p99, project / peer", ratios["p99, project / peer"] <= 1.0, "<= 1.0"),
              ("errors", errors == 0, "0")]
    print("\n| target | measured | wanted | |\n|---|---:|---:|---|")
    for label, passed, wanted in checks:
        measured = f"{ratios[label]:.2f}" if label in ratios else str(errors)
        print(f"| {label} | {measured} | {wanted} | {'pass' if passed else 'FAIL'} |")
    return all(passed for _, passed, _ in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--python-load", action="store_true", help="use the Python generator even if wrk exists")
    parser.add_argument("--cold-starts", type=int, default=5, help="Lambda-style cold starts of each (0: none)")
    parser.add_argument("--process-starts", type=int, default=4,
                        help="server process starts to the first answer, of the project and the peer each (0: none)")
    args = parser.parse_args(argv)
    if not (PEER_DIR / "node_modules").is_dir():
        print("bench/peer/node_modules is missing: run `make bench-peers` (it runs npm ci first)", file=sys.stderr)
        return 2
    use_wrk = have_wrk() and not args.python_load
    with tempfile.TemporaryDirectory(prefix="backtwitch-peers-") as directory:
        workdir = Path(directory)
        bodies = record_bodies(workdir)
        user_id = bodies[0]["session"]["user"]["userId"]
        requests = sign_all(LocalPKI(name="Back Twitch Peers"), bodies)  # signed, though nobody checks here
        stores = {"project": workdir / "project.db", "peer": workdir / "peer.db"}
        servers: dict[str, Server] = {
            "echo": Server("bench.echo:create_echo_app()", {**WORKERS, "GUNICORN_WORKER_CLASS": ECHO_WORKER_CLASS},
                           workdir / "echo.log"),
            "project": project_server(stores["project"], workdir),
            "peer": peer_server(stores["peer"], workdir),
        }
        try:
            for server in servers.values():
                server.start()
            for server in servers.values():
                server.first_answer(requests[0].body, headers_for(requests[0], CERT_URL))
            problems = parity_problems(servers, requests, stores, user_id)
            if problems:
                print("parity check failed:\n  " + "\n  ".join(problems), file=sys.stderr)
                return 1
            print("parity: both skills answer launch, the cause question and 'next' with the same parts (SSML, reprompt, "
                  "card or none, session open) and save the routine step in SQLite")
            results = rounds(servers, requests, args.rounds, args.seconds, args.connections, use_wrk)
            memory = {name: server.worker_memory_mb()[0] for name, server in servers.items()}
        finally:
            for server in servers.values():
                server.stop()
        cold = cold_starts(bodies[0], workdir, args.cold_starts) if args.cold_starts else None
        spawned = process_starts(requests[0], workdir, args.process_starts) if args.process_starts else None
    served = report(results, memory, args, use_wrk)
    started = report_cold_starts(cold) if cold else True
    up = report_process_starts(spawned) if spawned else True
    return 0 if served and started and up else 1


if __name__ == "__main__":
    sys.exit(main())
