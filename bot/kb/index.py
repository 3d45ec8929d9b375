"""The searchable snapshot of the knowledge base: embeddings, a FAISS index and a classifier head.

Each entry contributes its questions and its title as rows (and, when it has
at most ANSWER_EVIDENCE_UP_TO questions, its answer's first passage: bot/kb/rows.py), embedded with the
sentence-transformers model and L2-normalised, in a FAISS inner-product index
(inner product = cosine similarity). A softmax-regression head trained on
those rows at build time ranks entries better than nearest neighbours alone
(banking77 10-shot top-1 0.846 vs 0.805 on the tune split; see
bench/README.md), and better still mixed with a vote of the nearest
questions; the nearest question's cosine similarity tells whether the
question is in scope at all. The encoder may be the base model or one
fine-tuned on these entries (bot/kb/tune.py); a snapshot keeps the one its
rows were embedded with, and queries must be embedded with it too.

Persisted under `<state>/kb/`:
  embeddings/<model>/<key>.npy   one file's rows, keyed by its content, so
                                 only changed files are re-embedded
  index-<fingerprint>/           the FAISS index, the head and the entry list;
                                 the fingerprint covers every file's content,
                                 the model name and the dimension
A snapshot is immutable: a reload builds a new one and swaps the reference.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from bot.kb import rows as kb_rows
from bot.kb.encoder import Encoder
from bot.kb.entries import Entry
from bot.kb.rows import entry_texts  # noqa: F401 - what is embedded per entry (importers use it from here too)

RECIPE = "questions+title+passage/v2"  # change when what is embedded per entry changes
PROTOTYPE_SCALE = 10.0  # starting logit scale of an entry's centroid
HEAD_EPOCHS = 40  # full-batch Adam steps for a head trained from prototypes
REFINE_EPOCHS = 15  # steps to refine a carried-over head after an edit
HEAD_LEARNING_RATE = 0.05
HEAD_WEIGHT_DECAY = 1e-3  # tuned with the above on the development tune splits
NEIGHBOURS = 64  # question rows fetched from FAISS per query
# An entry's probability mixes the head's with a vote of the nearest questions
# (weights exp((cosine - best cosine) / temperature) over the nearest VOTE_NEIGHBOURS):
# banking77 top-1 0.859 -> 0.869, clinc150 0.942 -> 0.945 on the tune splits (bench/README.md).
VOTE_NEIGHBOURS = 5
VOTE_TEMPERATURE = 0.1
VOTE_WEIGHT = 0.5


@dataclass(frozen=True)
class Scored:
    """An entry ranked for one query: the head's probability and the best question's cosine."""

    entry: Entry
    probability: float
    similarity: float


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[-80:]


def fingerprint(entries: tuple[Entry, ...], model: str, dimension: int) -> str:
    digest = hashlib.sha256(f"{RECIPE}\0{kb_rows.ANSWER_EVIDENCE_UP_TO}\0{model}\0{dimension}".encode())
    for entry in sorted(entries, key=lambda e: e.id):
        digest.update(f"\0{entry.id}\0{entry.path}\0{entry.digest}".encode())
    return digest.hexdigest()[:20]


class Cancelled(Exception):
    """A build stopped part-way because `should_stop()` turned true."""


def encode_in_chunks(encoder: Encoder, texts: list[str], should_stop=None, chunk: int = 256) -> np.ndarray:
    """`encoder.encode(texts)`, checking `should_stop()` between chunks (raises Cancelled)."""
    if should_stop is None:
        return encoder.encode(texts)
    parts = []
    for start in range(0, len(texts), chunk):
        if should_stop():
            raise Cancelled()
        parts.append(encoder.encode(texts[start : start + chunk]))
    return np.vstack(parts) if parts else encoder.encode([])


def content_fingerprint(entries: tuple[Entry, ...], base: Encoder) -> str:
    """What a fine-tuning is keyed by: the entries and the base model (= a base-model snapshot's fingerprint)."""
    return fingerprint(entries, base.model_name, base.dimension)


class EmbeddingCache:
    """Per-entry embeddings on disk, keyed by model, recipe and the entry file's bytes."""

    def __init__(self, folder: Path, encoder: Encoder) -> None:
        self.folder = folder / "embeddings" / _slug(encoder.model_name)
        self.encoder = encoder

    def _key(self, entry: Entry) -> str:
        return hashlib.sha256("\0".join([RECIPE, entry.digest, *entry_texts(entry)]).encode()).hexdigest()[:24]

    def vectors(self, entries: tuple[Entry, ...], should_stop=None) -> tuple[list[np.ndarray], int]:
        """Rows for each entry, and how many entries had to be embedded (not cached)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        result: list[np.ndarray | None] = []
        missing: list[int] = []
        for i, entry in enumerate(entries):
            path = self.folder / f"{self._key(entry)}.npy"
            try:
                result.append(np.load(path))
            except (OSError, ValueError):
                result.append(None)
                missing.append(i)
        if missing:
            texts = [t for i in missing for t in entry_texts(entries[i])]
            encoded = encode_in_chunks(self.encoder, texts, should_stop)
            start = 0
            for i in missing:
                count = len(entry_texts(entries[i]))
                rows = encoded[start : start + count]
                start += count
                result[i] = rows
                _atomic_save_npy(self.folder / f"{self._key(entries[i])}.npy", rows)
        return [r for r in result if r is not None], len(missing)


def _atomic_save_npy(path: Path, array: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)


class Head:
    """Softmax regression from an embedding to an entry (row i = snapshot entry i).

    Trained with full-batch Adam from prototype weights (each entry's
    normalised centroid, scaled), which matched scikit-learn's
    LogisticRegression on the development data in a fraction of the time
    (bench/README.md). `trained` is False for a head whose rows were carried
    over from the previous snapshot, with prototypes for new or edited entries:
    usable at once, refined in the background.
    """

    def __init__(self, weights: np.ndarray, bias: np.ndarray, trained: bool) -> None:
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = np.ascontiguousarray(bias, dtype=np.float32)
        self.trained = trained

    @staticmethod
    def prototypes(vectors: np.ndarray, owners: np.ndarray, n_entries: int) -> np.ndarray:
        sums = np.zeros((n_entries, vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, owners, vectors)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return sums / np.maximum(norms, 1e-12) * PROTOTYPE_SCALE

    @classmethod
    def fit(cls, vectors: np.ndarray, owners: np.ndarray, n_entries: int,
            start: Head | None = None, epochs: int = HEAD_EPOCHS) -> Head | None:
        """Train on the entries' rows (from `start` if given); None for fewer than two entries."""
        if n_entries < 2:
            return None
        import torch

        if start is None:
            weights, bias = cls.prototypes(vectors, owners, n_entries), np.zeros(n_entries, np.float32)
        else:
            weights, bias = start.weights, start.bias
        x, y = torch.from_numpy(vectors), torch.from_numpy(owners)
        w = torch.tensor(weights, requires_grad=True)
        b = torch.tensor(bias, requires_grad=True)
        optimiser = torch.optim.Adam([w, b], lr=HEAD_LEARNING_RATE)
        with torch.enable_grad():
            for _ in range(epochs):
                optimiser.zero_grad()
                loss = torch.nn.functional.cross_entropy(x @ w.T + b, y) + HEAD_WEIGHT_DECAY * (w**2).sum() / n_entries
                loss.backward()
                optimiser.step()
        return cls(w.detach().numpy(), b.detach().numpy(), trained=True)

    @classmethod
    def carry_over(cls, previous: KBIndex, entries: tuple[Entry, ...], vectors: np.ndarray, owners: np.ndarray) -> Head | None:
        """Rows of unchanged entries from `previous`; prototypes for new and edited ones (not trained)."""
        if len(entries) < 2:
            return None
        weights = cls.prototypes(vectors, owners, len(entries))
        bias = np.zeros(len(entries), np.float32)
        old = {(e.id, e.digest): i for i, e in enumerate(previous.entries)}
        kept = []
        if previous.head is not None:
            for i, entry in enumerate(entries):
                j = old.get((entry.id, entry.digest))
                if j is not None:
                    weights[i], bias[i] = previous.head.weights[j], previous.head.bias[j]
                    kept.append(i)
        if kept:
            new = np.setdiff1d(np.arange(len(entries)), kept)
            bias[new] = np.median(bias[kept])
        return cls(weights, bias, trained=False)

    def probabilities(self, query: np.ndarray) -> np.ndarray:
        logits = self.weights @ query + self.bias
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()


class KBIndex:
    """An immutable snapshot: entries, their rows in FAISS, and the head."""

    def __init__(self, entries: tuple[Entry, ...], vectors: np.ndarray, owners: np.ndarray,
                 head: Head | None, encoder: Encoder, fingerprint: str, build_s: float = 0.0, embedded: int = 0) -> None:
        self.entries = entries
        self.by_id = {e.id: e for e in entries}
        self.vectors = vectors
        self.owners = owners
        self.head = head
        self.encoder = encoder  # the model the rows were embedded with: queries must use it too
        self.model = encoder.model_name
        self.fingerprint = fingerprint
        base = getattr(encoder, "base", encoder)  # a tuned encoder names its base model
        self.content = content_fingerprint(entries, base)  # the entries + base model, whatever the encoder
        self.build_s = build_s
        self.embedded = embedded  # entries embedded for this build (0 = all from cache)
        self.faiss = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            self.faiss.add(vectors)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def trained(self) -> bool:
        """True when the head (if any) is fully trained for these entries."""
        return self.head is None or self.head.trained

    def refined(self, state_folder: Path) -> KBIndex:
        """A copy with the head trained from its current rows; saved to `state_folder`."""
        started = time.perf_counter()
        head = Head.fit(self.vectors, self.owners, len(self.entries), start=self.head, epochs=REFINE_EPOCHS)
        index = KBIndex(self.entries, self.vectors, self.owners, head, self.encoder, self.fingerprint,
                        build_s=time.perf_counter() - started, embedded=0)
        index.save(state_folder)
        _prune(state_folder, keep=index.fingerprint)
        return index

    def rank(self, query: np.ndarray, limit: int = 5, vote: bool = True) -> list[Scored]:
        """Entries best first for one normalised query vector (at most `limit`).

        `vote=False`: the head's probabilities alone, without the nearest questions' vote
        (for a vector that is not one customer's message, e.g. a cluster's centre).
        """
        if not self.entries:
            return []
        sims, rows = self._nearest(query)
        best_sim: dict[int, float] = {}
        for sim, row in zip(sims, rows):
            owner = int(self.owners[row])
            if owner not in best_sim:
                best_sim[owner] = float(sim)
        if self.head is not None:
            probs = self._mixed(query, sims, rows) if vote else self.head.probabilities(query)
            order = np.argsort(-probs)[:limit]
        else:  # a single entry: certainty comes from similarity alone
            order = np.array(sorted(best_sim, key=best_sim.get, reverse=True)[:limit])
            probs = np.ones(len(self.entries), dtype=np.float32)
        scored = []
        for i in order:
            i = int(i)
            if i not in best_sim:  # ranked by the head but no question among the neighbours
                best_sim[i] = float(np.max(self.vectors[self.owners == i] @ query))
            scored.append(Scored(self.entries[i], float(probs[i]), best_sim[i]))
        return scored

    def probabilities(self, query: np.ndarray) -> np.ndarray:
        """Every entry's probability for one normalised query vector, as `rank` orders them (head + vote).

        For analyses over all entries (bench/kb_ceiling.py averages them across tunings); needs a head.
        """
        return self._mixed(query, *self._nearest(query))

    def _nearest(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cosines and row numbers of the NEIGHBOURS nearest questions, nearest first."""
        sims, rows = self.faiss.search(query.reshape(1, -1), min(NEIGHBOURS, len(self.owners)))
        return sims[0], rows[0]

    def _mixed(self, query: np.ndarray, sims: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The head's probabilities mixed with the nearest questions' vote."""
        probs = self.head.probabilities(query)
        votes = np.zeros_like(probs)
        weights = np.exp((sims[:VOTE_NEIGHBOURS] - sims[0]) / VOTE_TEMPERATURE)
        np.add.at(votes, self.owners[rows[:VOTE_NEIGHBOURS]], weights)
        return (probs + VOTE_WEIGHT * votes / votes.sum()) / (1 + VOTE_WEIGHT)

    # -- persistence -------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write to `folder/index-<fingerprint>/` atomically (a temp dir, then rename)."""
        target = folder / f"index-{self.fingerprint}"
        if target.exists():
            return
        tmp = Path(tempfile.mkdtemp(dir=folder, prefix=".building-"))
        faiss.write_index(self.faiss, str(tmp / "index.faiss"))
        arrays = {"owners": self.owners}
        if self.head is not None:
            arrays.update(weights=self.head.weights, bias=self.head.bias)
        np.savez(tmp / "arrays.npz", **arrays)
        (tmp / "meta.json").write_text(json.dumps({
            "fingerprint": self.fingerprint, "model": self.model, "dimension": int(self.vectors.shape[1]),
            "entries": [e.id for e in self.entries], "built_at": time.time(),
        }))
        try:
            os.rename(tmp, target)
        except OSError:  # another process saved the same snapshot first
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, entries: tuple[Entry, ...], encoder: Encoder, fp: str) -> KBIndex | None:
        """The saved snapshot for exactly these entries, or None."""
        target = folder / f"index-{fp}"
        try:
            meta = json.loads((target / "meta.json").read_text())
            if meta["fingerprint"] != fp or meta["entries"] != [e.id for e in entries]:
                return None
            index = faiss.read_index(str(target / "index.faiss"))
            arrays = np.load(target / "arrays.npz")
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
        vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, meta["dimension"]), np.float32)
        head = Head(arrays["weights"], arrays["bias"], trained=True) if "weights" in arrays else None
        return cls(entries, vectors, arrays["owners"], head, encoder, fp)


def build_index(entries: tuple[Entry, ...], encoder: Encoder, state_folder: Path,
                previous: KBIndex | None = None, should_stop=None) -> KBIndex:
    """The snapshot for `entries`, re-embedding only changed files.

    Loaded from disk when saved. Otherwise, with no `previous` snapshot the
    head is trained now; with one, unchanged entries keep their trained rows
    and new or edited entries start from prototypes, so the snapshot is ready
    at once and `refined()` trains it afterwards. Only trained snapshots are
    saved. With `should_stop`, embedding stops between chunks when it turns
    true (raises Cancelled).
    """
    started = time.perf_counter()
    state_folder.mkdir(parents=True, exist_ok=True)
    fp = fingerprint(entries, encoder.model_name, encoder.dimension)
    saved = KBIndex.load(state_folder, entries, encoder, fp)
    if saved is not None:
        saved.build_s = time.perf_counter() - started
        return saved
    per_entry, embedded = EmbeddingCache(state_folder, encoder).vectors(entries, should_stop)
    if per_entry:
        vectors = np.vstack(per_entry).astype(np.float32)
        owners = np.concatenate([np.full(len(rows), i, dtype=np.int64) for i, rows in enumerate(per_entry)])
    else:
        vectors = np.zeros((0, encoder.dimension), dtype=np.float32)
        owners = np.zeros(0, dtype=np.int64)
    if previous is None:
        head = Head.fit(vectors, owners, len(entries))
    else:
        head = Head.carry_over(previous, entries, vectors, owners)
    index = KBIndex(entries, vectors, owners, head, encoder, fp,
                    build_s=time.perf_counter() - started, embedded=embedded)
    if index.trained:
        index.save(state_folder)
        _prune(state_folder, keep=index.fingerprint)
    return index


def _prune(folder: Path, keep: str, keep_count: int = 4) -> None:
    """Remove all but the newest few saved snapshots, and the embeddings of all but the newest tuned models."""
    snapshots = sorted(folder.glob("index-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in snapshots[keep_count:]:
        if not path.name.endswith(keep):
            shutil.rmtree(path, ignore_errors=True)
    tuned = sorted((folder / "embeddings").glob("*_tuned-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in tuned[2:]:
        shutil.rmtree(path, ignore_errors=True)
