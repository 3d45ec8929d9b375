"""The real scorer (MiniLM + the shipped head) and the shipped thresholds, loaded once."""

from __future__ import annotations

import pytest

from bot.config import AssistantConfig, DetectionConfig
from bot.detect import FrustrationScorer
from bot.kb.encoder import Encoder
from tests.conftest import PROJECT_DIR


@pytest.fixture(scope="session")
def scorer() -> FrustrationScorer:
    return FrustrationScorer.load(Encoder())


@pytest.fixture(scope="session")
def config() -> DetectionConfig:
    return AssistantConfig.load(PROJECT_DIR / "assistant.yml").detection
