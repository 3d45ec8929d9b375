"""Twilio webhook parsing and wording, with Twilio's own signature vectors and fuzzed bodies."""

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings, strategies as st

from bot.vendors.twilio_api import segments, signature_is_valid
from bot.dialogue import chosen_payload as choice_payload
from channels.twilio import numbered, parse_form, to_turn
from tests.conftest import SHARED_DIR

VECTORS = json.loads((SHARED_DIR / "fixtures" / "twilio" / "signature_vectors.json").read_text())
BODIES = json.loads((SHARED_DIR / "fixtures" / "twilio" / "whatsapp_bodies.json").read_text())


@pytest.mark.parametrize("vector", VECTORS, ids=[v["source"][:60] for v in VECTORS])
def test_twilio_signature_vectors_validate_and_a_changed_one_does_not(vector) -> None:
    params = vector.get("body", vector["params"])
    assert signature_is_valid(vector["token"], vector["url"], params, vector["signature"])
    assert not signature_is_valid(vector["token"], vector["url"], params, "A" + vector["signature"][1:])
    assert not signature_is_valid("other-token", vector["url"], params, vector["signature"])
    assert not signature_is_valid(vector["token"], vector["url"], params, "")


@pytest.mark.parametrize("body", BODIES, ids=[b["name"] for b in BODIES])
def test_captured_bodies_parse_to_our_turns(body) -> None:
    fields = parse_form(body["raw_body"].encode())
    assert {k: v[0] for k, v in fields.items()} == body["parsed"]
    turn = to_turn(fields)
    assert turn.message_sid == body["parsed"]["MessageSid"]
    if body["name"].startswith("whatsapp_status"):
        assert turn.status == body["parsed"]["MessageStatus"]
    elif body["name"] == "whatsapp_inbound_image":
        assert turn.text == "" and turn.media[0]["content_type"] == "image/jpeg"
    elif body["name"] == "whatsapp_inbound_location":
        assert turn.media[0]["location"].startswith("52.30")
    else:
        assert (turn.sender, turn.text, turn.media) == ("whatsapp:+31612345678", "test", ())


def test_numbered_options_map_back_from_numbers_and_words() -> None:
    options = [{"title": "Cancel your membership", "payload": "/a"}, {"title": "Something else", "payload": "/b"}]
    assert numbered("Did you mean?", options, "Reply with a number.").endswith(
        "1. Cancel your membership\n2. Something else\nReply with a number.")
    assert choice_payload(" 2 ", options) == "/b"
    assert choice_payload("1.", options) == "/a"
    assert choice_payload("something else", options) == "/b"
    assert choice_payload("3", options) is None and choice_payload("how much is it", options) is None


def test_sms_segments_follow_gsm7_and_ucs2_rules() -> None:
    assert segments("Hello") == ("GSM-7", 1)
    assert segments("a" * 160) == ("GSM-7", 1) and segments("a" * 161) == ("GSM-7", 2)
    assert segments("€" * 80) == ("GSM-7", 1) and segments("€" * 81) == ("GSM-7", 2)  # escape septets
    assert segments("café ✓") == ("UCS-2", 1) and segments("✓" * 71) == ("UCS-2", 2)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_body_parses_or_is_refused_with_a_reason(raw: bytes) -> None:
    try:
        to_turn(parse_form(raw))
    except (ValueError, OverflowError) as error:
        assert str(error)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["MessageSid", "From", "Body", "NumMedia", "MessageStatus", "Latitude",
                                        "Longitude", "ProfileName", "MediaUrl0", "SmsSid"]), st.text(max_size=40)))
def test_any_form_fields_become_a_turn_or_a_clear_error(fields: dict) -> None:
    try:
        turn = to_turn(parse_form(urlencode(fields).encode()))
    except ValueError as error:
        assert str(error)
    else:
        assert turn.message_sid
