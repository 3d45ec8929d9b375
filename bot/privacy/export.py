"""The right of access: everything held about one customer, as one readable JSON document.

The readable part comes first (profile, consent, conversations as dated
messages, handoffs with the agents' replies, surveys, HubSpot ids, which
agents looked at their conversations); `records` then holds every row exactly
as stored, table by table: the same rows an erasure deletes (holdings.HOLDINGS).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.errors import PrivacyError
from bot.privacy.erasure import utc_iso
from bot.privacy.holdings import audit_of, rows_held
from bot.privacy.subjects import Subject

ABOUT = ("Everything this Frontdesk assistant holds about this customer, for a subject access request (UK GDPR, "
         "article 15). Times are UTC. 'records' lists every stored row as it is; the sections before it say the same "
         "in a readable form. Card numbers, passwords, bank details and one-time codes were masked before storage.")
SPEAKERS = {"user": "customer", "bot": "assistant"}


def _when(ts: Any) -> str | None:
    return utc_iso(float(ts)) if isinstance(ts, (int, float)) else None


def conversations(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tracker's events as sessions of dated messages (customer, assistant, agent, system)."""
    sessions: list[dict[str, Any]] = []
    for row in events:
        data = row.get("data") if isinstance(row.get("data"), dict) else {}
        if row["type_name"] == "session_started" or not sessions:
            sessions.append({"started_at": _when(row["timestamp"]), "messages": []})
            if row["type_name"] == "session_started":
                continue
        text = data.get("text")
        if row["type_name"] not in SPEAKERS or not isinstance(text, str) or not text.strip():
            continue
        metadata = data.get("metadata") or {}
        author = SPEAKERS[row["type_name"]]
        if author == "assistant" and metadata.get("agent"):
            author = "agent"
        elif author == "assistant" and metadata.get("notice"):
            author = "system"
        message = {"at": _when(row["timestamp"]), "author": author, "text": text}
        if author == "agent":
            message["agent"] = str(metadata["agent"])
        if author == "customer":
            message["channel"] = data.get("input_channel")
        sessions[-1]["messages"].append(message)
    return [s for s in sessions if s["messages"]]


def export_document(engine: Engine, subject: Subject, now: float) -> dict[str, Any]:
    """The whole export for `subject` (nothing changes)."""
    with engine.connect() as db:
        held = rows_held(db, subject)
        looked = audit_of(db, [h["id"] for h in held["frontdesk_handoffs"]])
    messages = held["frontdesk_handoff_messages"]
    return {
        "about": ABOUT,
        "exported_at": utc_iso(now),
        "customer": {"channel": subject.channel, "conversation_id": subject.conversation_id},
        "profile": held["frontdesk_customers"],
        "consent": [{"channel": r["channel"], "setting": r["key"], "value": r["value"], "updated_at": _when(r["updated_at"])}
                    for r in held["frontdesk_channel_state"]],
        "conversations": conversations(held["events"]),
        "handoffs": [dict(h, messages=[m for m in messages if m["handoff_id"] == h["id"]])
                     for h in held["frontdesk_handoffs"]],
        "surveys": held["frontdesk_surveys"],
        "crm": [{"hubspot_object": r["kind"], "hubspot_id": r["hubspot_id"], "status": r["status"]}
                for r in held["frontdesk_crm_sync"]],
        "who_looked": [dict(a, at=_when(a["at"])) for a in looked],
        "counts": {table: len(rows) for table, rows in held.items()},
        "records": held,
    }


def write_export(document: dict[str, Any], out: Path) -> None:
    """Write the export to `out` (readable: indented UTF-8), readable by its owner only; PrivacyError if it cannot."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False, default=str)
            handle.write("\n")
        os.replace(tmp, out)
    except OSError as error:
        raise PrivacyError(f"cannot write the export to {out}: {error.strerror or error}") from None
