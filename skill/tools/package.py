"""`backtwitch package`: the ASK CLI skill-package/ built from this repository, then checked.

The package is generated, never edited: skill.json comes from the store listing in content
(name, summary, description with the health disclaimer, example phrases, keywords, per locale),
the endpoint given on the command line, and what the code needs (the timers permission, the
SKILL_DISABLED event, the CanFulfillIntentRequest and APL interfaces); each locale's model is en-US.json
or the model generated from its overrides. `validate_package` reads the written files back, so
it checks exactly what `ask deploy` would upload.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..conversation.alexa_api import REMINDERS_SCOPE, TIMERS_SCOPE
from ..conversation.content import LocaleContent, read_locales
from ..conversation.locales import LOCALE_NAME, ModelError, language_model, load_models
from .validation.model import example_phrase_problems, model_problems

CATEGORY = "HEALTH_AND_FITNESS"
CERTIFICATE_TYPES = ("Trusted", "Wildcard", "SelfSigned")
EVENTS = ("SKILL_DISABLED",)  # SkillDisabledHandler deletes the user's data
INTERFACES = {  # what each declared interface is for, as a missing one is reported
    "CAN_FULFILL_INTENT_REQUEST": "the skill answers name-free requests (handlers/name_free.py)",
    "ALEXA_PRESENTATION_APL": "screens are sent only to devices that list Alexa.Presentation.APL (conversation/apl.py)",
}
# The viewport profiles the documents (skill/conversation/apl_documents/*.json) are laid out for, as the
# alexa-viewport-profiles package and the ASK SDK size them (width and height in dp; size classes
# XSMALL < 600, SMALL 600-959, MEDIUM 960-1279, LARGE 1280-1919, XLARGE 1920 and up): an Echo Spot,
# an Echo Show 5, the first Echo Show, an Echo Show 8 or 10 (1280 x 800), an Echo Show 15, a Fire TV.
VIEWPORTS = (
    ("hubRoundSmall", "HUB", "ROUND", (480, 599), (480, 599)),
    ("hubLandscapeSmall", "HUB", "RECTANGLE", (960, 1279), (480, 599)),
    ("hubLandscapeMedium", "HUB", "RECTANGLE", (960, 1279), (600, 959)),
    ("hubLandscapeLarge", "HUB", "RECTANGLE", (1280, 1919), (600, 959)),
    ("hubLandscapeXLarge", "HUB", "RECTANGLE", (1920, 2560), (960, 1279)),
    ("tvLandscapeXLarge", "TV", "RECTANGLE", (960, 960), (540, 540)),
)
# handlers/routine.py sets the heat-or-cold timer; handlers/reminders.py the habit reminders.
PERMISSIONS = {TIMERS_SCOPE: "the relief routine's timer", REMINDERS_SCOPE: "the habit reminders"}
DISCLAIMER_WORDS = "not medical advice"
# Where each locale's listing is offered; Alexa's en-AU model also serves New Zealand.
COUNTRIES = {"en-US": ["US"], "en-GB": ["GB"], "en-CA": ["CA"], "en-AU": ["AU", "NZ"], "en-IN": ["IN"]}
MODELS_DIR = Path("interactionModels") / "custom"


class PackageError(ValueError):
    """The package could not be built or does not pass its own checks; one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid skill package:\n  " + "\n  ".join(problems))


def build_package(content_dir: Path, model_dir: Path, endpoint: str, out: Path, certificate_type: str = "Trusted",
                  privacy_policy_url: str | None = None) -> Path:
    """Write skill-package/ to `out` (replacing what was there) and validate it; raises PackageError."""
    problems = _option_problems(endpoint, certificate_type, privacy_policy_url)
    if problems:
        raise PackageError(problems)
    try:
        models = load_models(model_dir)
    except ModelError as exc:
        raise PackageError(exc.problems) from exc
    contents = {locale: LocaleContent(locale, data) for locale, data in read_locales(content_dir).items()}
    manifest = skill_manifest(contents, models, endpoint, certificate_type, privacy_policy_url)
    _write(Path(out), manifest, models)
    problems = validate_package(Path(out))
    if problems:
        raise PackageError(problems)
    return Path(out)


def _option_problems(endpoint: str, certificate_type: str, privacy_policy_url: str | None) -> list[str]:
    problems = [f"--endpoint: {p}" for p in https_problems(endpoint)]
    if certificate_type not in CERTIFICATE_TYPES:
        problems.append(f"--certificate-type: expected one of {', '.join(CERTIFICATE_TYPES)}, got {certificate_type!r}")
    if privacy_policy_url is not None:
        problems += [f"--privacy-policy-url: {p}" for p in https_problems(privacy_policy_url, port_443=False)]
    return problems


def https_problems(url: str, port_443: bool = True) -> list[str]:
    """Alexa calls only https on port 443, with a host name."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return [f"{url!r} is not a URL ({exc})"]
    problems = []
    if parts.scheme != "https" or not parts.hostname:
        problems.append(f"{url!r} must be an https:// URL with a host")
    if port_443 and port not in (None, 443):
        problems.append(f"{url!r} must use port 443 (Alexa calls no other)")
    return problems


# --------------------------------------------------------------------------- skill.json

def skill_manifest(contents: dict[str, LocaleContent], models: dict[str, dict[str, Any]], endpoint: str,
                   certificate_type: str, privacy_policy_url: str | None) -> dict[str, Any]:
    """skill.json for an HTTPS endpoint, with a listing for every locale that has a model."""
    locales = [locale for locale in models if locale in contents]
    default = contents["en-US"]
    endpoint_json = {"uri": endpoint, "sslCertificateType": certificate_type}
    return {
        "manifest": {
            "manifestVersion": "1.0",
            "publishingInformation": {
                "locales": {locale: _listing(contents[locale]) for locale in locales},
                "isAvailableWorldwide": False,
                "distributionCountries": sorted({c for locale in locales for c in COUNTRIES.get(locale, [])}),
                "testingInstructions": default.say(default.store["testing_instructions"]),
                "category": CATEGORY,
                "distributionMode": "PUBLIC",
            },
            "privacyAndCompliance": _privacy(locales, privacy_policy_url),
            "apis": {"custom": {"endpoint": endpoint_json, "interfaces": _interfaces()}},
            "permissions": [{"name": scope} for scope in PERMISSIONS],
            "events": {"endpoint": endpoint_json, "subscriptions": [{"eventName": name} for name in EVENTS]},
        }
    }


def _interfaces() -> list[dict[str, Any]]:
    """Each interface the code uses; APL with the viewports its documents are designed for. Without
    APL declared Alexa never lists Alexa.Presentation.APL in a request, so no screen is ever sent."""
    viewports = [{"mode": mode, "shape": shape, "minWidth": width[0], "maxWidth": width[1],
                  "minHeight": height[0], "maxHeight": height[1]} for _, mode, shape, width, height in VIEWPORTS]
    return [{"type": name, **({"supportedViewports": viewports} if name == "ALEXA_PRESENTATION_APL" else {})}
            for name in INTERFACES]


def _listing(content: LocaleContent) -> dict[str, Any]:
    store = content.store
    return {
        "name": content.say(store["name"]),
        "summary": content.say(store["summary"]),
        "description": content.say(store["description"]).strip() + "\n\n" + content.say(store["disclaimer"]),
        "examplePhrases": [content.say(phrase) for phrase in store["example_phrases"]],
        "keywords": [content.say(keyword) for keyword in store["keywords"]],
    }


def _privacy(locales: list[str], privacy_policy_url: str | None) -> dict[str, Any]:
    """Nothing personal or health-related is collected: only whether the disclaimer was heard and
    where the relief routine got to (README). usesHealthInfo is for HIPAA-covered skills that
    have Amazon process health information; this skill must not, so it is false."""
    privacy: dict[str, Any] = {
        "allowsPurchases": False,
        "usesPersonalInfo": False,
        "isChildDirected": False,
        "isExportCompliant": True,
        "containsAds": False,
        "usesHealthInfo": False,
    }
    if privacy_policy_url:
        privacy["locales"] = {locale: {"privacyPolicyUrl": privacy_policy_url} for locale in locales}
    return privacy


def _write(out: Path, manifest: dict[str, Any], models: dict[str, dict[str, Any]]) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / MODELS_DIR).mkdir(parents=True)
    _dump(out / "skill.json", manifest)
    for locale, model in models.items():
        _dump(out / MODELS_DIR / f"{locale}.json", model)


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- checking a package

def validate_package(package_dir: Path) -> list[str]:
    """What is wrong with a skill-package/ directory, one line each naming the file and key."""
    package_dir = Path(package_dir)
    skill_json = package_dir / "skill.json"
    try:
        manifest = json.loads(skill_json.read_text(encoding="utf-8"))["manifest"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{skill_json}: (file): missing or not a skill manifest: {exc}"]
    models, problems = _read_models(package_dir)
    problems += _manifest_problems(skill_json, manifest)
    problems += _locale_problems(skill_json, manifest, models, package_dir)
    return problems


def _read_models(package_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    folder = package_dir / MODELS_DIR
    if not folder.is_dir():
        return {}, [f"{folder}: (directory): missing: the ASK CLI reads interaction models from here"]
    models, problems = {}, []
    for path in sorted(folder.iterdir()):
        if path.suffix != ".json" or not LOCALE_NAME.match(path.stem):
            problems.append(f"{path}: (file): not <locale>.json; the ASK CLI would not deploy it")
            continue
        try:
            models[path.stem] = json.loads(path.read_text(encoding="utf-8"))
            language_model(models[path.stem])["intents"]
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: interactionModel.languageModel: missing or unreadable: {exc}")
            models.pop(path.stem, None)
    return models, problems


def _manifest_problems(skill_json: Path, manifest: dict[str, Any]) -> list[str]:
    """Endpoint, category, compliance, permissions, events and interfaces the code depends on."""
    custom = (manifest.get("apis") or {}).get("custom") or {}
    events = manifest.get("events") or {}
    problems = [*_endpoint_problems(custom.get("endpoint"), "manifest.apis.custom.endpoint"),
                *_endpoint_problems(events.get("endpoint"), "manifest.events.endpoint"),
                *_compliance_problems(manifest), *_declaration_problems(manifest, custom, events)]
    return [f"{skill_json}: {problem}" for problem in problems]


def _compliance_problems(manifest: dict[str, Any]) -> list[str]:
    publishing = manifest.get("publishingInformation") or {}
    problems = []
    if publishing.get("category") != CATEGORY:
        problems.append(f"manifest.publishingInformation.category: expected {CATEGORY}, got {publishing.get('category')!r}")
    privacy = manifest.get("privacyAndCompliance") or {}
    for key, wanted in (("isChildDirected", False), ("usesHealthInfo", False)):
        if privacy.get(key) is not wanted:
            problems.append(f"manifest.privacyAndCompliance.{key}: expected {wanted}, got {privacy.get(key)!r}")
    return problems


def _declaration_problems(manifest: dict[str, Any], custom: dict[str, Any], events: dict[str, Any]) -> list[str]:
    """What the code relies on must be declared, or Alexa never grants or sends it."""
    granted = {p.get("name") for p in manifest.get("permissions") or []}
    subscribed = {e.get("eventName") for e in events.get("subscriptions") or []}
    declared = {i.get("type") for i in custom.get("interfaces") or []}
    return [
        *(f"manifest.permissions: {scope} is missing ({user} uses it)"
          for scope, user in PERMISSIONS.items() if scope not in granted),
        *(f"manifest.events.subscriptions: {name} is missing (disabling must delete the user's data)"
          for name in EVENTS if name not in subscribed),
        *(f"manifest.apis.custom.interfaces: {name} is missing ({why})"
          for name, why in INTERFACES.items() if name not in declared),
        *("manifest.apis.custom.interfaces: ALEXA_PRESENTATION_APL lists no supportedViewports"
          for i in custom.get("interfaces") or [] if i.get("type") == "ALEXA_PRESENTATION_APL"
          and not i.get("supportedViewports")),
    ]


def _endpoint_problems(endpoint: Any, key: str) -> list[str]:
    if not isinstance(endpoint, dict) or not endpoint.get("uri"):
        return [f"{key}: missing uri"]
    problems = [f"{key}.uri: {p}" for p in https_problems(str(endpoint["uri"]))]
    if endpoint.get("sslCertificateType") not in CERTIFICATE_TYPES:
        problems.append(f"{key}.sslCertificateType: expected one of {', '.join(CERTIFICATE_TYPES)}")
    return problems


def _locale_problems(skill_json: Path, manifest: dict[str, Any], models: dict[str, dict[str, Any]],
                     package_dir: Path) -> list[str]:
    """Every locale has a listing and a model; each listing's phrases match that model."""
    listings = (manifest.get("publishingInformation") or {}).get("locales") or {}
    problems = [f"{skill_json}: manifest.publishingInformation.locales.{locale}: missing: there is a model for it"
                for locale in sorted(set(models) - set(listings))]
    problems += [f"{package_dir / MODELS_DIR / (locale + '.json')}: (file): missing: skill.json lists {locale}"
                 for locale in sorted(set(listings) - set(models))]
    for locale in sorted(set(listings) & set(models)):
        key = f"manifest.publishingInformation.locales.{locale}"
        problems += [f"{skill_json}: {key}.{p}" for p in _listing_problems(listings[locale], models[locale])]
        problems += [f"{package_dir / MODELS_DIR / (locale + '.json')}: {k}: {p}" for k, p in model_problems(models[locale])]
    return problems


def _listing_problems(listing: dict[str, Any], model: dict[str, Any]) -> list[str]:
    problems = [f"{field}: missing or empty" for field in ("name", "summary", "description") if not listing.get(field)]
    if DISCLAIMER_WORDS not in (listing.get("description") or "").lower():
        problems.append(f"description: lacks the health disclaimer ('{DISCLAIMER_WORDS}')")
    phrases = listing.get("examplePhrases") or []
    if not 1 <= len(phrases) <= 3:
        problems.append(f"examplePhrases: give one to three, got {len(phrases)}")
    problems += [f"examplePhrases: {p}" for p in example_phrase_problems(phrases, model)]
    if not listing.get("keywords"):
        problems.append("keywords: missing or empty")
    return problems
