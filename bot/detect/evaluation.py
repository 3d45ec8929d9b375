"""`frontdesk detect eval`: per-message detection on a labelled CSV, as the assistant does it.

The messages file is CSV with a header `text,label` (other columns are
ignored); label is escalate, anger (or frustrated, read as anger), problem or
calm. Each message is predicted:

  escalate    the trained Rasa NLU model says request_human with confidence
              >= detection.request_confidence, and the message's embedding is
              >= detection.request_similarity close to a request_human example
              or the message names a person to talk to (bot/detect/requests.py)
  anger       otherwise, if its anger (frustration) score (classifier + wording
              cues) >= detection.frustrated
  problem     otherwise, if its problem score >= detection.problem
  calm        otherwise

The frustration scores are computed first, before Rasa (and with it
TensorFlow) is imported: MiniLM is ~15x slower in a process that loaded
TensorFlow. Metrics: per label precision, recall, F1 and support, the
confusion counts, `calm_flagged_escalate` and `calm_flagged_anger` (calm rows
predicted escalate or anger / calm rows), and `anger_at_offer`: anger's
precision, recall and F1 at detection.high, the score that offers a person
(a message predicted escalate is not counted there). The labels are exclusive
(a problem told angrily is `anger`), so `problem_signal` also scores the problem
signal alone: problem score >= detection.problem on the rows labelled problem
(positive) or calm (negative), whatever the anger score.

`nlu_rule`: the same shares for the NLU alone at Rasa's FallbackClassifier
threshold (config.yml): a message whose intent is request_human at that
confidence or more matches the rule `request_human -> action_answer_faq` in
data/rules/conversation.yml, where the wording is checked as for any message;
these are the figures the NLU alone would give (a handover on the intent
alone, as the rule once did).
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import time
import warnings
from pathlib import Path

import yaml

from bot.detect.decision import DetectionConfig
from bot.detect.requests import INTENT, is_request, top_intent
from bot.detect.scorer import FrustrationScorer, MessageScore
from bot.errors import FrontdeskError
from bot.config import PROJECT_DIR

LABELS = ("escalate", "anger", "problem", "calm")
ALIASES = {"frustrated": "anger"}  # the labels of earlier files
ACCEPTED = ("escalate", "anger", "frustrated", "problem", "calm")


def read_messages(path: Path) -> list[tuple[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
                raise FrontdeskError(f"{path}: the header must include text,label")
            rows = []
            for line, row in enumerate(reader, start=2):
                text, label = (row["text"] or "").strip(), (row["label"] or "").strip().lower()
                if label not in ACCEPTED:
                    raise FrontdeskError(f"{path}:{line}: label {label!r} is not one of {', '.join(ACCEPTED)}")
                if text:
                    rows.append((text, ALIASES.get(label, label)))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise FrontdeskError(f"{path}: cannot read the messages ({error})") from None
    if not rows:
        raise FrontdeskError(f"{path}: no messages")
    return rows


def request_intents(model_path: Path, texts: list[str]) -> list[tuple[str, float]]:
    """(intent, confidence) for each text from the trained Rasa model's NLU."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)  # Rasa's debug log would print every message's text
    warnings.filterwarnings("ignore", module="rasa")

    async def parse_all() -> list[tuple[str, float]]:
        agent = Agent.load(str(model_path))
        results = []
        return [top_intent(await agent.parse_message(text)) for text in texts]

    return asyncio.run(parse_all())


def predict(text: str, intent: tuple[str, float], score: MessageScore, config: DetectionConfig) -> str:
    name, confidence = intent
    if is_request(name, confidence, score.request_similarity, config.request_confidence, config.request_similarity, text,
                  config.request_person_words):
        return "escalate"
    if score.score >= config.frustrated:
        return "anger"
    return "problem" if score.problem >= config.problem else "calm"


def fallback_threshold(config_file: Path) -> float:
    """The FallbackClassifier's threshold in a Rasa config (below it the intent is nlu_fallback)."""
    try:
        pipeline = (yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    except (OSError, yaml.YAMLError) as error:
        raise FrontdeskError(f"{config_file}: cannot read the NLU pipeline ({error})") from None
    return next((float(c.get("threshold", 0.3)) for c in pipeline if c.get("name") == "FallbackClassifier"), 0.0)


def nlu_rule(truth: list[str], intents: list[tuple[str, float]], threshold: float) -> dict:
    """Shares of escalate and calm rows whose NLU intent is request_human at >= threshold."""
    def share(label: str) -> float:
        rows = [i for t, i in zip(truth, intents) if t == label]
        return round(sum(1 for name, c in rows if name == INTENT and c >= threshold) / len(rows), 4) if rows else 0.0
    return {"threshold": threshold, "escalate_recall": share("escalate"), "calm_flagged": share("calm")}


def label_metrics(truth: list[str], predicted: list[str], label: str) -> dict:
    tp = sum(1 for t, p in zip(truth, predicted) if t == label and p == label)
    flagged = sum(1 for p in predicted if p == label)
    support = sum(1 for t in truth if t == label)
    precision = tp / flagged if flagged else 0.0
    recall = tp / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": support}


def metrics(truth: list[str], predicted: list[str], offered: list[bool] | None = None) -> dict:
    """Per-label metrics and confusion; with `offered` (anger >= high, per message) also `anger_at_offer`."""
    result: dict = {label: label_metrics(truth, predicted, label) for label in LABELS}
    result["confusion"] = {t: {p: sum(1 for a, b in zip(truth, predicted) if a == t and b == p) for p in LABELS} for t in LABELS}
    calm = result["calm"]["support"]
    result["calm_flagged_escalate"] = round(result["confusion"]["calm"]["escalate"] / calm, 4) if calm else 0.0
    result["calm_flagged_anger"] = round(result["confusion"]["calm"]["anger"] / calm, 4) if calm else 0.0
    if offered is not None:
        at_offer = ["anger" if o and p != "escalate" else "-" for p, o in zip(predicted, offered)]
        result["anger_at_offer"] = label_metrics(truth, at_offer, "anger")
    return result


def evaluate(rows: list[tuple[str, str]], scorer: FrustrationScorer, config: DetectionConfig, model_path: Path,
             details: Path | None = None, config_file: Path = PROJECT_DIR / "config.yml") -> dict:
    """Metrics (module docstring) for (text, label) rows from `read_messages`."""
    texts = [t for t, _ in rows]
    started = time.monotonic()
    scores = []
    for start in range(0, len(texts), 256):
        scores += scorer.score_many(texts[start:start + 256])
    scored_s = time.monotonic() - started
    started = time.monotonic()
    intents = request_intents(model_path, texts)
    nlu_s = time.monotonic() - started
    predicted = [predict(t, i, s, config) for t, i, s in zip(texts, intents, scores)]
    if details:
        with details.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label", "predicted", "score", "classifier", "problem", "intent", "confidence",
                             "request_similarity", "reasons"])
            for (text, label), p, s, (name, conf) in zip(rows, predicted, scores, intents):
                writer.writerow([text, label, p, f"{s.score:.3f}", f"{s.classifier:.3f}", f"{s.problem:.3f}", name, f"{conf:.3f}",
                                 f"{s.request_similarity:.3f}", "; ".join(s.reasons + s.problem_reasons)])
    truth = [label for _, label in rows]
    result = metrics(truth, predicted, [s.score >= config.high for s in scores])
    signal = [(t, "problem" if s.problem >= config.problem else "calm") for t, s in zip(truth, scores) if t in ("problem", "calm")]
    result["problem_signal"] = label_metrics([t for t, _ in signal], [p for _, p in signal], "problem")
    result["nlu_rule"] = nlu_rule([label for _, label in rows], intents, fallback_threshold(config_file))
    result.update(messages=len(rows), model=model_path.name, score_ms_per_message=round(1000 * scored_s / len(rows), 2),
                  nlu_ms_per_message=round(1000 * nlu_s / len(rows), 2))
    return result
