"""Calibrate detection.request_confidence and request_similarity (when a request hands over).

    python bench/calibrate_requests.py [--max-flagged 0.003] [--folds 5]

Negatives: calm messages never used for evaluation, parsed with the trained
Rasa model (`frontdesk train`): the GoEmotions train tune part
(bench/train_frustration.py's split) and clinc150's val and oos_val splits (the
evaluation's calm customer questions come from clinc150 train and banking77).
Positives: the request_human training examples, cross-validated: the examples
are split into --folds folds; for each fold an NLU-only Rasa model is trained
without that fold's examples (same config.yml and other intents), the fold is
parsed with it, and its similarity is measured to the other folds' examples
only. So both numbers are those of phrasings the detector has not seen.
A message passes the wording check when it is similar enough or (with
request_person_words) names a person (bot/detect/requests.py); both settings are tried.
For each (confidence, similarity) pair the script prints the share of
negatives handed over and of held-out requests caught, and picks the pair
catching the most requests with negatives under --max-flagged. Held-apart
requests and GoEmotions dev are never read here. NLU results are cached in bench/out/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.make_detect_data import SHARED, goemotions_rows
from bench.train_frustration import tune_part
from bot.detect.requests import DEFAULT_REQUESTS, INTENT, RequestMatcher, mentions_person, request_examples
from bot.kb.encoder import Encoder
from bot.config.settings import Settings
from bot.ops.training import ensure_trained

CONFIDENCES = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
SIMILARITIES = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 1.01]  # 1.01: naming a person is required
OUT = Path("bench/out")


def fold_models(settings: Settings, examples: list[str], folds: list[list[int]], work: Path) -> list[Path]:
    """An NLU-only model per fold, trained without that fold's request examples."""
    models = []
    for k, held in enumerate(folds):
        data = work / f"fold{k}"
        shutil.copytree(settings.project_dir / "data" / "nlu", data)
        kept = [e for i, e in enumerate(examples) if i not in set(held)]
        lines = "\n".join(f"      - {e}" for e in kept)
        (data / DEFAULT_REQUESTS.name).write_text(f'version: "3.1"\nnlu:\n  - intent: {INTENT}\n    examples: |\n{lines}\n')
        subprocess.run([sys.executable, "-m", "rasa", "train", "nlu", "--config", "config.yml", "--nlu", str(data),
                        "--out", str(work), "--fixed-model-name", f"fold{k}"],
                       cwd=settings.project_dir, check=True, capture_output=True)
        models.append(work / f"fold{k}.tar.gz")
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-flagged", type=float, default=0.003)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    settings = Settings.from_env()
    clinc = json.loads((SHARED / "clinc150" / "train_val.json").read_text(encoding="utf-8"))
    texts = [t for t, _, cid in goemotions_rows("train") if tune_part(cid)] + [t for t, _ in clinc["val"] + clinc["oos_val"]]
    encoder = Encoder(settings.embedding_model)
    examples = request_examples()
    order = list(range(len(examples)))
    random.Random(6).shuffle(order)
    folds = [order[k::args.folds] for k in range(args.folds)]
    # Embeddings first: MiniLM is much slower once Rasa has imported TensorFlow.
    # Similarity as the assistant measures it (with the spelling-corrected copy, bot/detect/requests.py).
    digest = hashlib.sha256("\n".join(examples).encode()).hexdigest()[:12]
    similarity_cache = OUT / f"request_similarity_{len(texts)}_{digest}_spelling.npy"
    if not similarity_cache.exists():
        np.save(similarity_cache, RequestMatcher(encoder, examples).similarity_of(texts, encoder.encode(texts, batch_size=128)))
    similarity = np.load(similarity_cache)
    vectors = encoder.encode(examples)
    held_similarity = np.zeros(len(examples))
    for held in folds:
        rest = RequestMatcher(encoder, [examples[i] for i in order if i not in set(held)])
        held_similarity[held] = rest.similarity_of([examples[i] for i in held], vectors[held])

    from bot.detect.evaluation import request_intents

    model = ensure_trained(settings)
    cache = OUT / f"request_nlu_{model.name.split('.')[0]}_v2.json"
    if not cache.exists():
        cache.write_text(json.dumps(request_intents(model, texts)))
    intents = [tuple(x) for x in json.loads(cache.read_text())]
    confidence = np.array([c if name == INTENT else 0.0 for name, c in intents])
    fold_cache = OUT / f"request_folds_{model.name.split('.')[0]}_{args.folds}.json"
    if not fold_cache.exists():
        held_confidence = np.zeros(len(examples))
        with tempfile.TemporaryDirectory() as work:
            for held, fold_model in zip(folds, fold_models(settings, examples, folds, Path(work))):
                parsed = request_intents(fold_model, [examples[i] for i in held])
                held_confidence[held] = [c if name == INTENT else 0.0 for name, c in parsed]
        fold_cache.write_text(json.dumps(held_confidence.tolist()))
    held_confidence = np.array(json.loads(fold_cache.read_text()))
    mention = np.array([mentions_person(t) for t in texts])
    held_mention = np.array([mentions_person(e) for e in examples])

    table, best = [], None
    for words in (False, True):
        for c in CONFIDENCES:
            for s in SIMILARITIES:
                flagged = float(np.mean((confidence >= c) & ((similarity >= s) | (mention & words))))
                caught = float(np.mean((held_confidence >= c) & ((held_similarity >= s) | (held_mention & words))))
                table.append({"request_person_words": words, "request_confidence": c, "request_similarity": s,
                              "calm_flagged": round(flagged, 5), "held_out_requests_caught": round(caught, 4)})
                if flagged <= args.max_flagged and (best is None or caught > best["held_out_requests_caught"]):
                    best = table[-1]
    for row in table:
        print(json.dumps(row))
    chosen = best or table[-1]
    words = chosen["request_person_words"]
    missed = (held_confidence < chosen["request_confidence"]) | ((held_similarity < chosen["request_similarity"]) & ~(held_mention & words))
    for i in np.flatnonzero(missed):
        print(f"  missed: {held_confidence[i]:.2f} {held_similarity[i]:.2f}  {examples[i]}")
    mask = (confidence >= chosen["request_confidence"]) & ((similarity >= chosen["request_similarity"]) | (mention & words))
    for i in np.flatnonzero(mask)[:15]:
        print(f"  flagged: {confidence[i]:.2f} {similarity[i]:.2f}  {texts[i][:100]}")
    print(json.dumps({"messages": len(texts), "requests": len(examples), "chosen": chosen}))


if __name__ == "__main__":
    main()
