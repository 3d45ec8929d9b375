"""assistant.yml is read once into typed sections; every problem names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import AssistantConfig, AssistantConfigError, DecisionConfig, section
from tests.conftest import PROJECT_DIR

SHIPPED = (PROJECT_DIR / "assistant.yml").read_text()


def shipped_with(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped assistant.yml with `old` replaced by `new` (which must be there), as tmp/assistant.yml."""
    assert old in SHIPPED
    path = tmp_path / "assistant.yml"
    path.write_text(SHIPPED.replace(old, new, 1))
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def problems(path: Path, monkeypatch) -> list[str]:
    monkeypatch.chdir(path.parent)  # the file is named as the user would type it: relative to where they are
    with pytest.raises(AssistantConfigError) as refused:
        AssistantConfig.load(path)
    return refused.value.problems


def test_the_shipped_file_reads_into_typed_sections() -> None:
    config = AssistantConfig.load(PROJECT_DIR / "assistant.yml")
    assert config.persona.company == "S-Club" and config.persona.contact.phone.startswith("+44")
    assert isinstance(config.knowledge_base, DecisionConfig) and config.knowledge_base.max_choices == 3
    assert config.team.hours["saturday"] == "09:00-17:00" and config.team.holidays[0] == "2026-12-25"
    assert config.crm.ticket_pipeline == "0" and config.detection.window == 6 and config.feedback.nps_rate == 0.3


def test_a_wrong_value_names_the_file_the_line_and_the_key(tmp_path: Path, monkeypatch) -> None:
    path = shipped_with(tmp_path, "answer_confidence: 0.55", "answer_confidence: high")
    assert problems(path, monkeypatch) == [f"assistant.yml:{line_of(path, 'answer_confidence')}: "
                                           "knowledge_base.answer_confidence: must be a number between 0 and 1 (got 'high')"]


def test_an_unknown_key_is_a_problem_with_the_likely_meant_one(tmp_path: Path, monkeypatch) -> None:
    path = shipped_with(tmp_path, "  idle_timeout_s: 1800", "  idle_timeout: 1800")
    assert problems(path, monkeypatch) == [f"assistant.yml:{line_of(path, 'idle_timeout:')}: "
                                           "crm.idle_timeout: unknown setting (did you mean idle_timeout_s?)"]
    path = shipped_with(tmp_path, "company: S-Club", "company: S-Club\ncolour: blue")
    [problem] = problems(path, monkeypatch)
    assert problem.startswith(f"assistant.yml:{line_of(path, 'colour')}: colour: unknown setting (known: assistant_name")


def test_every_problem_is_reported_at_once(tmp_path: Path, monkeypatch) -> None:
    path = shipped_with(tmp_path, "  frustrated: 0.37", "  frustrated: 0.9")
    path.write_text(path.read_text().replace('    sunday: "09:00-17:00"', '    sunday: "9-17"\n    funday: "closed"')
                    .replace("  email: support@s-club.example", '  email: ""')
                    .replace("  max_choices: 3", "  max_choices: 3\n  max_choices: 2"))
    found = problems(path, monkeypatch)
    assert found == [
        f"assistant.yml:{line_of(path, 'max_choices: 2')}: knowledge_base.max_choices: is given twice "
        f"(also on line {line_of(path, 'max_choices: 3')})",
        f"assistant.yml:{line_of(path, 'email')}: contact.email: must not be empty (got '')",
        f"assistant.yml:{line_of(path, 'sunday')}: team.hours.sunday: must be opening hours like 08:00-20:00, "
        "or closed (got '9-17')",
        f"assistant.yml:{line_of(path, 'funday')}: team.hours.funday: is not a day of the week (monday ... sunday)",
        f"assistant.yml:{line_of(path, '  high:')}: detection.high: must be at least frustrated (0.9): "
        "0 <= frustrated <= high <= 1",
    ]


def test_a_missing_persona_a_bad_section_and_broken_yaml_are_named(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "assistant.yml"
    path.write_text("assistant_name: Sam\ncompany: S-Club\ncontact:\n  phone: '1'\ncrm: 5\n")
    assert problems(path, monkeypatch) == [
        "assistant.yml:3: contact.email: is required", "assistant.yml:3: contact.website: is required",
        "assistant.yml:3: contact.team_hours: is required", "assistant.yml:5: crm: must be a mapping of settings (got 5)"]
    path.write_text("assistant_name: Sam\ncontact: [1\n")
    [problem] = problems(path, monkeypatch)
    assert problem.startswith("assistant.yml:3: not valid YAML")
    assert problems(tmp_path / "absent.yml", monkeypatch)[0].startswith("absent.yml: cannot read it")


def test_a_section_from_a_dict_is_checked_the_same_way() -> None:
    assert section("feedback", {"nps_rate": 1}).nps_rate == 1.0
    with pytest.raises(AssistantConfigError, match=r"^assistant.yml: team.unclaimed_update_after_s: must be a number "
                                                   r"of at least 0 \(got True\)$"):
        section("team", {"unclaimed_update_after_s": True})
    with pytest.raises(AssistantConfigError, match="assistant_name: is required"):
        AssistantConfig.from_dict({"company": "S-Club"})


def test_the_language_and_the_privacy_section_are_typed_settings_too(tmp_path: Path, monkeypatch) -> None:
    config = AssistantConfig.load(PROJECT_DIR / "assistant.yml")
    assert config.persona.language == "en" and config.privacy.retention_days == 365
    path = shipped_with(tmp_path, "  queue_retention_days: 7", "  queue_retention_days: -1")
    assert problems(path, monkeypatch) == [f"assistant.yml:{line_of(path, 'queue_retention_days: -1')}: "
                                           "privacy.queue_retention_days: must be a number above 0 (got -1)"]
    path = shipped_with(tmp_path, "  retention_days: 365", "  retention_dayz: 365")
    [problem] = problems(path, monkeypatch)
    assert problem.startswith(f"assistant.yml:{line_of(path, 'retention_dayz:')}: privacy.retention_dayz: unknown setting")
