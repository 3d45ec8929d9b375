"""A week of S-Club conversations (1-7 June 2026, London summer time = UTC+1) with known outcomes.

    alice    rest      06-01 10:00 UTC  answered (opening_hours) in 2 s, "that helped" at +31 s: contained
    bob      telegram  06-01 12:00 UTC  fallback (1.5 s), clarify, asks for a person: handoff h-bob (request),
                                        claimed +100 s, agent replies +160 s, resolved by the agent at +600 s
    carol    whatsapp  05-31 23:30 UTC  (= 06-01 00:30 London) fallback in 4 s with a card number typed,
                                        handoff h-carol (frustration) never claimed: open
    dan      sms       06-01 23:30 UTC  (= 06-02 00:30 London) answered (parking) in 3 s, closed 06-02 00:10 UTC
    alice    rest      06-03 09:00 UTC  a second session: carried-over slots (answer_helped, kb_answered) before
                                        she writes; answered (parking) in 1 s; still open
    erin     webchat   06-04 08:00 UTC  a session in which the customer never wrote: not a conversation
    frank    rest      05-31 21:00 UTC  before the period (22:00 London on 31 May)
    gina     rest      06-07 23:30 UTC  after the period (00:30 London on 8 June)

Surveys in the period: CSAT 5 (alice), 2 (bob), skipped (carol), 4 (dan); NPS 9 (alice), 6 (bob),
skipped (dan), 10 (alice, second session); one CSAT of 1 on 31 May at 22:00 UTC is outside.
"""

from __future__ import annotations

from bot.messaging.store import open_database
from tests.bot.report.conftest import Script, add_handoff, add_survey, save_trackers, utc

CARD = "4111 1111 1111 1111"


def write_week(url: str) -> None:
    alice_t, bob_t = utc("2026-06-01 10:00:00"), utc("2026-06-01 12:00:00")
    carol_t, dan_t = utc("2026-05-31 23:30:00"), utc("2026-06-01 23:30:00")
    alice2_t = utc("2026-06-03 09:00:00")

    alice = (Script("alice", "rest").session(alice_t)
             .faq(alice_t, "when do you open on sunday", "answer", "opening_hours", reply_after=2)
             .user(alice_t + 30, "yes that helped, thanks", intent="thank")
             .slot(alice_t + 31, "answer_helped", True)
             .session(alice2_t, carried={"answer_helped": True, "kb_decision": "answer", "kb_answered": "opening_hours"})
             .faq(alice2_t, "where can I park", "answer", "parking", reply_after=1))
    bob = (Script("bob", "telegram").session(bob_t)
           .faq(bob_t, "do you have a swimming pool", "fallback", reply_after=1.5)
           .faq(bob_t + 20, "can I swim at your gym", "clarify")
           .user(bob_t + 40, "let me talk to a person", intent="request_human")
           .slot(bob_t + 41, "handoff_id", "h-bob").pause(bob_t + 41)
           .bot(bob_t + 160, "Hi, I'm Priya from S-Club. Yes, we have a 25 m pool.", agent="Priya", handoff="h-bob"))
    carol = (Script("carol", "whatsapp").session(carol_t)
             .faq(carol_t, f"my card {CARD} was charged twice", "fallback", reply_after=4)
             .user(carol_t + 45, "this is useless", intent="something_else")
             .slot(carol_t + 50, "handoff_id", "h-carol").pause(carol_t + 50))
    dan = (Script("dan", "sms").session(dan_t)
           .faq(dan_t, "is there parking", "answer", "parking", reply_after=3)
           .slot(utc("2026-06-02 00:10:00"), "conversation_closed", True))
    erin = Script("erin", "webchat").session(utc("2026-06-04 08:00:00"))
    frank = Script("frank", "rest").session(utc("2026-05-31 21:00:00")).faq(utc("2026-05-31 21:00:00"), "hello", "fallback")
    gina = Script("gina", "rest").session(utc("2026-06-07 23:30:00")).faq(utc("2026-06-07 23:30:00"), "hi", "fallback")
    save_trackers(url, [alice, bob, carol, dan, erin, frank, gina])

    engine = open_database(url)
    add_handoff(engine, "bob", "telegram", "request", "resolved", bob_t + 41, claimed_at=bob_t + 100,
                first_agent_reply_at=bob_t + 160, closed_at=bob_t + 600, handoff_id="h-bob")
    add_handoff(engine, "carol", "whatsapp", "frustration", "waiting", carol_t + 50, handoff_id="h-carol")
    add_survey(engine, "alice", "rest", "csat", 5, alice_t + 35)
    add_survey(engine, "alice", "rest", "nps", 9, alice_t + 40)
    add_survey(engine, "bob", "telegram", "csat", 2, bob_t + 700, handoff_id="h-bob")
    add_survey(engine, "bob", "telegram", "nps", 6, bob_t + 710, handoff_id="h-bob")
    add_survey(engine, "carol", "whatsapp", "csat", None, carol_t + 900)
    add_survey(engine, "dan", "sms", "csat", 4, utc("2026-06-02 00:11:00"))
    add_survey(engine, "dan", "sms", "nps", None, utc("2026-06-02 00:12:00"))
    add_survey(engine, "alice", "rest", "nps", 10, alice2_t + 60)
    add_survey(engine, "frank", "rest", "csat", 1, utc("2026-05-31 22:00:00"))
    engine.dispose()
