"""`backtwitch`: the command-line entry point for people who run and edit the skill."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .config import REPO_ROOT, Config, ConfigError
from .content import ContentError, load_content
from .slots import SlotCatalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backtwitch", description="Back Twitch Helper: Alexa skill backend.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the skill with gunicorn (infra/gunicorn.conf.py)")
    serve.add_argument("--bind", help="host:port (default 127.0.0.1:8080, or $BIND)")
    commands.add_parser("validate", help="check the content and interaction model load cleanly")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve_command(args.bind)
    return validate_command()


def serve_command(bind: str | None) -> int:
    """Replace this process with gunicorn, so signals and exit codes behave as usual."""
    if bind:
        os.environ["BIND"] = bind
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [str(gunicorn), "-c", str(REPO_ROOT / "infra" / "gunicorn.conf.py"), "skill.app:create_app()"]
    os.execv(argv[0], argv)
    return 1  # not reached


def validate_command() -> int:
    """Load content and model exactly as start-up does; print problems and fail on any."""
    try:
        config = Config.from_env()
        load_content(config.content_dir)
        SlotCatalog.from_model(config.model_dir / "en-US.json")
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (ConfigError, OSError, ValueError, KeyError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    print("content and interaction model: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
