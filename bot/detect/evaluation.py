"""`frontdesk detect eval`: per-message detection on a labelled CSV, as the assistant does it.

The messages file is CSV with a header `text,label` (other columns are
ignored); label is escalate, frustrated or calm. Each message is predicted:

  escalate    the trained Rasa NLU model says request_human with confidence
              >= detection.request_confidence, and the message's embedding is
              >= detection.request_similarity close to a request_human example
              or the message names a person to talk to (bot/detect/requests.py)
  frustrated  otherwise, if its frustration score (classifier + wording cues)
              >= detection.frustrated
  calm        otherwise

The frustration scores are computed first, before Rasa (and with it
TensorFlow) is imported: MiniLM is ~15x slower in a process that loaded
TensorFlow. Metrics: per label precision, recall, F1 and support, the
confusion counts, and `calm_flagged_escalate` (calm rows predicted escalate /
calm rows).

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

LABELS = ("escalate", "frustrated", "calm")


def read_messages(path: Path) -> list[tuple[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
                raise FrontdeskError(f"{path}: the header must include text,label")
            rows = []
            for line, row in enumerate(reader, start=2):
                text, label = (row["text"] or "").strip(), (row["label"] or "").strip().lower()
                if label not in LABELS:
                    raise FrontdeskError(f"{path}:{line}: label {label!r} is not one of {', '.join(LABELS)}")
                if text:
                    rows.append((text, label))
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
    return "frustrated" if score.score >= config.frustrated else "calm"


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


def metrics(truth: list[str], predicted: list[str]) -> dict:
    result: dict = {}
    for label in LABELS:
        tp = sum(1 for t, p in zip(truth, predicted) if t == label and p == label)
        flagged = sum(1 for p in predicted if p == label)
        support = sum(1 for t in truth if t == label)
        precision = tp / flagged if flagged else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": support}
    result["confusion"] = {t: {p: sum(1 for a, b in zip(truth, predicted) if a == t and b == p) for p in LABELS} for t in LABELS}
    calm = result["calm"]["support"]
    result["calm_flagged_escalate"] = round(result["confusion"]["calm"]["escalate"] / calm, 4) if calm else 0.0
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
            writer.writerow(["text", "label", "predicted", "score", "classifier", "intent", "confidence", "request_similarity", "reasons"])
            for (text, label), p, s, (name, conf) in zip(rows, predicted, scores, intents):
                writer.writerow([text, label, p, f"{s.score:.3f}", f"{s.classifier:.3f}", name, f"{conf:.3f}",
                                 f"{s.request_similarity:.3f}", "; ".join(s.reasons)])
    result = metrics([label for _, label in rows], predicted)
    result["nlu_rule"] = nlu_rule([label for _, label in rows], intents, fallback_threshold(config_file))
    result.update(messages=len(rows), model=model_path.name, score_ms_per_message=round(1000 * scored_s / len(rows), 2),
                  nlu_ms_per_message=round(1000 * nlu_s / len(rows), 2))
    return result
