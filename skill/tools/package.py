"""`backtwitch package`: the ASK CLI v2 project built from this repository, then checked.

The project is generated, never edited. In `--out`:
  ask-resources.json     the ASK CLI's project file: skill-package/ is the skill's metadata
  skill-package/         skill.json, interactionModels/custom/<locale>.json, assets/images/ (the icons)
  policies/              privacy.html and terms.html, the pages the listing links to, for any host
  .ask/ask-states.json   with --skill-id: the skill `ask deploy` updates (without one it creates a skill)
skill.json comes from the store listing in content (name, summary, description with the health
disclaimer, example phrases, keywords, per locale), the endpoint given on the command line (an
HTTPS URL or a Lambda ARN), the policy URLs (the endpoint's host serves /privacy and /terms), and
what the code needs (the timers and reminders permissions, the SKILL_DISABLED event, the
CanFulfillIntentRequest and APL interfaces); each locale's model is its language's base model
(en-US.json, es-US.json) or the model generated from its overrides. A locale of another language
than the default's links policy pages in its own words (/es-US/privacy; runtime/policies.py).
`validate_project` reads the written files back, so it checks exactly what `ask deploy --target
skill-metadata` would upload.
"""
from __future__ import annotations

import json
import re
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..conversation.alexa_api import REMINDERS_SCOPE, TIMERS_SCOPE
from ..conversation.content import LocaleContent, read_locales
from ..conversation.locales import DEFAULT_LOCALE, LOCALE_NAME, ModelError, language_model, language_of, load_models
from ..runtime.policies import PAGES, page_locales, page_path, policy_html
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
# The words of the health disclaimer each language's listing description must hold.
DISCLAIMER_WORDS = {"en": "not medical advice", "es": "consejo médico"}
# Where each locale's listing is offered; Alexa's en-AU model also serves New Zealand.
COUNTRIES = {"en-US": ["US"], "en-GB": ["GB"], "en-CA": ["CA"], "en-AU": ["AU", "NZ"], "en-IN": ["IN"],
             "es-US": ["US"], "es-MX": ["MX"], "es-ES": ["ES"]}
MODELS_DIR = Path("interactionModels") / "custom"
SKILL_PACKAGE = "skill-package"
POLICIES_DIR = "policies"
ASK_FORMAT = "2020-03-31"  # askcliResourcesVersion and askcliStatesVersion of ASK CLI v2
ASK_RESOURCES = {"askcliResourcesVersion": ASK_FORMAT, "profiles": {"default": {"skillMetadata": {"src": f"./{SKILL_PACKAGE}"}}}}
IMAGES_DIR = Path("assets") / "images"
ICONS = {"smallIconUri": 108, "largeIconUri": 512}  # the store's two icon sizes, square PNG (skill/tools/icon.py)
DEPLOY = "ask deploy --target skill-metadata"
# Where Alexa can invoke a Lambda function (the Alexa Skills Kit trigger exists only there).
LAMBDA_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")
LAMBDA_ARN = re.compile(r"arn:aws:lambda:([a-z0-9-]+):\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?")
SKILL_ID = re.compile(r"amzn1\.ask\.skill\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# What each privacyAndCompliance answer must be, and why (shown when one is wrong or missing).
COMPLIANCE = {
    "isChildDirected": (False, "the age question: the skill is not directed at children under 13"),
    "usesHealthInfo": (False, "true declares a HIPAA covered entity having Amazon process health information; "
                              "this skill stores none (README: privacy)"),
}


class PackageError(ValueError):
    """The package could not be built or does not pass its own checks; one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid skill package:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Target:
    """What the command line says about where the skill lives: exactly one of an HTTPS endpoint
    or a Lambda ARN, the policy pages' URLs (by default the endpoint's host serves them), and the
    skill `ask deploy` should update."""

    endpoint: str | None = None
    lambda_arn: str | None = None
    certificate_type: str | None = None  # --endpoint only; Trusted when not given
    privacy_url: str | None = None
    terms_url: str | None = None
    skill_id: str | None = None
    # content store.policy_host: the https site serving /privacy and /terms for a Lambda target
    policy_host: str | None = None

    def problems(self) -> list[str]:
        """What is wrong with the options, each naming its option; [] when they can be used."""
        if (self.endpoint is None) == (self.lambda_arn is None):
            return ["give exactly one of --endpoint https://HOST/alexa (a web service) "
                    "or --lambda-arn arn:aws:lambda:REGION:ACCOUNT:function:NAME (AWS Lambda)"]
        problems = []
        if self.endpoint is not None:
            problems += [f"--endpoint: {p}" for p in https_problems(self.endpoint)]
            if self.certificate_type not in (None, *CERTIFICATE_TYPES):
                problems.append(f"--certificate-type: expected one of {', '.join(CERTIFICATE_TYPES)}, "
                                f"got {self.certificate_type!r}")
        else:
            problems += [f"--lambda-arn: {p}" for p in lambda_arn_problems(str(self.lambda_arn))]
            if self.certificate_type is not None:
                problems.append("--certificate-type: only for --endpoint (Alexa calls a Lambda function without TLS)")
            missing = [option for option, url in self._policy_options() if not url]
            if missing and not self.policy_host:
                problems.append(f"--lambda-arn: give {' and '.join(missing)} too: a Lambda function has no web origin "
                                f"to serve /privacy and /terms from (any https site can host the pages this command writes "
                                f"to {POLICIES_DIR}/; content store.policy_host names one for every package)")
        for option, url in self._policy_options():
            problems += [f"{option}: {p}" for p in https_problems(url, port_443=False)] if url is not None else []
        if self.skill_id is not None and not SKILL_ID.fullmatch(self.skill_id):
            problems.append(f"--skill-id: {self.skill_id!r} is not a skill id like amzn1.ask.skill.<uuid> "
                            "(the developer console shows it under the skill's name)")
        return problems

    def _policy_options(self) -> tuple[tuple[str, str | None], ...]:
        return ("--privacy-url", self.privacy_url), ("--terms-url", self.terms_url)

    def endpoint_json(self) -> dict[str, str]:
        """manifest.apis.custom.endpoint (and events.endpoint): a Lambda ARN has no certificate."""
        if self.lambda_arn is not None:
            return {"uri": self.lambda_arn}
        return {"uri": str(self.endpoint), "sslCertificateType": self.certificate_type or "Trusted"}

    def policy_urls(self, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
        """privacyAndCompliance.locales.<locale>: the given URLs (for every locale), else the
        endpoint host's pages for that locale (/privacy, or /es-US/privacy in another language)."""
        origin = ("{0.scheme}://{0.netloc}".format(urlsplit(self.endpoint)) if self.endpoint
                  else str(self.policy_host or "").rstrip("/"))
        return {"privacyPolicyUrl": self.privacy_url or f"{origin}/{page_path(locale, 'privacy')}",
                "termsOfUseUrl": self.terms_url or f"{origin}/{page_path(locale, 'terms')}"}


def build_package(content_dir: Path, model_dir: Path, target: Target, out: Path) -> Path:
    """Write the ASK CLI project to `out` (replacing skill-package/ and policies/, keeping .ask/
    unless a skill id is given) and validate it; raises PackageError."""
    problems = target.problems()
    if problems:
        raise PackageError(problems)
    try:
        models = load_models(model_dir)
    except ModelError as exc:
        raise PackageError(exc.problems) from exc
    contents = {locale: LocaleContent(locale, data) for locale, data in read_locales(content_dir).items()}
    _write(Path(out), skill_manifest(contents, models, target), models, contents, target.skill_id)
    problems = validate_project(Path(out))
    if problems:
        raise PackageError(problems)
    return Path(out)


def summary(out: Path, target: Target) -> list[str]:
    """What was written and what to run next, for the command's output."""
    locales = sorted(p.stem for p in (out / SKILL_PACKAGE / MODELS_DIR).glob("*.json"))
    urls = target.policy_urls()
    if target.lambda_arn is not None:
        where = f"Lambda function {target.lambda_arn} (deployed by SAM from infra/aws, not by the ASK CLI)"
    else:
        where = f"{target.endpoint} (certificate {target.endpoint_json()['sslCertificateType']})"
    skill_id = deployed_skill(out)
    skill = skill_id or "none given (--skill-id): ask deploy creates a new one and keeps its id in .ask/ask-states.json"
    icons = " and ".join(f"{size}x{size}" for size in ICONS.values())
    in_other_languages = [f"{locale} (in its language): {own['privacyPolicyUrl']}; {own['termsOfUseUrl']}"
                          for locale in page_locales(locales)[1:] if (own := target.policy_urls(locale)) != urls]
    return [f"wrote {out}: ask-resources.json, {SKILL_PACKAGE}/ (skill.json, {MODELS_DIR.as_posix()}/ for {', '.join(locales)}, "
            f"{IMAGES_DIR.as_posix()}/ icons {icons}), {POLICIES_DIR}/; package checks: ok",
            f"endpoint: {where}",
            f"privacy policy: {urls['privacyPolicyUrl']}; terms of use: {urls['termsOfUseUrl']}",
            *in_other_languages,
            f"skill: {skill}",
            *_example_host_note(urls),
            f"deploy it: cd {out} && {DEPLOY}"]


def _example_host_note(urls: dict[str, str]) -> list[str]:
    """A reminder when the policy pages point at the repository's example host."""
    hosts = {urlsplit(url).hostname or "" for url in urls.values()}
    if not any(host == "example.org" or host.endswith((".example.org", ".example.com")) or host == "example.com"
               for host in hosts):
        return []
    return [f"note: the policy URLs use an example host: put {POLICIES_DIR}/ on your own https site and set "
            "store.policy_host in content/en-US/store.yaml (or --privacy-url / --terms-url) before submitting"]


def lambda_arn_problems(arn: str) -> list[str]:
    """A function ARN (optionally with a version or alias) in a region Alexa invokes."""
    match = LAMBDA_ARN.fullmatch(arn)
    if not match:
        return [f"{arn!r} is not a Lambda function ARN like arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS] "
                "(ACCOUNT is 12 digits; sam deploy prints it as SkillFunctionArn)"]
    if match.group(1) not in LAMBDA_REGIONS:
        return [f"{arn!r}: Alexa invokes Lambda functions only in {', '.join(LAMBDA_REGIONS)}, not {match.group(1)}"]
    return []


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

def skill_manifest(contents: dict[str, LocaleContent], models: dict[str, dict[str, Any]], target: Target) -> dict[str, Any]:
    """skill.json for the target's endpoint, with a listing for every locale that has a model."""
    locales = [locale for locale in models if locale in contents]
    default = contents[DEFAULT_LOCALE]
    endpoint_json = target.endpoint_json()
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
            "privacyAndCompliance": _privacy({locale: target.policy_urls(locale) for locale in locales}),
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
        **{field: f"file://{(IMAGES_DIR / _icon_name(size)).as_posix()}" for field, size in ICONS.items()},
    }


def _icon_name(size: int) -> str:
    return f"icon-{size}.png"


def _privacy(urls: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Nothing personal or health-related is collected: only whether the disclaimer was heard and
    where the relief routine got to (README; the privacy page says so). The answers COMPLIANCE
    requires, and each locale's listing links the two policy pages in its language."""
    return {
        "allowsPurchases": False,
        "usesPersonalInfo": False,
        "isExportCompliant": True,
        "containsAds": False,
        **{key: wanted for key, (wanted, _) in COMPLIANCE.items()},
        "locales": {locale: dict(locale_urls) for locale, locale_urls in urls.items()},
    }


def _write(out: Path, manifest: dict[str, Any], models: dict[str, dict[str, Any]], contents: dict[str, LocaleContent],
           skill_id: str | None) -> None:
    """Everything generated is replaced; .ask/ (the ASK CLI's record of the skill it deploys to and
    what it last uploaded) is kept, so a later package without --skill-id updates the same skill."""
    package = out / SKILL_PACKAGE
    for folder in (package, out / POLICIES_DIR):
        if folder.exists():
            shutil.rmtree(folder)
    for folder in (package / MODELS_DIR, package / IMAGES_DIR, out / POLICIES_DIR):
        folder.mkdir(parents=True)
    _dump(out / "ask-resources.json", ASK_RESOURCES)
    _dump(package / "skill.json", manifest)
    for locale, model in models.items():
        _dump(package / MODELS_DIR / f"{locale}.json", model)
    from .icon import icon_png  # Pillow ([tools] extra): the command checks it is installed first

    for size in ICONS.values():
        (package / IMAGES_DIR / _icon_name(size)).write_bytes(icon_png(size))
    for locale in page_locales(locale for locale in models if locale in contents):
        for page in PAGES:
            path = out / POLICIES_DIR / f"{page_path(locale, page)}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(policy_html(contents[locale], page), encoding="utf-8")
    if skill_id is not None and deployed_skill(out) != skill_id:
        # A state for another skill goes: its deploy hash would make ask deploy skip this one's upload.
        (out / ".ask").mkdir(exist_ok=True)
        states = {"askcliStatesVersion": ASK_FORMAT, "profiles": {"default": {"skillId": skill_id}}}
        _dump(out / ".ask" / "ask-states.json", states)


def deployed_skill(out: Path) -> str | None:
    """The skill id the ASK CLI will deploy to from this project (.ask/ask-states.json), if any."""
    try:
        skill_id = json.loads((out / ".ask" / "ask-states.json").read_text(encoding="utf-8"))["profiles"]["default"]["skillId"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return skill_id if isinstance(skill_id, str) and skill_id else None


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- checking a package

def validate_project(out: Path) -> list[str]:
    """What is wrong with an ASK CLI project: its ask-resources.json, then its skill package."""
    resources = Path(out) / "ask-resources.json"
    try:
        data = json.loads(resources.read_text(encoding="utf-8"))
        version, src = data["askcliResourcesVersion"], data["profiles"]["default"]["skillMetadata"]["src"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{resources}: (file): missing or not ASK CLI v2 resources (profiles.default.skillMetadata.src): {exc!r}"]
    problems = [] if version == ASK_FORMAT else [f"{resources}: askcliResourcesVersion: expected {ASK_FORMAT}, got {version!r}"]
    if not (Path(out) / str(src) / "skill.json").is_file():
        return [*problems, f"{resources}: profiles.default.skillMetadata.src: {src!r} holds no skill.json"]
    return problems + validate_package(Path(out) / str(src))


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
    """Amazon's certification rules for a health skill that are not per locale."""
    publishing = manifest.get("publishingInformation") or {}
    problems = []
    if publishing.get("category") != CATEGORY:
        problems.append(f"manifest.publishingInformation.category: expected {CATEGORY}, got {publishing.get('category')!r}")
    if not str(publishing.get("testingInstructions") or "").strip():
        problems.append("manifest.publishingInformation.testingInstructions: missing: the certification team reads "
                        "them to test the skill (content store.testing_instructions)")
    privacy = manifest.get("privacyAndCompliance") or {}
    for key, (wanted, why) in COMPLIANCE.items():
        if privacy.get(key) is not wanted:
            problems.append(f"manifest.privacyAndCompliance.{key}: expected {wanted}, got {privacy.get(key)!r} ({why})")
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
    """An https URL on 443 with a certificate type, or a Lambda ARN with none."""
    if not isinstance(endpoint, dict) or not endpoint.get("uri"):
        return [f"{key}: missing uri"]
    uri = str(endpoint["uri"])
    if uri.startswith("arn:"):
        problems = [f"{key}.uri: {p}" for p in lambda_arn_problems(uri)]
        if "sslCertificateType" in endpoint:
            problems.append(f"{key}.sslCertificateType: only for an https endpoint, not a Lambda ARN")
        return problems
    problems = [f"{key}.uri: {p}" for p in https_problems(uri)]
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
    policies = ((manifest.get("privacyAndCompliance") or {}).get("locales")) or {}
    for locale in sorted(set(listings) & set(models)):
        key = f"manifest.publishingInformation.locales.{locale}"
        problems += [f"{skill_json}: {key}.{p}" for p in _listing_problems(listings[locale], models[locale], locale)]
        problems += [f"{skill_json}: {key}.{p}" for p in _icon_problems(listings[locale], package_dir)]
        problems += [f"{skill_json}: manifest.privacyAndCompliance.locales.{locale}.{p}"
                     for p in _policy_problems(policies.get(locale))]
        problems += [f"{package_dir / MODELS_DIR / (locale + '.json')}: {k}: {p}" for k, p in model_problems(models[locale])]
    return problems


def _policy_problems(urls: Any) -> list[str]:
    """Both pages, on https: a health skill is not certified without a privacy policy."""
    urls = urls if isinstance(urls, dict) else {}
    problems = []
    for field in ("privacyPolicyUrl", "termsOfUseUrl"):
        if not urls.get(field):
            problems.append(f"{field}: missing (the app serves /privacy and /terms; or --privacy-url, --terms-url)")
        else:
            problems += [f"{field}: {p}" for p in https_problems(str(urls[field]), port_443=False)]
    return problems


def _icon_problems(listing: dict[str, Any], package_dir: Path) -> list[str]:
    """Each icon is a file of the package (file://assets/images/...) that is a PNG of its size,
    or an https URL (Amazon fetches and checks those)."""
    problems = []
    for field, size in ICONS.items():
        uri = str(listing.get(field) or "")
        if uri.startswith("https://"):
            continue
        if not uri.startswith("file://"):
            problems.append(f"{field}: expected file://{IMAGES_DIR.as_posix()}/NAME.png or an https URL, got {uri!r}")
            continue
        found = _png_size(package_dir / uri.removeprefix("file://"))
        if found != (size, size):
            problems.append(f"{field}: {uri} must be a {size}x{size} PNG, " +
                            (f"is {found[0]}x{found[1]}" if found else "is missing or not a PNG"))
    return problems


def _png_size(path: Path) -> tuple[int, int] | None:
    """Width and height from a PNG's header (signature, then the IHDR chunk); None if it is no PNG."""
    try:
        with path.open("rb") as file:
            head = file.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _listing_problems(listing: dict[str, Any], model: dict[str, Any], locale: str = DEFAULT_LOCALE) -> list[str]:
    problems = [f"{field}: missing or empty" for field in ("name", "summary", "description") if not listing.get(field)]
    disclaimer = DISCLAIMER_WORDS.get(language_of(locale), DISCLAIMER_WORDS[language_of(DEFAULT_LOCALE)])
    if disclaimer not in (listing.get("description") or "").lower():
        problems.append(f"description: lacks the health disclaimer ('{disclaimer}')")
    phrases = listing.get("examplePhrases") or []
    if not 1 <= len(phrases) <= 3:
        problems.append(f"examplePhrases: give one to three, got {len(phrases)}")
    problems += [f"examplePhrases: {p}" for p in example_phrase_problems(phrases, model, locale)]
    if not listing.get("keywords"):
        problems.append("keywords: missing or empty")
    return problems
