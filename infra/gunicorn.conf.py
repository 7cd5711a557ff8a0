"""gunicorn settings for the skill; every value can be overridden from the environment.

Alexa gives up after about 8 s, so a request that takes longer is already lost: the worker
timeout stays well under that and a stuck worker is replaced rather than left hanging.
"""
import glob
import logging
import os
import shutil
import sys
import tempfile

from gunicorn.glogging import Logger

bind = os.environ.get("BIND", "127.0.0.1:8080")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Two threads per worker for the skill (and the PostgreSQL pool): measured with `make bench-peers`
# on 2 cores, 2 threads gave the best throughput and a p99 under the Node.js peer's; 3 and 4 let
# the threads and the event loop wait on each other for the GIL (p99 1.3x and 3.5x the peer's).
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# skill.runtime.worker.SkillWorker: gunicorn's master, uvicorn's event loop in each worker. HTTP
# is parsed in C (httptools on uvloop) and each connection is a coroutine, so a client that
# connects and then sends nothing, or dribbles its headers or body, holds only its coroutine,
# never a thread; the skill runs in GUNICORN_THREADS threads per worker, because it blocks on the
# store and on the Alexa APIs. About a quarter of gevent's CPU per request at the HTTP layer
# (README "Speed"). gunicorn's limit_request_* settings apply to it as to gunicorn's own parser.
# GUNICORN_WORKER_CLASS=gevent (a greenlet per connection) or gthread (a thread pool) serve the
# same app through the WSGI edge; behind the shipped nginx site, which buffers whole requests,
# any of them is safe.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "skill.runtime.worker.SkillWorker")
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "5"))
graceful_timeout = 10
keepalive = 5
# Build the app once in the master: broken content or config stops start-up with one clear
# message instead of every worker failing in turn.
preload_app = True
# Each Alexa request already gets one JSON line from the app (skill/observability.py), so
# gunicorn's own access line is off unless asked for (GUNICORN_ACCESS_LOG=- for stdout).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("SKILL_LOG_LEVEL", "info").lower()
# gunicorn 25.1+ opens a control socket for `gunicornc` at $XDG_RUNTIME_DIR/gunicorn.ctl, else
# ~/.gunicorn/gunicorn.ctl: one path for every gunicorn the user runs, so `make run` would write
# into the home directory unasked and a second instance (a test server, `make run` beside the
# service) would take the socket over from the first. Nothing here needs it (systemd and signals
# manage the service): off, unless GUNICORN_CONTROL_SOCKET names a path for this instance alone.
# Older gunicorn ignores both names.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


class StdoutLogger(Logger):
    """gunicorn's own messages on stdout (its "-" means stderr), with the app's and the access
    log: journald, `docker logs` and CloudWatch then keep one stream, in order.

    An exception gunicorn logs ("Error handling request") is written as its type and where it
    was raised, like the app's own (skill/logsafe.py): a traceback ends with the exception's
    message, and that may quote what a user said.
    """

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr:
                handler.setStream(sys.stdout)
            handler.setFormatter(_ExceptionSummaryFormatter(handler.formatter._fmt, handler.formatter.datefmt))


class _ExceptionSummaryFormatter(logging.Formatter):
    def formatException(self, ei):  # noqa: N802 - logging's name
        from skill.logsafe import format_exc_info

        return format_exc_info(ei)


logger_class = StdoutLogger

# /metrics from every worker, not just the one that happens to answer the scrape:
# prometheus-client's multiprocess mode keeps each process's values in files under
# PROMETHEUS_MULTIPROC_DIR and sums them on every scrape.  The variable must be set before
# prometheus_client is first imported, i.e. before the app is preloaded, which is after this
# file runs.  A directory given by the operator is emptied here: old files would be summed in.
_metrics_dir_given = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="backtwitch-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
os.makedirs(_metrics_dir, exist_ok=True)
for _stale in glob.glob(os.path.join(_metrics_dir, "*.db")):
    os.remove(_stale)


def pre_request(worker, req):
    """gunicorn's own debug line, then, under gevent, a turn for every other ready connection.

    A greenlet whose next keep-alive request has already arrived would otherwise serve it at
    once, again and again, while other connections wait: under load the median stayed low but
    one request in four waited 25-80 ms (p99 150-330 ms against 13-45 ms with gthread).
    Yielding once per request makes the order round-robin (p99 about 12 ms) for a few µs.
    """
    worker.log.debug("%s %s", req.method, req.path)
    if type(worker).__module__ == "gunicorn.workers.ggevent":
        import gevent

        gevent.sleep(0)


def child_exit(server, worker):
    """A dead worker's counters stay in the sum; only its live gauges must go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if not _metrics_dir_given:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
