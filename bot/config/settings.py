"""Settings read once from the environment (and `.env`) into a frozen object.

Every knob has a named default so that a fresh clone runs with no
configuration at all. Environment variables win over `.env`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.config.channel_settings import HubSpotSettings, TelegramSettings, TurnSettings, TwilioSettings, seconds, secret
from bot.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def load_environment(project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The process environment laid over `<project_dir>/.env` (if present)."""
    values = {k: v for k, v in dotenv_values(project_dir / ".env").items() if v is not None}
    values.update(os.environ)
    return values


def _port(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a port number (use 1-65535)") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"{name}={port} is out of range (use 1-65535)")
    return port


AGENT_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,31}")  # agents' names, shown to customers


@dataclass(frozen=True)
class HandoffSettings:
    """Where handed-over conversations go: the agent desk (AGENT_TOKEN; agent accounts live in the
    database), a Telegram group (TELEGRAM_AGENT_CHAT_ID) and a signed webhook (HANDOFF_WEBHOOK_URL +
    HANDOFF_WEBHOOK_SECRET); FOLLOW_UP_AFTER_S, seconds after a resolve before the follow-up (over assistant.yml's
    follow_up.after_resolved_s)."""

    agent_token: str = secret()
    telegram_agent_chat_id: int | None = None
    webhook_url: str = ""
    webhook_secret: str = secret()
    follow_up_after_s: float | None = None

    @property
    def configured(self) -> bool:
        """True when the environment alone gives a person a way to receive a handoff (AGENT_TOKEN's lead, the
        Telegram group, the webhook). Agent accounts are in the database: `HandoffDesk.reachable()` asks both."""
        return bool(self.agent_token or self.telegram_agent_chat_id is not None or self.webhook_url)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> HandoffSettings:
        token = env.get("AGENT_TOKEN", "").strip()
        if token and len(token) < 16:
            raise ConfigError("AGENT_TOKEN is shorter than 16 characters: use a long random value (openssl rand -hex 24)")
        chat = env.get("TELEGRAM_AGENT_CHAT_ID", "").strip()
        chat_id = None
        if chat:
            try:
                chat_id = int(chat)
            except ValueError:
                raise ConfigError(f"TELEGRAM_AGENT_CHAT_ID={chat!r} is not a Telegram chat id (a number, -100... for groups)") from None
            if not env.get("TELEGRAM_BOT_TOKEN", "").strip():
                raise ConfigError("TELEGRAM_AGENT_CHAT_ID is set but TELEGRAM_BOT_TOKEN is not: the bot posts to the group")
        url, secret = env.get("HANDOFF_WEBHOOK_URL", "").strip(), env.get("HANDOFF_WEBHOOK_SECRET", "").strip()
        if url and not secret:
            raise ConfigError("HANDOFF_WEBHOOK_URL is set but HANDOFF_WEBHOOK_SECRET is not: every POST is signed with it")
        if url and not url.startswith(("http://", "https://")):
            raise ConfigError(f"HANDOFF_WEBHOOK_URL={url!r} is not an http(s) URL")
        return cls(token, chat_id, url, secret, seconds(env, "FOLLOW_UP_AFTER_S"))


@dataclass(frozen=True)
class DeskSettings:
    """How agents sign in to the desk: AGENT_NAME (the name of AGENT_TOKEN's lead account, default `lead`),
    AGENT_SESSION_HOURS (a desk session's lifetime, default 12) and TRUSTED_PROXIES (comma-separated
    addresses or networks whose X-Forwarded-For / -Proto / -Host headers are believed; default none)."""

    bootstrap_name: str = "lead"
    session_hours: float = 12.0
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_env(cls, env: dict[str, str]) -> DeskSettings:
        name = env.get("AGENT_NAME", "").strip() or "lead"
        if not AGENT_NAME_PATTERN.fullmatch(name):
            raise ConfigError(f"AGENT_NAME={name!r} is not a name: a letter, then up to 31 letters, digits, '.', '_' or '-'")
        raw = env.get("AGENT_SESSION_HOURS", "").strip() or "12"
        try:
            hours = float(raw)
        except ValueError:
            hours = 0.0
        if not 0 < hours <= 24 * 90:
            raise ConfigError(f"AGENT_SESSION_HOURS={raw!r} is not a number of hours (more than 0, at most 2160)")
        proxies = []
        for item in filter(None, (p.strip() for p in env.get("TRUSTED_PROXIES", "").split(","))):
            try:
                proxies.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ConfigError(f"TRUSTED_PROXIES: {item!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)") from None
        return cls(name, hours, tuple(proxies))

    def trusts(self, address: str) -> bool:
        """True when `address` (a socket peer) is one of TRUSTED_PROXIES."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


@dataclass(frozen=True)
class Settings:
    """Everything the assistant reads from its environment.

    `state_dir` holds all runtime state (SQLite databases, the knowledge-base
    index, trained models); it is git-ignored and safe to delete.
    """

    project_dir: Path
    state_dir: Path
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    rasa_api_token: str = secret()
    api_token_generated: bool = False
    actions_host: str = "127.0.0.1"
    actions_secret: str = secret()
    actions_secret_generated: bool = False
    database_url: str = ""
    redis_url: str = ""  # REDIS_URL: the per-conversation lock shared by several instances; empty: one instance
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    torch_threads: int = 1
    action_servers: int = 1  # ACTION_SERVERS: action server processes sharing ACTIONS_PORT (SO_REUSEPORT)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    desk: DeskSettings = field(default_factory=DeskSettings)
    session_key: str = secret()  # FRONTDESK_SESSION_KEY; empty: <state>/session.key (bot/messaging/sessions.py)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    hubspot: HubSpotSettings = field(default_factory=HubSpotSettings)
    turns: TurnSettings = field(default_factory=TurnSettings)
    env: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, project_dir: Path = PROJECT_DIR) -> Settings:
        env = load_environment(project_dir) if env is None else dict(env)
        state_dir = Path(env.get("FRONTDESK_STATE_DIR") or project_dir / ".state").resolve()
        token = env.get("RASA_API_TOKEN", "").strip()
        generated = not token
        if generated:
            token = secrets.token_urlsafe(24)
        actions_secret = env.get("ACTIONS_SECRET", "").strip()
        actions_secret_generated = not actions_secret
        actions_secret = actions_secret or secrets.token_urlsafe(32)
        if len(actions_secret) < 16:
            raise ConfigError("ACTIONS_SECRET is shorter than 16 characters: use a long random value (openssl rand -hex 24)")
        database_url = env.get("DATABASE_URL", "").strip() or f"sqlite:///{state_dir / 'frontdesk.db'}"
        session_key = env.get("FRONTDESK_SESSION_KEY", "").strip()
        if session_key and len(session_key) < 32:
            raise ConfigError("FRONTDESK_SESSION_KEY is shorter than 32 characters: use a long random value (openssl rand -hex 32)")
        try:
            threads = int(env.get("TORCH_THREADS", "1"))
        except ValueError:
            raise ConfigError(f"TORCH_THREADS={env['TORCH_THREADS']!r} is not a whole number") from None
        try:
            action_servers = int(env.get("ACTION_SERVERS", "1"))
        except ValueError:
            raise ConfigError(f"ACTION_SERVERS={env['ACTION_SERVERS']!r} is not a whole number") from None
        if not 1 <= action_servers <= 16:
            raise ConfigError(f"ACTION_SERVERS={action_servers} is out of range: 1 to 16 (about one per core)")
        return cls(
            project_dir=project_dir,
            state_dir=state_dir,
            host=env.get("FRONTDESK_HOST", "127.0.0.1"),
            rasa_port=_port(env, "RASA_PORT", 5005),
            actions_port=_port(env, "ACTIONS_PORT", 5055),
            rasa_api_token=token,
            api_token_generated=generated,
            actions_host=env.get("ACTIONS_HOST", "").strip() or "127.0.0.1",
            actions_secret=actions_secret,
            actions_secret_generated=actions_secret_generated,
            database_url=database_url,
            redis_url=env.get("REDIS_URL", "").strip(),
            embedding_model=env.get("EMBEDDING_MODEL", "").strip() or DEFAULT_EMBEDDING_MODEL,
            torch_threads=max(1, threads),
            action_servers=action_servers,
            handoff=HandoffSettings.from_env(env),
            desk=DeskSettings.from_env(env),
            session_key=session_key,
            twilio=TwilioSettings.from_env(env),
            telegram=TelegramSettings.from_env(env),
            hubspot=HubSpotSettings.from_env(env),
            turns=TurnSettings.from_env(env),
            env=env,
        )

    @property
    def models_dir(self) -> Path:
        """Where trained models live; FRONTDESK_MODELS_DIR overrides `<state>/models`."""
        override = self.env.get("FRONTDESK_MODELS_DIR", "").strip()
        return Path(override).resolve() if override else self.state_dir / "models"

    @property
    def assistant_file(self) -> Path:
        """assistant.yml: persona, contact details, knowledge-base thresholds (ASSISTANT_FILE overrides)."""
        override = self.env.get("ASSISTANT_FILE", "").strip()
        return Path(override).resolve() if override else self.project_dir / "assistant.yml"

    def responses_file(self, language: str) -> Path:
        """The responses catalogue: RESPONSES_FILE, else responses/<language>.yml (assistant.yml `language`)."""
        override = self.env.get("RESPONSES_FILE", "").strip()
        return Path(override).resolve() if override else self.project_dir / "responses" / f"{language}.yml"

    @property
    def operator_token(self) -> str:
        """RASA_API_TOKEN as the REST channel checks it: "" (nobody is an operator) when it was generated for this run."""
        return "" if self.api_token_generated else self.rasa_api_token

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def actions_connect_host(self) -> str:
        """Where the Rasa server reaches the action server: ACTIONS_HOST, or loopback when that is a wildcard."""
        return "127.0.0.1" if self.actions_host in ("0.0.0.0", "::", "") else self.actions_host

    @property
    def actions_url(self) -> str:
        return f"http://{self.actions_connect_host}:{self.actions_port}/webhook"
