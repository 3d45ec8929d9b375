"""Each process is assembled once, in one place: one Settings, one database engine, one handoff desk,
handed to every connector (the Rasa server) or action (the action server)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy

from bot.config import AssistantConfig, Settings
from bot.errors import SetupError
from bot.ops import action_process, rasa_process
from bot.ops.action_process import ActionServices, action_services, serve
from bot.ops.rasa_process import RasaServices, assemble, rasa_services
from tests.conftest import PROJECT_DIR

EVERY_CHANNEL = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t" * 32, "TWILIO_SMS_NUMBER": "+15005550006",
                 "TWILIO_WHATSAPP_NUMBER": "+14123456789", "PUBLIC_BASE_URL": "https://bot.example",
                 "TELEGRAM_BOT_TOKEN": "1:tok", "TELEGRAM_WEBHOOK_SECRET": "s" * 32, "TELEGRAM_AGENT_CHAT_ID": "-1001",
                 "HUBSPOT_ACCESS_TOKEN": "pat-x", "AGENT_TOKEN": "a" * 24,
                 "HANDOFF_WEBHOOK_URL": "http://127.0.0.1:9/hook", "HANDOFF_WEBHOOK_SECRET": "w" * 24}


@pytest.fixture
def engines(monkeypatch) -> list[str]:
    """Every SQLAlchemy engine made from now on (its URL)."""
    made: list[str] = []
    create = sqlalchemy.create_engine

    def counting(url, *args, **kwargs):
        made.append(str(url))
        return create(url, *args, **kwargs)

    monkeypatch.setattr(sqlalchemy, "create_engine", counting)
    return made


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"FRONTDESK_STATE_DIR": str(tmp_path), **EVERY_CHANNEL}, project_dir=PROJECT_DIR)


def connectors(services: RasaServices) -> list:
    from channels.agent_desk import AgentDeskInput
    from channels.crm import CrmSyncInput
    from channels.rest import RestInput
    from channels.retention import RetentionInput
    from channels.telegram import TelegramInput
    from channels.twilio import SmsInput, WhatsAppInput

    return [kind.from_services(services) for kind in (RestInput, TelegramInput, SmsInput, WhatsAppInput, CrmSyncInput,
                                                      AgentDeskInput, RetentionInput)]


def test_the_rasa_process_has_one_engine_and_one_desk_for_every_channel(settings, engines) -> None:
    services = RasaServices(settings, AssistantConfig.load(settings.assistant_file))
    made = connectors(services)
    assert len(engines) == 1  # was one per connector, plus one for the edge's handoff desk
    assert {id(c.desk) for c in made if hasattr(c, "desk")} == {id(services.desk)}
    # one responses catalogue: the desk's and the connectors' that speak themselves
    assert {id(c.responses) for c in made if hasattr(c, "responses")} == {id(services.responses)}
    assert services.desk.responses is services.responses
    assert made[-1].worker is services.retention and services.retention.engine is services.engine
    assert services.agent_work.eraser is services.eraser and services.eraser.engine is services.engine
    inbounds = [c.inbound for c in made if hasattr(c, "inbound")]
    assert len(inbounds) == 3 and {id(i.background) for i in inbounds} == {id(services.background)}
    assert services.channel("sms") is services.channel("sms")  # a channel's parts are made once


def test_rasas_connectors_get_the_services_assembled_at_start_up(settings, engines, monkeypatch) -> None:
    from channels.rest import RestInput

    monkeypatch.setattr(rasa_process, "_assembled", None)
    services = assemble(RasaServices(settings, AssistantConfig.load(settings.assistant_file)))
    monkeypatch.setattr(Settings, "from_env", lambda *a, **k: pytest.fail("the settings were read again"))
    assert rasa_services() is services and RestInput.from_credentials(None).desk is services.desk
    with pytest.raises(RuntimeError, match="assembled already"):
        assemble(RasaServices(settings, services.config, engine=services.engine))
    assert len(engines) == 1


def test_started_another_way_the_rasa_process_is_assembled_once_from_the_environment(tmp_path, engines,
                                                                                     monkeypatch) -> None:
    monkeypatch.setattr(rasa_process, "_assembled", None)
    monkeypatch.setenv("FRONTDESK_STATE_DIR", str(tmp_path))
    reads = []
    from_env = Settings.from_env.__func__
    monkeypatch.setattr(Settings, "from_env", classmethod(lambda cls, *a, **k: reads.append(1) or from_env(cls, *a, **k)))
    assert rasa_services() is rasa_services()
    assert len(reads) == 1 and len(engines) == 1


def test_the_action_process_has_one_engine_and_its_actions_use_what_it_served(settings, engines, monkeypatch) -> None:
    from actions.greet import ActionGreet

    encoder = object()
    monkeypatch.setattr(action_process, "open_knowledge_base", lambda *a, **k: SimpleNamespace(encoder=encoder))
    monkeypatch.setattr(action_process.FrustrationScorer, "load", lambda model: SimpleNamespace(model=model))
    monkeypatch.setattr(action_process, "_served", None)
    with pytest.raises(SetupError, match="no services"):
        action_services()
    services = ActionServices.build(settings, AssistantConfig.load(settings.assistant_file))
    assert len(engines) == 1  # was two: the actions' database and the handoff desk's
    assert services.desk.store.engine is services.engine and services.scorer.model is encoder
    assert services.learning.suggestions.engine is services.engine  # suggestions are written on the same engine
    serve(services)
    assert ActionGreet().services is services  # as rasa_sdk makes it: no arguments
    assert services.desk.responses is services.responses
    other = ActionServices(settings, services.config, services.engine, services.knowledge_base, services.scorer,
                           services.desk, services.responses)
    assert ActionGreet(other).services is other  # a test's own
