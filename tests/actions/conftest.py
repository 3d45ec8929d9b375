"""Action tests run the real actions (and the real knowledge base) in-process, with trackers built from
JSON files named after the situation, and services the tests build themselves (their own settings, a
temporary state folder and database), handed to each action: `ActionAnswerFaq(services)`."""

import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker

from bot.config import AssistantConfig, Settings
from bot.ops import ActionServices
from tests.conftest import PROJECT_DIR

TRACKERS = Path(__file__).with_name("trackers")


def tracker(name: str, **overrides) -> Tracker:
    state = json.loads((TRACKERS / f"{name}.json").read_text())
    state.update(overrides)
    return Tracker.from_dict(state)


def action_settings(state_dir: Path, **env: str) -> Settings:
    """The action server's settings for a test: state (the knowledge-base index, the database) in `state_dir`."""
    return Settings.from_env({"FRONTDESK_STATE_DIR": str(state_dir), **env}, project_dir=PROJECT_DIR)


@pytest.fixture(scope="session")
def services(tmp_path_factory) -> ActionServices:
    """What the action server builds at start-up, built once for the session from the test's own settings;
    unwatched, so no fine-tuning runs in the background (answers come from the base sentence model)."""
    settings = action_settings(tmp_path_factory.mktemp("actions-state"))
    return ActionServices.build(settings, AssistantConfig.load(settings.assistant_file), watch=False)
