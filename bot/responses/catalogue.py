"""The responses catalogue at run time: what the assistant says, by key, from responses/<language>.yml.

    responses = open_responses(settings)          # persona from assistant.yml, the file from its `language`
    responses.say("greeting.hello_name", name="Ana")                   # "Hi Ana!"
    voice = responses.voice(channel="sms", seed=f"{conversation_id}:{turn}")
    voice.say("faq.did_it_help")                                       # the `sms` variant: "Did that help?"

A key with variants says the one its seed picks (sha256 of the seed), so a
conversation reads the same every time it is replayed; the code seeds with
the conversation id and, where the wording should change from turn to turn,
the turn number. The persona's variables ({company}, {phone} ...) are filled
in everywhere. The file is re-read when it changes (checked at most once per
`reload_interval_s`); a version with errors is logged and the last good one
keeps serving.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from bot.config import Persona, Settings
from bot.errors import ConfigError
from bot.responses.keys import KEYS
from bot.responses.reading import Response, read_catalogue

logger = logging.getLogger(__name__)

SMS_CHANNELS = frozenset({"sms"})  # channels that get a response's `sms` variant (and an entry's `sms` answer)
RELOAD_INTERVAL_S = 1.0


def choose(variants: Sequence[str], seed: str) -> str:
    """One of `variants`: the same for the same seed, varying between seeds."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return variants[int.from_bytes(digest[:4], "big") % len(variants)]


def persona_values(persona: Persona) -> dict[str, str]:
    """The persona's variables, as every response can use them."""
    contact = persona.contact
    return {"assistant_name": persona.assistant_name, "company": persona.company, "phone": contact.phone,
            "email": contact.email, "website": contact.website, "team_hours": contact.team_hours}


class Responses:
    """A catalogue file, checked, with the persona filled in; `say` is safe from any thread."""

    def __init__(self, path: Path, responses: dict[str, Response], persona: dict[str, str],
                 reload_interval_s: float | None = RELOAD_INTERVAL_S) -> None:
        self.path = path
        self.persona = persona
        self._responses = responses
        self._interval = reload_interval_s
        self._version = self._stat()
        self._next_check = time.monotonic() + (reload_interval_s or 0.0)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path, persona: Persona, reload_interval_s: float | None = RELOAD_INTERVAL_S) -> Responses:
        """Read and check `path`; ConfigError (`path:line: message`) when it has errors, warnings logged.
        `reload_interval_s` None: never re-read."""
        values = persona_values(persona)
        responses, problems = read_catalogue(path, values)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            more = f" (and {len(errors) - 1} more: run `frontdesk responses check`)" if len(errors) > 1 else ""
            raise ConfigError(f"{errors[0]}{more}")
        for problem in problems:
            logger.warning("%s", problem)
        return cls(path, responses, values, reload_interval_s)

    def say(self, key: str, *, seed: str = "", channel: str | None = None, **variables: Any) -> str:
        """The wording of `key` for `channel` (its `sms` variant on SMS), the variant `seed` picks, filled in.

        KeyError for a key the code does not declare (bot/responses/keys.py) or a variable it did not give;
        TypeError for a variable the key does not take.
        """
        self._refresh()
        if key not in KEYS:
            raise KeyError(f"{key!r} is not a response key: declare it in bot/responses/keys.py")
        undeclared = sorted(set(variables) - set(KEYS[key]))
        if undeclared:
            raise TypeError(f"{key} takes no variable {', '.join(undeclared)} (bot/responses/keys.py)")
        response = self._responses[key]
        variants = response.sms if channel in SMS_CHANNELS and response.sms else response.text
        values = {**self.persona, **{name: str(value) for name, value in variables.items()}}
        try:
            return choose(variants, seed).format_map(values)
        except KeyError as missing:
            raise KeyError(f"{key}: the code gave no {{{missing.args[0]}}}") from None

    def wordings(self, key: str) -> list[str]:
        """Every wording of `key` (all variants, text and sms), with the persona filled in; for keys without
        other variables (e.g. to recognise the assistant's own question in the conversation)."""
        self._refresh()
        response = self._responses[key]
        return [text.format_map(self.persona) for text in response.text + response.sms]

    def voice(self, channel: str | None = None, seed: str = "") -> Voice:
        return Voice(self, channel, seed)

    def _stat(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _refresh(self) -> None:
        """Re-read the file if it changed since it was read; keep the current version if the new one has errors."""
        if self._interval is None or time.monotonic() < self._next_check:
            return
        with self._lock:
            if time.monotonic() < self._next_check:
                return
            self._next_check = time.monotonic() + self._interval
            version = self._stat()
            if version is None or version == self._version:
                return
            self._version = version
            responses, problems = read_catalogue(self.path, self.persona)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                logger.warning("%s changed but has %d error(s); the previous version keeps serving. First: %s",
                               self.path, len(errors), errors[0])
                return
            self._responses = responses
            logger.info("%s changed: %d responses reloaded", self.path, len(responses))


@dataclass(frozen=True)
class Voice:
    """The catalogue as one conversation hears it: its channel's variants, wording picked by `seed`."""

    responses: Responses
    channel: str | None = None
    seed: str = ""

    @property
    def sms(self) -> bool:
        """Whether this channel gets `sms` variants (and knowledge-base entries' `sms` answers)."""
        return self.channel in SMS_CHANNELS

    def say(self, key: str, **variables: Any) -> str:
        return self.responses.say(key, seed=self.seed, channel=self.channel, **variables)

    def button(self, key: str, payload: str) -> dict[str, str]:
        """A button: its title from the catalogue (`buttons.*`), its payload from the code."""
        return {"title": self.say(key), "payload": payload}

    def listing(self, items: Sequence[str]) -> str:
        """'a', 'a and b', 'a, b and c' (lists.and)."""
        if len(items) == 1:
            return items[0]
        return self.say("lists.and", first=", ".join(items[:-1]), last=items[-1])


def joined(*parts: str | None) -> str:
    """Responses said as one message: the non-empty parts, with a space between them."""
    return " ".join(part.strip() for part in parts if part and part.strip())


def open_responses(settings: Settings, persona: Persona | None = None,
                   reload_interval_s: float | None = RELOAD_INTERVAL_S) -> Responses:
    """The catalogue this environment uses: RESPONSES_FILE, else responses/<language>.yml (assistant.yml
    `language`, default en), with the persona (a process's root gives the one it loaded; else assistant.yml's)."""
    persona = persona if persona is not None else Persona.load(settings.assistant_file)
    return Responses.load(settings.responses_file(persona.language), persona, reload_interval_s)
