"""The live knowledge base: the current snapshot, and a watcher that swaps in edits.

`KnowledgeBase.ask(text)` embeds the question, ranks entries in the current
snapshot and decides. A background thread polls the folder (file names,
sizes and modification times) every `reload_interval_s`; on a change it
parses the files, builds a new snapshot (re-embedding only changed files)
and replaces the reference in one assignment, so a request sees either the
old snapshot or the new one, never a half-built one.

After an edit the new snapshot serves at once with the unchanged entries'
trained head rows and prototype rows for edited ones; the head is then
refined (a few seconds for 1,000 entries) and swapped in the same way.

With `fine_tune` on (assistant.yml), a second background thread fine-tunes
the sentence encoder on the entries' questions (bot/kb/tune.py), re-embeds
the entries with it, trains the head and swaps that snapshot in the same way;
until then the base-model snapshot serves. The tuning guard (bot/kb/guard.py)
holds some questions apart from a first tuning and keeps the base model serving
when that one ranks them measurably worse (`tuning_verdict`); otherwise the
encoder is tuned again on every row, and that one serves. The tuned model is saved by the
content's fingerprint, so a restart with unchanged content serves the tuned
snapshot at once. An edit is served with the current tuned encoder (still a
good encoder for the edited entry) and re-tuned in the background. A tuning
that fails is logged and the snapshot that was serving keeps serving.
`encoder` stays the base model (the frustration scorer embeds with it).

A file that breaks keeps its last good version in service (logged with its
path and line); a deleted file's entry is removed. An empty or missing folder
is a valid knowledge base in which every question falls back.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.kb.decide import Decision, DecisionConfig, decide
from bot.kb.encoder import Encoder
from bot.kb.entries import Entry, KnowledgeBaseContent, kb_files, load_entries
from bot.kb import guard
from bot.kb.index import Cancelled, KBIndex, Scored, build_index, content_fingerprint
from bot.kb.tune import TunedEncoder, TunedModels, check_key, tune_key, tuned_encoder

logger = logging.getLogger(__name__)

# background: serve at once, fine-tune in a thread and swap; wait: fine-tune before reload() returns;
# saved: use a saved fine-tuned model for the content if there is one, never train (one-off commands)
TUNING_MODES = ("background", "wait", "saved")
STOP_TIMEOUT_S = 60  # the tuner stops between batches: seconds on a busy machine


@dataclass(frozen=True)
class Answer:
    """A decision for one question, with the snapshot it was made on."""

    decision: Decision
    fingerprint: str
    elapsed_ms: float
    ranked: tuple[Scored, ...] = ()  # every entry ranked for the question, best first (up to the limit)


def folder_signature(root: Path) -> tuple:
    """Cheap change detector: (path, size, mtime_ns) of every entry file."""
    signature = []
    for path in kb_files(root) if root.is_dir() else []:
        try:
            stat = path.stat()
        except OSError:
            continue
        signature.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


class KnowledgeBase:
    def __init__(self, root: Path, state_folder: Path, encoder: Encoder, config: DecisionConfig,
                 tuned_models: TunedModels | None = None, tuning: str = "background", seed: int = 0) -> None:
        self.root = root
        self.seed = seed  # the fine-tuning's seed (the assistant's is 0; bench/kb_ambiguity.py varies it)
        self.state_folder = state_folder
        self.encoder = encoder  # the base model, for callers that embed messages (the frustration scorer)
        self.config = config
        # fine-tuned encoders, saved by content; None = never fine-tune
        self.tuned_models = tuned_models if config.fine_tune else None
        if tuning not in TUNING_MODES:
            raise ValueError(f"tuning must be one of {TUNING_MODES}")
        self.tuning = tuning
        self.base_build_s = 0.0  # the last reload's build (before any fine-tuning)
        self.last_tuning: dict = {}  # outcome of the last fine-tuning: key, seconds, cached, error, verdict
        self._snapshot: KBIndex | None = None
        self._signature: tuple | None = None
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tune_wanted = threading.Event()
        self._tune_thread: threading.Thread | None = None
        self.reload()

    @property
    def snapshot(self) -> KBIndex:
        assert self._snapshot is not None
        return self._snapshot

    @property
    def tuned(self) -> bool:
        """True when the serving snapshot uses an encoder fine-tuned on exactly its entries."""
        snapshot = self.snapshot
        return isinstance(snapshot.encoder, TunedEncoder) and snapshot.encoder.key == tune_key(snapshot.content, self.seed)

    @property
    def tuning_verdict(self) -> dict:
        """The tuning guard's verdict for the serving entries ({} when not checked yet or fine-tuning is off)."""
        if self.last_tuning.get("content") != self.snapshot.content:
            return {}
        return self.last_tuning.get("verdict", {})

    def describe_model(self) -> str:
        """Which encoder serves and why, in one line (`kb search`)."""
        if self.tuned_models is None:
            return "base model (fine_tune is off)"
        if self.settled:
            return "tuned model" if self.tuned and not self.tuning_verdict else guard.describe(self.tuning_verdict)
        return "base model (not fine-tuned for these entries yet: `frontdesk kb tune`)"

    @property
    def settled(self) -> bool:
        """True when no fine-tuning is due: tuned for these entries, kept on the base model by the guard, or off."""
        if self.tuned_models is None or len(self.snapshot) < 2:
            return True
        use = self.tuning_verdict.get("use")  # a tuned model without the guard's verdict (under its rule) is checked again
        return (use == "tuned" and self.tuned) or (use == "base" and self.snapshot.encoder is self.encoder)

    def _merge_last_good(self, content: KnowledgeBaseContent) -> tuple[Entry, ...]:
        """Entries from disk, plus the previous version of any file that now has errors."""
        entries = list(content.entries)
        if self._snapshot is not None:
            present = {e.path for e in entries} | {e.id for e in entries}
            broken = {p.path for p in content.errors}
            for old in self._snapshot.entries:
                if old.path in broken and old.path not in present and old.id not in present and (self.root / old.path).exists():
                    entries.append(old)
        return tuple(sorted(entries, key=lambda e: e.path))

    def _encoder_for(self, entries: tuple[Entry, ...]) -> Encoder:
        """The encoder to build with: the one serving now; at start, a saved tuned model if any."""
        if self._snapshot is not None:
            return self._snapshot.encoder
        if self.tuned_models is None or not entries:
            return self.encoder
        content = content_fingerprint(entries, self.encoder)
        key = tune_key(content, self.seed)
        # the guard's verdict is kept beside the model it checked and beside the one that serves (if either was pruned)
        verdict = self.tuned_models.load_verdict(check_key(content, self.seed)) or self.tuned_models.load_verdict(key)
        if verdict is not None:
            self.last_tuning = {"content": content, "key": key if verdict["use"] == "tuned" else check_key(content, self.seed),
                                "cached": True, "verdict": verdict}
            if verdict["use"] == "base":  # tuned before, and the guard kept the base model
                return self.encoder
        exact = self.tuned_models.load(self.encoder, key) if verdict is not None else None
        if exact is not None or self.tuning == "saved":
            return exact or self.encoder
        return self.tuned_models.load_latest(self.encoder) or self.encoder  # close enough until re-tuned

    def reload(self) -> bool:
        """Rebuild if the folder changed; True when a new snapshot was swapped in."""
        with self._reload_lock:
            signature = folder_signature(self.root)
            if signature == self._signature and self._snapshot is not None:
                return False
            content = load_entries(self.root)
            for problem in content.problems:
                log = logger.error if problem.severity == "error" else logger.warning
                log("knowledge base: %s", problem)
            entries = self._merge_last_good(content)
            encoder = self._encoder_for(entries)
            snapshot = build_index(entries, encoder, self.state_folder, previous=self._snapshot)
            self._snapshot = snapshot  # the swap: one reference assignment
            self._signature = signature
            self.base_build_s = snapshot.build_s
            logger.info(
                "knowledge base: %d entries from %s (snapshot %s, %s encoder, %d re-embedded, %.2f s)",
                len(snapshot), self.root, snapshot.fingerprint, "tuned" if isinstance(encoder, TunedEncoder) else "base",
                snapshot.embedded, snapshot.build_s,
            )
            if not snapshot.trained:  # edits are live already; now train the head for them
                refined = snapshot.refined(self.state_folder)
                self._snapshot = refined
                logger.info("knowledge base: head refined for snapshot %s (%.2f s)", refined.fingerprint, refined.build_s)
        if not self.settled:
            if self.tuning == "background":
                self._start_tuning()
            elif self.tuning == "wait":
                self.tune()
        return True

    # -- fine-tuning ---------------------------------------------------------

    def tune(self) -> bool:
        """Fine-tune for the serving entries (or load the saved models), check, and swap in the snapshot that wins.

        The encoder is first tuned without the questions the guard holds apart
        and checked on them against the base model (bot/kb/guard.py). If the
        tuned one does not rank them measurably worse, the encoder is tuned
        again on every row and that one serves; else the base-model snapshot
        serves. True when the settled snapshot was swapped in (or was serving
        already); False when there is nothing to tune, the content changed
        meanwhile, or tuning failed (logged; the serving snapshot stays).
        """
        snapshot = self.snapshot
        if self.settled:
            return False
        texts, owners = guard.rows(snapshot.entries)
        held = guard.held_apart(snapshot.entries, self.seed)
        train = np.setdiff1d(np.arange(len(texts)), held)
        started = time.perf_counter()
        try:
            stop = lambda: self._stop.is_set() or self.snapshot.content != snapshot.content  # noqa: E731
            on_base = snapshot.encoder is self.encoder  # the base snapshot's rows are those texts' embeddings
            base_vectors = snapshot.vectors if on_base else None
            checked = tuned_encoder(self.encoder, self.tuned_models, snapshot.content, [texts[i] for i in train], owners[train],
                                    len(snapshot), seed=self.seed, should_stop=stop, key=check_key(snapshot.content, self.seed),
                                    base_vectors=None if base_vectors is None else base_vectors[train])
            verdict = self.tuned_models.load_verdict(checked.encoder.key)
            if verdict is None:
                check_index = build_index(snapshot.entries, checked.encoder, self.state_folder, should_stop=stop)
                base_index = snapshot if on_base else build_index(snapshot.entries, self.encoder, self.state_folder, should_stop=stop)
                verdict = guard.verdict(snapshot.entries, owners, held, base_index.vectors, check_index.vectors, self.encoder,
                                        checked.encoder)
                self.tuned_models.save_verdict(checked.encoder.key, verdict)
            if verdict["use"] == "base":
                result = checked
                tuned = snapshot if on_base else build_index(snapshot.entries, self.encoder, self.state_folder, should_stop=stop)
            else:  # accepted: tuned again on every row, the held-apart questions included
                result = tuned_encoder(self.encoder, self.tuned_models, snapshot.content, texts, owners, len(snapshot),
                                       seed=self.seed, should_stop=stop, base_vectors=base_vectors)
                self.tuned_models.save_verdict(result.encoder.key, verdict)
                tuned = build_index(snapshot.entries, result.encoder, self.state_folder, should_stop=stop)
        except Cancelled:
            logger.info("knowledge base: fine-tuning for snapshot %s stopped (the content changed)", snapshot.fingerprint)
            return False
        except Exception as error:  # the serving snapshot keeps serving whatever went wrong
            self.last_tuning = {"content": snapshot.content, "error": f"{type(error).__name__}: {error}"}
            logger.exception("knowledge base: fine-tuning failed; snapshot %s (untuned) keeps serving", snapshot.fingerprint)
            return False
        seconds = checked.seconds + (result.seconds if result is not checked else 0.0)
        with self._reload_lock:
            if self.snapshot.content != snapshot.content:
                return False
            self._snapshot = tuned  # the swap
            self.last_tuning = {"content": snapshot.content, "key": result.encoder.key, "cached": checked.cached and result.cached,
                                "tune_s": round(seconds, 2), "total_s": round(time.perf_counter() - started, 2),
                                "trained_rows": len(texts) if verdict["use"] == "tuned" else len(train), "verdict": verdict}
        if verdict["use"] == "tuned":
            self.tuned_models.mark_latest(result.encoder.key)
        logger.info("knowledge base: encoder %s for %d entries (%s, %.1f s; index %.1f s): %s",
                    result.encoder.key, len(tuned), "saved" if self.last_tuning["cached"] else "trained", seconds, tuned.build_s,
                    guard.describe(verdict))
        return True

    def _start_tuning(self) -> None:
        self._tune_wanted.set()
        if self._tune_thread is None:
            self._tune_thread = threading.Thread(target=self._tune_loop, name="kb-tuner", daemon=True)
            self._tune_thread.start()
            # at exit, stop the tuning between two batches: torch aborts the process
            # ("terminate called without an active exception") if a thread is inside it then
            atexit.register(self.stop)

    def _tune_loop(self) -> None:
        _lower_this_threads_priority()
        while not self._stop.is_set():
            self._tune_wanted.wait(0.5)
            if self._stop.is_set() or not self._tune_wanted.is_set():
                continue
            self._tune_wanted.clear()
            try:
                failed = self.last_tuning.get("error") and self.last_tuning.get("content") == self.snapshot.content
                if not self.tune() and not self.settled and not failed:
                    self._tune_wanted.set()  # cancelled by an edit: tune the new content
            except Exception:  # never let the thread die
                logger.exception("knowledge base: fine-tuning thread error")

    def wait_tuned(self, timeout: float) -> bool:
        """Block until the serving snapshot is tuned for its entries (or fine-tuning is off/failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.settled:
                return True
            if self.last_tuning.get("error") and self.last_tuning.get("content") == self.snapshot.content:
                return False
            time.sleep(0.05)
        return False

    def ask(self, text: str, limit: int | None = None) -> Answer:
        started = time.perf_counter()
        snapshot = self.snapshot  # one read: the whole request uses this snapshot
        query = snapshot.encoder.encode([text])[0]  # the snapshot's own encoder (base or tuned)
        ranked = snapshot.rank(query, limit=max(limit or 0, self.config.max_choices, 2))
        decision = decide(ranked, self.config)
        return Answer(decision, snapshot.fingerprint, (time.perf_counter() - started) * 1000, tuple(ranked))

    def rank(self, text: str, limit: int = 5):
        snapshot = self.snapshot
        return snapshot.rank(snapshot.encoder.encode([text])[0], limit=limit)

    # -- watching ----------------------------------------------------------

    def watch(self) -> None:
        """Start the background reload thread (idempotent)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch_loop, name="kb-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._tune_thread):
            if thread is not None:
                thread.join(timeout=STOP_TIMEOUT_S)

    def _watch_loop(self) -> None:
        while not self._stop.wait(self.config.reload_interval_s):
            try:
                self.reload()
            except Exception:  # keep serving the last good snapshot whatever happened
                logger.exception("knowledge base: reload failed; the previous snapshot keeps serving")


def _lower_this_threads_priority() -> None:
    """Fine-tuning yields the CPU to requests: on Linux a thread has its own nice value."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def open_knowledge_base(settings, config: DecisionConfig, root: Path | None = None, watch: bool = False,
                        tuning: str | None = None) -> KnowledgeBase:
    """The knowledge base `config` (assistant.yml's `knowledge_base:`) describes, or the one at `root`.

    Watched: edits are picked up and the encoder is fine-tuned in the
    background. Not watched (one-off commands): a saved tuned model is used
    if there is one for the content, but nothing is trained, unless `tuning`
    says otherwise ("wait": tune now). Tuned models go to `<models>/kb-tuned/`
    (the state folder's models/ by default).
    """
    folder = root or (settings.project_dir / config.folder)
    encoder = Encoder(settings.embedding_model, threads=settings.torch_threads)
    models = TunedModels(settings.models_dir / "kb-tuned")
    kb = KnowledgeBase(folder, settings.state_dir / "kb", encoder, config, tuned_models=models,
                       tuning=tuning or ("background" if watch else "saved"))
    if watch:
        kb.watch()
    return kb
