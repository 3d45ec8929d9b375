"""Whether a suggested wording sits among its entry's questions, or among another entry's.

A customer who picks the wrong entry from a clarification, and does not come back to say so, confirms their
wording for the wrong entry. One such confirmation looks like any other; what gives it away is where the wording
sits: its nearest neighbours (the entries' questions and the other customers' pending wordings, its own excluded)
mostly belong to another entry. `Neighbours.disagreeing` names that entry; `learn: auto` leaves such a group
pending for an editor instead of applying it (`frontdesk kb suggestions` shows "nearer to ...").

Measured with `frontdesk kb simulate --noise 0.1` (bench/README.md): on banking77 (4,616 customers) 86 of the
2,280 wordings suggested were for the wrong entry; 78 of them were held, and 191 of the 2,194 right ones (applied
to the wrong entry: 8 of 2,011, 0.4 %). On clinc150 (3,000 customers): 28 of 36 wrong held, 94 of 1,023 right;
8 of 937 applied wrong (0.9 %).
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from bot.kb import Entry
    from bot.learn.suggestions import Group

K = 5  # neighbours that vote
CACHE = 50_000  # wordings whose vectors are kept, per encoder


class Neighbours:
    """The k-nearest-neighbour check on the encoder `encoder_of()` returns (the serving snapshot's: a new snapshot
    brings a new encoder, and the cached vectors go with the old one)."""

    def __init__(self, encoder_of: Callable[[], Any], k: int = K) -> None:
        self.encoder_of, self.k = encoder_of, k
        self._encoder: Any = None
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts`, computing only those not cached for the current encoder."""
        encoder = self.encoder_of()
        if encoder is not self._encoder:
            self._encoder, self._vectors = encoder, OrderedDict()
        missing = sorted({t for t in texts if t not in self._vectors})
        if missing:
            for text, vector in zip(missing, encoder.encode(missing)):
                self._vectors[text] = vector / (np.linalg.norm(vector) or 1.0)
        for text in texts:
            self._vectors.move_to_end(text)
        while len(self._vectors) > max(CACHE, len(texts)):
            self._vectors.popitem(last=False)
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def disagreeing(self, groups: Iterable[Group], entries: Iterable[Entry],
                    pool: Iterable[Group] | None = None) -> dict[int, str]:
        """Group id -> the entry the wording's nearest neighbours vote for, for each of `groups` where that is
        not its own entry. The neighbours: every entry's questions and the wordings of `pool` (default: `groups`)
        other than the wording itself."""
        groups = list(groups)
        pool = groups if pool is None else list(pool)
        known = {e.id for e in entries}
        items = [(q, e.id, "") for e in entries for q in e.questions]
        items += [(g.wording, g.entry_id, g.key) for g in pool if g.entry_id in known]
        asked = [g for g in groups if g.entry_id in known]
        if not asked or not items:
            return {}
        keys = np.array([key for _, _, key in items])  # "" for the entries' own questions
        labels = [label for _, label, _ in items]
        pool_vectors = self.vectors([text for text, _, _ in items])
        scores = self.vectors([g.wording for g in asked]) @ pool_vectors.T
        found = {}
        for group, row in zip(asked, scores):
            row = np.where(keys == group.key, -np.inf, row)
            votes: dict[str, float] = defaultdict(float)
            for index in np.argsort(-row)[:self.k]:
                if np.isfinite(row[index]):
                    votes[labels[index]] += float(row[index])
            if votes:
                winner = max(votes, key=votes.__getitem__)
                if winner != group.entry_id:
                    found[group.id] = winner
        return found
