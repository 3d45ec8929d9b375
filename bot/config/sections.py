"""The sections of assistant.yml as typed, frozen values, with their defaults and what each setting may hold.

The rooms use them as their configuration: `knowledge_base` is bot/kb's DecisionConfig, `detection`
bot/detect's DetectionConfig, `report` bot/report's ReportConfig, `crm` bot/crm's CrmConfig, `feedback`
the survey's FeedbackConfig, `team` the handoff desk's working hours (bot/handoff/hours.py builds TeamHours
from it). bot/config/assistant.py reads the file into them; nothing else reads assistant.yml.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.config.rules import (DAYS, Invalid, above, at_least, dates, flag, one_of, opening_hours, setting, share, text,
                              week_hours, whole, zone)
from bot.errors import ConfigError


@dataclass(frozen=True)
class DecisionConfig:
    """`knowledge_base:` when to answer, clarify or fall back (bot/kb/decide.py), and where the entries are.
    Defaults = assistant.yml's calibrated values (bench/calibrate_kb.py, bench/README.md)."""

    answer_confidence: float = setting(0.55, share)  # probability of the top entry (head mixed with the nearest questions' vote)
    answer_margin: float = setting(0.0, share)  # top probability minus the runner-up's
    answer_runner_up: float = setting(0.2, share)  # answer only if the runner-up's probability is at most this
    answer_similarity: float = setting(0.55, share)  # cosine of the top entry's closest question
    # an entry with few questions is answered on stronger evidence (bot/kb/decide.py `effective`): these are
    # asked of an entry with one question, the two above of one with questions_full or more, log-interpolated
    answer_confidence_one: float = setting(0.85, share)
    answer_similarity_one: float = setting(0.55, share)
    # ...and offered on a weaker closest question: its one question is further from customers' wordings
    clarify_similarity_one: float = setting(0.3, share)
    questions_full: int = setting(6, whole(1))
    clarify_similarity: float = setting(0.4, share)  # below this for every candidate: fallback
    clarify_confidence: float = setting(0.1, share)  # a choice must have at least this probability
    max_choices: int = setting(3, whole(1))
    folder: str = setting("knowledge_base", text)
    reload_interval_s: float = setting(1.0, above(0))
    fine_tune: bool = setting(True, flag)  # fine-tune the encoder on the entries' questions (bot/kb/tune.py)
    # Learning from conversations (bot/learn): confirmed customer wordings become suggested questions.
    # review: editors approve them; auto: applied once `learn_confirmations` different customers confirmed one
    learn: str = setting("review", one_of("review", "auto", "off"))
    learn_confirmations: int = setting(3, whole(1))
    learn_per_day: int = setting(3, whole(1))  # suggestions one conversation may make in 24 hours
    learn_duplicate_similarity: float = setting(0.9, share)  # closer than this to an entry's question: not suggested
    learn_confident: float = setting(0.9, share)  # an answer this probable teaches nothing when confirmed helpful


@dataclass(frozen=True)
class DetectionConfig:
    """`detection:` frustration and requests for a person (bot/detect/decision.py says what each threshold does)."""

    request_confidence: float = setting(0.3, share)  # NLU confidence of request_human that hands over
    request_similarity: float = setting(0.55, share)  # ... and cosine to the nearest request_human example
    request_person_words: bool = setting(False, flag)  # ... or naming a person (agent, manager ...) instead
    frustrated: float = setting(0.5, share)  # a message at or above this is frustrated: empathise
    high: float = setting(0.8, share)  # a message at or above this: offer a person
    problem: float = setting(0.46, share)  # a message whose problem score is at or above this: acknowledge it first
    rising_delta: float = setting(0.3, share)  # three climbing scores rising this much: offer a person
    max_failures: int = setting(2, whole(1))  # failed attempts in a row that offer a person
    repeat_similarity: float = setting(0.9, share)  # cosine at which a message repeats an earlier one
    repeat_weight: float = setting(0.35, share)  # how much asking again raises the score (noisy-OR)
    window: int = setting(6, whole(1))  # latest customer messages scored

    def problems(self) -> list[tuple[str, str]]:
        if self.frustrated > self.high:
            return [("high", f"must be at least frustrated ({self.frustrated:g}): 0 <= frustrated <= high <= 1")]
        return []


@dataclass(frozen=True)
class ReportConfig:
    """`report:` the zone the service report counts days in, and how content gaps are grouped."""

    time_zone: str = setting("Europe/London", zone)
    # Content gaps: messages closer than this (cosine similarity, average linkage) share a cluster; a cluster
    # whose centre is at least `gap_entry_similarity` from an entry's question is suggested for that entry.
    gap_cluster_similarity: float = setting(0.5, share)
    gap_entry_similarity: float = setting(0.6, share)
    gap_max_messages: int = setting(1000, whole(1))  # distinct messages clustered at most (the most frequent first)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"report.time_zone={self.time_zone!r} is not a time zone (e.g. Europe/London)") from None


@dataclass(frozen=True)
class CrmConfig:
    """`crm:` the HubSpot sync (bot/crm/sync.py)."""

    idle_timeout_s: float = setting(1800.0, above(0))
    poll_interval_s: float = setting(5.0, above(0))
    close_grace_s: float = setting(5.0, at_least(0))  # let the closing turn (goodbye, survey) finish before the note
    retry_failed_after_s: float = setting(300.0, at_least(0))  # a job that used up its retries is queued again after this
    search_settle_s: float = setting(10.0, at_least(0))  # HubSpot's search lags writes by a few seconds
    max_requests_per_s: float = setting(9.0, above(0))  # per running assistant; HubSpot's smallest limit is 100 per 10 s
    ticket_pipeline: str = setting("0", text)
    ticket_open_stage: str = setting("1", text)
    ticket_closed_stage: str = setting("4", text)
    telegram_property: str = setting("frontdesk_telegram_id", text)
    chat_property: str = setting("frontdesk_chat_id", text)


@dataclass(frozen=True)
class FeedbackConfig:
    """`feedback:` the survey after closing (bot/dialogue/feedback.py)."""

    nps_rate: float = setting(0.3, share)  # share of closed conversations also asked the NPS question


DEFAULT_HOURS = {day: "08:00-20:00" for day in DAYS[:5]} | {"saturday": "09:00-17:00", "sunday": "09:00-17:00"}


@dataclass(frozen=True)
class TeamConfig:
    """`team:` when the company's people work (a day left out is closed), holidays, and after how many seconds a
    customer nobody has claimed gets an update. bot/handoff/hours.py's TeamHours is built from it."""

    time_zone: str = setting("Europe/London", zone)
    hours: dict[str, str] = setting(DEFAULT_HOURS, week_hours, nested=True)  # day -> "08:00-20:00" or "closed"
    holidays: tuple[str, ...] = setting((), dates, nested=True)  # YYYY-MM-DD
    unclaimed_update_after_s: float = setting(300.0, at_least(0))


def daytime(value: object) -> str:
    """Hours like 09:00-20:00 (not 'closed')."""
    span = text(value)
    if opening_hours(span) is None:
        raise Invalid("must be hours like 09:00-20:00")
    return span


@dataclass(frozen=True)
class FollowUpConfig:
    """`follow_up:` messages the assistant writes first (bot/messaging/schedule.py): a check after a person resolved a
    handoff, and (when on) the answer to a question that fell back once the knowledge base has one. They are sent
    only within `send_between`, in the team's time zone (a message due at night waits for the morning)."""

    after_resolved_s: float = setting(86400.0, above(0))  # FOLLOW_UP_AFTER_S overrides it
    send_between: str = setting("09:00-20:00", daytime)
    new_answers: bool = setting(False, flag)
    new_answers_days: float = setting(14.0, above(0))


@dataclass(frozen=True)
class PrivacyConfig:
    """`privacy:` how long customer data is kept (bot/privacy/retention.py)."""

    retention_days: float = setting(365.0, above(0))  # a conversation quiet this long is deleted (bot/privacy/retention.py)
    queue_retention_days: float = setting(7.0, above(0))  # done inbox and sent outbox rows are kept this long
    purge_every_h: float = setting(24.0, above(0))

    @classmethod
    def from_file(cls, path: Path) -> PrivacyConfig:
        """The section alone from a file (tools and tests; a process takes it from its AssistantConfig)."""
        try:
            section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("privacy") or {}
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"{path}: cannot read the privacy settings ({error})") from None
        known = {f.name for f in fields(cls)}
        unknown = set(section) - known
        if unknown:
            raise ConfigError(f"{path}: unknown privacy settings: {', '.join(sorted(unknown))}")
        values = {}
        for key, value in section.items():
            try:
                values[key] = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{path}: privacy.{key}={value!r} is not a number") from None
            if values[key] <= 0:
                raise ConfigError(f"{path}: privacy.{key} must be more than 0")
        return cls(**values)
