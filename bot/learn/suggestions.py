"""Suggested questions: customer wordings confirmed for an entry, stored, reviewed, applied to the markdown.

A suggestion is one row of `frontdesk_kb_suggestions` (bot/messaging/store.py). The same wording (folded to lower
case words only, as `kb check` compares questions) suggested for the same entry by several conversations is one
*group*; editors review groups, named by their first row's id. A wording suggested for two or more entries is
*ambiguous*: shown apart and never applied automatically (a general question is clarified, not attached to one entry).

Statuses: pending; applied (in the markdown: `decided_by` is the editor, `cli` or `auto`); rejected (never
suggested again); withdrawn (the customer then said the answer did not help); dropped (the entry was deleted);
undone (an applied wording taken out again; not suggested again).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.config import DecisionConfig
from bot.errors import RefusedError
from bot.kb import Entry, load_entries, normalise_question
from bot.learn.markdown import EditError, add_question, digest, remove_question
from bot.learn.neighbours import Neighbours
from bot.messaging.store import kb_suggestions as table
from bot.privacy import mask_secrets

logger = logging.getLogger(__name__)

EVIDENCE = ("clarification", "paraphrase", "helpful", "agent")
DAY_S = 24 * 3600
MAX_WORDS = 40  # longer messages are stories, not questions to match


class LearnError(RefusedError):
    """A review command that cannot be done as asked (unknown id: 404, entry changed on disk: 409): one line,
    nothing changed."""

    def __init__(self, reason: str, status: int = 409) -> None:
        super().__init__(reason, status)


def wording_key(text: str) -> str:
    """Words only, lower case, as `frontdesk kb check` compares questions ("top-up" == "Top up?")."""
    return normalise_question(text)[:255]


@dataclass
class Group:
    """One wording suggested for one entry, with how often and how it was confirmed."""

    id: int  # the first row's id: what editors approve or reject
    entry_id: str
    wording: str
    key: str
    status: str
    rows: list[dict] = field(default_factory=list)
    ambiguous_with: tuple[str, ...] = ()  # other entries the same wording was suggested for

    @property
    def held(self) -> str:
        """Why `learn: auto` left this pending group for an editor ("" when it did not)."""
        return next((r["note"] for r in self.rows if r.get("note")), "") if self.status == "pending" else ""

    @property
    def customers(self) -> int:
        return len({r["conversation_id"] for r in self.rows})

    @property
    def evidence(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            counts[row["evidence"]] += 1
        return dict(counts)


class Suggestions:
    """The suggestions on `engine` for the knowledge base at `root`, under `config`'s learn settings."""

    def __init__(self, engine: Engine, root: Path, config: DecisionConfig, neighbours: Neighbours | None = None) -> None:
        self.engine, self.root, self.config, self.neighbours = engine, root, config, neighbours

    # -- recording (the action server; agents on the desk) ----------------------

    def record(self, wording: str, entry: Entry, evidence: str, conversation_id: str,
               similarity: Callable[[str, Entry], float] | None = None, now: float | None = None) -> str:
        """Store a confirmed wording for `entry`, unless a rule drops it; returns `recorded` or why it was dropped.

        `similarity(wording, entry)` is the cosine of the entry's closest question (the action server's encoder);
        at or above `learn_duplicate_similarity` the wording teaches nothing. In `auto` mode a group confirmed by
        `learn_confirmations` customers is applied at once."""
        now = time.time() if now is None else now
        wording = " ".join(wording.split())
        key = wording_key(wording)
        if evidence not in EVIDENCE:
            raise ValueError(f"evidence must be one of {EVIDENCE}")
        if (self.config.learn == "off" or not key or len(wording.split()) > MAX_WORDS or wording.startswith("/")
                or mask_secrets(wording).found or "removed]" in wording):
            return "not a question to learn"
        if key in {wording_key(q) for q in entry.questions}:
            return "already a question of the entry"
        with self.engine.connect() as db:
            same = db.execute(sa.select(table.c.status, table.c.conversation_id).where(
                table.c.entry_id == entry.id, table.c.wording_key == key)).all()
            recent = db.execute(sa.select(sa.func.count()).where(
                table.c.conversation_id == conversation_id, table.c.created_at >= now - DAY_S,
                table.c.evidence != "agent")).scalar_one()
        if any(status in ("rejected", "undone") for status, _ in same):
            return "rejected before"
        if any(c == conversation_id and s in ("pending", "applied") for s, c in same):
            return "suggested already by this conversation"
        if evidence != "agent" and recent >= self.config.learn_per_day:
            return f"this customer made {recent} suggestions today (learn_per_day {self.config.learn_per_day})"
        if similarity is not None and similarity(wording, entry) >= self.config.learn_duplicate_similarity:
            return "near-duplicate of one of the entry's questions"
        with self.engine.begin() as db:
            db.execute(table.insert().values(wording=wording, wording_key=key, entry_id=entry.id,
                                             entry_digest=entry.digest, evidence=evidence, conversation_id=conversation_id,
                                             created_at=now, status="pending"))
        logger.info("knowledge base: suggestion for %s (%s) from conversation %s", entry.id, evidence, conversation_id)
        if self.config.learn == "auto":
            self.apply_confirmed(now)
        return "recorded"

    def link(self, summary: dict, entry_id: str, text: str | None, agent: str, now: float | None = None) -> dict:
        """An agent says a handed-over question was answered by `entry_id`: its wording (`text`, one of the
        customer's messages in the handoff's `summary`; by default their first question) is suggested for the entry.
        Returns {"recorded": bool, "outcome": why, "wording": ...}; LearnError for an unknown entry (404) or text
        the customer did not write (400)."""
        entry = {e.id: e for e in load_entries(self.root).entries}.get(entry_id)
        if entry is None:
            raise LearnError(f"no entry {entry_id!r} in the knowledge base", 404)
        asked = [t for t in summary.get("key_messages") or [] if isinstance(t, str) and t.strip()]
        wording = text if text is not None else (asked[0] if asked else None)
        if wording is None or wording not in asked:
            raise LearnError("'text' must be one of the customer's questions in this handoff", 400)
        if summary.get("test"):
            outcome = "a test conversation teaches nothing"
        else:
            outcome = self.record(wording, entry, "agent", summary.get("conversation_id") or "", now=now)
        logger.info("knowledge base: %s linked a handed-over question to %s: %s", agent, entry_id, outcome)
        return {"recorded": outcome == "recorded", "outcome": outcome, "wording": wording, "entry": entry_id}

    def withdraw(self, conversation_id: str, entry_id: str, now: float | None = None) -> int:
        """The customer said the answer did not help: their pending suggestions for the entry are withdrawn."""
        with self.engine.begin() as db:
            return db.execute(table.update().where(
                table.c.conversation_id == conversation_id, table.c.entry_id == entry_id, table.c.status == "pending",
            ).values(status="withdrawn", decided_at=time.time() if now is None else now)).rowcount

    # -- review -----------------------------------------------------------------

    def groups(self, entry_id: str | None = None, statuses: tuple[str, ...] = ("pending",)) -> list[Group]:
        """Groups in `statuses`, most confirmed (customers) first; pending wordings suggested for several entries
        carry `ambiguous_with`."""
        query = sa.select(table).where(table.c.status.in_(statuses)).order_by(table.c.id)
        with self.engine.connect() as db:
            rows = [dict(r._mapping) for r in db.execute(query)]
        found: dict[tuple[str, str, str], Group] = {}
        for row in rows:
            group = found.setdefault((row["entry_id"], row["wording_key"], row["status"]), Group(
                row["id"], row["entry_id"], row["wording"], row["wording_key"], row["status"]))
            group.rows.append(row)
        entries_of: dict[str, set[str]] = defaultdict(set)
        for group in found.values():
            if group.status == "pending":
                entries_of[group.key].add(group.entry_id)
        result = []
        for group in found.values():
            if group.status == "pending":
                group.ambiguous_with = tuple(sorted(entries_of[group.key] - {group.entry_id}))
            if entry_id is None or group.entry_id == entry_id:
                result.append(group)
        return sorted(result, key=lambda g: (-g.customers, g.entry_id, g.id))

    def drop_deleted(self, entries: dict[str, Entry], now: float | None = None) -> list[str]:
        """Pending suggestions whose entry no longer exists are dropped; one note per entry."""
        notes = []
        for group in self.groups():
            if group.entry_id not in entries:
                self._decide(group.rows, "dropped", "frontdesk", now, f"entry {group.entry_id} no longer exists")
                notes.append(f"suggestion {group.id} ({group.wording!r}) dropped: entry {group.entry_id} no longer exists")
        return notes

    def _groups_of(self, ids: list[int], status: str = "pending") -> list[Group]:
        """The groups the suggestions `ids` belong to, each once, in the order named; LearnError for an id that
        does not exist (404) or is not in `status`."""
        with self.engine.connect() as db:
            rows = {r.id: r for r in db.execute(sa.select(table.c.id, table.c.status, table.c.entry_id,
                                                                table.c.wording_key).where(table.c.id.in_(ids)))}
        groups = {(g.entry_id, g.key): g for g in self.groups(statuses=(status,))}
        found: dict[int, Group] = {}
        for suggestion_id in ids:
            row = rows.get(suggestion_id)
            if row is None:
                raise LearnError(f"no suggestion {suggestion_id}: `frontdesk kb suggestions` lists them", 404)
            if row.status != status:
                raise LearnError(f"suggestion {suggestion_id} is {row.status}, not {status}")
            group = groups[(row.entry_id, row.wording_key)]
            found[group.id] = group
        return list(found.values())

    def _decide(self, rows: list[dict], status: str, by: str, now: float | None, note: str | None = None) -> None:
        with self.engine.begin() as db:
            db.execute(table.update().where(table.c.id.in_([r["id"] for r in rows])).values(
                status=status, decided_by=by, decided_at=time.time() if now is None else now, note=note))

    def _checked(self, ids: list[int], entries: dict[str, Entry]) -> list[Group]:
        """The groups of `ids`, each with its entry present and its file as it was when suggested (else LearnError)."""
        groups = self._groups_of(ids)
        for group in groups:
            entry = entries.get(group.entry_id)
            if entry is None:
                self.drop_deleted(entries)
                raise LearnError(f"suggestion {group.id}: entry {group.entry_id} no longer exists (suggestion dropped)")
            if entry.digest not in {r["entry_digest"] for r in group.rows}:
                raise LearnError(f"suggestion {group.id}: {self.root / entry.path} changed on disk since it was "
                                 f"suggested: look at the entry, then reject it or add the question by hand")
        return groups

    def approve(self, ids: list[int], by: str, now: float | None = None) -> list[str]:
        """Add each group's wording to its entry's markdown (all ids checked first: one bad id changes nothing).
        Returns one line per applied wording."""
        entries = {e.id: e for e in load_entries(self.root).entries}
        done = []
        for group in self._checked(ids, entries):
            entry = entries[group.entry_id]
            path = self.root / entry.path
            old = digest(path)
            try:
                new = add_question(path, group.wording)
            except EditError as error:
                raise LearnError(str(error)) from None
            self._decide(group.rows, "applied", by, now)
            with self.engine.begin() as db:  # our own edit: other pending suggestions for the entry stay current
                db.execute(table.update().where(table.c.entry_id == entry.id, table.c.status == "pending",
                                                table.c.entry_digest == old).values(entry_digest=new))
            logger.info("knowledge base: suggestion %d added to %s by %s", group.id, entry.path, by)
            done.append(f"{entry.path}: added {group.wording!r} (suggestion {group.id}, {group.customers} customer(s))")
        return done

    def reject(self, ids: list[int], by: str, now: float | None = None) -> list[str]:
        groups = self._groups_of(ids)
        for group in groups:
            self._decide(group.rows, "rejected", by, now)
        return [f"rejected {g.wording!r} for {g.entry_id} (suggestion {g.id}); it will not be suggested again" for g in groups]

    def undo(self, suggestion_id: int, by: str, now: float | None = None) -> str:
        """Take an applied wording out of its entry's markdown again; it is not suggested again."""
        [group] = self._groups_of([suggestion_id], "applied")
        entry = {e.id: e for e in load_entries(self.root).entries}.get(group.entry_id)
        if entry is None:
            raise LearnError(f"suggestion {suggestion_id}: entry {group.entry_id} no longer exists")
        try:
            remove_question(self.root / entry.path, group.wording)
        except EditError as error:
            raise LearnError(str(error)) from None
        self._decide(group.rows, "undone", by, now)
        logger.info("knowledge base: suggestion %d taken out of %s by %s", group.id, entry.path, by)
        return f"{entry.path}: took out {group.wording!r} (suggestion {group.id})"

    def due(self) -> tuple[list[Group], list[Group]]:
        """`auto` mode's verdict on the pending groups: (to apply, to leave for an editor). Due: confirmed by
        `learn_confirmations` different customers and not ambiguous; of those, a wording whose nearest neighbours
        belong to another entry (bot/learn/neighbours.py) is held, with a note saying which entry."""
        pending = self.groups()
        due = [g for g in pending if g.customers >= self.config.learn_confirmations and not g.ambiguous_with]
        if not due or self.neighbours is None:
            return due, []
        nearer = self.neighbours.disagreeing(due, load_entries(self.root).entries, pending)
        held = [g for g in due if g.id in nearer]
        for group in held:
            note = f"nearer to {nearer[group.id]}'s questions: left for an editor"
            if group.held != note:
                with self.engine.begin() as db:
                    db.execute(table.update().where(table.c.id.in_([r["id"] for r in group.rows])).values(note=note))
                logger.info("knowledge base: suggestion %d for %s %s", group.id, group.entry_id, note)
        return [g for g in due if g.id not in nearer], held

    def apply_confirmed(self, now: float | None = None) -> list[str]:
        """`auto` mode: apply every group `due` says to apply."""
        done = []
        for group in self.due()[0]:
            try:
                done += self.approve([group.id], "auto", now)
            except LearnError as error:
                logger.warning("knowledge base: suggestion %d not applied automatically: %s", group.id, error)
        return done
