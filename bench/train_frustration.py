"""Train the frustration head on GoEmotions and calibrate its thresholds on a tune split.

    TORCH_THREADS=1 python bench/train_frustration.py [--head logreg|mlp|emotions] [--save] [--report-dev]

GoEmotions train (Apache-2.0, ../shared/data/goemotions) is split by comment id
into fit (85%) and tune (15%). Rows are mapped as in bench/make_detect_data.py:
frustrated = any of anger, annoyance, disappointment, disgust. Every row is
embedded once with the assistant's encoder and cached under bench/out/.

Heads:
  logreg    logistic regression, frustrated vs every other row
  mlp       one hidden ReLU layer (sklearn MLPClassifier), same target
  emotions  28 one-vs-rest logistic regressions (fine-grained), P(frustrated) =
            noisy-OR of the four frustration emotions

The head is fitted on the fit part; on the tune part (other-negative rows left
out, as in the dev file) the script picks `frustrated` = the score threshold
with the best F1 among those with precision >= --min-precision (default 0: the
best F1), and `high` = the lowest threshold above it with precision >=
--high-precision (default 0.75), on the combined score
(classifier + wording cues, exactly what the assistant computes). It prints
them as the YAML for `detection:` in assistant.yml. --report-dev also prints
the same metrics on GoEmotions dev at those thresholds (reported, never used
to choose anything). --save writes bot/detect/frustration_head.npz.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from bench.make_detect_data import ASKS_FOR_PERSON, FRUSTRATION, SHARED, calm_customers, emotion_names, goemotions_label, goemotions_rows
from bot.detect.scorer import DEFAULT_HEAD, FrustrationHead, score_from
from bot.kb.encoder import Encoder
from bot.config.settings import Settings

CACHE = Path("bench/out")


def tune_part(comment_id: str, percent: int = 15) -> bool:
    return int(hashlib.md5(comment_id.encode()).hexdigest(), 16) % 100 < percent


def embeddings(split: str, texts: list[str], encoder: Encoder) -> np.ndarray:
    """Embeddings of a split's texts, from bench/out/ when the same texts were embedded before."""
    digest = hashlib.sha256("\n".join(texts).encode() + encoder.model_name.encode()).hexdigest()[:16]
    path = CACHE / f"goemotions_{split}_{digest}.npy"
    if path.exists():
        return np.load(path)
    started = time.monotonic()
    vectors = encoder.encode(texts, batch_size=128)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    print(f"embedded {len(texts)} {split} texts in {time.monotonic() - started:.0f} s -> {path}")
    return vectors


def layer_embeddings(split: str, texts: list[str], encoder: Encoder) -> np.ndarray:
    """Mean-pooled hidden states of every MiniLM layer (n, layers + 1, dimension), cached as float16."""
    digest = hashlib.sha256("\n".join(texts).encode() + encoder.model_name.encode()).hexdigest()[:16]
    path = CACHE / f"goemotions_{split}_{digest}_layers.npy"
    if path.exists():
        return np.load(path).astype(np.float32)
    started = time.monotonic()
    _, layers = encoder.encode_layers(texts, batch_size=128)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, layers.astype(np.float16))
    print(f"embedded {len(texts)} {split} texts (all layers) in {time.monotonic() - started:.0f} s -> {path}")
    return layers


def customer_questions(count: int, seed: int = 6) -> list[str]:
    """`count` banking77 and clinc150 training questions (half each), never one of the evaluation's calm customers."""
    import csv
    import random

    held = {t for t, _ in calm_customers()}
    with (SHARED / "banking77" / "train.csv").open(encoding="utf-8", newline="") as f:
        banking = sorted({r["text"].strip() for r in csv.DictReader(f)} - held)
    clinc = json.loads((SHARED / "clinc150" / "train_val.json").read_text(encoding="utf-8"))
    clinc_texts = sorted({t.strip() for t, _ in clinc["train"] + clinc["oos_train"]} - held)
    rng = random.Random(seed)
    picked = rng.sample(banking, count // 2) + rng.sample(clinc_texts, count - count // 2)
    return [t for t in picked if t and not ASKS_FOR_PERSON.search(t)]


def fit_head(kind: str, x: np.ndarray, emotions: list[set[str]], names: list[str], args, model_name: str,
             feature_layers: tuple[int, ...] = ()) -> FrustrationHead:
    """Fit on standardised features; the scaling is folded into the first layer, so the head takes raw features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale

    def head(layers: list[tuple[np.ndarray, np.ndarray]], outputs: np.ndarray) -> FrustrationHead:
        (w, b), rest = layers[0], layers[1:]
        folded = (w / scale[:, None], b - (mean / scale) @ w)
        return FrustrationHead([folded] + rest, outputs, model_name, feature_layers)

    y = np.array([bool(e & FRUSTRATION) for e in emotions])
    if kind == "logreg":
        clf = LogisticRegression(C=args.C, max_iter=3000, class_weight="balanced" if args.balanced else None).fit(z, y)
        return head([(clf.coef_.T.copy(), clf.intercept_.copy())], np.array([0]))
    if kind == "mlp":
        clf = MLPClassifier(hidden_layer_sizes=(args.hidden,), alpha=args.alpha, early_stopping=True,
                            max_iter=200, random_state=6).fit(z, y)
        return head([(w.copy(), b.copy()) for w, b in zip(clf.coefs_, clf.intercepts_)], np.array([0]))
    if kind == "emotions":
        weights, biases = [], []
        for name in names:
            target = np.array([name in e for e in emotions])
            clf = LogisticRegression(C=args.C, max_iter=3000, class_weight="balanced" if args.balanced else None).fit(z, target)
            weights.append(clf.coef_[0])
            biases.append(clf.intercept_[0])
        outputs = np.array([names.index(n) for n in sorted(FRUSTRATION)])
        return head([(np.stack(weights, axis=1), np.array(biases))], outputs)
    raise SystemExit(f"unknown head {kind}")


def metrics(scores: np.ndarray, truth: np.ndarray, threshold: float) -> dict:
    predicted = scores >= threshold
    tp = int(np.sum(predicted & truth))
    precision = tp / max(1, int(predicted.sum()))
    recall = tp / max(1, int(truth.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "threshold": round(threshold, 3)}


def calibrate(scores: np.ndarray, truth: np.ndarray, min_precision: float, high_precision: float,
              tolerance: float = 0.0) -> tuple[float, float]:
    """`frustrated`: the lowest threshold within `tolerance` of the best F1 (the F1 curve is flat near its top, so
    among equals the one that catches more); `high`: the lowest above it with precision >= high_precision."""
    grid = np.round(np.arange(0.05, 0.99, 0.01), 3)
    rows = [metrics(scores, truth, t) for t in grid]
    eligible = [r for r in rows if r["precision"] >= min_precision] or rows
    best = max(r["f1"] for r in eligible)
    frustrated = min(r["threshold"] for r in eligible if r["f1"] >= best - tolerance)
    high = next((r["threshold"] for r in rows if r["threshold"] > frustrated and r["precision"] >= high_precision), 0.95)
    return frustrated, high


def combined_scores(texts: list[str], probabilities: np.ndarray, use_cues: bool) -> np.ndarray:
    if not use_cues:
        return probabilities
    return np.array([score_from(t, float(p)).score for t, p in zip(texts, probabilities)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", default="logreg", choices=["logreg", "mlp", "emotions"])
    parser.add_argument("--layers", default="",
                        help="comma-separated MiniLM layers (0 = embeddings ... 6) whose mean-pooled hidden states are the "
                             "features; empty: the sentence embedding")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--balanced", action="store_true", help="class-weighted fit")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--alpha", type=float, default=1e-3)
    parser.add_argument("--drop-other-negative", action="store_true",
                        help="fit without the rows left out of the dev file (sad, afraid ... but not frustrated)")
    parser.add_argument("--customer-calm", type=int, default=0,
                        help="also fit on this many calm customer questions (banking77 + clinc150 train, never the "
                             "evaluation's): Reddit alone teaches that 'I want to cancel' sounds annoyed")
    parser.add_argument("--no-cues", action="store_true", help="calibrate and report the classifier alone")
    parser.add_argument("--min-precision", type=float, default=0.0)
    parser.add_argument("--high-precision", type=float, default=0.75)
    parser.add_argument("--f1-tolerance", type=float, default=0.005,
                        help="frustrated = the lowest threshold within this of the best tune F1")
    parser.add_argument("--report-dev", action="store_true")
    parser.add_argument("--save", action="store_true", help=f"write {DEFAULT_HEAD}")
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = Encoder(settings.embedding_model, threads=int(os.environ.get("TORCH_THREADS", "1")))
    names = emotion_names()

    feature_layers = tuple(int(i) for i in args.layers.split(",") if i.strip())

    def features(split: str, texts: list[str]) -> np.ndarray:
        if not feature_layers:
            return embeddings(split, texts, encoder)
        return layer_embeddings(split, texts, encoder)[:, list(feature_layers)].reshape(len(texts), -1)

    rows = goemotions_rows("train")
    x = features("train", [t for t, _, _ in rows])
    tune = np.array([tune_part(cid) for _, _, cid in rows])
    fit_index = np.flatnonzero(~tune)
    if args.drop_other_negative:
        fit_index = np.array([i for i in fit_index if goemotions_label(rows[i][1])])
    fit_x, fit_emotions = x[fit_index], [rows[i][1] for i in fit_index]
    if args.customer_calm:
        questions = customer_questions(args.customer_calm)
        fit_x = np.concatenate([fit_x, features(f"customers{len(questions)}", questions)])
        fit_emotions = fit_emotions + [{"neutral"}] * len(questions)
    head = fit_head(args.head, fit_x, fit_emotions, names, args, encoder.model_name, feature_layers)

    def evaluate(part_rows, vectors) -> tuple[np.ndarray, np.ndarray, list[str]]:
        keep = [i for i, (_, e, _) in enumerate(part_rows) if goemotions_label(e)]
        texts = [part_rows[i][0] for i in keep]
        truth = np.array([goemotions_label(part_rows[i][1]) == "frustrated" for i in keep])
        return combined_scores(texts, head.probability(vectors[keep]), not args.no_cues), truth, texts

    tune_rows = [rows[i] for i in np.flatnonzero(tune)]
    tune_scores, tune_truth, _ = evaluate(tune_rows, x[tune])
    frustrated, high = calibrate(tune_scores, tune_truth, args.min_precision, args.high_precision, args.f1_tolerance)
    report = {"head": args.head, "layers": list(feature_layers) or "sentence", "cues": not args.no_cues, "fit_rows": len(fit_x),
              "tune": metrics(tune_scores, tune_truth, frustrated), "tune_high": metrics(tune_scores, tune_truth, high)}
    # Calm customer questions never used for fitting nor evaluation (clinc150 val): the share scored frustrated.
    clinc = json.loads((SHARED / "clinc150" / "train_val.json").read_text(encoding="utf-8"))
    val = [t for t, _ in clinc["val"]]
    val_scores = combined_scores(val, head.probability(features(f"clinc_val{len(val)}", val)), not args.no_cues)
    report["customer_val_flagged"] = round(float(np.mean(val_scores >= frustrated)), 4)
    if args.report_dev:
        dev_rows = goemotions_rows("dev")
        dev_x = features("dev", [t for t, _, _ in dev_rows])
        dev_scores, dev_truth, _ = evaluate(dev_rows, dev_x)
        report["dev"] = metrics(dev_scores, dev_truth, frustrated)
        report["dev_high"] = metrics(dev_scores, dev_truth, high)
        strict_truth = np.array([bool(e & FRUSTRATION) for _, e, _ in dev_rows])
        strict_p = head.probability(dev_x)
        report["dev_strict"] = metrics(combined_scores([t for t, _, _ in dev_rows], strict_p, not args.no_cues), strict_truth, frustrated)
    if args.save:
        head.save(DEFAULT_HEAD)
        report["saved"] = f"{DEFAULT_HEAD} ({DEFAULT_HEAD.stat().st_size // 1024} KB)"
    print(f"detection:\n  frustrated: {frustrated}\n  high: {high}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
