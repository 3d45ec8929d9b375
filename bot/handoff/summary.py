"""The context summary an agent reads in 15 seconds, built from a conversation's tracker events.

Input is plain Rasa event dicts (as the action server receives them). Every
text goes through `mask_secrets`, and the customer's address is masked, so
the summary can be stored, shown on the desk and posted to a group or CRM.
The sentiment score is a swappable callable (text -> frustration 0..1).
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable, Iterable

from bot.privacy import mask_secrets

Scorer = Callable[[str], float]
EntryInfo = Callable[[str], "dict[str, Any] | None"]  # entry id -> {"title", "paraphrase"}

REASON_TEXT = {
    "request": "the customer asked for a person",
    "frustration": "the customer is frustrated",
    "failures": "the assistant failed to help several times",
    "abuse": "abusive messages",
}
SMALL_TALK = {"greet", "goodbye", "thank", "bot_challenge", "request_human", "choose_entry", "something_else",
              "affirm", "deny"}
MAX_KEY_MESSAGES = 5
MAX_TRIGGERS = 3

_NEGATIVE = re.compile(
    r"\b(ridiculous|useless|terrible|awful|worst|angry|annoy\w*|frustrat\w*|unacceptable|hate|rubbish|"
    r"disappoint\w*|fed up|still (?:not|no)|nobody|waste|again|wrong|broken|complain\w*|scam)\b", re.IGNORECASE)


# Buttons the customer pressed, in the words an agent reads (their payloads are "/intent{...}").
BUTTON_WORDS = {"affirm": "Yes", "deny": "No", "something_else": "Something else", "request_human": "Talk to a person",
                "goodbye": "Goodbye"}
_PAYLOAD = re.compile(r"^/(?P<intent>\w+)(?P<entities>\{.*\})?\s*$", re.DOTALL)


def in_words(text: str, entry_info: EntryInfo) -> str:
    """A customer message as an agent should read it: a button payload becomes what the customer chose
    ('chose "Cancel your membership"', 'pressed "Yes"'); anything else is the text itself."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return text
    intent = match.group("intent")
    entry = re.search(r'"kb_entry"\s*:\s*"([^"]+)"', match.group("entities") or "")
    if intent == "choose_entry" and entry:
        return f'chose "{(entry_info(entry.group(1)) or {}).get("title") or entry.group(1)}"'
    return f'pressed "{BUTTON_WORDS.get(intent, intent.replace("_", " "))}"'


def lexicon_frustration(text: str) -> float:
    """A small default scorer (0 calm .. 1 very frustrated) from words, shouting and '!!!'."""
    words = re.findall(r"[A-Za-z]{2,}", text)
    score = 0.25 * len(_NEGATIVE.findall(text))
    if len(words) >= 3 and sum(w.isupper() for w in words) / len(words) > 0.6:
        score += 0.3
    if "!!" in text or "??" in text:
        score += 0.2
    return min(1.0, score)


def mask_contact(channel: str, recipient: str | None) -> str:
    """The customer's address with all but its last 3 characters hidden ('+44•••••••123', 'telegram •••789')."""
    if not recipient:
        return "unknown"
    address = recipient.removeprefix("whatsapp:")
    keep = 3 if len(address) > 5 else 1
    prefix = address[:3] if address.startswith("+") and len(address) > 8 else ""
    hidden = "•" * max(3, len(address) - keep - len(prefix))
    return f"{prefix}{hidden}{address[-keep:]}"


def _session_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events since the latest session start (the current conversation)."""
    start = 0
    for index, event in enumerate(events):
        if event.get("event") == "session_started":
            start = index
    return events[start:]


def _understood(events: list[dict[str, Any]], entry_info: EntryInfo) -> list[dict[str, Any]]:
    """Per customer question: what the knowledge base decided, which entries, whether an answer helped
    (`helped`, answers only) and whether the customer took an offered choice (`taken`, clarifications only)."""
    items: list[dict[str, Any]] = []
    question: str | None = None
    current: dict[str, Any] | None = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            question = in_words(mask_secrets(event.get("text") or "").text, entry_info)
            current = None
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if items and items[-1]["decision"] == "clarify" and items[-1]["taken"] is None:
                items[-1]["taken"] = intent == "choose_entry"
        elif kind == "slot" and event.get("name") in ("kb_decision", "kb_answered", "kb_offered", "answer_helped"):
            name, value = event["name"], event.get("value")
            if name == "answer_helped":
                if items and value is not None and items[-1]["decision"] == "answer":
                    items[-1]["helped"] = bool(value)
                continue
            if current is None:
                current = {"question": question, "decision": None, "entries": [], "helped": None, "taken": None}
                items.append(current)
            if name == "kb_decision":
                current["decision"] = value
            elif value:
                for entry in value if isinstance(value, list) else [value]:
                    if entry not in [e["id"] for e in current["entries"]]:
                        info = entry_info(entry) or {}
                        current["entries"].append({"id": entry, "title": info.get("title") or entry,
                                                   "paraphrase": info.get("paraphrase")})
    for item in items:
        if item["decision"] == "clarify" and item["taken"] is None:
            item["taken"] = False  # the conversation was handed over before the customer chose
    return items


def _trend(scores: list[float], reason: str) -> str:
    """The customer's mood over the conversation, in agreement with the handoff's reason: a conversation
    handed over for frustration is never "steady"."""
    if len(scores) < 2:
        mood = "not enough messages"
    else:
        half = len(scores) // 2
        early, late = sum(scores[:half]) / half, sum(scores[half:]) / (len(scores) - half)
        if late - early >= 0.15:
            mood = "rising frustration"
        elif early - late >= 0.15:
            mood = "calming down"
        else:
            mood = "frustrated throughout" if late >= TRIGGER_SCORE else "steady"
    if reason == "frustration" and mood in ("steady", "not enough messages"):
        return "frustrated"
    return mood


# A message counts as a trigger of a frustration handoff from this score on (detection's
# `frustrated` threshold in assistant.yml; the lexicon scorer gives 0 to calm messages).
TRIGGER_SCORE = 0.35


def _triggers(reason: str, customer: list[dict[str, Any]], understood: list[dict[str, Any]],
              scores: list[float]) -> list[str]:
    if not customer:
        return []
    if reason == "frustration" and scores:
        ranked = sorted(range(len(customer)), key=lambda i: scores[i], reverse=True)[:MAX_TRIGGERS]
        return [customer[i]["text"] for i in sorted(ranked) if scores[i] >= TRIGGER_SCORE]
    if reason == "failures":
        failed = [u["question"] for u in understood if u["decision"] in ("fallback", "clarify") or u["helped"] is False]
        return [q for q in failed if q][-MAX_TRIGGERS:]
    return [customer[-1]["text"]]


def build_summary(events: Iterable[dict[str, Any]], *, conversation_id: str, channel: str, recipient: str | None,
                  customer_name: str | None, reason: str, handed_over_at: float,
                  scorer: Scorer | None = None, entry_info: EntryInfo | None = None,
                  answer_helped: bool | None = None) -> dict[str, Any]:
    """The summary JSON stored with a handoff (secrets masked)."""
    scorer = scorer or lexicon_frustration
    entry_info = entry_info or (lambda entry: None)
    session = _session_events(list(events))
    transcript: list[dict[str, Any]] = []
    customer: list[dict[str, Any]] = []
    message_ids: list[str] = []
    for event in session:
        kind = event.get("event")
        if kind not in ("user", "bot") or not (event.get("text") or "").strip():
            continue
        text = mask_secrets(event["text"]).text
        metadata = event.get("metadata") or {}
        if kind == "user":
            pressed, text = text.startswith("/"), in_words(text, entry_info)
            author = "customer"
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            customer.append({"text": text, "intent": intent, "at": event.get("timestamp"), "button": pressed})
            if event.get("message_id"):
                message_ids.append(event["message_id"])
        else:
            author = "agent" if metadata.get("agent") else "bot"
        transcript.append({"author": author, "agent": metadata.get("agent"), "text": text, "at": event.get("timestamp")})
    scores = [round(float(scorer(m["text"])), 3) for m in customer]
    understood = _understood(session, entry_info)
    if answer_helped is not None and understood and understood[-1]["decision"] == "answer" and understood[-1]["helped"] is None:
        understood[-1]["helped"] = answer_helped
    key = [m["text"] for m in customer if m["intent"] not in SMALL_TALK and not m["button"]]
    started = next((e.get("timestamp") for e in session if e.get("timestamp")), handed_over_at)
    return {
        "conversation_id": conversation_id,
        "customer": {"name": customer_name, "channel": channel, "contact": mask_contact(channel, recipient)},
        "started_at": started,
        "handed_over_at": handed_over_at,
        "reason": reason,
        "reason_text": REASON_TEXT.get(reason, reason),
        "trigger_messages": _triggers(reason, customer, understood, scores),
        "key_messages": key[-MAX_KEY_MESSAGES:],
        "understood": understood,
        "sentiment": {"scores": scores, "trend": _trend(scores, reason)},
        "transcript": transcript,
        "message_ids": message_ids,
    }


def _overview(summary: dict[str, Any]) -> list[str]:
    """What an agent reads first: who (contact masked), why, their words, what the assistant understood, the mood."""
    customer = summary.get("customer") or {}
    reason = summary.get("reason") or "unknown"
    lines = [
        f"Handoff: {customer.get('name') or 'a customer'} on {customer.get('channel') or 'an unknown channel'} "
        f"({customer.get('contact') or 'unknown'})",
        f"Why: {summary.get('reason_text') or REASON_TEXT.get(reason, reason)}",
    ]
    lines += [f"  > {t}" for t in summary.get("trigger_messages") or []]
    if summary.get("key_messages"):
        lines.append("In their words:")
        lines += [f"  - {t}" for t in summary["key_messages"]]
    for item in summary.get("understood") or []:
        entries = ", ".join(e.get("paraphrase") or e.get("title") or e.get("id") for e in item.get("entries") or [])
        if item.get("decision") == "clarify":
            helped = {True: "chosen", False: "not taken", None: "no feedback"}[item.get("taken")]
        else:
            helped = {True: "helped", False: "did not help", None: "no feedback"}[item.get("helped")]
        lines.append(f"Bot: {item.get('decision')} -> {entries or 'nothing found'} ({helped})")
    if summary.get("sentiment"):
        lines.append(f"Mood: {summary['sentiment'].get('trend')}")
    return lines


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_text(summary: dict[str, Any], limit: int = 3500) -> str:
    """The summary as a short plain-text post (for a Telegram group), within `limit` characters."""
    return _shortened("\n".join(_overview(summary) + ["Reply to this message to answer the customer."]), limit)


AUTHORS = {"customer": "Customer", "bot": "Assistant"}


def _utc(ts: Any, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    return time.strftime(fmt, time.gmtime(ts)) if isinstance(ts, (int, float)) else "unknown"


def ticket_text(summary: dict[str, Any] | None, limit: int = 60_000) -> str:
    """The summary for a person reading a CRM ticket, as plain text within `limit` characters.

    The overview the desk's post gives (`summary_text`: contact masked), when the
    conversation started and was handed over (UTC, to the minute), then the
    transcript with each message's time (UTC) and author. Nothing from the
    stored JSON is shown raw: no epoch seconds, message ids or conversation id
    (for SMS and WhatsApp that is the customer's full number).
    """
    summary = summary if isinstance(summary, dict) else {}
    lines = _overview(summary)
    lines.append(f"Started {_utc(summary.get('started_at'))}, handed over {_utc(summary.get('handed_over_at'))}")
    transcript = summary.get("transcript") or []
    if transcript:
        lines += ["", "Transcript (card numbers and passwords masked, times UTC):"]
    head = "\n".join(lines)
    used, said = len(head), []
    for item in transcript:
        author = f"Agent ({item['agent']})" if item.get("agent") else AUTHORS.get(item.get("author"), "System")
        line = f"{_utc(item.get('at'), '%H:%M:%S')} {author}: {item.get('text') or ''}"
        if used + len(line) + 30 > limit:
            said.append("[transcript shortened]")
            break
        said.append(line)
        used += len(line) + 1
    return _shortened("\n".join([head, *said]), limit)  # its texts were masked when the summary was built
