"""SMS and WhatsApp end to end: signed webhooks (captured WhatsApp bodies) posted to the
running assistant, replies delivered to a fake Twilio REST API on loopback."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from bot.messaging.inbox import Inbox
from bot.messaging.store import inbox, open_database
from channels.twilio import TwilioTurn
from tests.conftest import SHARED_DIR
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.conftest import start_assistant

pytestmark = pytest.mark.integration

ACCOUNT_SID = "AC1a03647d811fab342c0ad608e382fab2"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://bot.s-club.example"
SMS_NUMBER = "+15005550006"
WHATSAPP_NUMBER = "+14123456789"
BODIES = {b["name"]: b for b in json.loads((SHARED_DIR / "fixtures" / "twilio" / "whatsapp_bodies.json").read_text())}


@pytest.fixture(scope="module")
def twilio(tmp_path_factory):
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as api:
        running = start_assistant(tmp_path_factory.mktemp("twilio"), {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_SMS_NUMBER": SMS_NUMBER,
            "TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER, "PUBLIC_BASE_URL": PUBLIC, "TWILIO_API_BASE": api.url,
        })
        yield running, api
        running.stop()


def post(assistant, channel: str, fields: dict | None = None, raw: bytes | None = None, sign: bool = True,
         signature: str | None = None, content_type: str = "application/x-www-form-urlencoded") -> httpx.Response:
    path = f"/webhooks/{channel}/webhook"
    body = raw if raw is not None else urlencode(fields or {}).encode()
    headers = {"Content-Type": content_type}
    if sign:
        headers["X-Twilio-Signature"] = signature or RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, fields or {})
    return httpx.post(assistant.url + path, content=body, headers=headers, timeout=30)


def sms(text: str, sender: str) -> dict:
    return {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID, "From": sender, "To": SMS_NUMBER,
            "Body": text, "NumMedia": "0", "SmsStatus": "received", "ApiVersion": "2010-04-01"}


def wait_for(api: FakeTwilioAPI, to: str, count: int, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(api.sent_to(to)) < count:
        assert time.monotonic() < deadline, f"only {api.sent_to(to)} reached the fake Twilio API"
        time.sleep(0.1)
    return api.sent_to(to)


def test_captured_whatsapp_message_is_acknowledged_fast_and_answered(twilio) -> None:
    assistant, api = twilio
    fixture = BODIES["whatsapp_inbound_text"]
    started = time.monotonic()
    reply = post(assistant, "whatsapp", fixture["parsed"])
    assert reply.status_code == 200 and time.monotonic() - started < 2
    assert reply.text.startswith("<?xml") and "<Response></Response>" in reply.text
    [message] = wait_for(api, "whatsapp:+31612345678", 1)
    assert message["From"] == f"whatsapp:{WHATSAPP_NUMBER}"
    assert message["StatusCallback"] == f"{PUBLIC}/webhooks/whatsapp/webhook"


def test_whatsapp_profile_name_is_used_in_the_greeting(twilio) -> None:
    assistant, api = twilio
    fields = dict(BODIES["whatsapp_inbound_text"]["parsed"], MessageSid="SM" + uuid.uuid4().hex, Body="hello",
                  From="whatsapp:+31600000001", ProfileName="Ana")
    post(assistant, "whatsapp", fields)
    [message] = wait_for(api, "whatsapp:+31600000001", 1)
    assert message["Body"].startswith("Hi Ana!")


@pytest.mark.parametrize("signature", [None, "bm90IGEgc2lnbmF0dXJl"])
def test_forged_or_unsigned_requests_are_refused_and_nothing_is_sent(twilio, signature) -> None:
    assistant, api = twilio
    fields = sms("hi", "+15550000001")
    reply = post(assistant, "sms", fields, sign=signature is not None, signature=signature)
    assert reply.status_code == 403 and "X-Twilio-Signature" in reply.text
    time.sleep(1.5)
    assert api.sent_to("+15550000001") == []


def test_a_signature_for_another_path_is_refused(twilio) -> None:
    assistant, _ = twilio
    fields = sms("hi", "+15550000002")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + "/webhooks/whatsapp/webhook", fields)
    assert post(assistant, "sms", fields, signature=signature).status_code == 403


def test_a_retried_webhook_gets_one_answer(twilio) -> None:
    assistant, api = twilio
    fields = sms("hello", "+15550000003")
    assert post(assistant, "sms", fields).status_code == 200
    assert post(assistant, "sms", fields).status_code == 200
    wait_for(api, "+15550000003", 1)
    time.sleep(1.5)
    assert len(api.sent_to("+15550000003")) == 1


@pytest.mark.parametrize("name", ["whatsapp_inbound_image", "whatsapp_inbound_location"])
def test_media_and_locations_get_a_polite_reply_and_are_kept_for_an_agent(twilio, name: str) -> None:
    assistant, api = twilio
    fields = dict(BODIES[name]["parsed"], From=f"whatsapp:+3160000{len(name)}9")
    post(assistant, "whatsapp", fields)
    [message] = wait_for(api, fields["From"], 1)
    assert "can only read text" in message["Body"]
    engine = sa.create_engine(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")
    with engine.connect() as db:
        kept = db.execute(sa.text("SELECT value FROM frontdesk_channel_state WHERE recipient = :r AND key = 'media'"),
                          {"r": fields["From"]}).scalar()
    assert kept and (fields.get("MediaUrl0", "") in kept or fields.get("Latitude", "") in kept)


def test_status_callbacks_are_recorded(twilio) -> None:
    assistant, _ = twilio
    fields = BODIES["whatsapp_status_delivered"]["parsed"]
    assert post(assistant, "whatsapp", fields).status_code == 200
    engine = sa.create_engine(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")
    with engine.connect() as db:
        status = db.execute(sa.text("SELECT status FROM frontdesk_delivery WHERE provider_id = :p"),
                            {"p": fields["MessageSid"]}).scalar()
    assert status == "delivered"


def test_choices_become_numbered_options_and_a_number_picks_one(twilio) -> None:
    assistant, api = twilio
    customer = "+15550000010"
    post(assistant, "sms", sms("I want to cancel", customer))
    [offer] = wait_for(api, customer, 1)
    assert "1. " in offer["Body"] and "Reply with a number" in offer["Body"]
    first_title = offer["Body"].split("1. ", 1)[1].splitlines()[0]
    post(assistant, "sms", sms("1", customer))
    wait_for(api, customer, 2)
    slots = assistant.tracker(customer)["slots"]
    expected = {"Cancel your membership": "cancel_membership", "Cancel a class or court booking": "cancel_a_booking"}
    assert slots["kb_answered"] == expected[first_title]


def test_sms_gets_the_short_answer_within_one_message(twilio) -> None:
    assistant, api = twilio
    customer = "+15550000011"
    post(assistant, "sms", sms("how do I reset my password", customer))
    [answer] = wait_for(api, customer, 1)
    assert len(answer["Body"]) <= 320 and "**" not in answer["Body"]


def test_stop_silences_the_number_until_start(twilio) -> None:
    assistant, api = twilio
    customer = "+15550000012"
    post(assistant, "sms", sms("STOP", customer))
    post(assistant, "sms", sms("hi", customer))
    time.sleep(2)
    assert api.sent_to(customer) == []
    post(assistant, "sms", sms("START", customer))
    [welcome] = wait_for(api, customer, 1)
    assert "subscribed again" in welcome["Body"]
    post(assistant, "sms", sms("HELP", customer))
    assert "+44 20 7946 0000" in wait_for(api, customer, 2)[1]["Body"]


def test_an_outage_of_twilio_then_recovery_delivers_exactly_once(twilio) -> None:
    assistant, api = twilio
    customer = "+15550000013"
    api.fail_next(3, status=503)
    post(assistant, "sms", sms("hello", customer))
    [message] = wait_for(api, customer, 1, timeout=60)
    assert message["Body"].startswith("Hi there!")
    time.sleep(1.5)
    assert len(api.sent_to(customer)) == 1
    assert len([a for a in api.attempts if a.get("To") == customer]) == 4


@pytest.mark.parametrize("raw, content_type, status", [
    (b"Body=hi", "application/json", 415),
    (b"Body=\xff\xfe", "application/x-www-form-urlencoded", 400),
    (b"a" * 70_000, "application/x-www-form-urlencoded", 413),
])
def test_bad_bodies_get_a_clear_4xx(twilio, raw: bytes, content_type: str, status: int) -> None:
    assistant, _ = twilio
    reply = post(assistant, "sms", raw=raw, sign=False, content_type=content_type)
    assert reply.status_code == status and reply.text.strip()


def test_signed_but_incomplete_form_is_a_400_and_wrong_method_a_405(twilio) -> None:
    assistant, _ = twilio
    assert post(assistant, "sms", {"Body": "hi", "From": "+15550000014"}).status_code == 400
    assert httpx.get(f"{assistant.url}/webhooks/sms/webhook", timeout=10).status_code == 405
    assert post(assistant, "sms", sms("hello", "+15550000015")).status_code == 200


def test_a_message_left_in_the_inbox_by_a_crash_is_answered_after_a_restart(tmp_path) -> None:
    customer = "+15550000020"
    (tmp_path / "state").mkdir()
    box = Inbox(open_database(f"sqlite:///{tmp_path / 'state' / 'frontdesk.db'}"))
    turn = TwilioTurn("SM" + uuid.uuid4().hex, customer, "hello", None, ())
    assert box.accept("sms", turn.message_sid, customer, turn.stored())
    assert box.claim_due(["sms"], limit=1)  # a process took it, then died before answering
    with box.engine.begin() as db:  # ... and its lease ran out
        db.execute(inbox.update().values(next_attempt_at=time.time() - 1))
    box.engine.dispose()
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as api:
        running = start_assistant(tmp_path, {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_SMS_NUMBER": SMS_NUMBER,
            "PUBLIC_BASE_URL": PUBLIC, "TWILIO_API_BASE": api.url,
        })
        try:
            [message] = wait_for(api, customer, 1, timeout=60)
            assert message["Body"].startswith("Hi there!")
            deadline = time.monotonic() + 10
            while box.status("sms", turn.message_sid) != "done":
                assert time.monotonic() < deadline, box.status("sms", turn.message_sid)
                time.sleep(0.1)
            assert post(running, "sms", dict(sms("hello", customer), MessageSid=turn.message_sid)).status_code == 200
            time.sleep(1.5)  # Twilio retrying the old webhook now gets no second answer
            assert len(api.sent_to(customer)) == 1
        finally:
            running.stop()
