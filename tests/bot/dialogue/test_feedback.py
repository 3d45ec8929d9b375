"""Reading survey replies, choosing NPS conversations, and storing answers in a real SQLite database."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import AssistantConfig, section
from bot.dialogue import feedback
from bot.errors import ConfigError
from bot.messaging.store import open_database, surveys


@pytest.mark.parametrize(
    "reply, score",
    [("4", 4), ("four", 4), ("4/5", 4), ("4 / 5", 4), ("4 out of 5", 4), ("I'd give it a 4", 4), ("5 stars", 5),
     ("⭐⭐⭐", 3), ("very good", 4), ("Very good, thanks!", 4), ("excellent", 5), ("poor", 1), ("not good", 2),
     ("not bad", 3), ("good", 3), ("1", 1), ("FIVE", 5), ("not very helpful", 2)],
)
def test_csat_replies_are_read_as_scores(reply: str, score: int) -> None:
    assert feedback.parse_csat(reply) == feedback.Reading("score", score)


@pytest.mark.parametrize("reply", ["6", "0", "10/10", "4.5", "3 or 4", "banana", "what?", "", "purple"])
def test_csat_replies_out_of_range_or_unreadable_are_unclear(reply: str) -> None:
    assert feedback.parse_csat(reply).outcome == "unclear"


@pytest.mark.parametrize("reply", ["skip", "Skip please", "no thanks", "rather not", "pass", "no", "n/a", "nothing"])
def test_skip_replies_skip(reply: str) -> None:
    assert feedback.parse_csat(reply).outcome == "skip"
    assert feedback.parse_nps(reply).outcome == "skip"
    assert feedback.parse_comment(reply).outcome == "skip"


@pytest.mark.parametrize("reply", ["bye", "goodbye!", "stop"])
def test_goodbye_ends_the_survey(reply: str) -> None:
    assert feedback.parse_csat(reply).outcome == "stop"
    assert feedback.parse_comment(reply).outcome == "stop"


@pytest.mark.parametrize("reply, score", [("0", 0), ("10", 10), ("8/10", 8), ("eight", 8), ("7 out of 10", 7), ("zero", 0)])
def test_nps_replies_are_read_as_scores(reply: str, score: int) -> None:
    assert feedback.parse_nps(reply) == feedback.Reading("score", score)


@pytest.mark.parametrize("reply", ["11", "very likely", "-1", "7.5"])
def test_nps_replies_out_of_range_are_unclear(reply: str) -> None:
    assert feedback.parse_nps(reply).outcome == "unclear"


def test_nps_sampling_is_stable_and_follows_the_rate() -> None:
    ids = [f"conversation-{i}" for i in range(4000)]
    assert not any(feedback.nps_due(i, 0.0) for i in ids)
    assert all(feedback.nps_due(i, 1.0) for i in ids)
    share = sum(feedback.nps_due(i, 0.3) for i in ids) / len(ids)
    assert 0.27 < share < 0.33
    assert [feedback.nps_due(i, 0.3) for i in ids[:50]] == [feedback.nps_due(i, 0.3) for i in ids[:50]]


def test_feedback_settings_are_read_and_checked() -> None:
    assert section("feedback", {"nps_rate": 1.0}).nps_rate == 1.0
    assert section("feedback", {}).nps_rate == 0.3
    for bad in ({"nps_rate": 1.5}, {"nps_rate": "lots"}, {"npsrate": 0.5}):
        with pytest.raises(ConfigError, match="feedback"):
            section("feedback", bad)


def test_the_projects_assistant_file_has_a_valid_feedback_section() -> None:
    from bot.config.settings import PROJECT_DIR

    assert 0.0 <= AssistantConfig.load(PROJECT_DIR / "assistant.yml").feedback.nps_rate <= 1.0


@pytest.fixture
def engine(tmp_path: Path):
    engine = open_database(f"sqlite:///{tmp_path / 'frontdesk.db'}")
    yield engine
    engine.dispose()


def rows(engine) -> list[dict]:
    with engine.connect() as db:
        return [dict(r._mapping) for r in db.execute(sa.select(surveys).order_by(surveys.c.id))]


def test_answers_and_skips_are_rows_and_the_comment_is_masked(engine) -> None:
    feedback.record_answer(engine, "ana", "telegram", "csat", 4, now=100.0)
    feedback.record_answer(engine, "ana", "telegram", "nps", None, handoff_id="h1", now=101.0)
    feedback.record_answer(engine, "bob", "sms", "csat", 2, now=102.0)
    assert feedback.record_comment(engine, "ana", "  card 4111 1111 1111 1111 was charged twice  ")
    got = [(r["conversation_id"], r["channel"], r["kind"], r["score"], r["comment"], r["handoff_id"]) for r in rows(engine)]
    assert got == [
        ("ana", "telegram", "csat", 4, None, None),
        ("ana", "telegram", "nps", None, "card [card number removed] was charged twice", "h1"),
        ("bob", "sms", "csat", 2, None, None),
    ]


def test_a_comment_without_a_survey_row_is_not_stored(engine) -> None:
    assert not feedback.record_comment(engine, "nobody", "hello")
    assert rows(engine) == []


def test_an_already_masked_comment_stays_as_it_is(engine) -> None:
    feedback.record_answer(engine, "ana", "rest", "csat", 5)
    feedback.record_comment(engine, "ana", "my password is [password removed] thanks")
    assert rows(engine)[0]["comment"] == "my password is [password removed] thanks"


def test_scores_outside_the_scale_are_refused(engine) -> None:
    with pytest.raises(ValueError):
        feedback.record_answer(engine, "ana", "rest", "csat", 6)
    with pytest.raises(ValueError):
        feedback.record_answer(engine, "ana", "rest", "nps", 11)
    assert rows(engine) == []


def test_questions_show_buttons_where_the_channel_has_them(responses) -> None:
    telegram = feedback.question("nps", responses.voice("telegram"))
    assert [b["payload"] for b in telegram["buttons"]] == [str(n) for n in range(11)]
    sms = feedback.question("nps", responses.voice("sms"))
    assert "buttons" not in sms and sms["text"].endswith("Reply with a number from 0 to 10, or skip.")
    assert "recommend S-Club" in sms["text"]
    assert feedback.question("csat", responses.voice("rest"))["text"] == responses.say("survey.csat")
    assert feedback.question("csat", responses.voice("rest"), retry=True)["text"].startswith("Sorry, I didn't catch a rating")
    assert "skip" in feedback.question("comment", responses.voice("whatsapp"))["text"]


def test_only_a_confident_faq_reply_counts_as_a_new_question() -> None:
    assert feedback.is_new_question({"intent": {"name": "faq", "confidence": 0.95}})
    assert not feedback.is_new_question({"intent": {"name": "faq", "confidence": 0.5}})
    assert not feedback.is_new_question({"intent": {"name": "choose_entry", "confidence": 0.99}})
    assert not feedback.is_new_question(None)


def test_abuse_or_a_new_question_interrupts_the_survey_but_a_rating_does_not() -> None:
    assert feedback.interrupts_survey({"text": "you stupid bot", "intent": {"name": "nlu_fallback", "confidence": 0.4}})
    assert feedback.interrupts_survey({"text": "how do I freeze?", "intent": {"name": "faq", "confidence": 0.9}})
    assert not feedback.interrupts_survey({"text": "4", "intent": {"name": "choose_entry", "confidence": 0.9}})
