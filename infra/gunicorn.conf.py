"""gunicorn settings for the skill; every value can be overridden from the environment.

Alexa gives up after about 8 s, so a request that takes longer is already lost: the worker
timeout stays well under that and a stuck worker is replaced rather than left hanging.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8080")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "7"))
graceful_timeout = 10
keepalive = 5
# Build the app once in the master: broken content or config stops start-up with one clear
# message instead of every worker failing in turn.
preload_app = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("SKILL_LOG_LEVEL", "info").lower()
