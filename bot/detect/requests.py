"""How close a message is to the ways customers ask for a person (data/nlu/request_human.yml).

The NLU intent request_human alone over-fires on messages unlike anything it
was trained on (its classifier spreads its confidence over a handful of
intents: "call me an uber please" came out request_human at 1.00). A handover
therefore also needs the message's MiniLM embedding to be close to one of
the intent's own training examples (`similarity`, the highest cosine to
them), or the message to name a person to talk to (`mentions_person`: human,
agent, manager, staff, someone ..., one-letter typos forgiven). The examples are read from the NLU data, so they are always the ones
the model was trained on, and embedded once on first use (~2 s).

MiniLM does not see through typos ("talk to a humaan" is far from "talk to a
human"), so `similarity_of` also measures a spelling-corrected copy of a
message whose words are not in the model's vocabulary but one edit away
from a word of the examples ("humaan" -> "human", "smeone" -> "someone"),
and keeps the higher similarity. Only such messages cost a second encoding.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import yaml

from bot.errors import ConfigError
from bot.kb import Encoder
from bot.config import PROJECT_DIR

DEFAULT_REQUESTS = PROJECT_DIR / "data" / "nlu" / "request_human.yml"
INTENT = "request_human"


def request_examples(path: Path = DEFAULT_REQUESTS) -> list[str]:
    """The request_human examples of a Rasa NLU file."""
    try:
        blocks = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read the request_human examples ({error})") from None
    examples = [
        line.strip()[2:].strip()
        for block in blocks if block.get("intent") == INTENT
        for line in str(block.get("examples") or "").splitlines() if line.strip().startswith("- ")
    ]
    if not examples:
        raise ConfigError(f"{path}: no request_human examples")
    return examples


class RequestMatcher:
    def __init__(self, encoder: Encoder, examples: list[str]) -> None:
        self.encoder = encoder
        self.examples = examples
        self._vectors: np.ndarray | None = None
        self._words: tuple[frozenset[str], frozenset[str]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, encoder: Encoder, path: Path = DEFAULT_REQUESTS) -> RequestMatcher:
        return cls(encoder, request_examples(path))

    def example_vectors(self) -> np.ndarray:
        """The examples' embeddings (computed on first use)."""
        with self._lock:
            if self._vectors is None:
                self._vectors = self.encoder.encode(self.examples)
            return self._vectors

    def similarity(self, vectors: np.ndarray) -> np.ndarray:
        """Highest cosine of each row of `vectors` (unit length) to a request example."""
        return (np.asarray(vectors, dtype=np.float32) @ self.example_vectors().T).max(axis=1)

    def similarity_of(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """`similarity`, or that of the spelling-corrected text when it is higher (module docstring)."""
        result = self.similarity(vectors)
        targets, dictionary = self.words()
        corrected = [correct_spelling(t, targets, dictionary) for t in texts]
        changed = [i for i, (t, c) in enumerate(zip(texts, corrected)) if c != t]
        if changed:
            again = self.similarity(self.encoder.encode([corrected[i] for i in changed]))
            result[changed] = np.maximum(result[changed], again)
        return result

    def words(self) -> tuple[frozenset[str], frozenset[str]]:
        """(correction targets, dictionary): the dictionary is the model tokenizer's whole words, the targets
        the examples' words of 4+ letters found in it."""
        with self._lock:
            if self._words is None:
                dictionary = frozenset(w for w in self.encoder._model.tokenizer.get_vocab() if w.isalpha())
                targets = frozenset(w for e in self.examples for w in _WORDS.findall(e.lower()) if len(w) >= 4 and w in dictionary)
                self._words = targets, dictionary
            return self._words


def correct_spelling(text: str, targets: frozenset[str], dictionary: frozenset[str]) -> str:
    """`text` with each word of 4+ letters that is not in `dictionary` replaced by a target one edit away."""
    def fix(match: re.Match) -> str:
        word = match.group(0).lower()
        if len(word) < 4 or word in dictionary:
            return match.group(0)
        return next((t for t in sorted(targets) if one_edit(word, t)), match.group(0))

    fixed = _WORDS.sub(fix, text.lower())
    return fixed if fixed != text.lower() else text


def one_edit(word: str, target: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours apart (not equal)."""
    if word == target or abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(word, target)) if a != b]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and word[diff[0]] == target[diff[1]] and word[diff[1]] == target[diff[0]])
    short, long_ = sorted((word, target), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


PERSON_WORDS = (
    "human", "humans", "agent", "agents", "manager", "supervisor", "staff", "rep", "representative", "operator",
    "colleague", "employee", "advisor", "adviser", "consultant", "receptionist", "reception", "helpdesk", "callback",
)
PERSON_PHRASES = re.compile(
    r"\b(customer (service|services|support|care)|front desk|in charge|(call|ring|phone) (me|back)"
    r"|(real|actual|live|a) (person|people|one|ppl)|(talk|speak|chat) (to|with) (someone|somebody|anyone|a person)"
    r"|someone real|somebody real)\b", re.IGNORECASE)
_WORDS = re.compile(r"[a-z]+")


def _near(word: str, target: str) -> bool:
    """Equal, or for words of 5+ letters one edit apart (a swap of neighbours counts as one)."""
    return word == target or (min(len(word), len(target)) >= 5 and one_edit(word, target))


def mentions_person(text: str) -> bool:
    """Does the message name a person to talk to (typos of one letter forgiven)?"""
    if PERSON_PHRASES.search(text):
        return True
    return any(_near(word, target) for word in _WORDS.findall(text.lower()) for target in PERSON_WORDS)


def top_intent(parse_data: dict) -> tuple[str, float]:
    """The NLU's intent and confidence; under Rasa's nlu_fallback, the best real intent in the ranking."""
    intent = (parse_data or {}).get("intent") or {}
    name, confidence = intent.get("name") or "", float(intent.get("confidence") or 0.0)
    if name == "nlu_fallback":
        ranked = [i for i in (parse_data.get("intent_ranking") or []) if i.get("name") not in (None, "nlu_fallback")]
        if ranked:
            return ranked[0]["name"], float(ranked[0].get("confidence") or 0.0)
    return name, confidence


def is_request(intent: str, confidence: float, similarity: float, min_confidence: float, min_similarity: float,
               text: str = "", person_words: bool = True) -> bool:
    """A request for a person: the NLU says so confidently, and the wording is close to a known
    request (or, with `person_words`, names a person to talk to)."""
    if intent != INTENT or confidence < min_confidence:
        return False
    return similarity >= min_similarity or (person_words and mentions_person(text))
