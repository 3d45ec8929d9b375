"""Frustration and escalation detection: per-message scores and the conversation-level decision.

    scorer = FrustrationScorer.load(encoder)            # the knowledge base's Encoder
    scorer.score("this is ridiculous!!!")              # MessageScore(score, reasons, ...)
    assess(tracker.events, scorer, DetectionConfig.from_file(settings.assistant_file))
    # Assessment(action="none"|"empathise"|"offer_person"|"handover", level, reasons, triggers, trend, failures)
"""

from bot.detect.assess import Assessment, DetectionConfig, Trigger, assess
from bot.detect.scorer import FrustrationHead, FrustrationScorer, MessageScore

__all__ = ["Assessment", "DetectionConfig", "FrustrationHead", "FrustrationScorer", "MessageScore", "Trigger", "assess"]
