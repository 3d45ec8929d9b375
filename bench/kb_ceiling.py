"""How far can a decision rule get on a development set? Top-1 and the best answer accuracy at a wrong-answer limit.

    python bench/kb_ceiling.py [--data banking77] [--split tune] [--max-wrong 0.035] VARIANT ...

For each VARIANT the knowledge base of bench/out/dev/<data> (bench/make_dev_kbs.py)
ranks every in-scope row of <split>.csv as the assistant does (head + nearest-question
vote, `KBIndex.probabilities`), and the script prints top-1 and, sorting the rows by one
confidence (the top entry's probability, or its margin over the runner-up) and
answering the most confident first, the largest share answered right while at most
--max-wrong are answered wrong: the ceiling of any threshold on that confidence.

Variants:
  tuned:SEEDS              the shipped fine-tuning (bot/kb/tune.py) under each seed;
                           several seeds (tuned:0,1,2) average the entries' probabilities
  tuned:SEEDS:FROZEN:EPOCHS  the same recipe with FROZEN bottom layers frozen (0: none) and
                           EPOCHS epochs instead of the recipe's (saved under their own key)
  base                     the base MiniLM, not fine-tuned
  base:FOLDER              another sentence-transformers model from a local folder, not
                           fine-tuned (also prints its time to embed one message, p50)

Tuned models and snapshots are kept in bench/out/dev/<data>/state (shared with
`frontdesk kb eval --state` and bench/calibrate_kb.py), so a second run is quick.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np

import bot.kb.tune as tune
from bot.kb.decide import DecisionConfig
from bot.kb.encoder import Encoder
from bot.kb.evaluation import read_queries
from bot.kb.service import KnowledgeBase
from bot.kb.tune import TunedModels
from bot.config.settings import Settings


@contextlib.contextmanager
def recipe(frozen: int | None, epochs: int | None):
    """The fine-tuning recipe with other frozen layers / epochs, under its own cache key."""
    saved = tune.FROZEN_LAYERS, tune.EPOCHS, tune.RECIPE
    if frozen is not None:
        tune.FROZEN_LAYERS, tune.EPOCHS = frozen, epochs
        tune.RECIPE = f"{saved[2]}/variant-frozen{frozen}-epochs{epochs}"
    try:
        yield
    finally:
        tune.FROZEN_LAYERS, tune.EPOCHS, tune.RECIPE = saved


def probabilities(dev: Path, texts: list[str], encoder: Encoder, fine_tune: bool, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Entry ids and each text's probability for every entry, from the knowledge base as the assistant opens it."""
    config = dataclasses.replace(DecisionConfig(), fine_tune=fine_tune)
    state = dev / "state"
    kb = KnowledgeBase(dev / "kb", state / "kb", encoder, config,
                       tuned_models=TunedModels(state / "models" / "kb-tuned"), tuning="wait", seed=seed)
    snapshot = kb.snapshot
    vectors = snapshot.encoder.encode(texts, batch_size=128)
    return [e.id for e in snapshot.entries], np.vstack([snapshot.probabilities(v) for v in vectors])


def best_answered(right: np.ndarray, confidence: np.ndarray, max_wrong: float) -> float:
    """Answering the most confident rows first: the largest share right with at most `max_wrong` wrong."""
    order = np.argsort(-confidence)
    n = len(right)
    answered_right = np.cumsum(right[order]) / n
    answered_wrong = np.cumsum(~right[order]) / n
    allowed = answered_wrong <= max_wrong
    return float(answered_right[allowed].max()) if allowed.any() else 0.0


def one_message_ms(encoder: Encoder, texts: list[str]) -> float:
    times = []
    for text in texts[:60]:
        started = time.perf_counter()
        encoder.encode([text])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[10:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="banking77")
    parser.add_argument("--split", default="tune")
    parser.add_argument("--dev", type=Path, default=Path("bench/out/dev"))
    parser.add_argument("--max-wrong", type=float, default=0.035)
    parser.add_argument("variants", nargs="+")
    args = parser.parse_args()
    dev = args.dev / args.data
    rows = [r for r in read_queries(dev / f"{args.split}.csv") if r.expected]
    texts, expected = [r.text for r in rows], np.array([r.expected for r in rows])
    minilm = Encoder(Settings.from_env().embedding_model, threads=2)
    print(f"{args.data} {args.split}: {len(rows)} in-scope rows; best answered right at <= {args.max_wrong:.1%} wrong")
    for variant in args.variants:
        kind, _, spec = variant.partition(":")
        extra = ""
        if kind == "tuned":
            seeds, _, rest = spec.partition(":")
            frozen, _, epochs = rest.partition(":")
            with recipe(int(frozen) if frozen else None, int(epochs) if epochs else None):
                runs = [probabilities(dev, texts, minilm, True, int(seed)) for seed in (seeds or "0").split(",")]
            ids, probs = runs[0][0], np.mean([p for _, p in runs], axis=0)
        elif kind == "base":
            encoder = Encoder(spec, threads=2) if spec else minilm
            ids, probs = probabilities(dev, texts, encoder, False)
            extra = f"  one message {one_message_ms(encoder, texts):.1f} ms (p50)"
        else:
            parser.error(f"unknown variant {variant!r}")
        ranked = np.sort(probs, axis=1)
        right = np.array(ids)[probs.argmax(axis=1)] == expected
        print(f"{variant:24s} top-1 {right.mean():.3f}  by probability {best_answered(right, ranked[:, -1], args.max_wrong):.3f}"
              f"  by margin {best_answered(right, ranked[:, -1] - ranked[:, -2], args.max_wrong):.3f}{extra}", flush=True)


if __name__ == "__main__":
    main()
