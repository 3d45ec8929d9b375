"""Telegram Update parsing with the captured Updates and fuzzed JSON."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from bot.vendors.telegram_api import make_bot, split_text
from channels.telegram import decode_callback, encode_callback, parse_update
from tests.conftest import SHARED_DIR

BOT = make_bot("123:abc", "http://127.0.0.1:9")  # never contacted
FIXTURES = sorted((SHARED_DIR / "fixtures" / "telegram").glob("*.json"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem[17:] for p in FIXTURES])
def test_every_captured_update_parses_without_error(path) -> None:
    update = json.loads(path.read_text())["update"]
    turn = parse_update(update, BOT)
    if "private_chat_text" in path.name:
        assert (turn.chat_id, turn.text, turn.first_name) == (408258968, "4", "Hirrolot")
    if any(kind in path.name for kind in ("reaction", "boost", "my_chat_member", "new_update_kind", "pinned", "paid_media")):
        assert turn is None


def test_button_payloads_round_trip_within_telegrams_64_bytes() -> None:
    payload = '/choose_entry{"kb_entry": "cancel_membership"}'
    data = encode_callback(payload)
    assert data == "e:cancel_membership" and len(data.encode()) <= 64
    assert decode_callback(data) == payload
    assert encode_callback("/something_else") == "/something_else"
    assert encode_callback("/" + "x" * 80) is None


def test_text_is_split_at_4096() -> None:
    parts = split_text("x" * 5000)
    assert [len(p) for p in parts] == [4096, 904]


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4),
                           max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"update_id": st.integers(0, 2**31)},
                             optional={"message": json_values, "callback_query": json_values, "edited_message": json_values}))
def test_malformed_updates_raise_only_the_errors_the_webhook_acknowledges_as_unparseable(update) -> None:
    try:
        parse_update(update, BOT)
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
