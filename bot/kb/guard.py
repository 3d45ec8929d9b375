"""The tuning guard: a fine-tuned encoder serves only where it ranks the entries' own held-apart questions better.

Before fine-tuning, some of the entries' questions are held apart (`held_apart`):
the last of each entry with two or more questions, and the only question of every
second entry that has one (it keeps its title and answer passage, which then
stand for it). The encoder is tuned on the other rows only. Then the held-apart
questions are ranked twice, each time by an index of the other rows with a
head trained on them: with the base model's embeddings and with the tuned
model's. The base model serves when the tuned one ranks them measurably worse:
its mean reciprocal rank of the right entry is lower than the base model's by
more than one standard error of the paired difference (`verdict`); otherwise
the tuned one serves. (Requiring a measurable *improvement* instead turned the
tuning off for banking77 with 10 questions per entry, where it gains 2 points
of top-1 on real queries: 77 held-apart questions cannot show a 2-point gain,
tuned 0.917 vs base 0.927 MRR, the same top-1; bench/README.md.) The held-
apart questions stay in the served index: they are only left out of training.

On an FAQ whose entries have one question and a long answer, tuning can hurt
(the issue's held-out public FAQ set: 0.932 tuned vs 0.945 untuned); on
banking77 with ten questions per entry it helps (bench/README.md).
"""

from __future__ import annotations

import random

import numpy as np

from bot.kb.encoder import Encoder
from bot.kb.entries import Entry
from bot.kb.index import Head, KBIndex, entry_texts

HELD_APART_MAX = 300  # questions ranked by the guard at most (a seeded sample beyond that)
RULE = "paired-se/v1"  # how the verdict is reached; a saved verdict under another rule is made again


def rows(entries: tuple[Entry, ...]) -> tuple[list[str], np.ndarray]:
    """Every entry's rows, in the index's order, and the entry each belongs to."""
    texts = [t for entry in entries for t in entry_texts(entry)]
    owners = np.array([i for i, entry in enumerate(entries) for _ in entry_texts(entry)], dtype=np.int64)
    return texts, owners


def held_apart(entries: tuple[Entry, ...], seed: int = 0) -> np.ndarray:
    """Row numbers (into `rows(entries)`) of the questions held apart from tuning, sorted."""
    held: list[int] = []
    start = 0
    singles = 0
    for entry in entries:
        count, questions = len(entry_texts(entry)), len(entry.questions)
        if questions >= 2:
            held.append(start + questions - 1)
        elif questions == 1 and count >= 2:  # one question and a title or passage to stand for it
            if singles % 2 == 0:
                held.append(start)
            singles += 1
        start += count
    if len(held) > HELD_APART_MAX:
        held = random.Random(seed).sample(held, HELD_APART_MAX)
    return np.array(sorted(held), dtype=np.int64)


def reciprocal_ranks(entries: tuple[Entry, ...], vectors: np.ndarray, owners: np.ndarray, held: np.ndarray,
                     encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    """Each held-apart row's reciprocal rank of its entry and that entry's probability, ranked by the other rows."""
    if len(held) == 0 or len(entries) < 2:
        return np.zeros(0), np.zeros(0)
    keep = np.setdiff1d(np.arange(len(owners)), held)
    head = Head.fit(vectors[keep], owners[keep], len(entries))
    index = KBIndex(entries, vectors[keep], owners[keep], head, encoder, "guard")
    reciprocal, probability = np.zeros(len(held)), np.zeros(len(held))
    for i, row in enumerate(held):
        probabilities = index.probabilities(vectors[row])
        right = int(owners[row])
        reciprocal[i] = 1.0 / (int((probabilities > probabilities[right]).sum()) + 1)
        probability[i] = float(probabilities[right])
    return reciprocal, probability


def _summary(reciprocal: np.ndarray, probability: np.ndarray) -> dict:
    if not len(reciprocal):
        return {"top1": 0.0, "mrr": 0.0, "probability": 0.0}
    return {"top1": round(float((reciprocal == 1.0).mean()), 4), "mrr": round(float(reciprocal.mean()), 4),
            "probability": round(float(probability.mean()), 4)}


def verdict(entries: tuple[Entry, ...], owners: np.ndarray, held: np.ndarray, base_vectors: np.ndarray,
            tuned_vectors: np.ndarray, base: Encoder, tuned: Encoder) -> dict:
    """Whether the tuned encoder serves: {"use": "tuned" | "base", "held": n, "base": {...}, "tuned": {...}}."""
    base_rr, base_p = reciprocal_ranks(entries, base_vectors, owners, held, base)
    tuned_rr, tuned_p = reciprocal_ranks(entries, tuned_vectors, owners, held, tuned)
    difference = tuned_rr - base_rr
    error = float(difference.std(ddof=1) / np.sqrt(len(difference))) if len(difference) > 1 else 0.0
    worse = len(held) == 0 or float(difference.mean()) < -error
    return {"use": "base" if worse else "tuned", "held": int(len(held)), "rule": RULE,
            "difference": round(float(difference.mean()) if len(held) else 0.0, 4), "standard_error": round(error, 4),
            "base": _summary(base_rr, base_p), "tuned": _summary(tuned_rr, tuned_p)}


def describe(result: dict) -> str:
    """One line for logs and `kb search`: which encoder serves and why."""
    if not result:
        return "not fine-tuned"
    if not result.get("held"):
        return "base model: no question could be held apart to check a fine-tuning"
    b, t = result["base"], result["tuned"]
    figures = (f"on {result['held']} held-apart questions, top-1 / MRR / right entry's probability: tuned "
               f"{t['top1']:.3f} / {t['mrr']:.3f} / {t.get('probability', 0):.3f}, "
               f"base {b['top1']:.3f} / {b['mrr']:.3f} / {b.get('probability', 0):.3f}")
    return f"tuned model ({figures})" if result["use"] == "tuned" else f"base model, tuning ranked them worse ({figures})"
