"""The CRM sync's place in the Rasa server: the process's sync worker, made from its settings
(tests/integration/test_crm_sync.py runs it there)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import AssistantConfig, CrmConfig, Settings
from bot.errors import ConfigError
from bot.ops import RasaServices
from channels.crm import CrmSyncInput
from tests.conftest import PROJECT_DIR


def services(tmp_path: Path, **env: str) -> RasaServices:
    settings = Settings.from_env({"FRONTDESK_STATE_DIR": str(tmp_path), **env}, project_dir=PROJECT_DIR)
    config = replace(AssistantConfig.load(settings.assistant_file), crm=CrmConfig(idle_timeout_s=90, poll_interval_s=0.1))
    return RasaServices(settings, config)


def test_it_needs_a_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HUBSPOT_ACCESS_TOKEN"):
        CrmSyncInput.from_services(services(tmp_path))


def test_it_reads_its_settings_and_address(tmp_path: Path) -> None:
    sync = CrmSyncInput.from_services(services(tmp_path, HUBSPOT_ACCESS_TOKEN="pat-x", HUBSPOT_API_BASE="http://127.0.0.1:9"))
    assert sync.name() == "crm" and sync.sync.config.idle_timeout_s == 90
    assert sync.sync.client.base == "http://127.0.0.1:9"
    assert "90 s idle" in sync.description
