"""One MiniLM pass per message: the sentence embedding and mean-pooled hidden states of every layer.

A sentence-embedding model is trained to wash out tone (two questions with the
same meaning should embed alike, polite or furious), so the frustration head
also reads the mean-pooled hidden states of the transformer's intermediate
layers. `LayerEncoder` runs the knowledge base's own model (the Encoder's
SentenceTransformer, loaded once and shared, under its lock) with
output_hidden_states and returns both:

    sentence  (n, 384)  the same unit vectors Encoder.encode gives (mean of the
                        last layer, L2-normalised), used for request similarity
                        and repeat detection
    layers    (n, L+1, 384) mean-pooled hidden states, embeddings layer first
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.kb.encoder import Encoder

MAX_TOKENS = 128


@dataclass(frozen=True)
class Encoded:
    sentence: np.ndarray
    layers: np.ndarray


class LayerEncoder:
    def __init__(self, encoder: Encoder, max_tokens: int = MAX_TOKENS) -> None:
        self.encoder = encoder
        self.max_tokens = max_tokens

    @property
    def model_name(self) -> str:
        return self.encoder.model_name

    def encode(self, texts: list[str], batch_size: int = 64) -> Encoded:
        sentence, layers = self.encoder.encode_layers(texts, max_tokens=self.max_tokens, batch_size=batch_size)
        return Encoded(sentence, layers)
