"""`backtwitch`: the command-line entry point for people who run, edit and publish the skill.

    backtwitch serve [--bind HOST:PORT]          the skill behind gunicorn
    backtwitch validate [--content D --model D]  content and interaction models, fully checked
    backtwitch chat [--locale L] [--script F] [--speak] [--screen]   talk to the skill offline
    backtwitch package (--endpoint https://HOST/alexa | --lambda-arn ARN) [--out DIR]   the ASK CLI project
    backtwitch nlu-eval [--locale L ...] [--model D] [--export DIR]   held-out NLU evaluation
    backtwitch snapshot --out FILE [--content D --model D]   words compiled for a fast start
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from ..config import REPO_ROOT, Config, ConfigError
from ..conversation.content import ContentError, read_locales
from ..conversation.locales import DEFAULT_LOCALE, ModelError, load_model, model_locales

DEFAULT_PACKAGE_DIR = Path("build") / "ask"


def main(argv: list[str] | None = None) -> int:
    """Run one command; its return value is the process exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"invalid configuration: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backtwitch", description="Back Twitch Helper: Alexa skill backend and tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the skill with gunicorn (infra/gunicorn.conf.py)")
    serve.add_argument("--bind", help="host:port (default 127.0.0.1:8080, or $BIND)")
    serve.set_defaults(run=lambda a: serve_command(a.bind))

    validate = commands.add_parser("validate", help="check content, interaction models and every rendered text")
    _source_options(validate)
    validate.set_defaults(run=lambda a: validate_command(*_sources(a)))

    chat = commands.add_parser("chat", help="talk to the skill offline, or play transcripts that check it")
    chat.add_argument("--locale", help="en-US (default), en-GB, en-CA, en-AU, en-IN, es-US, es-MX or es-ES; "
                                       "overrides a script's @locale")
    chat.add_argument("--script", type=Path, action="append", default=[], metavar="FILE",
                      help="play this transcript and check its expectations (repeatable); exit 1 on a failure")
    chat.add_argument("--speak", action="store_true", help="read replies aloud with espeak-ng, when installed")
    chat.add_argument("--screen", action="store_true",
                      help="talk through an Echo Show 8: print each reply's screen; 'touch LABEL' presses a button")
    chat.set_defaults(run=chat_command)

    package = commands.add_parser("package", help="write and check the ASK CLI project (skill-package/, ask-resources.json)")
    package.add_argument("--endpoint", help="the skill's HTTPS endpoint, e.g. https://HOST/alexa (or --lambda-arn)")
    package.add_argument("--lambda-arn", help="the skill's AWS Lambda function (or --endpoint), "
                                              "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS]")
    package.add_argument("--out", type=Path, default=DEFAULT_PACKAGE_DIR,
                         help=f"the ASK CLI project directory (default {DEFAULT_PACKAGE_DIR})")
    package.add_argument("--certificate-type", help="with --endpoint: Trusted (default), Wildcard or SelfSigned")
    package.add_argument("--privacy-url", help="https URL of the privacy policy (default: the endpoint's host /privacy)")
    package.add_argument("--terms-url", help="https URL of the terms of use (default: the endpoint's host /terms)")
    package.add_argument("--skill-id", help="the skill ask deploy updates, amzn1.ask.skill.... (default: it creates one)")
    _source_options(package)
    package.set_defaults(run=package_command)

    nlu = commands.add_parser("nlu-eval", help="score each locale's model on held-out utterances (interaction_model/nlu/)")
    nlu.add_argument("--locale", action="extend", nargs="+", default=[], metavar="L",
                     help="only these locales (repeatable; default: every locale of the model)")
    nlu.add_argument("--model", type=Path, help="interaction model directory (default $SKILL_MODEL_DIR or interaction_model/)")
    nlu.add_argument("--export", type=Path, metavar="DIR",
                     help="instead of scoring, write <locale>.json annotation sets for Amazon's NLU Evaluation Tool")
    nlu.set_defaults(run=nlu_eval_command)

    models = commands.add_parser("models", help="write interaction_model/<locale>.json for every locale built from "
                                                "its base and overrides/ (validate checks they are current)")
    _source_options(models)
    models.set_defaults(run=lambda a: models_command(_sources(a)[1]))
    snapshot = commands.add_parser("snapshot", help="compile content and models, checked, into one file for "
                                                    "SKILL_WORDS_SNAPSHOT (a faster cold start)")
    snapshot.add_argument("--out", type=Path, required=True, help="the snapshot file to write (JSON)")
    _source_options(snapshot)
    snapshot.set_defaults(run=lambda a: snapshot_command(*_sources(a), a.out))
    return parser


def _source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", type=Path, help="content directory (default $SKILL_CONTENT_DIR or content/)")
    parser.add_argument("--model", type=Path, help="interaction model directory (default $SKILL_MODEL_DIR or interaction_model/)")


def _sources(args: argparse.Namespace) -> tuple[Path, Path]:
    """The directories to read: options first, then the environment, then the repository's
    (relative to the working directory when inside it, so messages name short paths)."""
    config = Config.from_env()
    return _short(args.content or config.content_dir), _short(args.model or config.model_dir)


def _short(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def serve_command(bind: str | None) -> int:
    """Replace this process with gunicorn, so signals and exit codes behave as usual."""
    if bind:
        os.environ["BIND"] = bind
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [str(gunicorn), "-c", str(REPO_ROOT / "infra" / "gunicorn.conf.py"), "skill.runtime.app:create_app()"]
    os.execv(argv[0], argv)
    return 1  # not reached


def models_command(model_dir: Path) -> int:
    """Each built model written next to its sources; non-zero when a model cannot be built."""
    from ..conversation.locales import built_models

    try:
        written = built_models(model_dir)
    except ModelError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    print(f"wrote {', '.join(str(path) for path in written)} (built from their bases and {model_dir}/overrides/)")
    return 0


def snapshot_command(content_dir: Path, model_dir: Path, out: Path) -> int:
    """The checks start-up makes, once, and their result in one file; non-zero on a problem."""
    from ..runtime.snapshot import source_hash, write_snapshot

    try:
        write_snapshot(content_dir, model_dir, out)
    except (ContentError, ModelError) as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    print(f"wrote {out} (sources {source_hash(content_dir, model_dir)[:12]}); serve it with SKILL_WORDS_SNAPSHOT={out}")
    return 0


def validate_command(content_dir: Path, model_dir: Path) -> int:
    """Every check, every problem on its own line (file: key: problem); non-zero on any."""
    from .validation import validate_repository

    report = validate_repository(content_dir, model_dir)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


def chat_command(args: argparse.Namespace) -> int:
    """Imported late: the chat pulls in the whole app, which `serve` must not build twice."""
    from .chat import chat_command as chat

    return chat(args.locale, args.script, args.speak, screen=args.screen)


def _policy_host(content_dir: Path) -> str | None:
    """content store.policy_host (en-US), or None when unset or the content can't be read (validate says why)."""
    try:
        store = read_locales(content_dir)[DEFAULT_LOCALE]["store"]["store"]
    except (ContentError, KeyError, OSError):
        return None
    host = store.get("policy_host")
    return host if isinstance(host, str) else None


def package_command(args: argparse.Namespace) -> int:
    """Refuse to package a repository that doesn't validate; then write and check the project."""
    from .package import PackageError, Target, build_package, summary

    if importlib.util.find_spec("PIL") is None:
        print("backtwitch package draws the skill's icons with Pillow, which is not installed: "
              "make install EXTRAS=tools (or pip install -e '.[tools]')", file=sys.stderr)
        return 2
    content_dir, model_dir = _sources(args)
    target = Target(args.endpoint, args.lambda_arn, args.certificate_type, args.privacy_url, args.terms_url, args.skill_id,
                    _policy_host(content_dir))
    if target.problems():
        print("\n".join(target.problems()), file=sys.stderr)
        return 2
    if validate_command(content_dir, model_dir) != 0:
        print("not packaged: fix the problems above first", file=sys.stderr)
        return 1
    try:
        out = build_package(content_dir, model_dir, target, args.out)
    except (PackageError, ContentError, ModelError) as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    print("\n".join(summary(out, target)))
    return 0


def nlu_eval_command(args: argparse.Namespace) -> int:
    """Score every requested locale (exit 1 when a gate fails), or export the annotation sets."""
    from .validation import nlu_eval

    model_dir = _short(args.model or Config.from_env().model_dir)
    available = model_locales(model_dir)
    locales = list(dict.fromkeys(args.locale)) or available
    unknown = [locale for locale in locales if locale not in available]
    if unknown:
        print(f"no such locale in {model_dir}: {', '.join(unknown)} (there are {', '.join(available)})", file=sys.stderr)
        return 2
    if args.export is not None:
        return _nlu_export(model_dir, locales, args.export)
    if not nlu_eval.sklearn_available():
        print("backtwitch nlu-eval needs scikit-learn, which is not installed: pip install -e '.[test]' "
              "(or '.[tools]' for the tools alone)", file=sys.stderr)
        return 2
    failed = []
    for locale in locales:
        try:
            report = nlu_eval.evaluate_locale(load_model(model_dir, locale), model_dir, locale)
        except ModelError as exc:
            print("\n".join(exc.problems), file=sys.stderr)
            failed.append(locale)
            continue
        print(report.render(), end="\n\n")
        if not report.ok:
            failed.append(locale)
    gates = (f"in-domain accuracy >= {nlu_eval.MIN_ACCURACY:.0%}, every emergency recognised, no out-of-domain "
             f"utterance in {' or '.join(nlu_eval.NEVER_OUT_OF_DOMAIN)}, no held-out utterance among the samples")
    if failed:
        print(f"nlu-eval: {', '.join(failed)} failed the gates ({gates})", file=sys.stderr)
        return 1
    print(f"nlu-eval: ok: {', '.join(locales)} pass{'es' if len(locales) == 1 else ''} the gates ({gates})")
    return 0


def _nlu_export(model_dir: Path, locales: list[str], out: Path) -> int:
    """One annotation set per locale; a locale whose file doesn't fit its model is not written."""
    from .validation import nlu_eval

    problems, written = [], []
    for locale in locales:
        try:
            path, found = nlu_eval.write_annotation_set(load_model(model_dir, locale), model_dir, locale, out)
        except (ModelError, nlu_eval.AnnotationError) as exc:
            problems += exc.problems
            continue
        problems += found
        if path is not None:
            written.append(path)
            print(f"wrote {path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if written:
        print("upload each with the ASK CLI and evaluate the built model with it (ID is the id the first command "
              "returns):\n"
              "  ask smapi create-nlu-annotation-set -s SKILL_ID -l LOCALE --name back-twitch-helper-LOCALE\n"
              "  ask smapi update-annotations-for-nlu-annotation-sets -s SKILL_ID --annotation-id ID "
              f"--content-type application/json --update-nlu-annotation-set-annotations-request file:{out}/LOCALE.json\n"
              "  ask smapi create-nlu-evaluations -s SKILL_ID -l LOCALE -g development --source-annotation-id ID\n"
              "  ask smapi get-result-for-nlu-evaluations -s SKILL_ID --evaluation-id EVALUATION_ID")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
