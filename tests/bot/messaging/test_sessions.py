"""Visitor sessions: unguessable ids in their own namespace, signed with a key that outlives the process."""

import os
import re
import stat
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.messaging.sessions import KEY_FILE, SessionSigner, session_key
from bot.config.settings import Settings

KEY = b"k" * 32
# How the other channels form conversation ids (channels/twilio.py, channels/telegram.py).
SMS_ID = re.compile(r"\+\d+")
WHATSAPP_ID = re.compile(r"whatsapp:\+\d+")
TELEGRAM_ID = re.compile(r"-?\d+")


@pytest.mark.parametrize("channel", ["rest", "webchat"])
def test_an_issued_session_verifies_and_names_its_conversation(channel: str) -> None:
    signer = SessionSigner(KEY)
    session = signer.issue(channel)
    assert session.conversation_id.startswith(f"{channel}:") and session.channel == channel
    assert signer.verify(session.credential) == session


def test_ids_carry_128_random_bits_and_never_repeat() -> None:
    ids = {SessionSigner(KEY).issue().conversation_id for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i.split(":", 1)[1]) == 22 for i in ids)  # 16 bytes, base64url


def test_issued_ids_can_never_be_an_sms_whatsapp_or_telegram_conversation() -> None:
    signer = SessionSigner(KEY)
    for _ in range(500):
        conversation_id = signer.issue("webchat").conversation_id
        assert not any(p.fullmatch(conversation_id) for p in (SMS_ID, WHATSAPP_ID, TELEGRAM_ID))


def test_a_session_cannot_be_issued_for_another_channel() -> None:
    with pytest.raises(ValueError):
        SessionSigner(KEY).issue("sms")


def test_forged_tampered_and_foreign_credentials_are_refused() -> None:
    signer = SessionSigner(KEY)
    good = signer.issue("webchat").credential
    conversation_id, signature = good.rsplit(".", 1)
    other = signer.issue("webchat").conversation_id
    forged = [
        f"{other}.{signature}",  # another id under this signature
        f"{conversation_id}.{'A' * 43}",  # a made-up signature
        good.replace("webchat:", "rest:"),  # the same id in the other namespace
        SessionSigner(b"x" * 32).issue("webchat").credential,  # signed with another key
        "+15551199042", "", "webchat:", good + "x", good[:-1], good * 3,
    ]
    assert [signer.verify(c) for c in forged] == [None] * len(forged)


def test_the_key_file_is_made_once_with_0600_and_sessions_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings.from_env({"FRONTDESK_STATE_DIR": str(tmp_path)}, project_dir=tmp_path)
    credential = SessionSigner(session_key(settings)).issue().credential
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SessionSigner(session_key(settings)).verify(credential) is not None  # a new process, the same key


def test_a_key_file_others_can_read_stops_start_up(tmp_path: Path) -> None:
    settings = Settings.from_env({"FRONTDESK_STATE_DIR": str(tmp_path)}, project_dir=tmp_path)
    session_key(settings)
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        session_key(settings)


def test_the_environment_key_is_shared_by_instances_and_no_file_is_written(tmp_path: Path) -> None:
    env = {"FRONTDESK_STATE_DIR": str(tmp_path), "FRONTDESK_SESSION_KEY": "s" * 40}
    first = SessionSigner(session_key(Settings.from_env(env, project_dir=tmp_path)))
    second = SessionSigner(session_key(Settings.from_env(env, project_dir=tmp_path)))
    assert second.verify(first.issue().credential) is not None
    assert not (tmp_path / KEY_FILE).exists()


def test_a_short_environment_key_is_refused_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FRONTDESK_SESSION_KEY"):
        Settings.from_env({"FRONTDESK_SESSION_KEY": "short"}, project_dir=tmp_path)


def test_the_key_never_shows_in_the_settings_repr(tmp_path: Path) -> None:
    settings = Settings.from_env({"FRONTDESK_SESSION_KEY": "secret-" * 6}, project_dir=tmp_path)
    assert "secret-" not in repr(settings)
