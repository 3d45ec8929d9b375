"""The Rasa server process, assembled in one place: every service its channels, agent desk and workers use.

`python -m bot.ops.rasa_server` (what `frontdesk run` starts) reads the Settings and assistant.yml once,
builds `RasaServices` and `assemble()`s it before Rasa's CLI runs. Rasa then makes the input channels
(`InputChannel.from_credentials`, which takes no services), and each connector asks `rasa_services()`
for what it needs: one database engine for the process, one responses catalogue, one handoff desk and eraser,
one retention worker, one loop for the turns, and per
messaging channel its inbox, outbox worker, sender and state (`channel()`). Connectors build none of it.

Tests build their own `RasaServices(settings, config)` (optionally on their engine) and hand it to a
connector's `from_services`. Rasa's tracker store is the one thing Rasa builds itself, from endpoints.yml
(bot/messaging/tracker_store.py), with its own engine.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine

from bot.agents import AgentAccounts, AgentWork, AuditLog, DeskSessions
from bot.config import AssistantConfig, Settings, TurnSettings, WindowRules
from bot.crm import CrmSync
from bot.errors import ConfigError
from bot.handoff import CHANNEL as WEBHOOK_CHANNEL, FollowUpWorker, HandoffDesk, WebhookSender
from bot.learn import Suggestions
from bot.messaging import (BackgroundLoop, ChannelState, Inbox, Outbox, OutboxWorker, WhatsAppWindow, WindowedSender,
                           open_database, session_key)
from bot.privacy import RetentionWorker, open_eraser
from bot.responses import open_responses

logger = logging.getLogger(__name__)

MESSAGING_CHANNELS = ("telegram", "sms", "whatsapp")


@dataclass(frozen=True)
class ChannelParts:
    """What a messaging connector is given: the inbox it accepts into, the outbox worker that sends its
    replies (with the vendor's sender), the channel's per-customer state, and the loop turns run on."""

    channel: str
    inbox: Inbox
    worker: OutboxWorker
    state: ChannelState
    background: BackgroundLoop
    turns: TurnSettings

    @property
    def outbox(self) -> Outbox:
        return self.worker.box


class RasaServices:
    """Built once per Rasa server process from one Settings and one AssistantConfig."""

    def __init__(self, settings: Settings, config: AssistantConfig, engine: Engine | None = None) -> None:
        self.settings = settings
        self.config = config
        if engine is None:
            settings.state_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite database lives there
            engine = open_database(settings.database_url)
        self.engine = engine
        self.responses = open_responses(settings, config.persona)  # what the assistant says (responses/<language>.yml)
        twilio = settings.twilio  # WhatsApp's 24-hour window: assistant.yml's whatsapp section, the environment over it
        self.whatsapp_window = WhatsAppWindow(self.engine, WindowRules.of(config.whatsapp, twilio.window_s, twilio.content_sids))
        self.desk = HandoffDesk.configured(self.engine, settings.handoff, config, self.responses, window=self.whatsapp_window)
        self.outbox = self.desk.outbox
        self.background = BackgroundLoop(threaded=settings.turns.threaded)
        self.accounts = AgentAccounts(self.engine, settings.handoff.agent_token, settings.desk.bootstrap_name)
        self.audit = AuditLog(self.engine)
        self.desk_sessions = DeskSessions(self.engine, self.accounts, settings.desk.session_hours)
        self.eraser = open_eraser(settings, self.engine, config.crm)  # leads forget a customer from the desk
        self.agent_work = AgentWork(self.desk, self.accounts, self.audit, self.eraser)
        # the knowledge base's suggested questions: agents link handed-over questions to entries, leads review them
        self.suggestions = Suggestions(self.engine, settings.project_dir / config.knowledge_base.folder, config.knowledge_base)
        self._channels: dict[str, ChannelParts] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> RasaServices:
        """Settings from the environment (once) and the assistant.yml they name."""
        settings = Settings.from_env()
        return cls(settings, AssistantConfig.load(settings.assistant_file))

    @cached_property
    def session_key(self) -> bytes:
        """The key web visitors' sessions are signed with (FRONTDESK_SESSION_KEY or <state>/session.key)."""
        return session_key(self.settings)

    @cached_property
    def handoff_webhook(self) -> OutboxWorker | None:
        """The worker that posts handoffs to HANDOFF_WEBHOOK_URL, signed; None when it is not set."""
        if not self.settings.handoff.webhook_url:
            return None
        return OutboxWorker(self.outbox, {WEBHOOK_CHANNEL: WebhookSender(self.settings.handoff.webhook_secret)})

    @cached_property
    def telegram_bot(self):
        """python-telegram-bot's Bot for TELEGRAM_BOT_TOKEN (no network call until a send)."""
        from bot.vendors import make_bot

        self.settings.telegram.require()
        return make_bot(self.settings.telegram.bot_token, self.settings.telegram.api_base or None)

    @cached_property
    def follow_up_worker(self) -> FollowUpWorker:
        """Sends the follow-ups after a resolve when due (assistant.yml's `follow_up:`; FOLLOW_UP_AFTER_S)."""
        assert self.desk.follow_ups is not None
        return FollowUpWorker(self.desk.follow_ups)

    @cached_property
    def retention(self) -> RetentionWorker:
        """The daily purge of conversations quiet for longer than assistant.yml's `privacy.retention_days`."""
        return RetentionWorker(self.engine, self.config.privacy)

    @cached_property
    def crm_sync(self) -> CrmSync:
        """The HubSpot sync worker (ConfigError without HUBSPOT_ACCESS_TOKEN)."""
        from bot.vendors import HubSpotClient

        hubspot, config = self.settings.hubspot, self.config.crm
        hubspot.require()
        client = HubSpotClient(hubspot.access_token, hubspot.api_base or None, max_per_s=config.max_requests_per_s)
        return CrmSync(self.engine, client, config)

    def channel(self, name: str) -> ChannelParts:
        """The parts of messaging channel `name` (telegram, sms, whatsapp), made the first time it is asked
        for; ConfigError naming the variables it lacks."""
        with self._lock:
            if name not in self._channels:
                self._channels[name] = self._channel_parts(name)
            return self._channels[name]

    def _channel_parts(self, name: str) -> ChannelParts:
        from bot.vendors import OptOutAware, TelegramSender, TwilioSender

        state = ChannelState(self.engine, name)
        if name == "telegram":  # a chat that blocked the bot (403) is opted out until it writes again
            sender = OptOutAware(TelegramSender(self.telegram_bot), state)
        elif name in ("sms", "whatsapp"):
            twilio = self.settings.twilio
            twilio.require(name)
            prefix = "whatsapp:" if name == "whatsapp" else ""
            sender = TwilioSender(twilio.account_sid, twilio.auth_token, prefix + twilio.number(name),
                                  api_base=twilio.api_base or None, status_callback=twilio.webhook_url(name))
            if name == "whatsapp":  # free-form inside the 24-hour window, a template outside it, else held
                sender = WindowedSender(sender, self.whatsapp_window, self.config.persona.company)
            sender = OptOutAware(sender, state)
        else:
            raise ConfigError(f"{name!r} is not a messaging channel (one of {', '.join(MESSAGING_CHANNELS)})")
        return ChannelParts(name, Inbox(self.engine), OutboxWorker(self.outbox, {name: sender}), state,
                            self.background, self.settings.turns)


_assembled: RasaServices | None = None
_assembling = threading.Lock()


def assemble(services: RasaServices | None = None) -> RasaServices:
    """Make `services` (else ones built from the environment) this process's; done once, at start-up."""
    global _assembled
    with _assembling:
        if _assembled is None:
            _assembled = services if services is not None else RasaServices.from_environment()
        elif services is not None and services is not _assembled:
            raise RuntimeError("the Rasa server process is assembled already")
        return _assembled


def rasa_services() -> RasaServices:
    """This process's services, for the connectors Rasa creates: the ones assembled at start-up
    (bot/ops/rasa_server.py), or, when Rasa was started another way, assembled now, once."""
    return _assembled if _assembled is not None else assemble()
