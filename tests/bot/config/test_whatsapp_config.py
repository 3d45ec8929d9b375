"""`whatsapp:` templates and the environment's Content SIDs: a bad SID or variables that do not fill the template's
placeholders stop start-up with one line naming the setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import AssistantConfig, AssistantConfigError, Settings, Template
from bot.errors import ConfigError
from tests.conftest import PROJECT_DIR

SHIPPED = (PROJECT_DIR / "assistant.yml").read_text()
GOOD_SID = "HX0123456789abcdef0123456789abcdef"


def with_templates(tmp_path: Path, templates: str) -> Path:
    assert "  templates: {}\n" in SHIPPED
    path = tmp_path / "assistant.yml"
    path.write_text(SHIPPED.replace("  templates: {}\n", "  templates:\n" + templates, 1))
    return path


def problems(path: Path, monkeypatch) -> list[str]:
    monkeypatch.chdir(path.parent)
    with pytest.raises(AssistantConfigError) as refused:
        AssistantConfig.load(path)
    return refused.value.problems


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def test_a_template_reads_with_its_variables_and_body(tmp_path: Path) -> None:
    path = with_templates(tmp_path, f"""    agent_reply:
      content_sid: {GOOD_SID}
      variables: {{1: name, 2: agent, 3: text}}
      body: "Hi {{{{1}}}}, {{{{2}}}} replied: {{{{3}}}}"
    survey:
      content_sid: {GOOD_SID.replace('0', 'f')}
""")
    config = AssistantConfig.load(path)
    assert config.whatsapp.templates["agent_reply"] == Template(GOOD_SID, {"1": "name", "2": "agent", "3": "text"},
                                                                 "Hi {{1}}, {{2}} replied: {{3}}")
    assert config.whatsapp.templates["survey"].variables == {"1": "name", "2": "text"}
    assert config.whatsapp.window_s == 86400 and config.follow_up.after_resolved_s == 86400


def test_a_sid_that_is_not_hx_and_32_hex_is_one_line_naming_the_setting(tmp_path: Path, monkeypatch) -> None:
    path = with_templates(tmp_path, "    agent_reply:\n      content_sid: HX123\n")
    assert problems(path, monkeypatch) == [
        f"assistant.yml:{line_of(path, 'content_sid: HX123')}: whatsapp.templates.agent_reply.content_sid: "
        "is not a Content SID: HX followed by 32 hex characters (got 'HX123')"]


def test_variables_that_do_not_fill_the_templates_placeholders_are_refused(tmp_path: Path, monkeypatch) -> None:
    path = with_templates(tmp_path, f"""    follow_up:
      content_sid: {GOOD_SID}
      variables: {{1: name, 2: topic}}
      body: "Hi {{{{1}}}}, following up on {{{{2}}}}: {{{{3}}}}"
""")
    [problem] = problems(path, monkeypatch)
    assert problem == (f"assistant.yml:{line_of(path, 'body:')}: whatsapp.templates.follow_up.body: "
                       "the variables fill {{1}}, {{2}} but the body has {{1}}, {{2}}, {{3}}")


@pytest.mark.parametrize("variables, wanted", [
    ("{1: name, 3: text}", "placeholders must be numbered 1 to 2 (got 1, 3)"),
    ("{1: agent}", "'agent' is not a field of follow_up (one of name, topic, text, company)"),
])
def test_variables_must_be_numbered_and_name_the_purposes_fields(tmp_path: Path, monkeypatch, variables, wanted) -> None:
    path = with_templates(tmp_path, f"    follow_up:\n      content_sid: {GOOD_SID}\n      variables: {variables}\n")
    [problem] = problems(path, monkeypatch)
    assert problem.endswith(wanted) and "whatsapp.templates.follow_up.variables" in problem


def test_an_unknown_purpose_is_named(tmp_path: Path, monkeypatch) -> None:
    path = with_templates(tmp_path, f"    reminder:\n      content_sid: {GOOD_SID}\n")
    [problem] = problems(path, monkeypatch)
    assert "whatsapp.templates.reminder: is not a purpose" in problem


def test_the_environments_sids_and_seconds_are_checked() -> None:
    settings = Settings.from_env({"TWILIO_CONTENT_SID_AGENT_REPLY": GOOD_SID, "WHATSAPP_WINDOW_S": "5",
                                  "FOLLOW_UP_AFTER_S": "2.5"})
    assert settings.twilio.content_sids == {"agent_reply": GOOD_SID}
    assert settings.twilio.window_s == 5.0 and settings.handoff.follow_up_after_s == 2.5
    with pytest.raises(ConfigError, match="^TWILIO_CONTENT_SID_SURVEY is not a Content SID"):
        Settings.from_env({"TWILIO_CONTENT_SID_SURVEY": "MG0123456789abcdef0123456789abcdef"})
    with pytest.raises(ConfigError, match="^WHATSAPP_WINDOW_S='soon' is not a number of seconds"):
        Settings.from_env({"WHATSAPP_WINDOW_S": "soon"})


def test_frontdesk_run_stops_with_one_line_for_a_bad_sid(tmp_path: Path) -> None:
    path = with_templates(tmp_path, "    survey:\n      content_sid: HXnothex\n")
    env = {"PATH": "/usr/bin:/bin", "ASSISTANT_FILE": str(path), "FRONTDESK_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-m", "bot.ops.cli", "run"], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "whatsapp.templates.survey.content_sid" in lines[0], lines
