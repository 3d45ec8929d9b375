"""The assistant's persona and S-Club's contact details: assistant.yml's `assistant_name`, `company` and `contact`
(read with the rest of the file by bot/config/assistant.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.rules import setting, sub_section, words


@dataclass(frozen=True)
class Contact:
    phone: str = setting(rule=words)
    email: str = setting(rule=words)
    website: str = setting(rule=words)
    team_hours: str = setting(rule=words)


@dataclass(frozen=True)
class Persona:
    assistant_name: str = setting(rule=words)
    company: str = setting(rule=words)
    contact: Contact = setting(rule=sub_section(Contact), nested=True)
