"""`backtwitch package`: an ASK CLI v2 project (ask-resources.json, skill-package/ with icons, the
policy pages) for an HTTPS endpoint or a Lambda function that passes its own checks and loads into
Amazon's SMAPI model classes, and checks that catch each way a package can be wrong."""
from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.conversation.alexa_api import REMINDERS_SCOPE, TIMERS_SCOPE
from skill.tools.cli import main
from skill.config import REPO_ROOT
from skill.conversation.locales import load_model
from skill.tools.package import PackageError, Target, build_package, validate_package, validate_project

ENDPOINT = "https://skill.example.com/alexa"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:backtwitch"
SKILL = "amzn1.ask.skill.12345678-90ab-cdef-1234-567890abcdef"
LOCALES = ["en-AU", "en-CA", "en-GB", "en-IN", "en-US", "es-ES", "es-MX", "es-US"]
NUMBERS = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000, or 111 in New Zealand", "en-IN": "112",
           "es-US": "911", "es-MX": "911", "es-ES": "112"}
# Per language: the disclaimer, the emergency sentence, the first example phrase and the name.
LISTING_WORDS = {"en": ("It is not medical advice", "In an emergency, call {}.", "Alexa, open back twitch helper",
                        "Back Twitch Helper"),
                 "es": ("No es consejo médico", "En una emergencia, llame al {}.", "Alexa, abre espasmos de espalda",
                        "Espasmos de Espalda")}


def build(out: Path, **target: Any) -> Path:
    return build_package(REPO_ROOT / "content", REPO_ROOT / "interaction_model", Target(**target), out)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("build") / "ask", endpoint=ENDPOINT)


@pytest.fixture(scope="module")
def lambda_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("build") / "ask", lambda_arn=LAMBDA_ARN, privacy_url="https://example.org/p.html",
                 terms_url="https://example.org/t.html", skill_id=SKILL)


@pytest.fixture(scope="module")
def package(project: Path) -> Path:
    return project / "skill-package"


@pytest.fixture
def copy(package: Path, tmp_path: Path) -> Path:
    target = tmp_path / "skill-package"
    shutil.copytree(package, target)
    return target


def manifest(package: Path) -> dict[str, Any]:
    return json.loads((package / "skill.json").read_text())["manifest"]


def edit_manifest(package: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    data = json.loads((package / "skill.json").read_text())
    change(data["manifest"])
    (package / "skill.json").write_text(json.dumps(data))


# --- what is written -------------------------------------------------------------------------

def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_the_layout_is_an_ask_cli_project(project):
    spanish_pages = [f"policies/{locale}/{page}.html" for locale in ("es-ES", "es-MX", "es-US") for page in ("privacy", "terms")]
    assert files(project) == ["ask-resources.json", *spanish_pages, "policies/privacy.html", "policies/terms.html",
                              "skill-package/assets/images/icon-108.png", "skill-package/assets/images/icon-512.png",
                              *(f"skill-package/interactionModels/custom/{locale}.json" for locale in LOCALES),
                              "skill-package/skill.json"]


@pytest.mark.parametrize("which", ["project", "lambda_project"])
def test_ask_resources_point_the_ask_cli_at_the_skill_package(request, which):
    resources = json.loads((request.getfixturevalue(which) / "ask-resources.json").read_text())
    assert resources == {"askcliResourcesVersion": "2020-03-31",
                         "profiles": {"default": {"skillMetadata": {"src": "./skill-package"}}}}


def test_a_skill_id_tells_ask_deploy_which_skill_to_update(lambda_project, project):
    states = json.loads((lambda_project / ".ask" / "ask-states.json").read_text())
    assert states == {"askcliStatesVersion": "2020-03-31", "profiles": {"default": {"skillId": SKILL}}}
    assert not (project / ".ask").exists()  # without one, ask deploy creates the skill


def test_packaging_again_keeps_what_the_ask_cli_recorded_and_replaces_the_rest(tmp_path):
    out = build(tmp_path / "ask", endpoint=ENDPOINT)
    (out / ".ask").mkdir()
    recorded = {"askcliStatesVersion": "2020-03-31", "profiles": {"default": {"skillId": SKILL, "skillMetadata": {
        "lastDeployHash": "abc"}}}}
    (out / ".ask" / "ask-states.json").write_text(json.dumps(recorded))
    (out / "skill-package" / "stray.json").write_text("{}")
    build(out, endpoint=ENDPOINT, skill_id=SKILL)
    assert json.loads((out / ".ask" / "ask-states.json").read_text()) == recorded
    assert not (out / "skill-package" / "stray.json").exists()
    other = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
    build(out, endpoint=ENDPOINT, skill_id=other)  # another skill: its hash must not skip the upload
    assert json.loads((out / ".ask" / "ask-states.json").read_text())["profiles"] == {"default": {"skillId": other}}


@pytest.mark.parametrize("size", [108, 512])
def test_the_icons_are_square_pngs_of_the_store_sizes(package, size):
    from PIL import Image

    with Image.open(package / "assets" / "images" / f"icon-{size}.png") as icon:
        assert (icon.format, icon.size, icon.mode) == ("PNG", (size, size), "RGB")
        colours = icon.getcolors(maxcolors=size * size)
    assert colours and len(colours) > 20  # drawn and antialiased, not a flat square


@pytest.mark.parametrize("locale", LOCALES)
def test_every_listing_points_at_the_icons_as_the_ask_cli_expects(package, locale):
    listing = manifest(package)["publishingInformation"]["locales"][locale]
    assert listing["smallIconUri"] == "file://assets/images/icon-108.png"
    assert listing["largeIconUri"] == "file://assets/images/icon-512.png"


def test_the_policy_pages_default_to_the_endpoint_host_each_locale_in_its_language(package):
    def pages(locale: str) -> str:
        return "https://skill.example.com" + ("" if locale.startswith("en-") else f"/{locale}")

    assert manifest(package)["privacyAndCompliance"]["locales"] == {locale: {
        "privacyPolicyUrl": f"{pages(locale)}/privacy", "termsOfUseUrl": f"{pages(locale)}/terms"} for locale in LOCALES}


def test_the_policy_pages_written_are_the_ones_the_app_serves(project, app):
    for page in ("privacy", "terms"):
        assert (project / "policies" / f"{page}.html").read_text() == app.test_client().get(f"/{page}").get_data(as_text=True)
        for locale in ("es-ES", "es-MX", "es-US"):  # a Spanish listing links pages in Spanish
            written = (project / "policies" / locale / f"{page}.html").read_text()
            assert f'lang="{locale}"' in written
            assert written == app.test_client().get(f"/{locale}/{page}").get_data(as_text=True)


def test_the_package_passes_its_own_checks(package):
    assert validate_package(package) == []


def test_the_endpoint_is_https_with_a_certificate_type_for_requests_and_events(package):
    apis = manifest(package)["apis"]["custom"]
    assert apis["endpoint"] == {"uri": ENDPOINT, "sslCertificateType": "Trusted"}
    assert manifest(package)["events"]["endpoint"] == apis["endpoint"]


def test_a_lambda_endpoint_is_the_arn_alone_with_the_given_policy_pages(lambda_project):
    declared = manifest(lambda_project / "skill-package")
    assert declared["apis"]["custom"]["endpoint"] == declared["events"]["endpoint"] == {"uri": LAMBDA_ARN}
    assert declared["privacyAndCompliance"]["locales"]["en-GB"] == {
        "privacyPolicyUrl": "https://example.org/p.html", "termsOfUseUrl": "https://example.org/t.html"}
    assert validate_project(lambda_project) == []


def test_the_alias_arn_sam_prints_is_accepted(tmp_path):
    out = build(tmp_path / "ask", lambda_arn=LAMBDA_ARN + ":live", privacy_url="https://e.org/p", terms_url="https://e.org/t")
    assert manifest(out / "skill-package")["apis"]["custom"]["endpoint"] == {"uri": LAMBDA_ARN + ":live"}


def test_given_policy_urls_override_the_endpoint_host(tmp_path):
    out = build(tmp_path / "ask", endpoint=ENDPOINT, certificate_type="SelfSigned", privacy_url="https://example.org/privacy")
    declared = manifest(out / "skill-package")
    assert declared["privacyAndCompliance"]["locales"]["en-US"] == {
        "privacyPolicyUrl": "https://example.org/privacy", "termsOfUseUrl": "https://skill.example.com/terms"}
    assert declared["apis"]["custom"]["endpoint"]["sslCertificateType"] == "SelfSigned"


def test_what_the_code_uses_is_declared(package):
    declared = manifest(package)
    assert declared["permissions"] == [{"name": TIMERS_SCOPE}, {"name": REMINDERS_SCOPE}]
    assert declared["events"]["subscriptions"] == [{"eventName": "SKILL_DISABLED"}]
    interfaces = declared["apis"]["custom"]["interfaces"]
    assert [i["type"] for i in interfaces] == ["CAN_FULFILL_INTENT_REQUEST", "ALEXA_PRESENTATION_APL"]
    assert interfaces[0] == {"type": "CAN_FULFILL_INTENT_REQUEST"}


def viewport(mode: str, shape: str, width: tuple[int, int], height: tuple[int, int]) -> dict[str, Any]:
    return {"mode": mode, "shape": shape, "minWidth": width[0], "maxWidth": width[1],
            "minHeight": height[0], "maxHeight": height[1]}


def test_apl_is_declared_with_the_viewports_the_documents_are_laid_out_for(package):
    apl = manifest(package)["apis"]["custom"]["interfaces"][1]
    assert apl == {"type": "ALEXA_PRESENTATION_APL", "supportedViewports": [
        viewport("HUB", "ROUND", (480, 599), (480, 599)),  # hubRoundSmall: Echo Spot
        viewport("HUB", "RECTANGLE", (960, 1279), (480, 599)),  # hubLandscapeSmall: Echo Show 5
        viewport("HUB", "RECTANGLE", (960, 1279), (600, 959)),  # hubLandscapeMedium: Echo Show (1st gen)
        viewport("HUB", "RECTANGLE", (1280, 1919), (600, 959)),  # hubLandscapeLarge: Echo Show 8 and 10
        viewport("HUB", "RECTANGLE", (1920, 2560), (960, 1279)),  # hubLandscapeXLarge: Echo Show 15
        viewport("TV", "RECTANGLE", (960, 960), (540, 540)),  # tvLandscapeXLarge: Fire TV
    ]}


def test_the_screen_device_the_chat_and_tests_use_is_a_declared_viewport(package):
    """The Echo Show 8 profile (skill/tools/devtools/envelopes/devices/) is a device the manifest
    says the screens are for, so what the chat shows is what such a device would get."""
    device = json.loads((REPO_ROOT / "skill" / "tools" / "devtools" / "envelopes" / "devices" / "echo_show_8.json").read_text())
    seen = device["Viewport"]
    width, height = (seen["pixelWidth"] * 160 // seen["dpi"], seen["pixelHeight"] * 160 // seen["dpi"])
    declared = manifest(package)["apis"]["custom"]["interfaces"][1]["supportedViewports"]
    assert any(v["mode"] == seen["mode"] and v["shape"] == seen["shape"] and v["minWidth"] <= width <= v["maxWidth"]
               and v["minHeight"] <= height <= v["maxHeight"] for v in declared)


@pytest.mark.parametrize("which", ["project", "lambda_project"])
def test_the_manifest_reads_into_the_smapi_models_with_no_unknown_field(request, which):
    """ASK's own model classes (ask-smapi-model, when installed) read the manifest and write back
    exactly the same JSON: a field they do not know would be dropped on the way. The APL interface
    and its viewports come back as their classes. CAN_FULFILL_INTENT_REQUEST is taken out first:
    the model package has no class for it (Interface's discriminator map lacks it)."""
    pytest.importorskip("ask_smapi_model")
    from ask_sdk_model_runtime.serializer import DefaultSerializer
    from ask_smapi_model.v1.skill.manifest.alexa_presentation_apl_interface import AlexaPresentationAplInterface
    from ask_smapi_model.v1.skill.manifest.viewport_mode import ViewportMode
    from ask_smapi_model.v1.skill.manifest.viewport_shape import ViewportShape
    from ask_smapi_model.v1.skill.manifest.viewport_specification import ViewportSpecification

    data = json.loads((request.getfixturevalue(which) / "skill-package" / "skill.json").read_text())
    interfaces = data["manifest"]["apis"]["custom"]["interfaces"]
    interfaces.remove({"type": "CAN_FULFILL_INTENT_REQUEST"})
    serializer = DefaultSerializer()
    envelope = serializer.deserialize(json.dumps(data),
                                      "ask_smapi_model.v1.skill.manifest.skill_manifest_envelope.SkillManifestEnvelope")
    assert serializer.serialize(envelope) == data
    (apl,) = envelope.manifest.apis.custom.interfaces
    assert isinstance(apl, AlexaPresentationAplInterface)
    assert apl.supported_viewports[0] == ViewportSpecification(mode=ViewportMode.HUB, shape=ViewportShape.ROUND, min_width=480,
                                                               max_width=599, min_height=480, max_height=599)
    assert envelope.manifest.privacy_and_compliance.locales["en-US"].terms_of_use_url.startswith("https://")


@pytest.mark.parametrize("locale", LOCALES)
def test_each_interaction_model_reads_into_the_smapi_models_with_no_unknown_field(package, locale):
    pytest.importorskip("ask_smapi_model")
    from ask_sdk_model_runtime.serializer import DefaultSerializer

    data = json.loads((package / "interactionModels" / "custom" / f"{locale}.json").read_text())
    serializer = DefaultSerializer()
    model = serializer.deserialize(
        json.dumps(data), "ask_smapi_model.v1.skill.interaction_model.interaction_model_data.InteractionModelData")
    assert serializer.serialize(model) == data


def test_health_category_and_compliance(package):
    declared = manifest(package)
    assert declared["publishingInformation"]["category"] == "HEALTH_AND_FITNESS"
    privacy = declared["privacyAndCompliance"]
    assert privacy["usesHealthInfo"] is False and privacy["isChildDirected"] is False
    assert privacy["usesPersonalInfo"] is False
    assert "No account linking or device needed" in declared["publishingInformation"]["testingInstructions"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_a_listing_with_the_disclaimer_and_its_own_number(package, locale):
    listing = manifest(package)["publishingInformation"]["locales"][locale]
    disclaimer, emergency, first_phrase, name = LISTING_WORDS[locale[:2]]
    assert disclaimer in listing["description"]
    assert listing["description"].endswith(emergency.format(NUMBERS[locale]))
    assert listing["examplePhrases"][0] == first_phrase and len(listing["examplePhrases"]) <= 3
    assert listing["keywords"] and listing["name"] == name


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_its_generated_model(package, locale):
    written = json.loads((package / "interactionModels" / "custom" / f"{locale}.json").read_text())
    assert written == load_model(REPO_ROOT / "interaction_model", locale)


def test_australia_is_offered_in_new_zealand_too_and_spanish_in_mexico_and_spain(package):
    assert manifest(package)["publishingInformation"]["distributionCountries"] == [
        "AU", "CA", "ES", "GB", "IN", "MX", "NZ", "US"]


# --- what the checks catch -------------------------------------------------------------------

@pytest.mark.parametrize("change, problem", [
    (lambda m: m["apis"]["custom"]["endpoint"].update(uri="http://skill.example.com/alexa"),
     "manifest.apis.custom.endpoint.uri: 'http://skill.example.com/alexa' must be an https:// URL with a host"),
    (lambda m: m["apis"]["custom"]["endpoint"].update(uri="https://skill.example.com:8443/alexa"),
     "must use port 443"),
    (lambda m: m["apis"]["custom"]["endpoint"].update(sslCertificateType="Homemade"),
     "manifest.apis.custom.endpoint.sslCertificateType: expected one of Trusted, Wildcard, SelfSigned"),
    (lambda m: m["publishingInformation"].update(category="GAMES"), "category: expected HEALTH_AND_FITNESS, got 'GAMES'"),
    (lambda m: m.update(permissions=[]), f"manifest.permissions: {TIMERS_SCOPE} is missing"),
    (lambda m: m["events"].update(subscriptions=[]), "manifest.events.subscriptions: SKILL_DISABLED is missing"),
    (lambda m: m["apis"]["custom"].update(interfaces=[]),
     "manifest.apis.custom.interfaces: CAN_FULFILL_INTENT_REQUEST is missing"),
    (lambda m: m["apis"]["custom"].update(interfaces=[{"type": "CAN_FULFILL_INTENT_REQUEST"}]),
     "manifest.apis.custom.interfaces: ALEXA_PRESENTATION_APL is missing (screens are sent only to devices"),
    (lambda m: m["apis"]["custom"]["interfaces"][1].update(supportedViewports=[]),
     "manifest.apis.custom.interfaces: ALEXA_PRESENTATION_APL lists no supportedViewports"),
    (lambda m: m["privacyAndCompliance"].update(isChildDirected=True),
     "manifest.privacyAndCompliance.isChildDirected: expected False, got True (the age question"),
    (lambda m: m["privacyAndCompliance"].pop("isChildDirected"),  # the age rating left unanswered
     "manifest.privacyAndCompliance.isChildDirected: expected False, got None"),
    (lambda m: m["privacyAndCompliance"].update(usesHealthInfo=True),
     "manifest.privacyAndCompliance.usesHealthInfo: expected False, got True (true declares a HIPAA covered entity"),
    (lambda m: m["privacyAndCompliance"].pop("usesHealthInfo"), "manifest.privacyAndCompliance.usesHealthInfo: expected False"),
    (lambda m: m["publishingInformation"].pop("testingInstructions"),
     "manifest.publishingInformation.testingInstructions: missing: the certification team reads them"),
    (lambda m: m["publishingInformation"].update(testingInstructions="  "), "testingInstructions: missing"),
    (lambda m: m["privacyAndCompliance"]["locales"]["en-GB"].pop("termsOfUseUrl"),
     "manifest.privacyAndCompliance.locales.en-GB.termsOfUseUrl: missing"),
    (lambda m: m["privacyAndCompliance"].pop("locales"), "manifest.privacyAndCompliance.locales.en-US.privacyPolicyUrl: missing"),
    (lambda m: m["privacyAndCompliance"]["locales"]["en-AU"].update(privacyPolicyUrl="http://example.org/privacy"),
     "locales.en-AU.privacyPolicyUrl: 'http://example.org/privacy' must be an https:// URL"),
    (lambda m: m["publishingInformation"]["locales"]["en-GB"].update(description="A helpful skill."),
     "manifest.publishingInformation.locales.en-GB.description: lacks the health disclaimer"),
    (lambda m: m["publishingInformation"]["locales"]["en-US"].pop("smallIconUri"),
     "locales.en-US.smallIconUri: expected file://assets/images/NAME.png or an https URL, got ''"),
    (lambda m: m["publishingInformation"]["locales"]["en-US"].update(largeIconUri="file://assets/images/icon-108.png"),
     "locales.en-US.largeIconUri: file://assets/images/icon-108.png must be a 512x512 PNG, is 108x108"),
    (lambda m: m["publishingInformation"]["locales"]["en-US"].update(largeIconUri="file://assets/images/none.png"),
     "locales.en-US.largeIconUri: file://assets/images/none.png must be a 512x512 PNG, is missing or not a PNG"),
    (lambda m: m["apis"]["custom"]["endpoint"].update(uri=LAMBDA_ARN),
     "manifest.apis.custom.endpoint.sslCertificateType: only for an https endpoint, not a Lambda ARN"),
    (lambda m: m["events"].update(endpoint={"uri": "arn:aws:lambda:eu-central-1:123456789012:function:f"}),
     "manifest.events.endpoint.uri: 'arn:aws:lambda:eu-central-1:123456789012:function:f': Alexa invokes Lambda "
     "functions only in us-east-1, us-west-2, eu-west-1, ap-northeast-1, not eu-central-1"),
    (lambda m: m["publishingInformation"]["locales"]["en-IN"]["examplePhrases"].insert(0, "Alexa, launch back twitch helper"),
     "locales.en-IN.examplePhrases: the first must be 'Alexa, open back twitch helper'"),
    (lambda m: m["publishingInformation"]["locales"]["en-AU"]["examplePhrases"].__setitem__(1, "Alexa, ask back twitch helper to sing"),
     "locales.en-AU.examplePhrases: 'Alexa, ask back twitch helper to sing' must be"),
    (lambda m: m["publishingInformation"]["locales"]["en-US"]["examplePhrases"].__setitem__(0, "Alexa, ask back twitch helper"),
     "locales.en-US.examplePhrases: the first must be 'Alexa, open back twitch helper' or 'Alexa, ask back twitch helper <a"),
    (lambda m: m["publishingInformation"]["locales"]["en-US"]["examplePhrases"].__setitem__(0, "Open back twitch helper"),
     "locales.en-US.examplePhrases: the first must be"),  # no wake word
    (lambda m: m["publishingInformation"]["locales"].pop("en-CA"),
     "manifest.publishingInformation.locales.en-CA: missing: there is a model for it"),
])
def test_a_broken_manifest_is_caught(copy, change, problem):
    edit_manifest(copy, change)
    problems = "\n".join(validate_package(copy))
    assert f"{copy / 'skill.json'}: " in problems and problem in problems


def test_a_first_example_phrase_that_asks_a_sample_is_accepted(copy):
    """Amazon's rule is wake word, launch phrase and invocation name: "ask ... <request>" also opens it."""
    edit_manifest(copy, lambda m: m["publishingInformation"]["locales"]["en-US"].update(
        examplePhrases=["Alexa, ask back twitch helper why my back is twitching", "Alexa, open back twitch helper"]))
    assert "examplePhrases: the first" not in "\n".join(validate_package(copy))


def test_a_broken_ask_resources_file_is_caught(project, tmp_path):
    target = tmp_path / "ask"
    shutil.copytree(project, target)
    (target / "ask-resources.json").write_text(json.dumps({"askcliResourcesVersion": "2019-01-01", "profiles": {
        "default": {"skillMetadata": {"src": "./skill-package"}}}}))
    assert validate_project(target) == [f"{target / 'ask-resources.json'}: askcliResourcesVersion: expected 2020-03-31, "
                                        "got '2019-01-01'"]
    (target / "ask-resources.json").write_text(json.dumps({"askcliResourcesVersion": "2020-03-31", "profiles": {
        "default": {"skillMetadata": {"src": "./elsewhere"}}}}))
    assert validate_project(target) == [f"{target / 'ask-resources.json'}: profiles.default.skillMetadata.src: "
                                        "'./elsewhere' holds no skill.json"]
    (target / "ask-resources.json").unlink()
    assert validate_project(target)[0].startswith(f"{target / 'ask-resources.json'}: (file): missing or not ASK CLI v2")


def test_a_listed_locale_without_a_model_is_caught(copy):
    (copy / "interactionModels" / "custom" / "en-GB.json").unlink()
    assert f"{copy / 'interactionModels' / 'custom' / 'en-GB.json'}: (file): missing: skill.json lists en-GB" \
        in validate_package(copy)


def test_a_model_file_the_ask_cli_would_not_deploy_is_caught(copy):
    (copy / "interactionModels" / "custom" / "english.json").write_text("{}")
    assert f"{copy / 'interactionModels' / 'custom' / 'english.json'}: (file): not <locale>.json" in "\n".join(
        validate_package(copy))


def test_a_broken_model_in_the_package_is_caught(copy):
    path = copy / "interactionModels" / "custom" / "en-US.json"
    model = json.loads(path.read_text())
    model["interactionModel"]["languageModel"]["invocationName"] = "alexa twitch"
    path.write_text(json.dumps(model))
    assert f"{path}: invocationName: 'alexa twitch' contains wake, launch" in "\n".join(validate_package(copy))


def test_no_skill_json_is_caught(copy):
    (copy / "skill.json").unlink()
    assert validate_package(copy)[0].startswith(f"{copy / 'skill.json'}: (file): missing or not a skill manifest")


@pytest.mark.parametrize("options, problem", [
    ({"endpoint": "http://skill.example.com/alexa"}, "--endpoint: 'http://skill.example.com/alexa' must be an https://"),
    ({"endpoint": ENDPOINT, "certificate_type": "Cheap"}, "--certificate-type: expected one of Trusted, Wildcard, SelfSigned"),
    ({"endpoint": ENDPOINT, "privacy_url": "ftp://example.com/privacy"}, "--privacy-url: 'ftp://example.com/privacy' must be"),
    ({"endpoint": ENDPOINT, "terms_url": "/terms"}, "--terms-url: '/terms' must be an https:// URL with a host"),
    ({}, "give exactly one of --endpoint https://HOST/alexa (a web service) or --lambda-arn arn:aws:lambda:"),
    ({"endpoint": ENDPOINT, "lambda_arn": LAMBDA_ARN}, "give exactly one of --endpoint"),
    ({"lambda_arn": "arn:aws:lambda:us-east-1:1234:function:backtwitch", "privacy_url": "https://e.org/p",
      "terms_url": "https://e.org/t"},
     "--lambda-arn: 'arn:aws:lambda:us-east-1:1234:function:backtwitch' is not a Lambda function ARN like "
     "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS] (ACCOUNT is 12 digits"),
    ({"lambda_arn": "https://skill.example.com/alexa", "privacy_url": "https://e.org/p", "terms_url": "https://e.org/t"},
     "is not a Lambda function ARN"),
    ({"lambda_arn": LAMBDA_ARN.replace("us-east-1", "eu-central-1"), "privacy_url": "https://e.org/p",
      "terms_url": "https://e.org/t"}, "Alexa invokes Lambda functions only in us-east-1, us-west-2, eu-west-1, ap-northeast-1"),
    ({"lambda_arn": LAMBDA_ARN, "terms_url": "https://e.org/t"},
     "--lambda-arn: give --privacy-url too: a Lambda function has no web origin to serve /privacy and /terms from"),
    ({"lambda_arn": LAMBDA_ARN}, "--lambda-arn: give --privacy-url and --terms-url too"),
    ({"lambda_arn": LAMBDA_ARN, "certificate_type": "Trusted", "privacy_url": "https://e.org/p", "terms_url": "https://e.org/t"},
     "--certificate-type: only for --endpoint"),
    ({"endpoint": ENDPOINT, "skill_id": "my-skill"}, "--skill-id: 'my-skill' is not a skill id like amzn1.ask.skill.<uuid>"),
])
def test_bad_options_are_refused_before_anything_is_written(tmp_path, options, problem):
    with pytest.raises(PackageError) as raised:
        build(tmp_path / "out", **options)
    assert any(problem in line for line in raised.value.problems), raised.value.problems
    assert not (tmp_path / "out").exists()


# --- the command -----------------------------------------------------------------------------

def test_the_command_writes_and_checks_the_project_and_says_how_to_deploy_it(tmp_path, capsys):
    out = tmp_path / "ask"
    assert main(["package", "--endpoint", ENDPOINT, "--out", str(out), "--skill-id", SKILL]) == 0
    printed = capsys.readouterr().out.splitlines()[-9:]
    assert printed == [
        f"wrote {out}: ask-resources.json, skill-package/ (skill.json, interactionModels/custom/ for en-AU, en-CA, en-GB, "
        "en-IN, en-US, es-ES, es-MX, es-US, assets/images/ icons 108x108 and 512x512), policies/; package checks: ok",
        f"endpoint: {ENDPOINT} (certificate Trusted)",
        "privacy policy: https://skill.example.com/privacy; terms of use: https://skill.example.com/terms",
        *(f"{locale} (in its language): https://skill.example.com/{locale}/privacy; https://skill.example.com/{locale}/terms"
          for locale in ("es-ES", "es-MX", "es-US")),
        f"skill: {SKILL}",
        "note: the policy URLs use an example host: put policies/ on your own https site and set store.policy_host in "
        "content/en-US/store.yaml (or --privacy-url / --terms-url) before submitting",
        f"deploy it: cd {out} && ask deploy --target skill-metadata"]
    assert validate_project(out) == []


def test_the_command_says_the_lambda_is_deployed_by_sam(tmp_path, capsys):
    out = tmp_path / "ask"
    assert main(["package", "--lambda-arn", LAMBDA_ARN, "--privacy-url", "https://e.org/p", "--terms-url", "https://e.org/t",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"endpoint: Lambda function {LAMBDA_ARN} (deployed by SAM from infra/aws, not by the ASK CLI)" in printed
    assert "skill: none given (--skill-id): ask deploy creates a new one and keeps its id in .ask/ask-states.json" in printed
    assert f"deploy it: cd {out} && ask deploy --target skill-metadata" in printed


def test_the_command_writes_to_build_ask_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["package", "--endpoint", ENDPOINT, "--content", str(REPO_ROOT / "content"),
                 "--model", str(REPO_ROOT / "interaction_model")]) == 0
    assert (tmp_path / "build" / "ask" / "skill-package" / "skill.json").is_file()


def test_the_command_refuses_to_package_a_repository_that_does_not_validate(tmp_path, capsys):
    content = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content)
    store = content / "en-US" / "store.yaml"
    data = yaml.safe_load(store.read_text())
    data["store"]["example_phrases"][0] = "Alexa, start back twitch helper"
    store.write_text(yaml.safe_dump(data))
    out = tmp_path / "ask"
    assert main(["package", "--endpoint", ENDPOINT, "--out", str(out), "--content", str(content)]) == 1
    err = capsys.readouterr().err
    assert "store.example_phrases: the first must be 'Alexa, open back twitch helper'" in err
    assert "not packaged: fix the problems above first" in err and not out.exists()


@pytest.mark.parametrize("arguments, message", [
    (["--endpoint", "http://localhost:8080/alexa"], "--endpoint: 'http://localhost:8080/alexa' must be an https:// URL"),
    ([], "give exactly one of --endpoint"),
])
def test_the_command_refuses_bad_options_at_once(tmp_path, capsys, arguments, message):
    assert main(["package", *arguments, "--out", str(tmp_path / "p")]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "ok: 5 locales" not in captured.out  # refused before validating
    assert not (tmp_path / "p").exists()


def test_the_command_says_what_to_install_without_pillow(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *rest: None if name == "PIL" else real(name, *rest))
    assert main(["package", "--endpoint", ENDPOINT, "--out", str(tmp_path / "p")]) == 2
    assert "draws the skill's icons with Pillow, which is not installed: make install EXTRAS=tools" in capsys.readouterr().err


def test_a_lambda_package_takes_its_policy_pages_from_the_contents_policy_host(tmp_path, capsys):
    """The issue's own command: `--lambda-arn` alone works, the URLs from content store.policy_host,
    with a note while that is still the repository's example host."""
    out = tmp_path / "ask"
    assert main(["package", "--lambda-arn", LAMBDA_ARN, "--out", str(out)]) == 0
    manifest = json.loads((out / "skill-package" / "skill.json").read_text())["manifest"]
    for locale, urls in manifest["privacyAndCompliance"]["locales"].items():
        pages = "https://skill.example.org" + ("" if locale.startswith("en-") else f"/{locale}")
        assert urls == {"privacyPolicyUrl": f"{pages}/privacy", "termsOfUseUrl": f"{pages}/terms"}
    printed = capsys.readouterr().out
    assert "note: the policy URLs use an example host" in printed
    assert (out / "policies" / "privacy.html").is_file()
