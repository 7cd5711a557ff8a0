"""`backtwitch package`: an ASK CLI skill-package/ that passes its own checks, and checks that
catch each way a package can be wrong."""
from __future__ import annotations

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
from skill.tools.package import PackageError, build_package, validate_package

ENDPOINT = "https://skill.example.com/alexa"
LOCALES = ["en-AU", "en-CA", "en-GB", "en-IN", "en-US"]
NUMBERS = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000, or 111 in New Zealand", "en-IN": "112"}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "skill-package"
    return build_package(REPO_ROOT / "content", REPO_ROOT / "interaction_model", ENDPOINT, out)


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

def test_the_layout_is_the_ask_cli_skill_package(package):
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file())
    assert files == ["interactionModels/custom/" + f"{locale}.json" for locale in LOCALES] + ["skill.json"]


def test_the_package_passes_its_own_checks(package):
    assert validate_package(package) == []


def test_the_endpoint_is_https_with_a_certificate_type_for_requests_and_events(package):
    apis = manifest(package)["apis"]["custom"]
    assert apis["endpoint"] == {"uri": ENDPOINT, "sslCertificateType": "Trusted"}
    assert manifest(package)["events"]["endpoint"] == apis["endpoint"]


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


def test_the_manifest_reads_into_the_smapi_models(package):
    """ASK's own model classes (ask-smapi-model, when installed) read the manifest, and the APL
    interface and its viewports come back as the same JSON. CAN_FULFILL_INTENT_REQUEST is taken
    out first: the model package has no class for it (Interface's discriminator map lacks it)."""
    pytest.importorskip("ask_smapi_model")
    from ask_sdk_model_runtime.serializer import DefaultSerializer
    from ask_smapi_model.v1.skill.manifest.alexa_presentation_apl_interface import AlexaPresentationAplInterface
    from ask_smapi_model.v1.skill.manifest.viewport_mode import ViewportMode
    from ask_smapi_model.v1.skill.manifest.viewport_shape import ViewportShape
    from ask_smapi_model.v1.skill.manifest.viewport_specification import ViewportSpecification

    data = json.loads((package / "skill.json").read_text())
    interfaces = data["manifest"]["apis"]["custom"]["interfaces"]
    interfaces.remove({"type": "CAN_FULFILL_INTENT_REQUEST"})
    serializer = DefaultSerializer()
    envelope = serializer.deserialize(json.dumps(data),
                                      "ask_smapi_model.v1.skill.manifest.skill_manifest_envelope.SkillManifestEnvelope")
    (apl,) = envelope.manifest.apis.custom.interfaces
    assert isinstance(apl, AlexaPresentationAplInterface)
    assert apl.supported_viewports[0] == ViewportSpecification(mode=ViewportMode.HUB, shape=ViewportShape.ROUND, min_width=480,
                                                               max_width=599, min_height=480, max_height=599)
    assert serializer.serialize(apl) == interfaces[0]


def test_health_category_and_compliance(package):
    declared = manifest(package)
    assert declared["publishingInformation"]["category"] == "HEALTH_AND_FITNESS"
    privacy = declared["privacyAndCompliance"]
    assert privacy["usesHealthInfo"] is False and privacy["isChildDirected"] is False
    assert privacy["usesPersonalInfo"] is False


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_a_listing_with_the_disclaimer_and_its_own_number(package, locale):
    listing = manifest(package)["publishingInformation"]["locales"][locale]
    assert "It is not medical advice" in listing["description"]
    assert listing["description"].endswith(f"In an emergency, call {NUMBERS[locale]}.")
    assert listing["examplePhrases"][0] == "Alexa, open back twitch helper" and len(listing["examplePhrases"]) <= 3
    assert listing["keywords"] and listing["name"] == "Back Twitch Helper"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_its_generated_model(package, locale):
    written = json.loads((package / "interactionModels" / "custom" / f"{locale}.json").read_text())
    assert written == load_model(REPO_ROOT / "interaction_model", locale)


def test_australia_is_offered_in_new_zealand_too(package):
    assert manifest(package)["publishingInformation"]["distributionCountries"] == ["AU", "CA", "GB", "IN", "NZ", "US"]


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
     "manifest.privacyAndCompliance.isChildDirected: expected False, got True"),
    (lambda m: m["publishingInformation"]["locales"]["en-GB"].update(description="A helpful skill."),
     "manifest.publishingInformation.locales.en-GB.description: lacks the health disclaimer"),
    (lambda m: m["publishingInformation"]["locales"]["en-IN"]["examplePhrases"].insert(0, "Alexa, launch back twitch helper"),
     "locales.en-IN.examplePhrases: the first must be 'Alexa, open back twitch helper'"),
    (lambda m: m["publishingInformation"]["locales"]["en-AU"]["examplePhrases"].__setitem__(1, "Alexa, ask back twitch helper to sing"),
     "locales.en-AU.examplePhrases: 'Alexa, ask back twitch helper to sing' must be"),
    (lambda m: m["publishingInformation"]["locales"].pop("en-CA"),
     "manifest.publishingInformation.locales.en-CA: missing: there is a model for it"),
])
def test_a_broken_manifest_is_caught(copy, change, problem):
    edit_manifest(copy, change)
    problems = "\n".join(validate_package(copy))
    assert f"{copy / 'skill.json'}: " in problems and problem in problems


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
    ({"certificate_type": "Cheap"}, "--certificate-type: expected one of Trusted, Wildcard, SelfSigned"),
    ({"privacy_policy_url": "ftp://example.com/privacy"}, "--privacy-policy-url: 'ftp://example.com/privacy' must be"),
])
def test_bad_options_are_refused_before_anything_is_written(tmp_path, options, problem):
    arguments = {"endpoint": ENDPOINT, **options}
    with pytest.raises(PackageError, match=problem.replace("?", r"\?").replace("(", r"\(")):
        build_package(REPO_ROOT / "content", REPO_ROOT / "interaction_model", arguments.pop("endpoint"),
                      tmp_path / "out", **arguments)
    assert not (tmp_path / "out").exists()


def test_a_privacy_policy_url_goes_into_every_locale(tmp_path):
    out = build_package(REPO_ROOT / "content", REPO_ROOT / "interaction_model", ENDPOINT, tmp_path / "p",
                        privacy_policy_url="https://example.com/privacy")
    privacy = manifest(out)["privacyAndCompliance"]["locales"]
    assert privacy == {locale: {"privacyPolicyUrl": "https://example.com/privacy"} for locale in
                       ["en-US", "en-AU", "en-CA", "en-GB", "en-IN"]}


# --- the command -----------------------------------------------------------------------------

def test_the_command_writes_and_checks_the_package(tmp_path, capsys):
    out = tmp_path / "skill-package"
    assert main(["package", "--endpoint", ENDPOINT, "--out", str(out)]) == 0
    assert f"wrote {out}: skill.json and interactionModels/custom/ for en-AU, en-CA, en-GB, en-IN, en-US; " \
           "package checks: ok" in capsys.readouterr().out
    assert validate_package(out) == []


def test_the_command_writes_to_build_skill_package_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["package", "--endpoint", ENDPOINT, "--content", str(REPO_ROOT / "content"),
                 "--model", str(REPO_ROOT / "interaction_model")]) == 0
    assert (tmp_path / "build" / "skill-package" / "skill.json").is_file()


def test_the_command_refuses_to_package_a_repository_that_does_not_validate(tmp_path, capsys):
    content = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content)
    store = content / "en-US" / "store.yaml"
    data = yaml.safe_load(store.read_text())
    data["store"]["example_phrases"][0] = "Alexa, start back twitch helper"
    store.write_text(yaml.safe_dump(data))
    out = tmp_path / "skill-package"
    assert main(["package", "--endpoint", ENDPOINT, "--out", str(out), "--content", str(content)]) == 1
    err = capsys.readouterr().err
    assert "store.example_phrases: the first must be 'Alexa, open back twitch helper'" in err
    assert "not packaged: fix the problems above first" in err and not out.exists()


def test_the_command_refuses_a_plain_http_endpoint(tmp_path, capsys):
    assert main(["package", "--endpoint", "http://localhost:8080/alexa", "--out", str(tmp_path / "p")]) == 1
    assert "--endpoint: 'http://localhost:8080/alexa' must be an https:// URL" in capsys.readouterr().err
