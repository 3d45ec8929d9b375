from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.config.settings import Settings


def test_defaults_need_no_configuration(tmp_path: Path) -> None:
    settings = Settings.from_env({}, project_dir=tmp_path)
    assert settings.rasa_port == 5005 and settings.actions_port == 5055
    assert settings.state_dir == (tmp_path / ".state").resolve()
    assert settings.database_url == f"sqlite:///{settings.state_dir / 'frontdesk.db'}"
    assert settings.api_token_generated and len(settings.rasa_api_token) >= 24


def test_generated_tokens_differ_between_runs(tmp_path: Path) -> None:
    assert Settings.from_env({}, tmp_path).rasa_api_token != Settings.from_env({}, tmp_path).rasa_api_token


def test_environment_overrides(tmp_path: Path) -> None:
    env = {"RASA_PORT": "6005", "ACTIONS_PORT": "6055", "RASA_API_TOKEN": "s3cret", "DATABASE_URL": "postgresql://db/x"}
    settings = Settings.from_env(env, project_dir=tmp_path)
    assert (settings.rasa_port, settings.actions_port) == (6005, 6055)
    assert settings.rasa_api_token == "s3cret" and not settings.api_token_generated
    assert settings.database_url == "postgresql://db/x"


def test_settings_repr_hides_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"TWILIO_AUTH_TOKEN": "do-not-print"}, project_dir=tmp_path)
    assert "do-not-print" not in repr(settings)


def test_dotenv_is_read_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("RASA_PORT=7005\nACTIONS_PORT=7055\n")
    monkeypatch.setenv("ACTIONS_PORT", "8055")
    settings = Settings.from_env(project_dir=tmp_path)
    assert (settings.rasa_port, settings.actions_port) == (7005, 8055)


@pytest.mark.parametrize("value", ["abc", "70000", "-1", "5005.5"])
def test_bad_port_is_a_one_line_config_error_naming_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="RASA_PORT"):
        Settings.from_env({"RASA_PORT": value}, project_dir=tmp_path)


def test_handoff_is_off_until_someone_can_receive_it(tmp_path: Path) -> None:
    assert not Settings.from_env({}, project_dir=tmp_path).handoff.configured
    settings = Settings.from_env({"AGENT_TOKEN": "a" * 24, "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_AGENT_CHAT_ID": "-1001"},
                                 project_dir=tmp_path)
    assert settings.handoff.configured and settings.handoff.telegram_agent_chat_id == -1001
    assert "a" * 24 not in repr(settings.handoff)


@pytest.mark.parametrize("env, variable", [
    ({"HANDOFF_WEBHOOK_URL": "https://crm.example/hook"}, "HANDOFF_WEBHOOK_SECRET"),
    ({"HANDOFF_WEBHOOK_URL": "crm.example", "HANDOFF_WEBHOOK_SECRET": "s"}, "HANDOFF_WEBHOOK_URL"),
    ({"TELEGRAM_AGENT_CHAT_ID": "-100"}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_AGENT_CHAT_ID": "agents", "TELEGRAM_BOT_TOKEN": "1:x"}, "TELEGRAM_AGENT_CHAT_ID"),
    ({"AGENT_TOKEN": "short"}, "AGENT_TOKEN"),
    ({"AGENT_SESSION_HOURS": "0"}, "AGENT_SESSION_HOURS"),
    ({"AGENT_SESSION_HOURS": "a day"}, "AGENT_SESSION_HOURS"),
    ({"TRUSTED_PROXIES": "127.0.0.1, proxy.example"}, "TRUSTED_PROXIES"),
    ({"AGENT_NAME": "team lead"}, "AGENT_NAME"),
])
def test_incomplete_handoff_settings_fail_naming_the_variable(tmp_path: Path, env: dict, variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env, project_dir=tmp_path)


def test_the_action_server_binds_loopback_with_a_secret_by_default(tmp_path: Path) -> None:
    settings = Settings.from_env({}, project_dir=tmp_path)
    assert settings.actions_host == "127.0.0.1" and len(settings.actions_secret) >= 32
    assert settings.actions_url == "http://127.0.0.1:5055/webhook"
    assert settings.actions_secret not in repr(settings) and settings.rasa_api_token not in repr(settings)


def test_a_wildcard_action_host_is_reached_over_loopback(tmp_path: Path) -> None:
    settings = Settings.from_env({"ACTIONS_HOST": "0.0.0.0", "ACTIONS_SECRET": "x" * 24}, project_dir=tmp_path)
    assert settings.actions_host == "0.0.0.0" and settings.actions_url == "http://127.0.0.1:5055/webhook"
    assert settings.actions_secret == "x" * 24


def test_a_short_action_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ACTIONS_SECRET"):
        Settings.from_env({"ACTIONS_SECRET": "short"}, project_dir=tmp_path)


def test_desk_sign_in_settings_have_defaults_and_read_the_environment(tmp_path: Path) -> None:
    default = Settings.from_env({}, project_dir=tmp_path).desk
    assert (default.bootstrap_name, default.session_hours, default.trusted_proxies) == ("lead", 12.0, ())
    desk = Settings.from_env({"AGENT_NAME": "Maya", "AGENT_SESSION_HOURS": "1.5", "TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"},
                             project_dir=tmp_path).desk
    assert (desk.bootstrap_name, desk.session_hours) == ("Maya", 1.5)
    assert desk.trusts("127.0.0.1") and desk.trusts("10.20.30.40")
    assert not desk.trusts("192.168.1.1") and not desk.trusts("not an address")


def test_several_action_servers_and_a_redis_url_are_read(tmp_path: Path) -> None:
    settings = Settings.from_env({"ACTION_SERVERS": "2", "REDIS_URL": " redis://r:6379/0 "}, project_dir=tmp_path)
    assert settings.action_servers == 2 and settings.redis_url == "redis://r:6379/0"
    assert Settings.from_env({}, project_dir=tmp_path).action_servers == 1


@pytest.mark.parametrize("value", ["two", "0", "99"])
def test_a_bad_number_of_action_servers_is_one_line_naming_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^ACTION_SERVERS={value!r}|^ACTION_SERVERS={value} "):
        Settings.from_env({"ACTION_SERVERS": value}, project_dir=tmp_path)


def test_webhook_turns_run_eight_at_once_unless_told(tmp_path: Path) -> None:
    assert Settings.from_env({}, project_dir=tmp_path).turns.concurrency == 8
    assert Settings.from_env({"FRONTDESK_TURN_CONCURRENCY": "3"}, project_dir=tmp_path).turns.concurrency == 3


@pytest.mark.parametrize("value", ["many", "0", "-2"])
def test_a_bad_turn_concurrency_is_one_line_naming_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^FRONTDESK_TURN_CONCURRENCY={value!r}|^FRONTDESK_TURN_CONCURRENCY={value} "):
        Settings.from_env({"FRONTDESK_TURN_CONCURRENCY": value}, project_dir=tmp_path)
