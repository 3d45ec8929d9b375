"""Configuration, read once per process: the environment's `Settings` (bot.config.settings, with the channels'
in bot.config.channel_settings) and assistant.yml's typed sections (`AssistantConfig`, bot.config.assistant),
checked against their rules (bot.config.rules); `frontdesk config check` prints both (bot.config.check).
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "AGENT_NAME_PATTERN": "bot.config.settings",
    "AssistantConfig": "bot.config.assistant",
    "AssistantConfigError": "bot.config.assistant",
    "Contact": "bot.config.persona",
    "CrmConfig": "bot.config.sections",
    "DAYS": "bot.config.rules",
    "DEFAULT_EMBEDDING_MODEL": "bot.config.settings",
    "DecisionConfig": "bot.config.sections",
    "DeskSettings": "bot.config.settings",
    "DetectionConfig": "bot.config.sections",
    "FeedbackConfig": "bot.config.sections",
    "FollowUpConfig": "bot.config.sections",
    "PURPOSES": "bot.config.templates",
    "Template": "bot.config.templates",
    "WhatsAppConfig": "bot.config.templates",
    "WindowRules": "bot.config.templates",
    "HandoffSettings": "bot.config.settings",
    "HubSpotSettings": "bot.config.channel_settings",
    "PROJECT_DIR": "bot.config.settings",
    "Persona": "bot.config.persona",
    "PrivacyConfig": "bot.config.sections",
    "ReportConfig": "bot.config.sections",
    "Settings": "bot.config.settings",
    "TeamConfig": "bot.config.sections",
    "TelegramSettings": "bot.config.channel_settings",
    "TurnSettings": "bot.config.channel_settings",
    "TwilioSettings": "bot.config.channel_settings",
    "describe": "bot.config.check",
    "opening_hours": "bot.config.rules",
    "section": "bot.config.assistant",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
