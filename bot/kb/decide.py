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
"""

from __future__ import annotations

from dataclasses import dataclass
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
    words = [(met, _CHECK_WORDS[name].format(value=value, limit=getattr(config, name)))
             for met, name, value in _answer_checks(ranked, config)]
    top = ranked[0].entry.id
    if decision.kind == "answer":
        return f"answered with {top}: " + "; ".join(text for _, text in words)
    missed = "; ".join(text for met, text in words if not met)
    if decision.kind == "clarify" and len(decision.candidates) == 1:
        return f"not answered with {top} because {missed}; it is the one plausible entry, so the customer is asked to confirm it"
    if decision.kind == "clarify":
        return f"not answered with {top} because {missed}; so the customer is asked which of the choices they mean"
    return (f"not answered with {top} because {missed}; and no entry is plausible enough to offer "
            f"(probability >= clarify_confidence {config.clarify_confidence} "
            f"and a question >= clarify_similarity {config.clarify_similarity} similar)")


decide_ranked = decide  # the room's surface name for `decide` (bot.kb.decide is the module's)
