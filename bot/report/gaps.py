"""Content gaps: what customers asked that the knowledge base could not answer, grouped for editors.

The messages whose turn ended in a fallback or a clarification are embedded
with the assistant's own sentence model (bot/kb/encoder.py) and clustered
by average-linkage agglomerative clustering on cosine distance with a fixed
threshold, which is deterministic. Identical messages (ignoring case and
spacing) are embedded once and weigh by their count. To stay in time, at
most `gap_max_messages` distinct messages are clustered, the most frequent
first; the report says when others were left out. Each cluster's centre is
ranked against the knowledge base as a question would be: when the top
entry's closest question is similar enough, the suggestion is to add the
phrasings to that entry; otherwise no entry covers it.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.config import ReportConfig
from bot.report.records import GapMessage

if TYPE_CHECKING:
    from bot.kb import Encoder
    from bot.kb import KBIndex

SAMPLES = 5
CSV_FIELDS = ["cluster", "size", "fallback", "clarify", "suggestion", "nearest_entry", "nearest_title",
              "similarity", "samples"]


@dataclass
class GapCluster:
    size: int  # messages (with repeats)
    decisions: Counter
    samples: list[str]  # most frequent first, then nearest the centre
    nearest_entry: str | None
    nearest_title: str | None
    similarity: float | None
    close: bool

    @property
    def suggestion(self) -> str:
        if self.close:
            return f"add these as questions to {self.nearest_entry} ({self.nearest_title})"
        return "no entry covers this"

    def as_dict(self) -> dict:
        return {
            "size": self.size, "fallback": self.decisions["fallback"], "clarify": self.decisions["clarify"],
            "samples": self.samples, "nearest_entry": self.nearest_entry, "nearest_title": self.nearest_title,
            "similarity": self.similarity, "suggestion": self.suggestion,
        }


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def cluster_labels(vectors: np.ndarray, similarity: float) -> np.ndarray:
    """Cluster label per row of unit `vectors`: average linkage, cut at cosine distance 1 - `similarity`."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(n_clusters=None, affinity="cosine", linkage="average",
                                    distance_threshold=1.0 - similarity)
    return model.fit_predict(vectors)


def find_gaps(messages: list[GapMessage], encoder: Encoder | None, kb: KBIndex | None, config: ReportConfig) -> dict:
    """Clusters of `messages` (biggest first) and what was left out, JSON-ready."""
    groups: dict[str, list[GapMessage]] = {}
    for message in messages:
        groups.setdefault(_key(message.text), []).append(message)
    ranked = sorted(groups.values(), key=lambda g: (-len(g), _key(g[0].text)))
    kept = ranked[: config.gap_max_messages]
    left_out = sum(len(g) for g in ranked[len(kept):])
    summary = {"messages": len(messages), "distinct": len(groups), "clustered_distinct": len(kept),
               "left_out_messages": left_out, "clusters": []}
    if not kept or encoder is None:
        return summary
    texts = [Counter(m.text for m in group).most_common(1)[0][0] for group in kept]
    weights = np.array([len(group) for group in kept], dtype=np.float32)
    vectors = encoder.encode(texts)
    labels = cluster_labels(vectors, config.gap_cluster_similarity)
    clusters = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        centre = (vectors[members] * weights[members, None]).sum(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        closeness = vectors[members] @ centre
        order = sorted(range(len(members)), key=lambda i: (-weights[members[i]], -closeness[i], texts[members[i]]))
        decisions = Counter(m.decision for i in members for m in kept[i])
        entry, title, sim = _nearest_entry(kb, centre)
        clusters.append(GapCluster(
            size=int(weights[members].sum()), decisions=decisions,
            samples=[texts[members[i]] for i in order[:SAMPLES]],
            nearest_entry=entry, nearest_title=title, similarity=sim,
            close=sim is not None and sim >= config.gap_entry_similarity,
        ))
    clusters.sort(key=lambda c: (-c.size, c.samples[0]))
    summary["clusters"] = [c.as_dict() for c in clusters]
    return summary


def _nearest_entry(kb: KBIndex | None, centre: np.ndarray) -> tuple[str | None, str | None, float | None]:
    """The entry the assistant's own ranking puts first for `centre`, its title, and its closest question's cosine.

    The ranking (the knowledge base's classifier head) rather than the single
    nearest question: one stray question ("can I park there while I swim")
    would otherwise pull a swimming cluster to the parking entry.
    """
    if kb is None or not len(kb.entries):
        return None, None, None
    top = kb.rank(centre.astype(np.float32), limit=1, vote=False)[0]  # a centre, not a message: the head alone
    return top.entry.id, top.entry.title, round(top.similarity, 4)


def write_csv(path: Path, gaps: dict) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for number, cluster in enumerate(gaps.get("clusters", []), start=1):
            writer.writerow({
                "cluster": number, "size": cluster["size"], "fallback": cluster["fallback"],
                "clarify": cluster["clarify"], "suggestion": cluster["suggestion"],
                "nearest_entry": cluster["nearest_entry"] or "", "nearest_title": cluster["nearest_title"] or "",
                "similarity": "" if cluster["similarity"] is None else cluster["similarity"],
                "samples": " | ".join(cluster["samples"]),
            })
