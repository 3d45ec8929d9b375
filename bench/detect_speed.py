"""Time of one detection decision as the action server makes it (no TensorFlow in the process).

    TORCH_THREADS=1 python bench/detect_speed.py [--rounds 50]

A conversation of 6 customer messages (the default window) with knowledge-base
slots between them; prints the median and p90 of `assess` (embedding the
window, heads, cues, repeats) and of scoring one message, with both heads
(anger and problem, as shipped) and with the anger head alone (what the
problem signal adds: one matrix product on the same pass, and its cues).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bot.detect import FrustrationScorer, assess
from bot.detect.scorer import problem_from
from bot.kb.encoder import Encoder
from bot.config import AssistantConfig
from bot.config.settings import Settings

MESSAGES = ["hi", "how do I freeze my membership", "I'm going abroad for two months",
            "that's not what I asked", "how do I freeze my membership??", "this is ridiculous, nobody can help me"]


def conversation() -> list[dict]:
    events: list[dict] = [{"event": "session_started"}]
    for text in MESSAGES:
        events.append({"event": "user", "text": text, "parse_data": {"intent": {"name": "faq", "confidence": 0.9}}})
        events.append({"event": "slot", "name": "kb_decision", "value": "fallback" if "?" in text else "answer"})
        events.append({"event": "bot", "text": "..."})
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    settings = Settings.from_env()
    scorer = FrustrationScorer.load(Encoder(settings.embedding_model, threads=settings.torch_threads))
    config = AssistantConfig.load(settings.assistant_file).detection
    events = conversation()
    assess(events, scorer, config)  # load the model and the request examples
    anger_only = FrustrationScorer(scorer.encoder, scorer.head, scorer.requests, None)
    _, layers = scorer.encoder.encode_layers([MESSAGES[-1]])
    features = layers[:, list(scorer.problem.feature_layers)].reshape(1, -1)
    timings: dict[str, list[float]] = {"assess_ms": [], "score_one_ms": [], "score_one_anger_only_ms": [], "problem_only_ms": []}
    for _ in range(args.rounds):
        started = time.perf_counter()
        result = assess(events, scorer, config)
        timings["assess_ms"].append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        scorer.score(MESSAGES[-1])
        timings["score_one_ms"].append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        anger_only.score(MESSAGES[-1])
        timings["score_one_anger_only_ms"].append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()  # what the problem signal adds to a pass already made: its head and cues
        problem_from(MESSAGES[-1], float(scorer.problem.probability(features)[0]))
        timings["problem_only_ms"].append(1000 * (time.perf_counter() - started))
    report = {name: {"p50": round(statistics.median(v), 2), "p90": round(sorted(v)[int(0.9 * len(v))], 2)} for name, v in timings.items()}
    report["decision"] = result.action
    print(json.dumps(report))


if __name__ == "__main__":
    main()
