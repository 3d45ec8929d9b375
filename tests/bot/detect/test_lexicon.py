"""Wording cues: shouting, repeated exclamation marks, profanity and exasperated phrases; sarcasm for the problem signal."""

from __future__ import annotations

import pytest

from bot.detect.lexicon import cues, problem_cues, shouting


def kinds(text: str) -> set[str]:
    return {cue.kind for cue in cues(text)}


@pytest.mark.parametrize("text", ["WHY IS MY BOOKING GONE", "I SAID I WANT MY MONEY BACK", "THIS IS NOT OK"])
def test_messages_in_capitals_are_shouting(text: str) -> None:
    assert shouting(text)
    assert "caps" in kinds(text)


@pytest.mark.parametrize("text", ["Is the PT session at 5?", "I paid by PayPal, is that OK", "AGENT", "hi", "NHS discount?"])
def test_acronyms_and_short_words_in_capitals_are_not_shouting(text: str) -> None:
    assert not shouting(text)


def test_three_exclamation_marks_count_more_than_two() -> None:
    strong = {c.kind: c.weight for c in cues("where is my refund!!!")}
    mild = {c.kind: c.weight for c in cues("where is my refund!!")}
    assert "exclaim" in strong and "double_exclaim" in mild
    assert strong["exclaim"] > mild["double_exclaim"]
    assert not kinds("where is my refund!")


@pytest.mark.parametrize("text", ["this is fucking useless", "what a load of crap", "wtf is going on with my account"])
def test_profanity_is_a_cue(text: str) -> None:
    assert "profanity" in kinds(text)


@pytest.mark.parametrize("text", ["Scunthorpe branch opening hours", "can I bring my class pass", "assessment booking", "I'd like to pass on my thanks"])
def test_words_containing_profanity_are_not_profanity(text: str) -> None:
    assert "profanity" not in kinds(text)


@pytest.mark.parametrize("text,phrase", [
    ("This is ridiculous, I've been waiting a week", "'ridiculous'"),
    ("your app is useless", "'useless'"),
    ("what a waste of time", "'waste of time'"),
    ("I'm fed up with this", "'fed up'"),
    ("how many times do I have to ask", "'how many times'"),
])
def test_exasperated_phrases_are_cues_and_named_in_the_reason(text: str, phrase: str) -> None:
    found = [c for c in cues(text) if c.kind == "phrase"]
    assert found and found[0].detail == phrase


@pytest.mark.parametrize("text", ["how do I book a spin class?", "what time does the pool open on Sunday", "thanks, that helps",
                                  "can I freeze my membership while I'm abroad"])
def test_calm_questions_show_no_cues(text: str) -> None:
    assert cues(text) == []


@pytest.mark.parametrize("text", [
    "Five days and still no refund. Great.",
    "Brilliant. The pool is closed again and nobody told us.",
    "Thanks for cancelling my class with ten minutes' notice",
    "Wonderful, another email saying my card was declined",
    "Love paying for a gym where half the treadmills are out of order",
])
def test_praise_around_something_that_went_wrong_is_a_sarcasm_cue(text: str) -> None:
    assert [c.kind for c in problem_cues(text)] == ["sarcasm"]


@pytest.mark.parametrize("text", [
    "Great thanks", "Great, that answers it", "Thanks for getting back to me", "Perfect, I will not need the guest pass",
    "Brilliant, see you tomorrow",
])
def test_sincere_praise_is_not_sarcasm(text: str) -> None:
    assert problem_cues(text) == []
