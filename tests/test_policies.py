"""The privacy policy and terms of use (GET /privacy, GET /terms): served from content, checked like
the rest of it, self-contained, and truthful about what the skill keeps."""
from __future__ import annotations

import copy
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from skill.config import REPO_ROOT
from skill.conversation.content import ContentError, load_content
from skill.runtime.policies import policy_html
from support.repository import content


class Page(HTMLParser):
    """The text of each element, and every attribute that could load something from elsewhere."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.loads: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.loads += [f"{tag} {name}={value}" for name, value in attrs if name in ("src", "href", "srcset", "action")]

    def handle_data(self, data: str) -> None:
        if data.strip() and self.tags:
            self.text.setdefault(self.tags[-1], []).append(data.strip())


@pytest.mark.parametrize("page, title", [("privacy", "Privacy policy"), ("terms", "Terms of use")])
def test_each_page_is_served_as_html_with_nothing_from_elsewhere(app, page, title):
    response = app.test_client().get(f"/{page}")
    assert response.status_code == 200 and response.content_type == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    parsed = Page(response.get_data(as_text=True))
    assert parsed.text["h1"] == [title] and parsed.text["title"] == [f"{title}: Back Twitch Helper"]
    assert parsed.loads == [] and "script" not in parsed.tags and "link" not in parsed.tags
    assert len(parsed.text["p"]) >= 5


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_pages_only_answer_get(app, method):
    assert getattr(app.test_client(), method)("/privacy").status_code == 405


def privacy_text() -> str:
    return " ".join(Page(policy_html(content().for_locale("en-US"), "privacy")).text["p"])


@pytest.mark.parametrize("promise", [
    "Where you got to in the relief routine",  # the routine's progress (handlers/routine.py)
    "whether you have heard its disclaimer",  # handlers/interceptors.py
    "never keeps: your symptoms, your answers to the symptom check",
    "one-way hash of the anonymous identifier",  # stores/base.py: sha256 of the user id
    "live in your Alexa account, not with the skill",  # reminders and timers: Alexa's APIs only
    "never hold your user or device identifier, the words you said, or your answers",  # observability.py
    "ask back twitch helper to delete my data",
    "disable the skill in the Alexa app",  # SKILL_DISABLED deletes the record
    "not directed at children under 13",  # isChildDirected: false
])
def test_the_privacy_page_says_what_the_skill_keeps_and_how_to_delete_it(promise):
    assert promise in privacy_text()


def test_the_privacy_page_agrees_with_what_the_skill_says_when_asked():
    """PrivacyIntent's answer and the page name the same two things kept and the same way out."""
    spoken = content().for_locale("en-US").phrase("privacy")
    assert "where you got to in the relief routine" in spoken and "heard my disclaimer" in spoken
    assert "delete my data" in spoken and "never store your symptoms or answers" in spoken


def test_the_delete_request_the_page_quotes_reaches_the_delete_intent():
    model = (REPO_ROOT / "interaction_model" / "en-US.json").read_text()
    assert re.search(r'"name": "DeleteDataIntent",.*?"delete my data"', model, re.DOTALL)


def test_the_terms_carry_the_health_disclaimer():
    terms = " ".join(Page(policy_html(content().for_locale("en-US"), "terms")).text["p"])
    assert "not medical advice" in terms and "not a substitute for a professional's diagnosis" in terms
    assert "call your local emergency number" in terms


def test_text_is_escaped_so_content_cannot_add_markup():
    locale = copy.copy(content().for_locale("en-US"))
    locale.policies = {"terms": {"title": "<b>T</b>", "paragraphs": ['<script src="https://x.example/a.js"></script>']}}
    html = policy_html(locale, "terms")
    assert "<script" not in html and "&lt;script src=\"https://x.example/a.js\"&gt;" in html and "<b>" not in html


@pytest.mark.parametrize("locale", ["en-GB", "en-AU", "en-IN", "en-CA"])
def test_other_locales_inherit_the_pages(locale):
    assert content().for_locale(locale).policies == content().for_locale("en-US").policies


def broken_copy(tmp_path: Path, change) -> Path:
    target = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", target)
    path = target / "en-US" / "policies.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    return target


@pytest.mark.parametrize("change, problem", [
    (lambda d: d["policies"]["privacy"].update(paragraphs=[]),
     "policies.yaml: policies.privacy.paragraphs: [] should be non-empty"),
    (lambda d: d["policies"].pop("terms"), "policies.yaml: policies: 'terms' is a required property"),
    (lambda d: d["policies"]["terms"].update(footer="x"),
     "policies.yaml: policies.terms: Additional properties are not allowed"),
    (lambda d: d["policies"]["terms"]["paragraphs"].append("Call {phone}."),
     "policies.yaml: policies.terms.paragraphs.5: undeclared placeholder {phone}"),
    (lambda d: d["policies"]["terms"]["paragraphs"].append("Step {number}."),  # a speech placeholder: no value on a page
     "policies.yaml: policies.terms.paragraphs.5: {number} is filled only in speech; here only the locale's own values are"),
])
def test_broken_policy_content_stops_start_up_naming_the_file_and_key(tmp_path, change, problem):
    with pytest.raises(ContentError) as raised:
        load_content(broken_copy(tmp_path, change))
    assert problem in "\n".join(raised.value.problems)


def test_content_without_policies_stops_start_up(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", target)
    (target / "en-US" / "policies.yaml").unlink()
    with pytest.raises(ContentError) as raised:
        load_content(target)
    assert f"{target / 'en-US' / 'policies.yaml'}: (file): missing or empty" in raised.value.problems
