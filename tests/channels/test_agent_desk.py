"""The agent desk's request checks and what its JSON shows (no secrets, no addresses)."""

import pytest

from bot.handoff.store import Handoff, HandoffError
from channels.agent_desk import _agent_name, handoff_json


def handoff(**changes) -> Handoff:
    values = dict(id="h1", conversation_id="c1", channel="sms", recipient="+447700900123", customer_name="Ana",
                  reason="request", status="waiting", agent=None, created_at=1.0, claimed_at=None,
                  first_agent_reply_at=None, closed_at=None, updated_at=1.0, customer_updated_at=None,
                  summary={"customer": {"name": "Ana", "channel": "sms", "contact": "+44•••123"}, "message_ids": ["m1"]})
    values.update(changes)
    return Handoff(**values)


def test_the_json_never_carries_the_customers_address_or_internal_ids() -> None:
    listed = handoff_json(handoff())
    assert "recipient" not in listed and "900123" not in str(listed) and "summary" not in listed
    detailed = handoff_json(handoff(), with_messages=[])
    assert "message_ids" not in detailed["summary"] and detailed["messages"] == []
    assert detailed["customer"]["contact"] == "+44•••123"


@pytest.mark.parametrize("value", ["", "   ", 5, None, "x" * 65])
def test_an_agent_name_is_required_to_claim(value) -> None:
    with pytest.raises(HandoffError) as error:
        _agent_name(value, required=True)
    assert error.value.status == 400


def test_agent_names_are_trimmed_and_optional_for_replies() -> None:
    assert _agent_name("  Bob ", required=True) == "Bob"
    assert _agent_name(None, required=False) is None
