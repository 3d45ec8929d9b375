"""Who may write to and read which conversation over REST: sessions, the operator's token, refusals."""

import pytest

from bot.messaging.sessions import SessionSigner
from channels.rest_auth import Refused, RestGate

TOKEN = "operator-token-for-tests"
gate = RestGate(SessionSigner(b"k" * 32), TOKEN)
ana = gate.signer.issue("webchat")
bob = gate.signer.issue("rest")
BEARER = f"Bearer {TOKEN}"


def refused(call, *args) -> tuple[int, str]:
    with pytest.raises(Refused) as error:
        call(*args)
    return error.value.status, str(error.value)


def message(session: str | None, authorization: str | None, sender: str | None, channel: str | None):
    return gate.for_message(gate.caller(session, authorization), sender, channel)


def test_a_session_writes_to_its_own_conversation_as_its_channel() -> None:
    assert message(ana.credential, None, None, None) == (ana.conversation_id, "webchat")
    assert message(ana.credential, None, ana.conversation_id, "webchat") == (ana.conversation_id, "webchat")
    assert message(bob.credential, None, None, "rest") == (bob.conversation_id, "rest")


def test_without_any_credential_nothing_is_allowed_401() -> None:
    for sender, channel in [(None, None), ("+15551199042", None), ("rest:x", "rest")]:
        status, reason = refused(message, None, None, sender, channel)
        assert status == 401 and "POST /webhooks/rest/session" in reason
    assert refused(gate.for_reading, None, "+15551199042")[0] == 401


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "telegram"])
def test_playing_another_channel_without_the_token_is_403(channel: str) -> None:
    for session in (None, ana.credential):
        status, reason = refused(message, session, None, "+15551199042", channel)
        assert status == 403 and "Authorization: Bearer" in reason


def test_a_session_cannot_name_another_conversation_or_switch_channel() -> None:
    assert refused(message, ana.credential, None, bob.conversation_id, None)[0] == 403
    assert refused(message, ana.credential, None, "+15551199042", None)[0] == 403
    assert refused(message, ana.credential, None, None, "rest")[0] == 403
    assert refused(gate.for_reading, gate.caller(ana.credential, None), bob.conversation_id)[0] == 403


@pytest.mark.parametrize("credential", [
    "webchat:" + "A" * 22 + "." + "B" * 43,  # well formed, forged signature
    SessionSigner(b"other-key" * 4).issue("webchat").credential,
    "+15551199042", "",
])
def test_a_forged_session_is_403_even_with_a_sender(credential: str) -> None:
    status, reason = refused(gate.caller, credential, None)
    assert status == 403 and "not a valid session" in reason
    assert not credential or credential not in reason


@pytest.mark.parametrize("authorization", ["Bearer wrong", f"Basic {TOKEN}", TOKEN, "Bearer", f"Bearer {TOKEN}x"])
def test_a_wrong_token_is_403_and_not_echoed(authorization: str) -> None:
    status, reason = refused(gate.caller, None, authorization)
    assert status == 403 and TOKEN not in reason


def test_the_operator_plays_any_sender_and_channel() -> None:
    assert message(None, BEARER, "+15551199042", "sms") == ("+15551199042", "sms")
    assert message(None, "bearer  " + TOKEN, "convtest-1", None) == ("convtest-1", "rest")
    assert gate.for_reading(gate.caller(None, BEARER), "+15551199042") == "+15551199042"
    assert refused(message, None, BEARER, None, "sms")[0] == 400  # whose conversation?
    assert refused(gate.for_reading, gate.caller(None, BEARER), None)[0] == 400


def test_without_a_server_token_no_bearer_is_accepted() -> None:
    off = RestGate(gate.signer, "")
    assert refused(off.caller, None, "Bearer ")[0] == 403
    assert refused(off.caller, None, "Bearer anything")[0] == 403


def test_a_session_reads_only_its_own_conversation() -> None:
    assert gate.for_reading(gate.caller(ana.credential, None), None) == ana.conversation_id
    assert gate.for_reading(gate.caller(ana.credential, None), ana.conversation_id) == ana.conversation_id
