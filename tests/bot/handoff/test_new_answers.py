"""Following up when the answer now exists: a real knowledge base, Rasa's tracker events in a real database, the
schedule and the follow-up worker. Questions that fell back get the new answer once, at most one a day per customer,
never for masked or abusive messages or visitors who cannot be reached later."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import sqlalchemy as sa
from rasa.shared.core.events import UserUttered

from bot.config import section
from bot.handoff.followup import FollowUps, FollowUpWorker
from bot.handoff.new_answers import NewAnswers, NewAnswersWatcher, fallen_back
from bot.kb.decide import DecisionConfig
from bot.kb.service import KnowledgeBase
from bot.messaging.store import open_database, outbox, scheduled
from bot.ops.action_process import confident_answer
from tests.bot.kb.conftest import encoder, small_kb, write_entry  # noqa: F401 - fixtures
from tests.bot.report.conftest import Script, save_trackers
from tests.conftest import project_responses

NOW = time.time()
ASKED = NOW - 2 * 86400
ANA, BEN, CY, DEE, OLD = "+447700900101", "555101", "+447700900103", "webchat:dee", "+447700900105"


def fell_back(script: Script, at: float, text: str) -> Script:
    return script.user(at, text).slot(at + 1, "kb_decision", "fallback")


def world(url: str) -> None:
    masked = Script(BEN, "telegram").session(ASKED - 10)
    masked.events.append(UserUttered("my card •••• was charged, where do I park my car", parse_data={
        "intent": {"name": "faq", "confidence": 0.9}, "entities": []}, input_channel="telegram", timestamp=ASKED - 5,
        metadata={"masked": ["card number"]}))
    masked.slot(ASKED - 4, "kb_decision", "fallback")
    save_trackers(url, [
        fell_back(fell_back(Script(ANA, "sms").session(ASKED - 10), ASKED, "is there a car park?"),
                  ASKED + 60, "where can I park my car"),
        fell_back(masked, ASKED, "do you have a car park"),
        fell_back(Script(CY, "sms").session(ASKED - 10), ASKED, "you stupid useless bot, where do I park"),
        fell_back(Script(DEE, "webchat").session(ASKED - 10), ASKED, "is there a car park?"),
        fell_back(Script(OLD, "sms").session(NOW - 20 * 86400), NOW - 20 * 86400, "is there a car park?"),
    ])


def test_a_question_the_knowledge_base_now_answers_is_followed_up_once(tmp_path: Path, small_kb: Path, encoder) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    world(url)
    engine = open_database(url)
    assert {q.conversation_id for q in fallen_back(engine, NOW - 14 * 86400)} == {ANA, BEN}  # masked, abusive, web, old: no
    kb = KnowledgeBase(small_kb, tmp_path / "state", encoder, DecisionConfig(reload_interval_s=0.1))
    config = section("follow_up", {"new_answers": True, "send_between": "00:00-24:00"})
    watcher = NewAnswersWatcher(NewAnswers(engine, config, confident_answer(kb)), lambda: kb.snapshot.fingerprint)
    assert watcher.poll() == 0  # nothing changed

    write_entry(small_kb, "facilities/parking.md", "Parking", ["is there parking", "where can I park my car",
                                                               "do you have a car park"], "Parking is free for 3 hours.")
    assert kb.reload() is True
    assert watcher.poll() == 3  # Ana's two questions and Ben's
    assert watcher.poll() == 0 and watcher.new_answers.check() == 0  # each question once
    with engine.connect() as db:
        rows = db.execute(sa.select(scheduled.c.conversation_id, scheduled.c.due_at, scheduled.c.detail)
                          .order_by(scheduled.c.id)).all()
    ana = sorted(due for who, due, _ in rows if who == ANA)
    assert len(ana) == 2 and ana[1] - ana[0] >= 86400  # at most one a day per customer

    follow_ups = FollowUps(engine, config, "Europe/London", project_responses())
    assert asyncio.run(FollowUpWorker(follow_ups).run_once(time.time() + 1)) == 2
    with engine.connect() as db:
        sent = {r.recipient: r.payload["text"] for r in db.execute(sa.select(outbox.c.recipient, outbox.c.payload))}
    assert sent[ANA] == ('Earlier you asked "is there a car park?" and I couldn\'t answer then. '
                         "Here is the answer now: Parking is free for 3 hours.")
    assert "Parking is free for 3 hours." in sent[BEN] and set(sent) == {ANA, BEN}
    assert asyncio.run(FollowUpWorker(follow_ups).run_once(ana[1] + 1)) == 1  # Ana's second, a day later
