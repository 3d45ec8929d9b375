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

    def _parts(self):
        model = self.encoder._model  # the SentenceTransformer, loaded once per process
        transformer = model[0]
        return transformer.tokenizer, transformer.auto_model

    def encode(self, texts: list[str], batch_size: int = 64) -> Encoded:
        import torch

        tokenizer, auto_model = self._parts()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # batches of like length pad little
        sentences, layers = [], []
        with self.encoder._lock, torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = tokenizer([texts[i] for i in order[start:start + batch_size]], padding=True, truncation=True,
                                  max_length=self.max_tokens, return_tensors="pt")
                hidden = auto_model(**batch, output_hidden_states=True).hidden_states
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden[0].dtype)
                count = mask.sum(dim=1).clamp(min=1.0)
                pooled = torch.stack([(h * mask).sum(dim=1) / count for h in hidden], dim=1)  # (b, L+1, d)
                last = pooled[:, -1]
                sentences.append(torch.nn.functional.normalize(last, dim=-1).numpy())
                layers.append(pooled.numpy())
        if not texts:
            return Encoded(np.zeros((0, 0), np.float32), np.zeros((0, 0, 0), np.float32))
        back = np.argsort(np.array(order))
        return Encoded(np.ascontiguousarray(np.concatenate(sentences)[back], dtype=np.float32),
                       np.ascontiguousarray(np.concatenate(layers)[back], dtype=np.float32))
