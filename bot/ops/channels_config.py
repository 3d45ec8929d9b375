"""Which Rasa input channels are on, decided from the environment.

The channels in the project's credentials.yml (the REST channel and the web
chat page) are always on. A messaging channel is switched on when every variable it requires is set (environment or .env);
the connectors get their secrets from the Rasa process's Settings (bot/ops/rasa_process.py), so the
credentials file holds only module paths. Channel classes are named by
module path, so `bot` never imports `channels`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import Settings

# channel name -> (input channel class path, variables that must all be set)
OPTIONAL_CHANNELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "telegram": ("channels.telegram.TelegramInput", ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")),
    "sms": ("channels.twilio.SmsInput", ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_SMS_NUMBER", "PUBLIC_BASE_URL")),
    "whatsapp": ("channels.twilio.WhatsAppInput",
                 ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_NUMBER", "PUBLIC_BASE_URL")),
    # not a messaging channel: the HubSpot CRM sync worker, started with the Rasa server (channels/crm.py)
    "crm": ("channels.crm.CrmSyncInput", ("HUBSPOT_ACCESS_TOKEN",)),
}


def enabled_channels(settings: Settings) -> dict[str, dict]:
    """Class path -> credentials, for the channels this environment switches on."""
    base = yaml.safe_load((settings.project_dir / "credentials.yml").read_text()) or {}
    channels = {path: creds or {} for path, creds in base.items()}
    for class_path, required in OPTIONAL_CHANNELS.values():
        if all(settings.env.get(var, "").strip() for var in required):
            channels[class_path] = {}
    return channels


def write_credentials(settings: Settings) -> tuple[Path, list[str]]:
    """Write `<state>/credentials.yml` for Rasa; return its path and the channel names."""
    channels = enabled_channels(settings)
    path = settings.state_dir / "credentials.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `frontdesk run` from the environment; edit credentials.yml or .env instead.\n"
        + yaml.safe_dump(channels, sort_keys=False)
    )
    return path, [class_path.rsplit(".", 2)[-2] for class_path in channels]


def crm_line(settings: Settings) -> str:
    """What the start-up banner says about the HubSpot CRM sync (once, at start-up)."""
    if settings.hubspot.on:
        return "on: ended conversations, handoff tickets (status: bot.crm.sync.status)"
    return "off (set HUBSPOT_ACCESS_TOKEN to record conversations in HubSpot)"


def retention_line(settings: Settings) -> str:
    """What the start-up banner says about retention (the daily purge runs in the Rasa server: channels/retention.py)."""
    from bot.config import AssistantConfig

    config = AssistantConfig.load(settings.assistant_file).privacy
    return (f"conversations quiet for {config.retention_days:g} days are deleted daily "
            "(privacy.retention_days; frontdesk privacy forget|export|purge)")


def desk_line(settings: Settings) -> str:
    """What the start-up banner says about the agent desk: its address, or how to switch it on."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.agents import AgentAccounts
    from bot.messaging import open_database

    if settings.handoff.agent_token:
        return f"{settings.rasa_url}/agent"
    try:
        if AgentAccounts(open_database(settings.database_url)).any_active():
            return f"{settings.rasa_url}/agent"
    except SQLAlchemyError as error:
        return f"unknown (the database did not answer: {type(error).__name__})"
    return "off (add an agent: frontdesk agents add NAME --role lead; or set AGENT_TOKEN)"
