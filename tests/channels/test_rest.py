import json

import pytest
from hypothesis import given, settings, strategies as st

from channels.rest import (MAX_BODY_BYTES, MAX_MESSAGE_CHARS, BadRequest, parse_body, parse_session_body, parse_since,
                           with_html)


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_valid_body_with_name_in_metadata() -> None:
    message = parse_body(body(sender=" u1 ", message="hi", metadata={"name": "Ana"}))
    assert (message.sender, message.text, message.metadata) == ("u1", "hi", {"name": "Ana"})


def test_metadata_is_optional() -> None:
    assert parse_body(body(sender="u1", message="hi")).metadata == {}


def test_sender_and_channel_may_be_left_to_the_session() -> None:
    message = parse_body(body(message="hi", metadata={"name": "Ana"}))
    assert (message.sender, message.channel) == (None, None)


@pytest.mark.parametrize("channel", ["rest", "webchat", "telegram", "sms", "whatsapp"])
def test_metadata_channel_plays_that_channels_customer(channel: str) -> None:
    assert parse_body(body(sender="u1", message="hi", metadata={"channel": channel})).channel == channel


@pytest.mark.parametrize(
    "raw, status, reason",
    [
        (b"not json", 400, "not valid UTF-8 JSON"),
        (b"\xff\xfe{}", 400, "not valid UTF-8 JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (body(sender="", message="hi"), 400, "'sender'"),
        (body(sender=12, message="hi"), 400, "'sender'"),
        (body(sender="u1"), 400, "'message'"),
        (body(sender="u1", message=["hi"]), 400, "'message'"),
        (body(sender="u1", message="hi", metadata="Ana"), 400, "'metadata'"),
        (body(sender="u1", message="hi", metadata={"channel": "fax"}), 400, "'metadata.channel' must be one of"),
        (body(sender="u1", message="hi", metadata={"channel": 3}), 400, "'metadata.channel' must be one of"),
        (body(sender="u1", message="hi", metadata={"name": ["Ana"]}), 400, "'metadata.name' must be a string"),
        (body(sender="x" * 129, message="hi"), 400, "'sender' is longer"),
        (body(sender="u1", message="x" * (MAX_MESSAGE_CHARS + 1)), 413, "longer than"),
        (b" " * (MAX_BODY_BYTES + 1), 413, "larger than"),
    ],
)
def test_bad_bodies_are_refused_with_status_and_reason(raw: bytes, status: int, reason: str) -> None:
    with pytest.raises(BadRequest) as error:
        parse_body(raw)
    assert error.value.status == status
    assert reason in str(error.value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_parse_or_are_refused_cleanly(raw: bytes) -> None:
    try:
        parse_body(raw)
    except BadRequest as error:
        assert error.status in (400, 413)


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=10))
def test_any_json_value_parses_or_is_refused_cleanly(value) -> None:
    try:
        message = parse_body(json.dumps(value).encode())
    except BadRequest as error:
        assert error.status in (400, 413)
    else:
        assert message.sender is None or isinstance(message.sender, str)
        assert isinstance(message.text, str)


@pytest.mark.parametrize("raw, channel", [(b"", "rest"), (b"  ", "rest"), (body(), "rest"),
                                          (body(channel="webchat"), "webchat"), (body(channel="rest"), "rest")])
def test_a_session_is_for_rest_or_the_web_chat(raw: bytes, channel: str) -> None:
    assert parse_session_body(raw) == channel


@pytest.mark.parametrize("raw, reason", [(body(channel="sms"), "'channel' must be one of"), (b"{", "JSON"),
                                         (b"[]", "JSON object")])
def test_a_session_for_another_channel_or_a_bad_body_is_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason) as error:
        parse_session_body(raw)
    assert error.value.status == 400


def test_since_is_a_message_number_or_absent() -> None:
    assert parse_since(None) is None and parse_since("12") == 12
    for bad in ("-1", "a", "1.5", ""):
        with pytest.raises(BadRequest, match="'since'"):
            parse_since(bad)


def test_only_the_assistants_and_notices_messages_get_html() -> None:
    assert with_html({"recipient_id": "r", "text": "**Open** daily"})["html"] == "<p><strong>Open</strong> daily</p>"
    assert with_html({"author": "system", "text": "Rate *us*"})["html"] == "<p>Rate <em>us</em></p>"
    for message in ({"author": "customer", "text": "**x**"}, {"author": "agent", "text": "**x**", "agent": "Bob"},
                    {"recipient_id": "r", "image": "https://x.example/a.png"}):
        assert "html" not in with_html(message)
