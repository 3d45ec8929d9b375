"""The messaging channels' and the CRM's settings from the environment, and how turns run in the Rasa server.

Each is part of `Settings` (bot/config/settings.py), read once per process. A channel is on when all
its variables are set (bot/ops/channels_config.py); `require()` names the ones missing. Fields marked
secret are shown as *** by `frontdesk config check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config.templates import PURPOSES, sid_problem
from bot.errors import ConfigError


def secret(default: str = "") -> str:
    """A field holding a credential: never in repr, shown as *** by `frontdesk config check`."""
    return field(default=default, repr=False, metadata={"secret": True})


def _get(env: dict[str, str], name: str) -> str:
    return env.get(name, "").strip()


def seconds(env: dict[str, str], name: str) -> float | None:
    """A number of seconds above 0 from variable `name`; None when unset; ConfigError naming it otherwise."""
    raw = _get(env, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds above 0")
    return value


@dataclass(frozen=True)
class TwilioSettings:
    """TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_NUMBER, TWILIO_WHATSAPP_NUMBER, PUBLIC_BASE_URL
    (where Twilio reaches us: the signatures are computed over it), TWILIO_API_BASE (tests); for WhatsApp's
    window (bot/config/templates.py) TWILIO_CONTENT_SID_<PURPOSE> and WHATSAPP_WINDOW_S (seconds)."""

    account_sid: str = ""
    auth_token: str = secret()
    sms_number: str = ""
    whatsapp_number: str = ""
    public_base_url: str = ""
    api_base: str = ""
    content_sids: dict[str, str] = field(default_factory=dict)  # purpose -> HX..., from TWILIO_CONTENT_SID_<PURPOSE>
    window_s: float | None = None  # WHATSAPP_WINDOW_S

    VARIABLES = {"sms": "TWILIO_SMS_NUMBER", "whatsapp": "TWILIO_WHATSAPP_NUMBER"}

    @classmethod
    def from_env(cls, env: dict[str, str]) -> TwilioSettings:
        sids = {}
        for purpose in PURPOSES:
            name = f"TWILIO_CONTENT_SID_{purpose.upper()}"
            if value := _get(env, name):
                if problem := sid_problem(value):
                    raise ConfigError(f"{name} {problem}")
                sids[purpose] = value
        return cls(_get(env, "TWILIO_ACCOUNT_SID"), _get(env, "TWILIO_AUTH_TOKEN"), _get(env, "TWILIO_SMS_NUMBER"),
                   _get(env, "TWILIO_WHATSAPP_NUMBER"), _get(env, "PUBLIC_BASE_URL"), _get(env, "TWILIO_API_BASE"),
                   sids, seconds(env, "WHATSAPP_WINDOW_S"))

    def number(self, channel: str) -> str:
        """The Twilio number of `channel` (sms or whatsapp)."""
        return self.sms_number if channel == "sms" else self.whatsapp_number

    def webhook_url(self, channel: str) -> str:
        """The public address Twilio posts `channel`'s messages to (and signs)."""
        return f"{self.public_base_url.rstrip('/')}/webhooks/{channel}/webhook"

    def require(self, channel: str) -> None:
        """ConfigError naming the variables `channel` needs and lacks."""
        given = {"TWILIO_ACCOUNT_SID": self.account_sid, "TWILIO_AUTH_TOKEN": self.auth_token,
                 "PUBLIC_BASE_URL": self.public_base_url, self.VARIABLES[channel]: self.number(channel)}
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise ConfigError(f"the {channel} channel needs {', '.join(missing)}")


@dataclass(frozen=True)
class TelegramSettings:
    """TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET (Telegram sends it back with every update), TELEGRAM_API_BASE (tests)."""

    bot_token: str = secret()
    webhook_secret: str = secret()
    api_base: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str]) -> TelegramSettings:
        return cls(_get(env, "TELEGRAM_BOT_TOKEN"), _get(env, "TELEGRAM_WEBHOOK_SECRET"), _get(env, "TELEGRAM_API_BASE"))

    def require(self) -> None:
        if not self.bot_token or not self.webhook_secret:
            raise ConfigError("the Telegram channel needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET")


@dataclass(frozen=True)
class HubSpotSettings:
    """HUBSPOT_ACCESS_TOKEN (the CRM sync is on when it is set), HUBSPOT_API_BASE (tests)."""

    access_token: str = secret()
    api_base: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str]) -> HubSpotSettings:
        return cls(_get(env, "HUBSPOT_ACCESS_TOKEN"), _get(env, "HUBSPOT_API_BASE"))

    @property
    def on(self) -> bool:
        return bool(self.access_token)

    def require(self) -> None:
        if not self.access_token:
            raise ConfigError("the CRM sync needs HUBSPOT_ACCESS_TOKEN")


@dataclass(frozen=True)
class TurnSettings:
    """How the Rasa server runs webhook turns (channels/background.py; the defaults are the measured best,
    bench/README.md): FRONTDESK_TURN_CONCURRENCY turns at once per channel and instance (default 8, at least 1),
    FRONTDESK_TURN_SETTLE_MS (100: an idle worker waits for a burst of webhooks to be acknowledged),
    FRONTDESK_TURN_THREAD=1 (turns on a second event loop in a thread), FRONTDESK_ACK_WRITE=thread (the inbox
    row written in a worker thread instead of on the loop)."""

    concurrency: int = 8
    settle_s: float = 0.1
    threaded: bool = False
    write_on_loop: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str]) -> TurnSettings:
        def number(name: str, default: str, kind: type) -> float:
            raw = _get(env, name) or default
            try:
                return kind(raw)
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number") from None

        concurrency = int(number("FRONTDESK_TURN_CONCURRENCY", "8", int))
        if concurrency < 1:
            raise ConfigError(f"FRONTDESK_TURN_CONCURRENCY={concurrency} must be at least 1")
        return cls(concurrency=concurrency,
                   settle_s=max(0.0, number("FRONTDESK_TURN_SETTLE_MS", "100", float)) / 1000,
                   threaded=_get(env, "FRONTDESK_TURN_THREAD").lower() in {"1", "true", "yes"},
                   write_on_loop=_get(env, "FRONTDESK_ACK_WRITE").lower() != "thread")
