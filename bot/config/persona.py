"""The assistant's persona, the company's contact details and the language it speaks: assistant.yml's
`assistant_name`, `company`, `contact` and `language` (read with the rest of the file by bot/config/assistant.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    language: str = setting("en", words)  # the responses catalogue it speaks from: responses/<language>.yml

    @classmethod
    def load(cls, path: Path | None = None) -> Persona:
        """The persona of `path` (default: the project's assistant.yml), read and checked with the whole file
        (tools and tests; a process takes it from the AssistantConfig its root loaded)."""
        from bot.config.assistant import AssistantConfig
        from bot.config.settings import PROJECT_DIR

        return AssistantConfig.load(path or PROJECT_DIR / "assistant.yml").persona
