"""The service figures: volume, response and resolution times, containment, handoffs, CSAT, NPS, KB outcomes.

Times are seconds. Rates are fractions (0-1) of the conversations (or KB
decisions, or survey responses) they are counted over, None when there is
nothing to count over. A skipped survey question is reported but is not a
response. Definitions are in docs/conversation-records.md ("What the service
report counts").
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable

from bot.report.config import Period, utc_iso
from bot.report.records import Conversation, Survey

HANDOFF_STATUSES = ("waiting", "claimed", "resolved", "released")
KB_DECISIONS = ("answer", "clarify", "fallback")
TOP_ENTRIES = 10


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def duration_stats(values: Iterable[float]) -> dict:
    """count, median, mean, 90th percentile (nearest rank), min and max of `values` (seconds)."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "median_s": None, "mean_s": None, "p90_s": None, "min_s": None, "max_s": None}
    return {
        "count": len(ordered),
        "median_s": statistics.median(ordered),
        "mean_s": sum(ordered) / len(ordered),
        "p90_s": ordered[math.ceil(0.9 * len(ordered)) - 1],
        "min_s": ordered[0],
        "max_s": ordered[-1],
    }


def conversation_figures(convs: list[Conversation]) -> dict:
    n = len(convs)
    handed = [c for c in convs if c.handed_over]
    resolved = [c for c in convs if c.resolved]
    contained = sum(1 for c in convs if c.contained)
    handoff_rows = [h for c in convs for h in c.handoffs]
    decisions = Counter(d for c in convs for d in c.decisions)
    total_decisions = sum(decisions[k] for k in KB_DECISIONS)
    return {
        "conversations": n,
        "customers": len({c.conversation_id for c in convs}),
        "first_response": {
            "bot": duration_stats(c.first_reply_at - c.started_at for c in convs if c.first_reply_at is not None),
            "unanswered": sum(1 for c in convs if c.first_reply_at is None),
            # handed-over conversations: the customer's first message to an agent's first message
            "agent": duration_stats(c.agent_reply_at - c.started_at for c in handed if c.agent_reply_at is not None),
            # ... and the handoff request to an agent's first message (the wait for a person)
            "agent_after_handoff": duration_stats(
                c.agent_reply_at - c.handoffs[0].created_at for c in handed
                if c.agent_reply_at is not None and c.handoffs and c.agent_reply_at >= c.handoffs[0].created_at),
            "agent_never_replied": sum(1 for c in handed if c.agent_reply_at is None),
        },
        "resolution": {
            "resolved": len(resolved),
            "open": n - len(resolved),
            "resolved_rate": rate(len(resolved), n),
            "by": {how: sum(1 for c in resolved if c.resolved_by == how) for how in ("answer_helped", "closed", "agent")},
            "time": duration_stats(c.resolved_at - c.started_at for c in resolved),
        },
        "containment": {"contained": contained, "rate": rate(contained, n)},
        "handoff": {
            "conversations": len(handed),
            "rate": rate(len(handed), n),
            "reasons": dict(sorted(Counter(c.handoffs[0].reason if c.handoffs else "unknown" for c in handed).items())),
            "handoffs": len(handoff_rows),
            "status": {s: sum(1 for h in handoff_rows if h.status == s) for s in HANDOFF_STATUSES},
            "never_claimed": sum(1 for h in handoff_rows if h.claimed_at is None),
        },
        "knowledge_base": {
            "decisions": total_decisions,
            **{k: decisions[k] for k in KB_DECISIONS},
            "answer_rate": rate(decisions["answer"], total_decisions),
            "clarification_rate": rate(decisions["clarify"], total_decisions),
            "fallback_rate": rate(decisions["fallback"], total_decisions),
        },
    }


def survey_figures(surveys: list[Survey]) -> dict:
    csat = [s for s in surveys if s.kind == "csat"]
    nps = [s for s in surveys if s.kind == "nps"]
    csat_scores = [s.score for s in csat if s.score is not None]
    nps_scores = [s.score for s in nps if s.score is not None]
    satisfied = sum(1 for s in csat_scores if s >= 4)
    promoters = sum(1 for s in nps_scores if s >= 9)
    detractors = sum(1 for s in nps_scores if s <= 6)
    return {
        "csat": {
            "asked": len(csat),
            "responses": len(csat_scores),
            "skipped": len(csat) - len(csat_scores),
            "average": sum(csat_scores) / len(csat_scores) if csat_scores else None,
            "satisfied": satisfied,
            "satisfied_share": rate(satisfied, len(csat_scores)),
            "distribution": {str(k): csat_scores.count(k) for k in range(1, 6)},
        },
        "nps": {
            "asked": len(nps),
            "responses": len(nps_scores),
            "skipped": len(nps) - len(nps_scores),
            "promoters": promoters,
            "passives": len(nps_scores) - promoters - detractors,
            "detractors": detractors,
            "score": 100 * (promoters - detractors) / len(nps_scores) if nps_scores else None,
        },
    }


def figures(convs: list[Conversation], surveys: list[Survey]) -> dict:
    return {**conversation_figures(convs), **survey_figures(surveys)}


def top_answered(convs: list[Conversation], titles: dict[str, str]) -> list[dict]:
    counts = Counter(entry for c in convs for entry in c.answered)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_ENTRIES]
    return [{"entry": entry, "title": titles.get(entry), "answers": count} for entry, count in ranked]


def timeline(convs: list[Conversation], surveys: list[Survey], buckets: list[str], bucket_of: Callable[[float], str],
             channels: list[str], key: str) -> list[dict]:
    """One row per bucket (a local day or hour, named `key` in the row), in order: a conversation counts in
    the bucket of its start, a survey answer in the bucket of its time."""
    by_bucket: dict[str, list[Conversation]] = {bucket: [] for bucket in buckets}
    surveys_by_bucket: dict[str, list[Survey]] = {bucket: [] for bucket in by_bucket}
    for conv in convs:
        by_bucket.setdefault(bucket_of(conv.started_at), []).append(conv)
    for survey in surveys:
        surveys_by_bucket.setdefault(bucket_of(survey.created_at), []).append(survey)
    rows = []
    for bucket in sorted(by_bucket):
        bucket_convs = by_bucket[bucket]
        feedback = survey_figures(surveys_by_bucket.get(bucket, []))
        rows.append({
            key: bucket,
            "conversations": len(bucket_convs),
            "by_channel": {ch: sum(1 for c in bucket_convs if c.channel == ch) for ch in channels},
            "contained": sum(1 for c in bucket_convs if c.contained),
            "handed_over": sum(1 for c in bucket_convs if c.handed_over),
            "resolved": sum(1 for c in bucket_convs if c.resolved),
            "csat_average": feedback["csat"]["average"],
            "csat_responses": feedback["csat"]["responses"],
            "nps": feedback["nps"]["score"],
            "nps_responses": feedback["nps"]["responses"],
        })
    return rows


def compute(convs: list[Conversation], surveys: list[Survey], period: Period, now: float,
            titles: dict[str, str] | None = None) -> dict:
    """Every figure of the report (without content gaps), JSON-ready."""
    channels = sorted({c.channel for c in convs} | {s.channel for s in surveys})
    return {
        "period": {
            "from": period.local(period.start).isoformat(),
            "to": period.local(period.end).isoformat(),
            "from_utc": utc_iso(period.start),
            "to_utc": utc_iso(period.end),
            "time_zone": period.zone.key,
            "generated_at": utc_iso(now),
        },
        "empty": not convs and not surveys,
        "overall": figures(convs, surveys),
        "channels": {ch: figures([c for c in convs if c.channel == ch], [s for s in surveys if s.channel == ch])
                     for ch in channels},
        "top_answered": top_answered(convs, titles or {}),
        "days": timeline(convs, surveys, period.days(), period.day, channels, "date"),
        # a short period (at most SHORT_DAYS days) is also counted per local hour, for its charts
        **({"hours": timeline(convs, surveys, period.hours(), period.hour, channels, "hour")} if period.short else {}),
    }
