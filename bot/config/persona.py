"""The assistant's persona, the company's contact details and the language it speaks, from assistant.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import ConfigError
from bot.config.settings import PROJECT_DIR


@dataclass(frozen=True)
class Contact:
    phone: str
    email: str
    website: str
    team_hours: str


@dataclass(frozen=True)
class Persona:
    assistant_name: str
    company: str
    contact: Contact
    language: str = "en"  # the responses catalogue it speaks from: responses/<language>.yml

    @classmethod
    def load(cls, path: Path | None = None) -> Persona:
        path = path or PROJECT_DIR / "assistant.yml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return cls(
                assistant_name=str(data["assistant_name"]),
                company=str(data["company"]),
                contact=Contact(**{k: str(v) for k, v in data["contact"].items()}),
                language=str(data.get("language") or "en"),
            )
        except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
            raise ConfigError(f"{path}: cannot read the persona ({type(error).__name__}: {error})") from None
