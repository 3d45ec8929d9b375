"""Content gaps: what customers asked that the knowledge base could not answer, grouped for editors.

The messages whose turn ended in a fallback or a clarification are sorted
first (`kind_of`): replies to the assistant's own questions ("no", "yes",
"none of those") and small talk ("thanks", "ok", "how are you") are no
content gaps and are only counted; questions NLU read as outside the company's
services (intent `out_of_scope`, fallen back) are listed apart from the
in-scope gaps. Each list is embedded with the assistant's own sentence
model (bot/kb/encoder.py) and clustered by average-linkage agglomerative
clustering on cosine distance with a fixed threshold, which is
deterministic. Identical messages (ignoring case and spacing) are embedded
once and weigh by their count. To stay in time, at most `gap_max_messages`
distinct messages are clustered, the most frequent first; the report says
when others were left out.

Each in-scope cluster's suggestion follows docs/editors-guide.md:
- when the knowledge base would itself clarify most of its messages between
  several plausible entries (the runner-up rule of bot/kb/decide.py: the
  second entry has more than `answer_runner_up`; `_general_fit`), the
  question is a general one that fits those entries, so it says so and
  advises no change, or an overview entry: adding it to one entry would give
  the other entry's customers the wrong answer;
- else, when the entry the knowledge base ranks first for the cluster's
  centre has a question similar enough, add the phrasings to that entry;
- else no entry covers it.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.config import ReportConfig
from bot.report.records import GapMessage

if TYPE_CHECKING:
    from bot.kb import DecisionConfig, Encoder, KBIndex

SAMPLES = 5
CSV_FIELDS = ["cluster", "size", "fallback", "clarify", "suggestion", "nearest_entry", "nearest_title",
              "similarity", "samples", "scope"]
# intents that answer the assistant's own question, or are small talk: never a content gap
NOT_QUESTIONS = {"affirm", "deny", "something_else", "choose_entry", "greet", "goodbye", "thank", "bot_challenge"}
# a message made only of these words (or of no words: "👍", "?") is a reply or small talk whatever NLU said
SMALL_TALK_WORDS = set("""
no nope nah not yes yeah yep yup ok okay k kk okey thanks thank thx ty cheers you u hi hello hey hiya bye goodbye
lol haha ha hmm hm um uh cool great nice sure fine good morning afternoon evening night please pls oh ah right alright
wow sorry that thats that's it's its all much very so and how are doing what's whats up sup there again done perfect
""".split())
OUT_OF_SCOPE_SUGGESTION = ("outside what the assistant covers: it says so and offers a person; "
                           "add an entry only if the company should answer this")


def kind_of(message: GapMessage) -> str | None:
    """`gap` (a question the knowledge base should answer), `out_of_scope`, or None (a reply or small talk)."""
    words = re.findall(r"[a-z']+", message.text.lower())
    if message.intent in NOT_QUESTIONS or all(word in SMALL_TALK_WORDS for word in words):
        return None
    if message.intent == "out_of_scope" and message.decision == "fallback":
        return "out_of_scope"
    return "gap"


@dataclass
class GapCluster:
    size: int  # messages (with repeats)
    decisions: Counter
    samples: list[str]  # most frequent first, then nearest the centre
    nearest_entry: str | None
    nearest_title: str | None
    similarity: float | None
    close: bool
    fits: tuple[tuple[str, str], ...] = ()  # (id, title) of the entries a general question fits
    out_of_scope: bool = False

    @property
    def suggestion(self) -> str:
        if self.out_of_scope:
            return OUT_OF_SCOPE_SUGGESTION
        if self.fits:
            names = [f"{entry} ({title})" for entry, title in self.fits]
            fits = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
            return (f"customers ask this generally: it fits {fits}; the assistant clarifies; "
                    "no change needed, or write an overview entry")
        if self.close:
            return f"add these as questions to {self.nearest_entry} ({self.nearest_title})"
        return "no entry covers this"

    def as_dict(self) -> dict:
        return {
            "size": self.size, "fallback": self.decisions["fallback"], "clarify": self.decisions["clarify"],
            "samples": self.samples, "nearest_entry": self.nearest_entry, "nearest_title": self.nearest_title,
            "similarity": self.similarity, "suggestion": self.suggestion, "fits": [entry for entry, _ in self.fits],
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


def find_gaps(messages: list[GapMessage], encoder: Encoder | None, kb: KBIndex | None, config: ReportConfig,
              decision: DecisionConfig | None = None) -> dict:
    """In-scope clusters (biggest first) with what was left out, and the out-of-scope ones apart, JSON-ready.

    `decision` is the knowledge base's own (assistant.yml): with it, a cluster the
    knowledge base would clarify between several entries is suggested as a general question.
    """
    kinds = [kind_of(m) for m in messages]
    questions = [m for m, kind in zip(messages, kinds) if kind == "gap"]
    outside = [m for m, kind in zip(messages, kinds) if kind == "out_of_scope"]
    summary = _clusters(questions, encoder, kb, config, decision)
    summary["not_questions"] = len(messages) - len(questions) - len(outside)
    summary["out_of_scope"] = _clusters(outside, encoder, None, config, None, out_of_scope=True)
    return summary


def _clusters(messages: list[GapMessage], encoder: Encoder | None, kb: KBIndex | None, config: ReportConfig,
              decision: DecisionConfig | None, out_of_scope: bool = False) -> dict:
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
            fits=_general_fit(kb, decision, vectors[members], weights[members]), out_of_scope=out_of_scope,
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


def _general_fit(kb: KBIndex | None, config: DecisionConfig | None, vectors: np.ndarray,
                 weights: np.ndarray) -> tuple[tuple[str, str], ...]:
    """The entries (id, title) a general question fits, or ().

    A message is general when the knowledge base clarifies it between entries that are each
    plausible (probability over `answer_runner_up`, a question at least `answer_similarity`
    close) and together hold what an answer needs (`answer_confidence`): it would answer if it
    knew which one is meant ("I want to cancel": membership or booking). A question it is
    simply unsure about spreads its probability thinner and is not general. The cluster is
    general when at least half of its messages (by weight) are, with the entries most of them fit.
    """
    if kb is None or config is None or len(kb.entries) < 2:
        return ()
    from bot.kb import decide_ranked as decide  # the assistant's own rule (imported with the knowledge base it needs)

    fits: Counter = Counter()
    for vector, weight in zip(vectors, weights):
        ranked = kb.rank(vector.astype(np.float32), limit=max(config.max_choices, 2))  # as a message is ranked
        chosen = decide(ranked, config)
        plausible = [c for c in chosen.candidates
                     if c.probability > config.answer_runner_up and c.similarity >= config.answer_similarity]
        if (chosen.kind == "clarify" and len(plausible) >= 2
                and sum(c.probability for c in plausible) >= config.answer_confidence):
            fits[tuple((c.entry.id, c.entry.title) for c in plausible)] += float(weight)
    if not fits or 2 * sum(fits.values()) < float(weights.sum()):
        return ()
    return fits.most_common(1)[0][0]


def write_csv(path: Path, gaps: dict) -> None:
    """One row per cluster: the in-scope ones, then the out-of-scope ones (`scope`)."""
    rows = [("in scope", c) for c in gaps.get("clusters", [])]
    rows += [("out of scope", c) for c in (gaps.get("out_of_scope") or {}).get("clusters", [])]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for number, (scope, cluster) in enumerate(rows, start=1):
            writer.writerow({
                "cluster": number, "scope": scope, "size": cluster["size"], "fallback": cluster["fallback"],
                "clarify": cluster["clarify"], "suggestion": cluster["suggestion"],
                "nearest_entry": cluster["nearest_entry"] or "", "nearest_title": cluster["nearest_title"] or "",
                "similarity": "" if cluster["similarity"] is None else cluster["similarity"],
                "samples": " | ".join(cluster["samples"]),
            })
