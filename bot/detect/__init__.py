"""Frustration and escalation detection: per-message scores and the conversation-level decision.

scorer = FrustrationScorer.load(encoder)            # the knowledge base's Encoder
scorer.score("this is ridiculous!!!")              # MessageScore(score, reasons, ...)
assess(tracker.events, scorer, AssistantConfig.load(settings.assistant_file).detection)
# Assessment(action="none"|"acknowledge"|"empathise"|"offer_person"|"handover", level, reasons, triggers, trend, failures, problem)"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "Assessment": "bot.detect.decision",
    "assess": "bot.detect.decision",
    "DetectionConfig": "bot.detect.decision",
    "FrustrationHead": "bot.detect.scorer",
    "FrustrationScorer": "bot.detect.scorer",
    "INTENT": "bot.detect.requests",
    "MessageScore": "bot.detect.scorer",
    "Trigger": "bot.detect.decision",
    "evaluate": "bot.detect.evaluation",
    "mentions_person": "bot.detect.requests",
    "read_messages": "bot.detect.evaluation",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
