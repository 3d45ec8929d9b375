"""The audit log and the limit on wrong credentials."""

import pytest

from bot.agents import AuditLog, FailureLimiter
from bot.agents.audit import VIEW_EVERY_S

NOW = 1_800_000_000.0


def test_actions_are_recorded_and_read_back_in_order(engine) -> None:
    audit = AuditLog(engine)
    audit.record("claim", "Bob", "h1", address="127.0.0.1", now=NOW)
    audit.record("assign", "Ann", "h1", detail="Bob -> Cleo", now=NOW + 1)
    audit.record("login_failed", None, address="203.0.113.9", now=NOW + 2)
    entries = audit.since(NOW)
    assert [(e.agent, e.action, e.handoff_id) for e in entries] == [("Bob", "claim", "h1"), ("Ann", "assign", "h1"),
                                                                    (None, "login_failed", None)]
    assert "Bob -> Cleo" in entries[1].line() and "from 203.0.113.9" in entries[2].line()
    assert audit.since(NOW + 1.5)[0].action == "login_failed"
    with pytest.raises(ValueError):
        audit.record("delete_everything", "Bob")


def test_a_polled_view_is_recorded_once_per_agent_and_interval(engine) -> None:
    audit = AuditLog(engine)
    assert audit.record_view("Bob", "h1", now=NOW)
    assert not audit.record_view("Bob", "h1", now=NOW + 2)
    assert audit.record_view("Cleo", "h1", now=NOW + 2) and audit.record_view("Bob", "h2", now=NOW + 2)
    assert audit.record_view("Bob", "h1", now=NOW + VIEW_EVERY_S + 1)
    assert len(audit.since(0)) == 4


def test_ten_failures_a_minute_then_the_address_waits() -> None:
    limiter = FailureLimiter(limit=10, window_s=60)
    for second in range(10):
        assert limiter.retry_after("203.0.113.9", now=100 + second) == 0
        limiter.failed("203.0.113.9", now=100 + second)
    assert limiter.retry_after("203.0.113.9", now=110) == 50  # until the first failure is a minute old
    assert limiter.retry_after("198.51.100.1", now=110) == 0  # other addresses are not affected
    assert limiter.retry_after("203.0.113.9", now=160) == 0
