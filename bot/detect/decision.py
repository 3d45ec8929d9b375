"""The conversation-level decision: none, empathise, offer a person, or hand over.

`assess(events, scorer, config)` reads the tracker's events (dicts, as the
action server sees them) of the current stretch of conversation (since the
session started, the conversation restarted, or an agent handed it back) and
decides, in this order:

  handover      the latest message asks for a person: intent request_human with
                NLU confidence >= request_confidence and wording at least
                request_similarity close to a request_human example (or, with
                request_person_words, naming a person); or the customer pressed
                a /request_human button
  offer_person  `max_failures` failed attempts in a row (the knowledge base fell
                back, none of the offered entries fitted, an answer didn't help);
                or the latest message's frustration >= `high`; or rising
                frustration: the latest two customer messages both >= `frustrated`,
                or three climbing scores ending >= `frustrated` and `rising_delta` up
  empathise     the latest message's frustration >= `frustrated`
  acknowledge   the latest message reports something that went wrong: its problem
                score >= `problem` ("Five days and still no refund. Great.")
  none          otherwise

Frustration is the anger signal; the problem signal never offers a person by itself.
A message's frustration is the scorer's score (classifier + wording cues)
raised by a conversation cue: the customer asks again what they asked before
(same words, or embeddings at least `repeat_similarity` alike).
Thresholds live under `detection:` in assistant.yml (bench/README.md says how
they were calibrated).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from bot.detect.lexicon import Cue
from bot.detect.requests import INTENT, is_request, top_intent
from bot.detect.scorer import FrustrationScorer, MessageScore, combine
from bot.config import DetectionConfig

Action = Literal["none", "acknowledge", "empathise", "offer_person", "handover"]
BOUNDARIES = {"session_started", "restart", "resume"}
FAILURE_REASONS = {
    "fallback": "the assistant did not know the answer",
    "something_else": "none of the offered answers fitted",
    "not_helped": "an answer did not help",
}


@dataclass(frozen=True)
class Trigger:
    """A customer message that led to the decision, with why."""

    text: str
    reasons: tuple[str, ...]
    score: float = 0.0
    timestamp: float | None = None


@dataclass(frozen=True)
class Assessment:
    action: Action
    level: float  # frustration of the latest customer message, 0..1
    reasons: tuple[str, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    trend: tuple[float, ...] = ()  # frustration of the scored messages, oldest first
    failures: int = 0  # failed attempts in a row
    problem: float = 0.0  # problem score of the latest customer message, 0..1


@dataclass
class _Turn:
    text: str
    intent: str
    confidence: float
    timestamp: float | None
    failures: list[str]  # failure kinds that followed this message


def current_stretch(events: list[dict]) -> list[dict]:
    """The events since the last session start, restart or hand-back."""
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") in BOUNDARIES:
            return events[i + 1:]
    return list(events)


def _turns(events: list[dict]) -> tuple[list[_Turn], int]:
    """Customer turns, and the count of failed attempts in a row at the end.

    A failure: the knowledge base fell back, the customer said none of the
    offered entries fitted (something_else), or an answer did not help
    (answer_helped false). The run is broken by an answer the customer moved
    on from (or confirmed), or by picking an offered entry.
    """
    turns: list[_Turn] = []
    in_a_row = 0
    answer_pending = False

    def fail(kind: str) -> None:
        nonlocal in_a_row, answer_pending
        in_a_row, answer_pending = in_a_row + 1, False
        if turns:
            turns[-1].failures.append(kind)

    for event in events:
        kind = event.get("event")
        if kind == "user":
            if answer_pending:
                in_a_row, answer_pending = 0, False
            parse_data = event.get("parse_data") or {}
            name, confidence = top_intent(parse_data)  # the best real intent, for the request check
            turns.append(_Turn(event.get("text") or "", name, confidence, event.get("timestamp"), []))
            name = (parse_data.get("intent") or {}).get("name")
            if name == "something_else":
                fail("something_else")
            elif name == "choose_entry":
                in_a_row = 0
        elif kind == "slot" and event.get("name") == "kb_decision":
            if event.get("value") == "fallback":
                fail("fallback")
            elif event.get("value") == "answer":
                answer_pending = True
        elif kind == "slot" and event.get("name") == "answer_helped":
            if event.get("value") in (False, "false"):
                fail("not_helped")
            elif event.get("value") in (True, "true"):
                in_a_row, answer_pending = 0, False
    return turns, in_a_row


def _customer_words(text: str) -> bool:
    """False for button payloads (/intent{...}) and empty messages: not the customer's wording."""
    return bool(text.strip()) and not text.lstrip().startswith("/")


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def _with_repeats(texts: list[str], scores: list[MessageScore], config: DetectionConfig) -> list[MessageScore]:
    """Raise the score of a message that repeats an earlier one in the window."""
    result: list[MessageScore] = []
    for i, (text, score) in enumerate(zip(texts, scores)):
        repeated = len(_normalised(text).split()) >= 3 and any(
            _normalised(text) == _normalised(texts[j])
            or (score.vector is not None and scores[j].vector is not None
                and float(np.dot(score.vector, scores[j].vector)) >= config.repeat_similarity)
            for j in range(i)
        )
        if repeated:
            cue = Cue("repeat", "asked the same thing again", config.repeat_weight)
            score = replace(score, score=combine(score.score, (cue,)), reasons=score.reasons + (cue.detail,),
                            cues=score.cues + (cue,))
        result.append(score)
    return result


def assess(events: list[dict], scorer: FrustrationScorer, config: DetectionConfig) -> Assessment:
    """Decide what the assistant should do about the customer's latest message."""
    turns, failures = _turns(current_stretch(events))
    if not turns:
        return Assessment("none", 0.0)
    window = turns[-config.window:]
    worded = [t for t in window if _customer_words(t.text)]
    scored = dict(zip(map(id, worded), _with_repeats([t.text for t in worded], scorer.score_many([t.text for t in worded]), config)))
    trend = tuple(round(scored[id(t)].score, 3) for t in worded)
    latest = turns[-1]
    latest_score = scored.get(id(latest))
    level = latest_score.score if latest_score else 0.0
    problem = latest_score.problem if latest_score else 0.0

    def trigger(turn: _Turn, reasons) -> Trigger:
        score = scored.get(id(turn))
        return Trigger(turn.text, tuple(reasons), round(score.score, 3) if score else 0.0, turn.timestamp)

    def result(action: Action, reasons: list[str], triggers: list[Trigger]) -> Assessment:
        return Assessment(action, round(level, 3), tuple(reasons), tuple(triggers), trend, failures, round(problem, 3))

    if latest.text.strip().startswith(f"/{INTENT}") or (latest_score is not None and is_request(
            latest.intent, latest.confidence, latest_score.request_similarity, config.request_confidence, config.request_similarity,
            latest.text, config.request_person_words)):
        why = f"{INTENT} (NLU {latest.confidence:.2f}, similarity {latest_score.request_similarity:.2f})" if latest_score else "pressed the button"
        return result("handover", ["asked for a person"], [trigger(latest, [why])])
    if failures >= config.max_failures:
        failed = [t for t in turns if t.failures][-failures:]
        reasons = [f"{failures} failed attempts in a row"]
        return result("offer_person", reasons, [trigger(t, [FAILURE_REASONS[k] for k in t.failures]) for t in failed])
    if latest_score is None:
        return result("none", [], [])
    if level >= config.high:
        return result("offer_person", [f"high frustration ({level:.2f})"], [trigger(latest, latest_score.reasons)])
    previous = [t for t in worded if t is not latest]
    if level >= config.frustrated and previous:
        before = scored[id(previous[-1])].score
        climbing = (len(previous) >= 2 and scored[id(previous[-2])].score < before < level
                    and level - scored[id(previous[-2])].score >= config.rising_delta)
        if before >= config.frustrated or climbing:
            why = "frustrated in two messages in a row" if before >= config.frustrated else "frustration rising"
            shown = previous[-1:] if before >= config.frustrated else previous[-2:]
            return result("offer_person", [f"{why} ({', '.join(f'{scored[id(t)].score:.2f}' for t in shown + [latest])})"],
                          [trigger(t, scored[id(t)].reasons) for t in shown + [latest]])
    if level >= config.frustrated:
        return result("empathise", [f"frustration ({level:.2f})"], [trigger(latest, latest_score.reasons)])
    if problem >= config.problem:
        return result("acknowledge", [f"reports a problem ({problem:.2f})"], [trigger(latest, latest_score.problem_reasons)])
    return result("none", [], [])
