"""The agent desk's request checks and what its JSON shows (no secrets, no addresses)."""

import pytest

from bot.handoff.store import Handoff, HandoffError
from bot.config.settings import DeskSettings
from channels.agent_api import handoff_json, json_body, text_field
from channels.agent_auth import client_address, cross_site


def handoff(**changes) -> Handoff:
    values = dict(id="h1", conversation_id="c1", channel="sms", recipient="+447700900123", customer_name="Ana",
                  reason="request", status="waiting", agent=None, created_at=1.0, claimed_at=None,
                  first_agent_reply_at=None, closed_at=None, updated_at=1.0, customer_updated_at=None,
                  summary={"customer": {"name": "Ana", "channel": "sms", "contact": "+44•••123"}, "message_ids": ["m1"]})
    values.update(changes)
    return Handoff(**values)


def test_people_read_times_in_the_teams_zone_a_preview_and_the_assistants_markdown_rendered() -> None:
    from zoneinfo import ZoneInfo

    from bot.handoff.store import HandoffMessage

    december = 1796577600.0  # Sun 6 Dec 2026, 17:20 in London (GMT)
    summary = {"customer": {"name": "Ana", "channel": "sms", "contact": "+44•••123"}, "started_at": december - 600,
               "handed_over_at": december, "key_messages": ["When is customer service open?"],
               "transcript": [{"author": "customer", "text": "**hi** <b>x</b>", "at": december - 600},
                              {"author": "bot", "text": "**Monday to Friday:** 08:00-20:00", "at": december - 590}]}
    listed = handoff_json(handoff(summary=summary))
    assert listed["preview"] == "When is customer service open?"
    tokyo = handoff_json(handoff(summary=summary), [HandoffMessage(1, "h1", "agent", "Bob", "**ok**", december + 60),
                                                    HandoffMessage(2, "h1", "system", None, "Bob has *joined*", december + 61)],
                         ZoneInfo("Asia/Tokyo"))
    assert tokyo["summary"]["handed_over_text"].endswith(", 02:20")  # Mon 7 Dec in Tokyo
    detailed = handoff_json(handoff(summary=summary), [HandoffMessage(1, "h1", "agent", "Bob", "**ok**", december + 60),
                                                      HandoffMessage(2, "h1", "system", None, "Bob has *joined*", december + 61)])
    assert detailed["summary"]["started_text"].endswith(", 17:10") and detailed["summary"]["handed_over_text"].endswith(", 17:20")
    customer, bot = detailed["summary"]["transcript"]
    assert "html" not in customer and customer["time"].endswith(", 17:10")  # customers' text stays text
    assert bot["html"] == "<p><strong>Monday to Friday:</strong> 08:00-20:00</p>"
    agent, notice = detailed["messages"]
    assert "html" not in agent and agent["time"].endswith(", 17:21")
    assert notice["html"] == "<p>Bob has <em>joined</em></p>"
    assert summary["transcript"][1] == {"author": "bot", "text": "**Monday to Friday:** 08:00-20:00", "at": december - 590}


def test_the_json_never_carries_the_customers_address_or_internal_ids() -> None:
    listed = handoff_json(handoff())
    assert "recipient" not in listed and "900123" not in str(listed) and "summary" not in listed
    detailed = handoff_json(handoff(), with_messages=[])
    assert "message_ids" not in detailed["summary"] and detailed["messages"] == []
    assert detailed["customer"]["contact"] == "+44•••123"


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": 5}, {"text": "x" * 65}])
def test_a_text_field_must_be_a_short_non_empty_string(body) -> None:
    with pytest.raises(HandoffError) as error:
        text_field(body, "text", 64)
    assert error.value.status == 400 and "'text'" in str(error.value)


def test_text_fields_are_trimmed() -> None:
    assert text_field({"agent": "  Bob "}, "agent", 64) == "Bob"


class Body:
    def __init__(self, raw: bytes) -> None:
        self.body = raw


@pytest.mark.parametrize("raw, reason", [(b"{not json", "JSON"), (b"[]", "object"), (b"\xff", "UTF-8")])
def test_a_body_must_be_a_json_object(raw, reason) -> None:
    with pytest.raises(HandoffError, match=reason):
        json_body(Body(raw))


HOST = "desk.s-club.example:5005"


@pytest.mark.parametrize("origin, referer", [
    ("http://desk.s-club.example:5005", None),
    ("https://desk.s-club.example:5005", None),
    (None, "http://desk.s-club.example:5005/agent"),
    ("HTTP://DESK.s-club.example:5005", "https://evil.example/"),  # Origin wins over Referer
])
def test_requests_from_the_desks_own_address_pass_the_csrf_check(origin, referer) -> None:
    assert cross_site(origin, referer, HOST) is None


@pytest.mark.parametrize("origin, referer, reason", [
    (None, None, "needs an Origin or Referer"),
    ("https://evil.example", None, "Origin is another site"),
    ("http://desk.s-club.example:5006", None, "Origin is another site"),
    ("http://desk.s-club.example.evil.example:5005", None, "Origin is another site"),
    (None, "https://evil.example/agent", "Referer is another site"),
    ("null", None, "not an http(s) address"),
    ("file:///agent", None, "not an http(s) address"),
])
def test_cross_site_requests_are_refused_with_a_reason(origin, referer, reason) -> None:
    assert reason in cross_site(origin, referer, HOST)


def test_default_ports_are_the_same_address() -> None:
    assert cross_site("https://desk.example", None, "desk.example:443") is None
    assert cross_site("http://desk.example", None, "desk.example") is None
    assert cross_site("https://desk.example", None, "desk.example:80") is not None


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    trusted = DeskSettings.from_env({"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"})
    assert client_address("127.0.0.1", ["203.0.113.9"], trusted) == "203.0.113.9"
    assert client_address("10.1.2.3", ["1.1.1.1, 203.0.113.9"], trusted) == "203.0.113.9"  # the last hop only
    assert client_address("10.1.2.3", ["1.1.1.1", "203.0.113.7"], trusted) == "203.0.113.7"
    assert client_address("198.51.100.4", ["203.0.113.9"], trusted) == "198.51.100.4"  # not a proxy of ours
    assert client_address("127.0.0.1", [], trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", ["203.0.113.9"], DeskSettings()) == "127.0.0.1"  # none trusted by default
