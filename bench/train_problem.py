"""Train the problem head on in-domain customer-service messages and calibrate `detection.problem`.

    TORCH_THREADS=1 python bench/train_problem.py [--C 0.02] [--save] [--report-test]

Data from bench/make_problem_data.py (run it first): bench/out/problem_fit.csv and
problem_tune.csv (banking77, clinc150 and Bitext rows labelled problem / calm by two
passes that agree), plus bench/data/sclub_dev.csv split in two by a hash of the text
(half fitted, half tuned; its anger rows are left out: anger has its own head).
The features are the frustration head's: the mean-pooled hidden states of MiniLM's
layers 0-6 from the one pass that also gives the sentence embedding, so the action
server adds one matrix product per message. The head is a logistic regression
(class-weighted); the threshold `problem` is the one with the best F1 on the tune
rows of the combined score (head + bench/detect/lexicon problem cues, as the
assistant computes it). --report-test also prints the figures on the held-apart
bench/data/service_heldout.csv (reported, never used to choose anything).
--save writes bot/detect/problem_head.npz.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from bench.make_detect_data import DATA
from bench.train_frustration import calibrate, layer_embeddings, metrics
from bot.config.settings import Settings
from bot.detect.scorer import DEFAULT_PROBLEM_HEAD, FrustrationHead, problem_from
from bot.kb.encoder import Encoder

CACHE = Path("bench/out")  # bench/make_problem_data.py writes the fit and tune rows here
LAYERS = (0, 1, 2, 3, 4, 5, 6)


def read(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["label"]) for r in csv.DictReader(f)]


def features(texts: list[str], encoder: Encoder) -> np.ndarray:
    """Layers 0-6 mean-pooled and concatenated (bench/train_frustration.py's cache under bench/out/)."""
    return layer_embeddings("problem", texts, encoder)[:, list(LAYERS)].reshape(len(texts), -1)


def fit(x: np.ndarray, y: np.ndarray, C: float, model_name: str) -> FrustrationHead:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit((x - mean) / scale, y)
    w, b = clf.coef_.T.copy(), clf.intercept_.copy()
    return FrustrationHead([(w / scale[:, None], b - (mean / scale) @ w)], np.array([0]), model_name, LAYERS)


def scores(head: FrustrationHead, texts: list[str], x: np.ndarray) -> np.ndarray:
    return np.array([problem_from(t, float(p))[0] for t, p in zip(texts, head.probability(x))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, default=0.02)
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--report-test", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = Encoder(settings.embedding_model, threads=int(os.environ.get("TORCH_THREADS", "1")))

    sclub = [(t, l) for t, l in read(DATA / "sclub_dev.csv") if l in ("problem", "calm")]
    half = [int(hashlib.md5(t.encode()).hexdigest(), 16) % 2 for t, _ in sclub]
    fit_rows = read(CACHE / "problem_fit.csv") + [r for r, h in zip(sclub, half) if h == 0]
    tune_rows = read(CACHE / "problem_tune.csv") + [r for r, h in zip(sclub, half) if h == 1]
    fit_x = features([t for t, _ in fit_rows], encoder)
    head = fit(fit_x, np.array([l == "problem" for _, l in fit_rows]), args.C, encoder.model_name)

    tune_texts = [t for t, _ in tune_rows]
    tune_scores = scores(head, tune_texts, features(tune_texts, encoder))
    tune_truth = np.array([l == "problem" for _, l in tune_rows])
    threshold, _ = calibrate(tune_scores, tune_truth, 0.0, 1.0)
    sclub_tune = np.array([i >= len(tune_rows) - sum(half) for i in range(len(tune_rows))])
    report = {"C": args.C, "fit_rows": len(fit_rows), "tune_rows": len(tune_rows), "problem": threshold,
              "tune": metrics(tune_scores, tune_truth, threshold),
              "tune_sclub": metrics(tune_scores[sclub_tune], tune_truth[sclub_tune], threshold)}
    if args.report_test:
        test = [(t, l) for t, l in read(DATA / "service_heldout.csv") if l in ("problem", "calm")]
        texts = [t for t, _ in test]
        test_scores = scores(head, texts, features(texts, encoder))
        truth = np.array([l == "problem" for _, l in test])
        is_sclub = np.array([i >= len(test) - sum(1 for t, l in read(DATA / "sclub_heldout.csv") if l in ("problem", "calm"))
                             for i in range(len(test))])
        report["test"] = metrics(test_scores, truth, threshold)
        report["test_sclub"] = metrics(test_scores[is_sclub], truth[is_sclub], threshold)
    if args.save:
        head.save(DEFAULT_PROBLEM_HEAD)
    print(f"detection:\n  problem: {threshold}  # for assistant.yml" + (f"\nsaved {DEFAULT_PROBLEM_HEAD}" if args.save else ""))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
