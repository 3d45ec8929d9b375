"""What a signed-in agent may do with a handoff, on a real desk, database and outbox; each action audited."""

import asyncio

import pytest

from bot.agents import AgentAccounts, AgentError, AuditLog
from bot.agents.work import AgentWork
from bot.handoff.service import HandoffDesk
from bot.handoff.store import HandoffError
from bot.config.settings import HandoffSettings
from bot.messaging.store import outbox
from tests.bot.agents.conftest import FAST_ROUNDS
from tests.bot.handoff.test_service import HOURS, MONDAY_NOON, Recorder
from tests.conftest import project_responses


@pytest.fixture
def world(engine):
    accounts = AgentAccounts(engine, rounds=FAST_ROUNDS)
    bob, _ = accounts.add("Bob")
    cleo, _ = accounts.add("Cleo")
    ann, _ = accounts.add("Ann", "lead")
    desk = HandoffDesk(engine, HandoffSettings(), HOURS, project_responses(), tracker=Recorder())
    work = AgentWork(desk, accounts, AuditLog(engine))
    handoff = desk.open("42", "telegram", "42", "Ana", "request", {}, now=MONDAY_NOON)
    return work, handoff.id, bob, cleo, ann


def sent(engine) -> list[str]:
    with engine.connect() as db:
        return [r["payload"]["text"] for r in db.execute(outbox.select().order_by(outbox.c.id)).mappings()]


def run(coroutine):
    return asyncio.run(coroutine)


def refused(coroutine, status: int) -> str:
    with pytest.raises((AgentError, HandoffError)) as error:
        run(coroutine)
    assert error.value.status == status, str(error.value)
    return str(error.value)


def test_an_agent_claims_and_replies_under_their_own_name(engine, world) -> None:
    work, handoff_id, bob, cleo, ann = world
    assert run(work.claim(bob, handoff_id, "127.0.0.1")).agent == "Bob"
    message = run(work.reply(bob, handoff_id, "Hi Ana, Bob here."))
    assert message.agent == "Bob"
    assert sent(engine) == ["Bob from the S-Club team has joined and is reading our conversation.", "Hi Ana, Bob here."]
    assert [(e.agent, e.action) for e in work.audit.since(0)] == [("Bob", "claim"), ("Bob", "reply")]


def test_others_cannot_reply_to_resolve_or_release_a_claimed_handoff(engine, world) -> None:
    work, handoff_id, bob, cleo, ann = world
    run(work.claim(bob, handoff_id))
    assert "Bob has claimed this handoff" in refused(work.reply(cleo, handoff_id, "I'm Cleo"), 403)
    refused(work.close(cleo, handoff_id, "resolve"), 403)
    refused(work.close(cleo, handoff_id, "release"), 403)
    refused(work.claim(cleo, handoff_id), 409)
    assert work.desk.store.get(handoff_id).status == "claimed"
    assert not any("Cleo" in text for text in sent(engine))


def test_a_lead_may_write_into_and_close_anyones_handoff_under_their_own_name(engine, world) -> None:
    work, handoff_id, bob, cleo, ann = world
    run(work.claim(bob, handoff_id))
    assert run(work.reply(ann, handoff_id, "Ann, the team lead, here.")).agent == "Ann"
    assert run(work.close(ann, handoff_id, "release")).status == "released"
    assert sent(engine)[-1].startswith("Ann has passed you back")


def test_closing_a_handoff_nobody_claimed_is_for_leads(world) -> None:
    work, handoff_id, bob, cleo, ann = world
    assert "claim it before you resolve it" in refused(work.close(bob, handoff_id, "resolve"), 403)
    assert run(work.close(ann, handoff_id, "resolve")).status == "resolved"
    refused(work.close(ann, handoff_id, "resolve"), 409)


def test_only_a_lead_reassigns_and_only_to_an_active_agent(engine, world) -> None:
    work, handoff_id, bob, cleo, ann = world
    run(work.claim(bob, handoff_id))
    refused(work.assign(bob, handoff_id, "Cleo"), 403)
    refused(work.assign(ann, handoff_id, "nobody"), 400)
    work.accounts.revoke("Cleo")
    assert "no active agent" in refused(work.assign(ann, handoff_id, "cleo"), 400)
    work.accounts.reset("Cleo")
    assigned = run(work.assign(ann, handoff_id, "cleo"))
    assert (assigned.agent, assigned.status) == ("Cleo", "claimed")
    assert sent(engine)[-1] == "Cleo from the S-Club team has joined and is reading our conversation."
    refused(work.reply(bob, handoff_id, "still me"), 403)
    assert run(work.reply(cleo, handoff_id, "Cleo here, I'll take it from here.")).agent == "Cleo"
    [entry] = [e for e in work.audit.since(0) if e.action == "assign"]
    assert (entry.agent, entry.detail) == ("Ann", "Bob -> Cleo")
    refused(work.assign(ann, "no-such-handoff", "Bob"), 404)


def test_a_view_is_audited(world) -> None:
    work, handoff_id, bob, cleo, ann = world
    handoff, messages = run(work.view(cleo, handoff_id, 0, "10.0.0.7"))
    assert handoff.id == handoff_id and messages == []
    [entry] = work.audit.since(0)
    assert (entry.agent, entry.action, entry.handoff_id, entry.address) == ("Cleo", "view", handoff_id, "10.0.0.7")


def test_a_person_can_take_handoffs_while_an_agent_account_is_active(engine) -> None:
    desk = HandoffDesk(engine, HandoffSettings(), HOURS, project_responses())
    assert not desk.reachable()
    accounts = AgentAccounts(engine, rounds=FAST_ROUNDS)
    accounts.add("Bob")
    assert desk.reachable()
    accounts.revoke("Bob")
    assert not desk.reachable()
    assert HandoffDesk(engine, HandoffSettings(agent_token="t" * 16), HOURS, project_responses()).reachable()


def test_only_a_lead_forgets_a_customer_and_the_desk_then_says_why_the_handoff_is_gone(engine, world) -> None:
    from bot.privacy import Eraser

    work, handoff_id, bob, cleo, ann = world
    work.eraser = Eraser(engine)
    run(work.claim(bob, handoff_id))
    assert "only a lead" in refused(work.forget(bob, handoff_id), 403)
    held = []

    def hold(conversation_id):
        held.append(conversation_id)
        import contextlib
        return contextlib.nullcontext()

    receipt = run(work.forget(ann, handoff_id, "127.0.0.1", hold))
    assert held == ["42"] and receipt["found"] and receipt["handoffs"] == {"erased": 1, "open_when_erased": 1}
    refused(work.view(bob, handoff_id), 404)
    assert "erased at their request" in run(work.erased(handoff_id)) and "by Ann" in run(work.erased(handoff_id))
    assert run(work.erased("no-such-handoff")) is None
    assert [(e.agent, e.action) for e in work.audit.since(0)][-1] == ("Ann", "forget")
    refused(work.forget(ann, handoff_id), 404)
