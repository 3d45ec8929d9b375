"""Answer, clarify or fall back: the decision made for every customer question.

- answer:   the top entry is in scope (its best question is similar enough)
            and the head is confident, with a clear margin over the runner-up,
            and the runner-up itself is not plausible (a short, general
            question such as "I want to cancel" gives two entries a real
            share: that is asked about, however the margin falls);
- clarify:  in scope but not certain: offer the 2-3 plausible entries;
- fallback: nothing in the knowledge base is close.

Thresholds come from the `knowledge_base` section of assistant.yml; the
defaults were calibrated on the development data (bench/README.md).

The thresholds adapt to the entry being answered with: an entry with few
questions is answered only on stronger evidence. answer_confidence and
answer_similarity are asked of an entry with `questions_full` questions or
more; an entry with one question is asked answer_confidence_one and
answer_similarity_one, and one in between a value interpolated on the log of
its number of questions (`effective_thresholds`). With one or three questions per entry
the same probability is wrong far more often than with ten (bench/README.md,
"few questions per entry"), so one fixed threshold cannot keep wrong answers
under the promise on both. The other way round, such an entry is offered as a
choice on a weaker closest question (clarify_similarity_one at one question):
a customer's words sit further from an entry's only question than from the
nearest of ten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from bot.config import DecisionConfig
from bot.kb.index import Scored


@dataclass(frozen=True)
class Decision:
    kind: Literal["answer", "clarify", "fallback"]
    candidates: tuple[Scored, ...]  # the answer (1), the choices (2-3), or the nearest misses

    @property
    def top(self) -> Scored | None:
        return self.candidates[0] if self.candidates else None


def few_questions_weight(questions: int, full: int) -> float:
    """1 for an entry with one question, 0 from `full` questions up, linear in log(questions) between."""
    if full <= 1 or questions >= full:
        return 0.0
    return math.log(full / max(1, questions)) / math.log(full)


def effective_thresholds(config: DecisionConfig, questions: int) -> DecisionConfig:
    """`config` with the thresholds asked of an entry with `questions` questions: stricter to answer, looser to offer."""
    weight = few_questions_weight(questions, config.questions_full)
    if weight == 0.0:
        return config
    return replace(
        config,
        answer_confidence=round(config.answer_confidence + weight * max(0.0, config.answer_confidence_one - config.answer_confidence), 4),
        answer_similarity=round(config.answer_similarity + weight * max(0.0, config.answer_similarity_one - config.answer_similarity), 4),
        clarify_similarity=round(config.clarify_similarity + weight * min(0.0, config.clarify_similarity_one - config.clarify_similarity), 4),
    )


def thresholds_for(ranked: list[Scored], config: DecisionConfig) -> DecisionConfig:
    """The effective thresholds for this ranking: those of its top entry."""
    return effective_thresholds(config, len(ranked[0].entry.questions)) if ranked else config


def _answer_checks(ranked: list[Scored], config: DecisionConfig) -> tuple[tuple[bool, str, float], ...]:
    """Each condition for answering with the top entry: (met, setting, measured value)."""
    top = ranked[0]
    runner_up = ranked[1].probability if len(ranked) > 1 else 0.0
    return (
        (top.similarity >= config.answer_similarity, "answer_similarity", top.similarity),
        (top.probability >= config.answer_confidence, "answer_confidence", top.probability),
        (top.probability - runner_up >= config.answer_margin, "answer_margin", top.probability - runner_up),
        (runner_up <= config.answer_runner_up, "answer_runner_up", runner_up),
    )


# how `explain` words each condition, with the measured value and the setting's value
_CHECK_WORDS = {
    "answer_similarity": "its closest question is {value:.2f} similar (answer_similarity {limit})",
    "answer_confidence": "its probability is {value:.2f} (answer_confidence {limit})",
    "answer_margin": "it leads the next entry by {value:.2f} (answer_margin {limit})",
    "answer_runner_up": "the next entry has {value:.2f} (answer_runner_up {limit})",
}


def decide(ranked: list[Scored], config: DecisionConfig) -> Decision:
    """Turn ranked entries (best first) into a decision."""
    if not ranked:
        return Decision("fallback", ())
    config = thresholds_for(ranked, config)
    top = ranked[0]
    if all(met for met, _, _ in _answer_checks(ranked, config)):
        return Decision("answer", (top,))
    choices = tuple(
        s for s in ranked[: config.max_choices]
        if s.probability >= config.clarify_confidence and s.similarity >= config.clarify_similarity
    )
    if len(choices) >= 2:
        return Decision("clarify", choices)
    if len(choices) == 1 and (top.similarity >= config.answer_similarity or choices[0].probability >= config.answer_confidence):
        # in scope, one plausible entry (close, or probable enough to answer but not clearly
        # enough): confirm it as a clarification
        return Decision("clarify", choices)
    return Decision("fallback", tuple(ranked[: config.max_choices]))


def explain(decision: Decision, ranked: list[Scored], config: DecisionConfig) -> str:
    """Why `decide(ranked, config)` gave `decision`, in one sentence naming the settings involved (for `kb search`)."""
    if not ranked:
        return "the knowledge base is empty"
    why_limits = _adapted(ranked, config)
    config = thresholds_for(ranked, config)
    words = [(met, _CHECK_WORDS[name].format(value=value, limit=getattr(config, name)))
             for met, name, value in _answer_checks(ranked, config)]
    top = ranked[0].entry.id
    if decision.kind == "answer":
        return f"answered with {top}: " + "; ".join(text for _, text in words) + why_limits
    missed = "; ".join(text for met, text in words if not met)
    if decision.kind == "clarify" and len(decision.candidates) == 1:
        return (f"not answered with {top} because {missed}; it is the one plausible entry, so the customer is asked "
                f"to confirm it{why_limits}")
    if decision.kind == "clarify":
        return f"not answered with {top} because {missed}; so the customer is asked which of the choices they mean{why_limits}"
    return (f"not answered with {top} because {missed}; and no entry is plausible enough to offer "
            f"(probability >= clarify_confidence {config.clarify_confidence} "
            f"and a question >= clarify_similarity {config.clarify_similarity} similar){why_limits}")


def _adapted(ranked: list[Scored], config: DecisionConfig) -> str:
    """Why the answer thresholds are what they are for the top entry ("" when they are the settings themselves)."""
    questions = len(ranked[0].entry.questions)
    adapted = effective_thresholds(config, questions)
    if adapted is config:
        return ""
    return (f" (thresholds for an entry with {questions} question{'s' if questions != 1 else ''}: "
            f"answer_confidence {adapted.answer_confidence:g}, answer_similarity {adapted.answer_similarity:g}, "
            f"clarify_similarity {adapted.clarify_similarity:g}; {config.answer_confidence:g}, "
            f"{config.answer_similarity:g} and {config.clarify_similarity:g} at {config.questions_full}+ questions, "
            f"answer_confidence_one {config.answer_confidence_one:g}, answer_similarity_one "
            f"{config.answer_similarity_one:g} and clarify_similarity_one {config.clarify_similarity_one:g} at one)")


decide_ranked = decide  # the room's surface name for `decide` (bot.kb.decide is the module's)
