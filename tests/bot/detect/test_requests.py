"""The wording check on requests for a person, and reading the NLU's intent from parse data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detect.requests import is_request, mentions_person, request_examples, top_intent
from bot.errors import ConfigError


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
