"""Content is checked at start-up: a broken edit names the file, the key and the problem."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from skill.runtime.app import create_app
from skill.config import REPO_ROOT
from skill.conversation.content import ContentError, load_content
from support import repository


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", target)
    return target


def edit(content_dir: Path, file: str, change) -> Path:
    path = content_dir / "en-US" / file
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems_of(content_dir: Path) -> str:
    with pytest.raises(ContentError) as caught:
        load_content(content_dir)
    return str(caught.value)


def test_the_shipped_content_loads():
    content = repository.content().for_locale("en-US")
    assert len(content.causes) == 7
    assert [step.id for step in content.routine.steps] == [
        "hydrate", "electrolytes", "stretch", "heat_or_cold", "caffeine", "relax"]
    assert len(content.topics["prevention"].items) == 8
    assert len(content.topics["serious"].items) == 4


def test_a_missing_phrase_is_named_with_its_file(content_copy):
    path = edit(content_copy, "common.yaml", lambda d: d["phrases"].pop("goodbye"))
    message = problems_of(content_copy)
    assert f"{path}: phrases: 'goodbye' is a required property" in message


def test_a_wrong_type_names_the_nested_key(content_copy):
    path = edit(content_copy, "topics.yaml", lambda d: d["topics"]["prevention"].update(chunk_size="three"))
    message = problems_of(content_copy)
    assert f"{path}: topics.prevention.chunk_size:" in message and "'three' is not of type 'integer'" in message


def test_an_empty_text_is_rejected(content_copy):
    path = edit(content_copy, "causes.yaml", lambda d: d["causes"][2].update(full=""))
    assert f"{path}: causes.2.full:" in problems_of(content_copy)


def test_a_follow_up_to_a_topic_that_does_not_exist_is_rejected(content_copy):
    path = edit(content_copy, "topics.yaml", lambda d: d["topics"]["bfs"]["follow_up"].update(offer="nowhere"))
    assert f"{path}: topics.bfs.follow_up.offer: unknown topic 'nowhere'" in problems_of(content_copy)


def test_an_undeclared_placeholder_is_rejected(content_copy):
    path = edit(content_copy, "common.yaml", lambda d: d["phrases"].update(goodbye="Bye {username}."))
    assert f"{path}: phrases.goodbye: undeclared placeholder {{username}}" in problems_of(content_copy)


def test_a_duplicate_cause_id_is_rejected(content_copy):
    path = edit(content_copy, "causes.yaml", lambda d: d["causes"][1].update(id="caffeine"))
    assert f"{path}: causes: id 'caffeine' appears more than once" in problems_of(content_copy)


def test_a_list_needing_chunks_must_say_how_to_ask_for_more(content_copy):
    path = edit(content_copy, "topics.yaml", lambda d: d["topics"]["prevention"].pop("more"))
    assert f"{path}: topics.prevention.more: needed when items span several chunks" in problems_of(content_copy)


def test_invalid_yaml_is_named(content_copy):
    path = content_copy / "en-US" / "causes.yaml"
    path.write_text("causes: [unclosed\n")
    assert f"{path}: (file): not valid YAML" in problems_of(content_copy)


def test_a_missing_file_is_named(content_copy):
    (content_copy / "en-US" / "topics.yaml").unlink()
    assert f"{content_copy / 'en-US' / 'topics.yaml'}: (file): missing or empty" in problems_of(content_copy)


def test_the_app_refuses_to_start_on_broken_content(content_copy, make_config):
    edit(content_copy, "topics.yaml", lambda d: d["topics"].pop("als"))
    with pytest.raises(ContentError, match="'als' is a required property"):
        create_app(make_config(content_dir=content_copy))


def test_variations_are_picked_and_placeholders_filled():
    content = repository.content().for_locale("en-US")
    assert content.phrase("goodbye") in content.phrases["goodbye"]
    assert content.phrase("disclaimer").endswith("call 911.")
    assert "{" not in content.phrase("another_cause", cause_name="stress")


# --- for the ear --------------------------------------------------------------------------------

def _answers_and_routine():
    """(label, reply) for every composed reply of the answers and the routine, in every locale."""
    from skill.conversation.content import read_locales
    from skill.tools.validation.speech import LongestWords, composed_replies
    for locale, data in read_locales(REPO_ROOT / "content").items():
        for label, reply in composed_replies(LongestWords(locale, data)):
            if not label.startswith("screening"):
                yield f"{locale} {label}", reply


def test_every_reprompt_differs_from_its_question_and_says_what_to_answer():
    from skill.conversation.reply import to_ssml
    from skill.tools.validation.speech import closing_question, heard_text
    wrong = []
    for label, reply in _answers_and_routine():
        if reply.reprompt is None:
            continue
        question = closing_question(heard_text(to_ssml(reply.speech))).strip()
        reprompt = heard_text(to_ssml(reply.reprompt))
        hints = ("say ", "you can ask", "diga ", "puede preguntar", "pregúnteme", "pregunte ")
        if reprompt == question or not any(hint in reprompt.lower() for hint in hints):
            wrong.append(f"{label}: asked {question!r}, reprompt {reprompt!r}")
    assert not wrong, "\n".join(wrong)


def test_no_chunk_of_a_topic_reads_more_than_three_items():
    content = repository.content().for_locale("en-US")
    assert all(topic.chunk_size <= 3 for topic in content.topics.values() if len(topic.items) > 3)


def test_an_emergency_topic_needs_the_emergency_signs_topic(content_copy):
    path = edit(content_copy, "topics.yaml", lambda d: d["topics"].pop("emergency_signs"))
    assert f"{path}: topics: 'emergency_signs' is a required property" in problems_of(content_copy)
