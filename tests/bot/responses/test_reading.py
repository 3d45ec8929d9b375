"""Reading a catalogue file: every mistake an editor can make is one `path:line: message`, and nothing raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.responses import read_catalogue
from bot.responses.reading import variables
from tests.conftest import PROJECT_DIR

PERSONA = {"assistant_name": "Sam", "company": "S-Club", "phone": "+44 20 7946 0000", "email": "support@s-club.example",
           "website": "https://www.s-club.example", "team_hours": "Monday to Friday 8:00-20:00"}
SHIPPED = (PROJECT_DIR / "responses" / "en.yml").read_text(encoding="utf-8")


def edited(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped catalogue with one edit, as an editor would make it."""
    assert old in SHIPPED, old
    path = tmp_path / "en.yml"
    path.write_text(SHIPPED.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(text: str, path: Path) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def problems(path: Path) -> list[str]:
    return [str(p) for p in read_catalogue(path, PERSONA)[1]]


def test_the_shipped_catalogue_has_no_problems() -> None:
    responses, found = read_catalogue(PROJECT_DIR / "responses" / "en.yml", PERSONA)
    assert found == [] and responses["greeting.ask"].sms == ("How can I help?",)
    assert len(responses["listening.acknowledgement"].text) == 5


@pytest.mark.parametrize("old, new, marker, message", [
    ('  hello: "Hi there!"', '  helo: "Hi there!"', "helo:",
     "unknown key greeting.helo: the assistant never says it (did you mean greeting.hello?)"),
    ('hello_name: "Hi {name}!"', 'hello_name: "Hi {nme}!"', "hello_name:",
     "greeting.hello_name: unknown variable {nme}; it can use {name}, {assistant_name}, {company}, {phone}, {email}, "
     "{website}, {team_hours}"),
    ('hello_name: "Hi {name}!"', 'hello_name: "Hi {name"', "hello_name:",
     "greeting.hello_name: expected '}' before end of string: write {name} for a variable, or {{ and }} for a brace"),
    ('hello_name: "Hi {name}!"', 'hello_name: "Hi {name:>9}!"', "hello_name:",
     "greeting.hello_name: {name:>9} is not a variable: write {name}, or {{ and }} for a brace"),
    ('  again: "Hi again! What can I help you with?"', '  again: ""', "  again:", "greeting.again: empty text"),
    ('    text: "How can I help you today?"', '    txt: "How can I help you today?"', "  ask:",
     "greeting.ask: unknown field 'txt' (a response has text and sms)"),
    ('  welcome_back: "Welcome back!"', '  welcome_back: "Welcome back!"\n  hello: "Hello!"', '  hello: "Hello!"',
     "greeting.hello is given twice: keep one"),
    ('    sms: "How can I help?"', '    sms: "How can I help? ' + "Really, " * 50 + '"', "    sms:",
     "greeting.ask: the SMS text is 3 segments (415 characters with the persona filled in); at most 2: "
     "306 characters, 134 with ’ or emoji"),
    ('  help: "{company}: ask me', '  help: "{company} ' + "really " * 45 + ': ask me', "  help:",
     "sms.help: the SMS text is 3 segments"),
    ('    sms: "How can I help?"', '    sms: "How can I help? 🙂"', "    sms:",
     "warning: greeting.ask: '🙂' is not in the SMS alphabet, so the SMS is sent as UCS-2 (70 characters a segment "
     "instead of 160)"),
    ('  - "Wonderful."', '  - "Wonderful."\n    - [1, 2]', "[1, 2]", "faq.glad: expected text, or a list of texts (variants)"),
])
def test_each_mistake_is_named_at_its_line(tmp_path: Path, old: str, new: str, marker: str, message: str) -> None:
    path = edited(tmp_path, old, new)
    found = problems(path)
    assert any(p.startswith(f"{path}:{line_of(marker, path)}: {message}") for p in found), found


def test_a_missing_key_is_named_at_its_topic_and_a_missing_topic_once(tmp_path: Path) -> None:
    path = edited(tmp_path, '  hello: "Hi there!"\n', "")
    assert problems(path) == [f"{path}:{line_of('greeting:', path)}: greeting.hello is missing: the assistant says it"]
    start, end = SHIPPED.index("buttons:"), SHIPPED.index("lists:")
    path.write_text(SHIPPED[:start] + SHIPPED[end:])
    assert problems(path) == [f"{path}:1: topic buttons is missing: the assistant says buttons.no, buttons.something_else, "
                              "buttons.talk_to_a_person, buttons.yes"]


def test_a_yaml_mistake_is_named_at_its_line_and_nothing_is_read(tmp_path: Path) -> None:
    path = edited(tmp_path, '  hello: "Hi there!"', '  hello: "Hi there!')
    responses, found = read_catalogue(path, PERSONA)
    assert responses == {} and len(found) == 1 and str(found[0]).startswith(f"{path}:")
    assert "not valid YAML" in str(found[0])


def test_a_file_that_cannot_be_read_or_is_not_a_mapping_is_one_problem(tmp_path: Path) -> None:
    assert problems(tmp_path / "none.yml")[0].startswith(f"{tmp_path / 'none.yml'}:1: cannot read it")
    (tmp_path / "list.yml").write_text("- hello\n")
    assert problems(tmp_path / "list.yml") == [f"{tmp_path / 'list.yml'}:1: expected topics and keys (a YAML mapping)"]


def test_plain_yaml_words_stay_text_and_literal_braces_are_doubled(tmp_path: Path) -> None:
    path = edited(tmp_path, '  "yes": "Yes"', "  yes: Yes")  # YAML 1.1 would read both as true
    path.write_text(path.read_text().replace('what_can_i_help: "Okay. What can I help you with?"',
                                             'what_can_i_help: "Okay. {{Braces}} are fine."'))
    responses, found = read_catalogue(path, PERSONA)
    assert found == [] and responses["buttons.yes"].text == ("Yes",)
    assert variables("Okay. {{Braces}} are fine.") == []
