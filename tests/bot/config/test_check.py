"""`frontdesk config check`: the effective configuration with every secret hidden, or one line per problem."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.ops.cli import main

SECRETS = {"RASA_API_TOKEN": "rasa-token-do-not-print", "ACTIONS_SECRET": "actions-secret-do-not-print",
           "AGENT_TOKEN": "agent-token-do-not-print", "TELEGRAM_BOT_TOKEN": "1:telegram-do-not-print",
           "TELEGRAM_WEBHOOK_SECRET": "webhook-do-not-print", "TWILIO_AUTH_TOKEN": "twilio-do-not-print",
           "HUBSPOT_ACCESS_TOKEN": "pat-do-not-print", "FRONTDESK_SESSION_KEY": "session-key-do-not-print-" * 2,
           "DATABASE_URL": "postgresql://frontdesk:password-do-not-print@db.internal/frontdesk",
           "REDIS_URL": "redis://:redis-do-not-print@redis.internal:6379/0"}


def test_it_prints_the_effective_configuration_with_secrets_hidden(monkeypatch, capsys, tmp_path: Path) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FRONTDESK_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("TWILIO_SMS_NUMBER", "+15005550006")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "do-not-print" not in out
    shown = yaml.safe_load(out)
    assert shown["company"] == "S-Club" and shown["knowledge_base"]["answer_confidence"] == 0.55
    assert shown["crm"]["close_grace_s"] == 5.0  # defaults are shown too
    env = shown["environment"]
    assert env["rasa_api_token"] == env["actions_secret"] == env["session_key"] == "***"
    assert env["handoff"]["agent_token"] == env["telegram"]["bot_token"] == env["twilio"]["auth_token"] == "***"
    assert env["hubspot"]["access_token"] == "***" and env["handoff"]["webhook_secret"] == ""  # not set
    assert env["database_url"] == "postgresql://frontdesk:***@db.internal/frontdesk"
    assert env["redis_url"] == "redis://:***@redis.internal:6379/0"
    assert env["twilio"]["sms_number"] == "+15005550006" and env["state_dir"] == str(tmp_path)


def test_problems_are_one_line_each_and_exit_1(monkeypatch, capsys, tmp_path: Path) -> None:
    bad = tmp_path / "assistant.yml"
    bad.write_text("assistant_name: Sam\ncompany: S-Club\ncontact: {phone: '1', email: e, website: w, team_hours: h}\n"
                   "feedback:\n  nps_rate: lots\n  npsrate: 0.5\n")
    monkeypatch.setenv("RASA_PORT", "http")
    monkeypatch.chdir(tmp_path)
    assert main(["config", "check", "--file", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "environment: RASA_PORT='http' is not a port number (use 1-65535)",
        "assistant.yml:6: feedback.npsrate: unknown setting (did you mean nps_rate?)",
        "assistant.yml:5: feedback.nps_rate: must be a number between 0 and 1 (got 'lots')",
    ]
