"""The catalogue at run time: keys filled in with the persona and the code's variables, variants picked by a
seed, the SMS variant on SMS, a second language as a second file, and edits picked up while running."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

from bot.config import Persona, Settings
from bot.errors import ConfigError
from bot.responses import Responses, joined, open_responses
from tests.conftest import PROJECT_DIR

SHIPPED = PROJECT_DIR / "responses" / "en.yml"


def copy(tmp_path: Path, old: str = "", new: str = "", name: str = "en.yml") -> Path:
    path = tmp_path / name
    path.write_text(SHIPPED.read_text(encoding="utf-8").replace(old, new, 1) if old else SHIPPED.read_text(encoding="utf-8"),
                    encoding="utf-8")
    return path


def test_a_key_is_filled_with_the_persona_and_the_codes_variables(responses) -> None:
    assert responses.say("greeting.introduction") == "I'm Sam, S-Club's virtual assistant."
    assert responses.say("greeting.hello_name", name="Ana") == "Hi Ana!"
    assert responses.say("handoff.ahead_many", ahead=3) == "There are 3 people ahead of you."


def test_sms_gets_the_sms_variant_and_every_other_channel_the_text(responses) -> None:
    assert responses.say("faq.did_it_help", channel="sms") == "Did that help?"
    assert {responses.say("faq.did_it_help", channel=c) for c in ("whatsapp", "telegram", "rest", None)} == {
        "Did that answer your question?"}
    assert responses.say("greeting.hello", channel="sms") == "Hi there!"  # no sms variant: the text


def test_variants_are_picked_by_the_seed_the_same_way_every_time(responses) -> None:
    picks = [responses.say("listening.acknowledgement", seed=f"c1:{turn}") for turn in range(20)]
    assert len(set(picks)) >= 3
    assert picks == [responses.say("listening.acknowledgement", seed=f"c1:{turn}") for turn in range(20)]
    # The choice is sha256(seed) modulo the number of variants, as it was before the catalogue.
    variants = responses.wordings("listening.acknowledgement")
    digest = hashlib.sha256(b"c1:7").digest()
    assert picks[7] == variants[int.from_bytes(digest[:4], "big") % len(variants)]


def test_a_voice_carries_the_channel_and_the_seed(responses) -> None:
    voice = responses.voice("sms", "c1:2")
    assert voice.sms and voice.say("faq.did_it_help") == "Did that help?"
    assert voice.say("person.empathy") == responses.say("person.empathy", seed="c1:2")
    assert voice.button("buttons.yes", "/affirm") == {"title": "Yes", "payload": "/affirm"}
    assert [voice.listing(items) for items in (["a"], ["a", "b"], ["a", "b", "c"])] == ["a", "a and b", "a, b and c"]
    assert joined("", "Hi!", None, " How can I help? ") == "Hi! How can I help?"


def test_the_code_asking_wrongly_is_an_error_at_once(responses) -> None:
    with pytest.raises(KeyError, match="not a response key"):
        responses.say("greeting.helo")
    with pytest.raises(TypeError, match="takes no variable"):
        responses.say("greeting.hello", name="Ana")
    with pytest.raises(KeyError, match="gave no {name}"):
        responses.say("greeting.hello_name")


def test_a_catalogue_with_errors_is_refused_at_start_up_with_the_file_and_line(tmp_path: Path) -> None:
    path = copy(tmp_path, '"Hi {name}!"', '"Hi {nme}!"')
    with pytest.raises(ConfigError, match=rf"^{path}:\d+: greeting.hello_name: unknown variable {{nme}}"):
        Responses.load(path, Persona.load())


def test_an_edit_is_served_without_a_restart_and_a_broken_one_keeps_the_last_good_version(tmp_path, caplog) -> None:
    path = copy(tmp_path)
    responses = Responses.load(path, Persona.load(), reload_interval_s=0)
    assert responses.say("greeting.hello") == "Hi there!"
    path.write_text(path.read_text().replace('hello: "Hi there!"', 'hello: "Hello and welcome!"'))
    os.utime(path, ns=(1, 1))  # a different modification time, however fast the file system
    assert responses.say("greeting.hello") == "Hello and welcome!"
    path.write_text(path.read_text().replace('hello: "Hello and welcome!"', 'hello: "Hello {nobody}!"'))
    with caplog.at_level(logging.WARNING):
        assert responses.say("greeting.hello") == "Hello and welcome!"
    assert "previous version keeps serving" in caplog.text and "unknown variable {nobody}" in caplog.text


def test_the_settings_choose_the_file_by_language_or_responses_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "responses").mkdir(parents=True)
    copy(project / "responses", 'hello: "Hi there!"', 'hello: "Hola!"', name="es.yml")
    assistant = (PROJECT_DIR / "assistant.yml").read_text().replace("language: en", "language: es")
    (project / "assistant.yml").write_text(assistant)
    settings = Settings.from_env({}, project_dir=project)
    assert open_responses(settings).say("greeting.hello") == "Hola!"  # a second language is a second file
    other = copy(tmp_path, 'hello: "Hi there!"', 'hello: "Howdy!"')
    settings = Settings.from_env({"RESPONSES_FILE": str(other)}, project_dir=project)
    assert open_responses(settings).say("greeting.hello") == "Howdy!"


def test_the_persona_fills_in_the_company_and_its_contact_details(tmp_path: Path) -> None:
    assistant = (PROJECT_DIR / "assistant.yml").read_text().replace("company: S-Club", "company: Acme Gyms")
    (tmp_path / "assistant.yml").write_text(assistant)
    responses = Responses.load(SHIPPED, Persona.load(tmp_path / "assistant.yml"), reload_interval_s=None)
    assert responses.say("survey.thanks_skipped") == (
        "No problem at all. Thanks again for contacting Acme Gyms, and have a lovely day!")
    assert "call our team on +44 20 7946 0000" in responses.say("faq.fallback", channel="sms")
