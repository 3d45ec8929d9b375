"""What `frontdesk config check` prints: the effective configuration, with every secret shown as ***.

Two parts, as YAML: assistant.yml's sections with their defaults filled in, and the Settings read from
the environment (and .env). A field marked secret (tokens, webhook secrets, the session key) prints as
*** when set, and a password in DATABASE_URL is hidden too; nothing else from the environment is shown.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config.assistant import AssistantConfig
from bot.config.settings import Settings

HIDDEN = "***"
SETTINGS_PROPERTIES = ("assistant_file", "models_dir", "rasa_url", "actions_url")


def _shown(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return _fields(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_shown(v) for v in value]
    return value


def _fields(value: Any) -> dict[str, Any]:
    shown = {}
    for spec in dataclasses.fields(value):
        if not spec.repr and not spec.metadata.get("secret"):
            continue  # Settings.env: the raw environment, secrets and all
        item = getattr(value, spec.name)
        shown[spec.name] = (HIDDEN if item else "") if spec.metadata.get("secret") else _shown(item)
    return shown


def hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return HIDDEN  # not a URL we can take apart: show none of it


def environment(settings: Settings) -> dict[str, Any]:
    """The Settings as shown: secrets as ***, the database and Redis URLs without their passwords."""
    shown = _fields(settings)
    shown["database_url"] = hide_password(settings.database_url)
    shown["redis_url"] = hide_password(settings.redis_url) if settings.redis_url else ""
    shown.update({name: _shown(getattr(settings, name)) for name in SETTINGS_PROPERTIES})
    return shown


def describe(settings: Settings, config: AssistantConfig, path: Path) -> str:
    """The effective configuration (`config` read from `path`) as YAML, under comments naming where each part comes from."""
    files = yaml.safe_dump(config.effective(), sort_keys=False, allow_unicode=True)
    env = yaml.safe_dump(environment(settings), sort_keys=False, allow_unicode=True)
    return (f"# {path}: effective values, defaults included\n{files}\n"
            f"# the environment (and .env), as the servers read it; secrets shown as {HIDDEN}\nenvironment:\n"
            + "".join(f"  {line}\n" for line in env.splitlines()))
