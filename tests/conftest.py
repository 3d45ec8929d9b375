"""Shared test set-up: a clean environment for every test, and the project's paths."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
# ../shared next to the project, found from a git worktree too (e.g. /work/wt/NAME -> /work/shared).
SHARED_DIR = next((p / "shared" for p in PROJECT_DIR.parents if (p / "shared").is_dir()), PROJECT_DIR.parent / "shared")

# Variables that would make a test depend on the developer's shell or .env.
_LEAKY_PREFIXES = ("RASA_", "ACTIONS_", "FRONTDESK_", "DATABASE_URL", "TWILIO_", "TELEGRAM_", "AGENT_", "HUBSPOT_", "HANDOFF_", "REDIS_URL", "ACTION_SERVERS",
                   "RESPONSES_FILE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_LEAKY_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "false")


@functools.lru_cache(maxsize=None)
def project_responses():
    """The project's responses catalogue (responses/en.yml) with assistant.yml's persona, not re-read during tests."""
    from bot.config import Persona
    from bot.responses import Responses

    return Responses.load(PROJECT_DIR / "responses" / "en.yml", Persona.load(PROJECT_DIR / "assistant.yml"),
                          reload_interval_s=None)


@pytest.fixture
def responses():
    return project_responses()
