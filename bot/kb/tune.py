"""Fine-tuning the sentence encoder on the knowledge base's own questions (proxy-softmax).

Recipe (measured on the development tune splits, bench/README.md): one
trainable proxy vector per entry, initialised at the entry's centroid;
cross-entropy over SCALE x cosine(question embedding, proxy); the word
embeddings and the bottom FROZEN_LAYERS transformer layers frozen; AdamW
(lr 1e-4 for the encoder, 1e-2 for the proxies), linear warmup then linear
decay; EPOCHS epochs of batches of BATCH questions, each word dropped with
probability WORD_DROPOUT. Seeded, so the same content gives the same model.

Tuning runs twice for a content (bot/kb/service.py): first without the
questions the tuning guard holds apart (`check_key`; bot/kb/guard.py ranks
those with it and with the base model), then, when the guard accepts the
tuning, on every row (`tune_key`): that model serves, so no question an editor
wrote is left out of what the encoder learns (covidfaq, one question per
entry: bench/README.md). The guard's verdict is stored beside both models
(`<folder>/<key>/guard.json`), so a restart knows which encoder serves.

Only the tuned top layers are stored (`<folder>/<key>/top.npz`, 21 MB for MiniLM):
a `TunedEncoder` is the base model with those layers replaced, and it runs
the shared frozen bottom layers once when asked for both embeddings
(`encode_pair`, for a caller that also needs the base embedding).
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from bot.kb.encoder import SPLIT_LAYER, Encoder
from bot.kb.guard import RULE
from bot.kb.index import Cancelled, encode_in_chunks

logger = logging.getLogger(__name__)

SCALE = 20.0
FROZEN_LAYERS = SPLIT_LAYER  # the bottom layers stay the base model's, shared at inference
MAX_SEQ_LENGTH = 64
ENCODER_LR = 1e-4
PROXY_LR = 1e-2
WARMUP = 0.1  # fraction of the steps
EPOCHS = 4
BATCH = 32
WORD_DROPOUT = 0.15
MAX_STEPS = 1500  # caps a very large knowledge base's tuning (1,000 entries x 11 rows x 4 epochs = 1,375 steps)
_SETTINGS = f"{SCALE}/{FROZEN_LAYERS}/{MAX_SEQ_LENGTH}/{ENCODER_LR}/{PROXY_LR}/{EPOCHS}/{BATCH}/{WORD_DROPOUT}"
RECIPE = f"proxy-softmax/v3-every-row/{_SETTINGS}"  # the served model
CHECK_RECIPE = f"proxy-softmax/v2-held-apart/{_SETTINGS}"  # the guard's model (the served one before v3)


class TuningCancelled(Cancelled):
    """The content changed (or the process is stopping) while tuning; the result would be stale."""


def tune_key(content_fingerprint: str, seed: int = 0) -> str:
    """Names the served tuned model: the content it was tuned on (which covers the base model) and the recipe.

    It is tuned on every row, after the guard accepted the tuning on the `check_key` model."""
    return hashlib.sha256(f"{RECIPE}\0{seed}\0{content_fingerprint}".encode()).hexdigest()[:16]


def check_key(content_fingerprint: str, seed: int = 0) -> str:
    """Names the model tuned without the guard's held-apart questions, which the guard checks; its verdict is kept beside it."""
    return hashlib.sha256(f"{CHECK_RECIPE}\0{seed}\0{content_fingerprint}".encode()).hexdigest()[:16]


def drop_words(text: str, rng: random.Random, p: float = WORD_DROPOUT) -> str:
    words = text.split()
    kept = [w for w in words if rng.random() >= p]
    return " ".join(kept or [rng.choice(words)]) if words else text


def _trainable(name: str) -> bool:
    """Parameters the recipe trains: the transformer layers from FROZEN_LAYERS up (and the pooler, unused)."""
    if ".encoder.layer." in name:
        return int(name.split(".encoder.layer.")[1].split(".")[0]) >= FROZEN_LAYERS
    return False


def train(base: Encoder, texts: list[str], owners: np.ndarray, n_entries: int, seed: int = 0,
          should_stop: Callable[[], bool] = lambda: False, base_vectors: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Fine-tune a copy of the base model; returns the trained parameters by name.

    `base_vectors`: the base model's embeddings of `texts` if already at hand (the
    proxies start at their centroids). Raises TuningCancelled when `should_stop()`
    turns true (checked every batch).
    """
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = copy.deepcopy(base._model)
    model.max_seq_length = MAX_SEQ_LENGTH
    for name, parameter in model.named_parameters():
        parameter.requires_grad = _trainable(name)
    centroids = np.zeros((n_entries, base.dimension), np.float32)
    np.add.at(centroids, owners, encode_in_chunks(base, texts, should_stop) if base_vectors is None else base_vectors)
    proxies = torch.nn.Parameter(torch.from_numpy(centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)))
    encoder_params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW([{"params": encoder_params, "lr": ENCODER_LR}, {"params": [proxies], "lr": PROXY_LR}])
    per_epoch = (len(texts) + BATCH - 1) // BATCH
    total = min(per_epoch * EPOCHS, MAX_STEPS)
    epochs = -(-total // per_epoch)
    warmup = max(1, int(total * WARMUP))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: (step + 1) / warmup if step < warmup else max(0.0, (total - step) / max(1, total - warmup)))
    labels = torch.from_numpy(np.asarray(owners, dtype=np.int64))
    model.train()
    with torch.enable_grad():
        for _ in range(epochs):
            order = list(range(len(texts)))
            rng.shuffle(order)
            for start in range(0, len(order), BATCH):
                if should_stop():
                    raise TuningCancelled()
                if schedule.last_epoch >= total:  # MAX_STEPS reached part-way through an epoch
                    break
                batch = order[start : start + BATCH]
                features = _preprocess(model, [drop_words(texts[i], rng) for i in batch])
                embeddings = model(features)["sentence_embedding"]
                embeddings = torch.nn.functional.normalize(embeddings, dim=-1)
                logits = SCALE * embeddings @ torch.nn.functional.normalize(proxies, dim=-1).T
                loss = torch.nn.functional.cross_entropy(logits, labels[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
    return {name: p.detach().numpy().copy() for name, p in model.named_parameters() if _trainable(name)}


class TunedEncoder(Encoder):
    """The base model with its top layers replaced by tuned ones; `model_name` names the tuning."""

    def __init__(self, base: Encoder, key: str, parameters: dict[str, np.ndarray]) -> None:
        super().__init__(f"{base.model_name}+tuned-{key}", threads=base.threads)
        self.base = base
        self.key = key
        self._parameters = parameters
        self._lock = base._lock  # one model lock: the bottom layers are shared tensors
        if base.bottoms is None:  # the base model keeps recent messages' bottom layers for encode()
            base.bottoms = OrderedDict()

    @cached_property
    def _model(self):
        import torch

        tuned = copy.deepcopy(self.base._model)
        state = {name: torch.from_numpy(value) for name, value in self._parameters.items()}
        missing = set(state) - {n for n, _ in tuned.named_parameters()}
        if missing:
            raise ValueError(f"tuned parameters do not fit the base model: {sorted(missing)[:3]}")
        tuned.load_state_dict(state, strict=False)
        tuned.max_seq_length = self.base._model.max_seq_length
        tuned.eval()
        return _share_frozen(tuned, self.base._model)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """As Encoder.encode; a single message the base model has just embedded re-uses its bottom layers."""
        import torch

        if len(texts) == 1 and self.base.bottoms is not None:
            with self._lock, torch.inference_mode():
                remembered = self.base.bottoms.get(texts[0])
                if remembered is not None:
                    return self.top(*remembered)
        return super().encode(texts, batch_size)

    def encode_pair(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(base, tuned) embeddings of `texts`, running the shared bottom layers once."""
        import torch

        if not texts:
            empty = np.zeros((0, self.dimension), dtype=np.float32)
            return empty, empty
        with self._lock, torch.inference_mode():
            hidden, mask = self.base.bottom(texts)
            return self.base.top(hidden, mask), self.top(hidden, mask)


def _preprocess(model, texts: list[str]) -> dict:
    """Token ids for `texts` (`preprocess` in sentence-transformers 5, `tokenize` before)."""
    return (getattr(model, "preprocess", None) or model.tokenize)(texts)


def _share_frozen(tuned, base):
    """Point the tuned model's frozen parameters at the base model's tensors (no second copy in memory)."""
    base_params = dict(base.named_parameters())
    for name, module in tuned.named_modules():
        for pname, _ in list(module.named_parameters(recurse=False)):
            full = f"{name}.{pname}" if name else pname
            if not _trainable(full) and full in base_params:
                setattr(module, pname, base_params[full])
    return tuned


class TunedModels:
    """Tuned top layers on disk: `<folder>/<key>/top.npz`, written atomically, the newest few kept.

    Several instances may share the folder (FRONTDESK_MODELS_DIR on a shared disk): `claim` makes one of
    them tune a content while the others wait and then load what it saved, so the content is tuned once
    and every instance serves the same model for it (the training is seeded; the file is the same)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        return self.folder / key / "top.npz"

    def load(self, base: Encoder, key: str) -> TunedEncoder | None:
        try:
            with np.load(self.path(key)) as arrays:
                parameters = {name: arrays[name] for name in arrays.files}
        except (OSError, ValueError, KeyError):
            return None
        os.utime(self.path(key).parent)  # recently used: kept by prune()
        return TunedEncoder(base, key, parameters)

    def save_verdict(self, key: str, verdict: dict) -> None:
        """The tuning guard's verdict for the model `key` (bot/kb/guard.py), written atomically beside it."""
        folder = self.folder / key
        if not folder.is_dir():
            return
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".guard-")
        with os.fdopen(fd, "w") as f:
            json.dump(verdict, f)
        os.replace(tmp, folder / "guard.json")

    def load_verdict(self, key: str) -> dict | None:
        try:
            verdict = json.loads((self.folder / key / "guard.json").read_text())
        except (OSError, ValueError):
            return None
        ok = isinstance(verdict, dict) and verdict.get("use") in ("tuned", "base") and verdict.get("rule") == RULE
        return verdict if ok else None  # a verdict reached under another rule is made again

    def mark_latest(self, key: str) -> None:
        """Remember the model last swapped in (an encoder to start from after a restart with edits)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".latest-")
        with os.fdopen(fd, "w") as f:
            f.write(key)
        os.replace(tmp, self.folder / "latest")

    def load_latest(self, base: Encoder) -> TunedEncoder | None:
        try:
            key = (self.folder / "latest").read_text().strip()
        except OSError:
            return None
        encoder = self.load(base, key) if key else None
        if encoder is None:
            return None
        try:
            encoder.dimension  # loads it: parameters from another base model do not fit
        except Exception:
            logger.warning("knowledge base: the latest tuned model %s does not fit %s; not used", key, base.model_name)
            return None
        return encoder

    @contextmanager
    def claim(self, key: str, should_stop: Callable[[], bool] = lambda: False, poll_s: float = 0.5) -> Iterator[None]:
        """Hold `<folder>/.<key>.lock` while tuning `key` (a POSIX record lock: it works on NFS, and a process
        that dies lets go of it); waits while another process holds it, unless `should_stop`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f".{key}.lock", "a+") as handle:
            waited = False
            while True:
                try:
                    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    if should_stop():
                        raise TuningCancelled("stopped while another process tuned this content")
                    if not waited:
                        logger.info("knowledge base: another process is tuning this content (%s); waiting for it", key)
                        waited = True
                    time.sleep(poll_s)
            try:
                yield
            finally:
                fcntl.lockf(handle, fcntl.LOCK_UN)

    def save(self, key: str, parameters: dict[str, np.ndarray]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / key
        if target.exists():
            return
        tmp = Path(tempfile.mkdtemp(dir=self.folder, prefix=".tuning-"))
        np.savez(tmp / "top.npz", **parameters)
        try:
            os.rename(tmp, target)
        except OSError:  # another process saved the same model first
            shutil.rmtree(tmp, ignore_errors=True)
        self.prune(keep=key)

    def prune(self, keep: str, keep_count: int = 6) -> None:  # two models per content: the guard's and the served one
        saved = sorted((p for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                       key=lambda p: p.stat().st_mtime, reverse=True)
        for path in saved[keep_count:]:
            if path.name != keep:
                shutil.rmtree(path, ignore_errors=True)
                (self.folder / f".{path.name}.lock").unlink(missing_ok=True)


@dataclass(frozen=True)
class Tuned:
    encoder: TunedEncoder
    seconds: float
    cached: bool


def tuned_encoder(base: Encoder, models: TunedModels, content_fingerprint: str, texts: list[str],
                  owners: np.ndarray, n_entries: int, seed: int = 0,
                  should_stop: Callable[[], bool] = lambda: False, base_vectors: np.ndarray | None = None,
                  key: str | None = None) -> Tuned:
    """The tuned encoder for this content: from `models` if saved (by this process or another sharing the
    folder, which this one waits for while it tunes), else trained now and saved. `key` names it
    (default: the served model's, `tune_key`)."""
    started = time.perf_counter()
    key = key or tune_key(content_fingerprint, seed)
    saved = models.load(base, key)
    if saved is not None:
        return Tuned(saved, time.perf_counter() - started, cached=True)
    with models.claim(key, should_stop):
        saved = models.load(base, key)  # another process tuned it while this one waited
        if saved is not None:
            logger.info("knowledge base: using the model %s another process tuned", key)
            return Tuned(saved, time.perf_counter() - started, cached=True)
        parameters = train(base, texts, owners, n_entries, seed=seed, should_stop=should_stop, base_vectors=base_vectors)
        models.save(key, parameters)
    encoder = models.load(base, key) or TunedEncoder(base, key, parameters)
    return Tuned(encoder, time.perf_counter() - started, cached=False)
