"""How close a message is to the ways customers ask for a person (data/nlu/request_human.yml).

The NLU intent request_human alone over-fires on messages unlike anything it
was trained on (its classifier spreads its confidence over a handful of
intents: "call me an uber please" came out request_human at 1.00). A handover
therefore also needs the message's MiniLM embedding to be close to one of
the intent's own training examples: `similarity` is the highest cosine to
them. The examples are read from the NLU data, so they are always the ones
the model was trained on, and embedded once on first use (~2 s).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import yaml

from bot.errors import ConfigError
from bot.kb.encoder import Encoder
from bot.settings import PROJECT_DIR

DEFAULT_REQUESTS = PROJECT_DIR / "data" / "nlu" / "request_human.yml"
INTENT = "request_human"


def request_examples(path: Path = DEFAULT_REQUESTS) -> list[str]:
    """The request_human examples of a Rasa NLU file."""
    try:
        blocks = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read the request_human examples ({error})") from None
    examples = [
        line.strip()[2:].strip()
        for block in blocks if block.get("intent") == INTENT
        for line in str(block.get("examples") or "").splitlines() if line.strip().startswith("- ")
    ]
    if not examples:
        raise ConfigError(f"{path}: no request_human examples")
    return examples


class RequestMatcher:
    def __init__(self, encoder: Encoder, examples: list[str]) -> None:
        self.encoder = encoder
        self.examples = examples
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, encoder: Encoder, path: Path = DEFAULT_REQUESTS) -> RequestMatcher:
        return cls(encoder, request_examples(path))

    def example_vectors(self) -> np.ndarray:
        """The examples' embeddings (computed on first use)."""
        with self._lock:
            if self._vectors is None:
                self._vectors = self.encoder.encode(self.examples)
            return self._vectors

    def similarity(self, vectors: np.ndarray) -> np.ndarray:
        """Highest cosine of each row of `vectors` (unit length) to a request example."""
        return (np.asarray(vectors, dtype=np.float32) @ self.example_vectors().T).max(axis=1)


def is_request(intent: str, confidence: float, similarity: float, min_confidence: float, min_similarity: float) -> bool:
    """A request for a person: the NLU says so confidently and the wording is close to a known request."""
    return intent == INTENT and confidence >= min_confidence and similarity >= min_similarity
