"""The wording check on requests for a person, and reading the NLU's intent from parse data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detect.requests import RequestMatcher, correct_spelling, is_request, mentions_person, one_edit, request_examples, top_intent
from bot.errors import ConfigError
from bot.kb.encoder import Encoder

TARGETS = frozenset({"human", "someone", "person", "agent", "speak", "talk", "please", "cancel"})
DICTIONARY = TARGETS | {"can", "i", "to", "a", "the", "sauna", "open", "late", "where", "is", "my", "refund", "hunan"}


@pytest.mark.parametrize("text", ["humna agent", "supervizor please", "I want a real person", "get me a manger now",
                                  "Customer services now!", "can someone ring me back", "put me through to the front desk"])
def test_requests_name_a_person_even_misspelt(text: str) -> None:
    assert mentions_person(text)


@pytest.mark.parametrize("text", ["do you sell gift cards", "what time does the pool open", "how are you", "my card was declined",
                                  "someone posted this already", "people like her are great"])
def test_questions_name_no_person(text: str) -> None:
    assert not mentions_person(text)


def test_a_request_needs_the_intent_its_confidence_and_the_wording() -> None:
    assert is_request("request_human", 0.8, 0.2, 0.5, 0.6, "get me an agent")
    assert is_request("request_human", 0.8, 0.7, 0.5, 0.6, "I'd like that sorted by a real one")
    assert not is_request("request_human", 0.8, 0.2, 0.5, 0.6, "do you sell gift cards")
    assert not is_request("request_human", 0.4, 0.9, 0.5, 0.6, "get me an agent")
    assert not is_request("faq", 0.99, 0.9, 0.5, 0.6, "get me an agent")


def test_top_intent_looks_past_rasas_nlu_fallback() -> None:
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.45},
             "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "request_human", "confidence": 0.41},
                                {"name": "faq", "confidence": 0.3}]}
    assert top_intent(parse) == ("request_human", 0.41)
    assert top_intent({"intent": {"name": "greet", "confidence": 0.9}}) == ("greet", 0.9)
    assert top_intent({}) == ("", 0.0)


def test_the_examples_are_read_from_the_nlu_data(tmp_path: Path) -> None:
    assert "agent please" in request_examples()
    path = tmp_path / "nlu.yml"
    path.write_text('version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - hi\n')
    with pytest.raises(ConfigError, match="no request_human examples"):
        request_examples(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("speak to a humann", "speak to a human"),          # an extra letter
    ("cn i talk to somone", "cn i talk to someone"),    # a missing letter; words under 4 letters stay
    ("real peson PLEASE", "real person please"),
    ("agnet pleaes", "agent please"),                  # swapped neighbours
])
def test_unknown_words_one_edit_from_a_request_word_are_corrected(text: str, expected: str) -> None:
    assert correct_spelling(text, TARGETS, DICTIONARY) == expected


@pytest.mark.parametrize("text", ["is the sauna open late", "where is my refnud", "hunan please", "talk to a huuumaan"])
def test_known_words_and_words_far_from_any_request_word_stay(text: str) -> None:
    assert correct_spelling(text, TARGETS, DICTIONARY) == text


def test_one_edit_counts_insertions_deletions_substitutions_and_swaps() -> None:
    assert one_edit("humn", "human") and one_edit("humaan", "human") and one_edit("hunan", "human") and one_edit("hmuan", "human")
    assert not one_edit("human", "human") and not one_edit("hmn", "human") and not one_edit("nmuha", "human")


@pytest.fixture(scope="module")
def matcher() -> RequestMatcher:
    return RequestMatcher.load(Encoder())


def test_a_misspelt_request_is_measured_by_its_corrected_wording(matcher: RequestMatcher) -> None:
    texts = ["i want to tallk to a humaan", "is the sauna open late on fridays"]
    vectors = matcher.encoder.encode(texts)
    plain, corrected = matcher.similarity(vectors), matcher.similarity_of(texts, vectors)
    assert corrected[0] > plain[0] + 0.1 and corrected[0] >= 0.8
    assert corrected[1] == pytest.approx(plain[1]) and corrected[1] < 0.4


def test_correction_targets_are_example_words_the_model_knows(matcher: RequestMatcher) -> None:
    targets, dictionary = matcher.words()
    assert {"human", "person", "agent", "manager", "someone"} <= targets
    assert "humaan" not in targets and "supervisr" not in targets  # misspelt examples are not targets
    assert targets <= dictionary
