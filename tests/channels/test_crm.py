"""The CRM sync's place in the Rasa server: made from the environment (tests/integration/test_crm_sync.py runs it there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.config.settings import Settings
from channels.crm import CrmSyncInput


def settings(tmp_path: Path, **env: str) -> Settings:
    assistant = tmp_path / "assistant.yml"
    assistant.write_text("crm:\n  idle_timeout_s: 90\n  poll_interval_s: 0.1\n")
    return Settings.from_env({"FRONTDESK_STATE_DIR": str(tmp_path), "ASSISTANT_FILE": str(assistant), **env})


def test_it_needs_a_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HUBSPOT_ACCESS_TOKEN"):
        CrmSyncInput(settings(tmp_path))


def test_it_reads_its_settings_and_address(tmp_path: Path) -> None:
    sync = CrmSyncInput(settings(tmp_path, HUBSPOT_ACCESS_TOKEN="pat-x", HUBSPOT_API_BASE="http://127.0.0.1:9"))
    assert sync.name() == "crm" and sync.sync.config.idle_timeout_s == 90
    assert sync.sync.client.base == "http://127.0.0.1:9"
    assert "90 s idle" in sync.description
