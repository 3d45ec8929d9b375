"""Per-message signals: anger (frustration) and problem, each a small trained head over MiniLM features plus wording cues.

The head (bot/detect/frustration_head.npz, made by bench/train_frustration.py
on GoEmotions) maps a message's features to the probability that it is
frustrated (anger, annoyance, disappointment or disgust). The features are
either the sentence embedding or, for a head saved with `feature_layers`, the
mean-pooled hidden states of those MiniLM layers, from the same single pass
that gives the sentence embedding (Encoder.encode_layers). The head is a
plain numpy forward pass: dense layers with ReLU between them and a sigmoid at
the end, so the action server needs nothing beyond the encoder it already
loads for the knowledge base. The score combines that probability with the wording
cues of bot/detect/lexicon.py as a noisy-OR:

    score = 1 - (1 - p_classifier) * prod(1 - cue weight)

The problem signal (the customer reports something that went wrong: a failed
payment, a vanished booking, a broken machine; sarcasm included) is a second
head (bot/detect/problem_head.npz, made by bench/train_problem.py on in-domain
customer-service messages) over the same features, combined the same way with
the problem cues of lexicon.py (sarcasm). Both heads read one encoder pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.detect.lexicon import Cue, cues, problem_cues
from bot.detect.requests import DEFAULT_REQUESTS, RequestMatcher
from bot.errors import ConfigError
from bot.kb import Encoder

DEFAULT_HEAD = Path(__file__).resolve().parent / "frustration_head.npz"
DEFAULT_PROBLEM_HEAD = Path(__file__).resolve().parent / "problem_head.npz"
CLASSIFIER_REASON_FLOOR = 0.5  # below this the classifier is not named as a reason


@dataclass(frozen=True)
class MessageScore:
    score: float  # anger (frustration), combined, in [0, 1]
    reasons: tuple[str, ...]  # why the anger score, for the agent and the logs ("" when calm)
    classifier: float = 0.0  # the head's probability alone
    cues: tuple[Cue, ...] = ()
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)  # the message's embedding
    request_similarity: float = 0.0  # highest cosine to a request_human training example
    problem: float = 0.0  # the customer reports something that went wrong, combined, in [0, 1]
    problem_reasons: tuple[str, ...] = ()

    @property
    def anger(self) -> float:
        return self.score


def combine(probability: float, found: list[Cue] | tuple[Cue, ...]) -> float:
    """Noisy-OR of the classifier's probability and the cues' weights."""
    calm = 1.0 - probability
    for cue in found:
        calm *= 1.0 - cue.weight
    return float(min(1.0, max(0.0, 1.0 - calm)))


class FrustrationHead:
    """Dense layers (W0, b0, W1, b1, ...) with ReLU between and a sigmoid on the output.

    With several outputs (a fine-grained emotion head), `frustration_outputs`
    lists the columns that stand for frustration and the probability is their
    noisy-OR. `feature_layers` names the encoder layers whose mean-pooled
    hidden states, concatenated, are the input (0 = the embedding layer);
    empty: the sentence embedding is.
    """

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], frustration_outputs: np.ndarray, model_name: str,
                 feature_layers: tuple[int, ...] = ()) -> None:
        self.layers = layers
        self.frustration_outputs = frustration_outputs
        self.model_name = model_name
        self.feature_layers = tuple(int(i) for i in feature_layers)

    @property
    def input_dimension(self) -> int:
        return int(self.layers[0][0].shape[0])

    @classmethod
    def load(cls, path: Path = DEFAULT_HEAD) -> FrustrationHead:
        try:
            with np.load(path, allow_pickle=False) as data:
                count = int(data["layers"])
                layers = [(data[f"W{i}"].astype(np.float32), data[f"b{i}"].astype(np.float32)) for i in range(count)]
                outputs = data["frustration_outputs"].astype(np.int64)
                model_name = str(data["model_name"])
                feature_layers = tuple(data["feature_layers"].tolist()) if "feature_layers" in data else ()
        except (OSError, KeyError, ValueError) as error:
            raise ConfigError(f"{path}: cannot load the frustration head ({error}); rerun bench/train_frustration.py") from None
        return cls(layers, outputs, model_name, feature_layers)

    def save(self, path: Path) -> None:
        arrays = {"layers": np.array(len(self.layers)), "frustration_outputs": self.frustration_outputs,
                  "model_name": np.array(self.model_name), "feature_layers": np.array(self.feature_layers, dtype=np.int64)}
        for i, (weights, bias) in enumerate(self.layers):
            arrays[f"W{i}"], arrays[f"b{i}"] = weights.astype(np.float32), bias.astype(np.float32)
        np.savez_compressed(path, **arrays)

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        """P(frustrated) for each row of `vectors` (n, dimension)."""
        hidden = np.asarray(vectors, dtype=np.float32)
        for i, (weights, bias) in enumerate(self.layers):
            hidden = hidden @ weights + bias
            if i < len(self.layers) - 1:
                hidden = np.maximum(hidden, 0.0)
        probabilities = 1.0 / (1.0 + np.exp(-np.clip(hidden[:, self.frustration_outputs], -30, 30)))
        return 1.0 - np.prod(1.0 - probabilities, axis=1)


class FrustrationScorer:
    """Scores messages; shares the knowledge base's Encoder so the model loads once.

    With a RequestMatcher it also measures how close each message is to the
    request_human examples (one matrix product on the same embedding).
    """

    def __init__(self, encoder: Encoder, head: FrustrationHead, requests: RequestMatcher | None = None,
                 problem: FrustrationHead | None = None) -> None:
        for name, trained, script in (("frustration", head, "train_frustration"), ("problem", problem, "train_problem")):
            if trained is not None and trained.model_name != encoder.model_name:
                raise ConfigError(
                    f"the {name} head was trained on {trained.model_name!r} embeddings but EMBEDDING_MODEL is "
                    f"{encoder.model_name!r}; retrain it with bench/{script}.py"
                )
        self.encoder = encoder
        self.head = head
        self.requests = requests
        self.problem = problem

    @classmethod
    def load(cls, encoder: Encoder, path: Path = DEFAULT_HEAD, requests: Path = DEFAULT_REQUESTS,
             problem: Path = DEFAULT_PROBLEM_HEAD) -> FrustrationScorer:
        return cls(encoder, FrustrationHead.load(path), RequestMatcher.load(encoder, requests), FrustrationHead.load(problem))

    def score(self, text: str) -> MessageScore:
        return self.score_many([text])[0]

    def score_many(self, texts: list[str]) -> list[MessageScore]:
        """One encoder call for all `texts`; each score keeps its embedding (for repeat detection)."""
        if not texts:
            return []
        heads = [h for h in (self.head, self.problem) if h is not None]
        if any(h.feature_layers for h in heads):
            vectors, layers = self.encoder.encode_layers(list(texts))  # one pass; a sentence embedding washes out tone
        else:
            vectors, layers = self.encoder.encode(list(texts)), None

        def probability(head: FrustrationHead) -> np.ndarray:
            if not head.feature_layers:
                return head.probability(vectors)
            return head.probability(layers[:, list(head.feature_layers)].reshape(len(texts), -1))

        probabilities = probability(self.head)
        problems = probability(self.problem) if self.problem is not None else np.zeros(len(texts))
        similarities = self.requests.similarity_of(list(texts), vectors) if self.requests else np.zeros(len(texts))
        return [score_from(text, float(p), vector, float(r), float(q))
                for text, p, vector, r, q in zip(texts, probabilities, vectors, similarities, problems)]


def score_from(text: str, probability: float, vector: np.ndarray | None = None, request_similarity: float = 0.0,
               problem_probability: float = 0.0) -> MessageScore:
    """The combined scores and reasons for one message, given the classifiers' probabilities."""
    found = tuple(cues(text))
    reasons = []
    if probability >= CLASSIFIER_REASON_FLOOR:
        reasons.append(f"frustrated wording (classifier {probability:.2f})")
    reasons += [cue.detail for cue in found]
    problem, problem_reasons = problem_from(text, problem_probability)
    return MessageScore(combine(probability, found), tuple(reasons), probability, found, vector, request_similarity,
                        problem, problem_reasons)


def problem_from(text: str, probability: float) -> tuple[float, tuple[str, ...]]:
    """The problem score (head's probability and problem cues, noisy-OR) and its reasons."""
    found = problem_cues(text)
    reasons = [f"reports something that went wrong (classifier {probability:.2f})"] if probability >= CLASSIFIER_REASON_FLOOR else []
    return combine(probability, found), tuple(reasons + [cue.detail for cue in found])
