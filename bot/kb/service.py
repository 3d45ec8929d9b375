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

A file that breaks keeps its last good version in service (logged with its
path and line); a deleted file's entry is removed. An empty or missing folder
is a valid knowledge base in which every question falls back.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot.kb.decide import Decision, DecisionConfig, decide
from bot.kb.encoder import Encoder
from bot.kb.entries import Entry, KnowledgeBaseContent, kb_files, load_entries
from bot.kb.index import KBIndex, Scored, build_index

logger = logging.getLogger(__name__)


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
    def __init__(self, root: Path, state_folder: Path, encoder: Encoder, config: DecisionConfig) -> None:
        self.root = root
        self.state_folder = state_folder
        self.encoder = encoder
        self.config = config
        self._snapshot: KBIndex | None = None
        self._signature: tuple | None = None
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reload()

    @property
    def snapshot(self) -> KBIndex:
        assert self._snapshot is not None
        return self._snapshot

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
            snapshot = build_index(entries, self.encoder, self.state_folder, previous=self._snapshot)
            self._snapshot = snapshot  # the swap: one reference assignment
            self._signature = signature
            logger.info(
                "knowledge base: %d entries from %s (snapshot %s, %d re-embedded, %.2f s)",
                len(snapshot), self.root, snapshot.fingerprint, snapshot.embedded, snapshot.build_s,
            )
            if not snapshot.trained:  # edits are live already; now train the head for them
                refined = snapshot.refined(self.state_folder)
                self._snapshot = refined
                logger.info("knowledge base: head refined for snapshot %s (%.2f s)", refined.fingerprint, refined.build_s)
            return True

    def ask(self, text: str, limit: int | None = None) -> Answer:
        started = time.perf_counter()
        snapshot = self.snapshot  # one read: the whole request uses this snapshot
        query = self.encoder.encode([text])[0]
        ranked = snapshot.rank(query, limit=max(limit or 0, self.config.max_choices, 2))
        decision = decide(ranked, self.config)
        return Answer(decision, snapshot.fingerprint, (time.perf_counter() - started) * 1000, tuple(ranked))

    def rank(self, text: str, limit: int = 5):
        return self.snapshot.rank(self.encoder.encode([text])[0], limit=limit)

    # -- watching ----------------------------------------------------------

    def watch(self) -> None:
        """Start the background reload thread (idempotent)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch_loop, name="kb-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _watch_loop(self) -> None:
        while not self._stop.wait(self.config.reload_interval_s):
            try:
                self.reload()
            except Exception:  # keep serving the last good snapshot whatever happened
                logger.exception("knowledge base: reload failed; the previous snapshot keeps serving")


def open_knowledge_base(settings, root: Path | None = None, watch: bool = False) -> KnowledgeBase:
    """The knowledge base configured in assistant.yml (or at `root`), optionally watched for edits."""
    config = DecisionConfig.from_file(settings.assistant_file)
    folder = root or (settings.project_dir / config.folder)
    encoder = Encoder(settings.embedding_model, threads=settings.torch_threads)
    kb = KnowledgeBase(folder, settings.state_dir / "kb", encoder, config)
    if watch:
        kb.watch()
    return kb
