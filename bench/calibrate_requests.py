"""Calibrate detection.request_confidence and request_similarity (when a request hands over).

    python bench/calibrate_requests.py [--max-flagged 0.003]

Negatives: calm messages never used for evaluation, parsed with the trained
Rasa model (`frontdesk train`): the GoEmotions train tune part
(bench/train_frustration.py's split) and clinc150's val and oos_val splits (the
evaluation's calm customer questions come from clinc150 train and banking77).
Positives: the request_human training examples, each with its similarity to
the nearest *other* example (leave-one-out), a stand-in for new phrasings.
For each (confidence, similarity) pair the script prints the share of
negatives handed over and of positives kept, and picks the pair keeping the
most positives with negatives under --max-flagged. Held-apart requests and
GoEmotions dev are never read here. NLU results are cached in bench/out/.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bench.make_detect_data import SHARED, goemotions_rows
from bench.train_frustration import tune_part
from bot.detect.requests import INTENT, RequestMatcher
from bot.kb.encoder import Encoder
from bot.settings import Settings
from bot.training import ensure_trained

CONFIDENCES = [0.45, 0.5, 0.6, 0.7, 0.8, 0.9]
SIMILARITIES = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-flagged", type=float, default=0.003)
    args = parser.parse_args()
    settings = Settings.from_env()
    clinc = json.loads((SHARED / "clinc150" / "train_val.json").read_text(encoding="utf-8"))
    texts = [t for t, _, cid in goemotions_rows("train") if tune_part(cid)] + [t for t, _ in clinc["val"] + clinc["oos_val"]]
    encoder = Encoder(settings.embedding_model)
    matcher = RequestMatcher.load(encoder)
    similarity = matcher.similarity(encoder.encode(texts, batch_size=128))  # before Rasa imports TensorFlow
    pairwise = matcher.example_vectors() @ matcher.example_vectors().T
    np.fill_diagonal(pairwise, -1.0)
    leave_one_out = pairwise.max(axis=1)

    model = ensure_trained(settings)
    cache = Path("bench/out") / f"request_nlu_{model.name.split('.')[0]}.json"
    if cache.exists():
        intents = [tuple(x) for x in json.loads(cache.read_text())]
    else:
        from bot.detect.evaluate import request_intents

        intents = request_intents(model, texts)
        cache.write_text(json.dumps(intents))
    confidence = np.array([c if name == INTENT else 0.0 for name, c in intents])
    table, best = [], None
    for c in CONFIDENCES:
        for s in SIMILARITIES:
            flagged = float(np.mean((confidence >= c) & (similarity >= s)))
            kept = float(np.mean(leave_one_out >= s))
            table.append({"request_confidence": c, "request_similarity": s, "calm_flagged": round(flagged, 5),
                          "examples_kept": round(kept, 4)})
            if flagged <= args.max_flagged and (best is None or kept > best["examples_kept"]):
                best = table[-1]
    for row in table:
        print(json.dumps(row))
    chosen = best or table[-1]
    mask = (confidence >= chosen["request_confidence"]) & (similarity >= chosen["request_similarity"])
    for i in np.flatnonzero(mask)[:15]:
        print(f"  flagged: {confidence[i]:.2f} {similarity[i]:.2f}  {texts[i][:100]}")
    print(json.dumps({"messages": len(texts), "chosen": chosen}))


if __name__ == "__main__":
    main()
