"""The project's Lambda entry as a cold container runs it (`make bench-peers`): a fresh process
imports ``skill.runtime.lambda_handler`` and answers one event from stdin (SQLite store)."""
import json
import sys

from skill.runtime.lambda_handler import handler

if __name__ == "__main__":
    print(json.dumps(handler(json.load(sys.stdin), None)))
