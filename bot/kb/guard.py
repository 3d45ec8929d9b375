"""The tuning guard: a fine-tuned encoder serves only where it ranks the entries' own held-apart questions better.

Before fine-tuning, some of the entries' questions are held apart (`held_apart`):
the last of each entry with two or more questions, and the only question of every
second entry that has one (it keeps its title and answer passage, which then
stand for it). The encoder is tuned on the other rows only. Then the held-apart
questions are ranked twice, each time by an index of the other rows with a
head trained on them: with the base model's embeddings and with the tuned
model's. The tuned encoder serves only when its mean reciprocal rank of the
right entry is higher, or equal with a higher mean probability of the right
entry (`verdict`: a knowledge base whose held-apart questions both rank
perfectly is told apart by how sure each is); otherwise the base model serves. The held-
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


def ranking_quality(entries: tuple[Entry, ...], vectors: np.ndarray, owners: np.ndarray, held: np.ndarray,
                    encoder: Encoder) -> dict:
    """Top-1 and mean reciprocal rank of the held-apart rows, ranked by an index of the other rows."""
    if len(held) == 0 or len(entries) < 2:
        return {"top1": 0.0, "mrr": 0.0, "probability": 0.0}
    keep = np.setdiff1d(np.arange(len(owners)), held)
    head = Head.fit(vectors[keep], owners[keep], len(entries))
    index = KBIndex(entries, vectors[keep], owners[keep], head, encoder, "guard")
    top1, reciprocal, probability = 0, 0.0, 0.0
    for row in held:
        probabilities = index.probabilities(vectors[row])
        right = int(owners[row])
        rank = int((probabilities > probabilities[right]).sum()) + 1
        top1 += rank == 1
        reciprocal += 1.0 / rank
        probability += float(probabilities[right])
    n = len(held)
    return {"top1": round(top1 / n, 4), "mrr": round(reciprocal / n, 4), "probability": round(probability / n, 4)}


def verdict(entries: tuple[Entry, ...], owners: np.ndarray, held: np.ndarray, base_vectors: np.ndarray,
            tuned_vectors: np.ndarray, base: Encoder, tuned: Encoder) -> dict:
    """Whether the tuned encoder serves: {"use": "tuned" | "base", "held": n, "base": {...}, "tuned": {...}}."""
    before = ranking_quality(entries, base_vectors, owners, held, base)
    after = ranking_quality(entries, tuned_vectors, owners, held, tuned)
    better = (after["mrr"], after["probability"]) > (before["mrr"], before["probability"])
    use = "tuned" if len(held) and better else "base"
    return {"use": use, "held": int(len(held)), "base": before, "tuned": after}


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
    return f"tuned model ({figures})" if result["use"] == "tuned" else f"base model, tuning did not help ({figures})"
