"""The frustration scorer: the shipped head on customer messages it never saw, cues, and loading."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.detect import FrustrationHead, FrustrationScorer
from bot.detect.lexicon import Cue
from bot.detect.scorer import combine, problem_from
from bot.errors import ConfigError
from bot.kb.encoder import Encoder
from tests.conftest import PROJECT_DIR

# Written for these tests (the head was trained on Reddit comments from GoEmotions).
FRUSTRATED = [
    "I am furious. Absolutely unacceptable service.",
    "you charged me twice and I'm really annoyed",
    "I'm so disappointed, the class was cancelled again",
    "This is ridiculous, I've asked three times already",
    "I'm really unhappy that nobody has called me back",
    "WHY HAS MY BOOKING DISAPPEARED AGAIN",
]
CALM = [
    "how do I book a spin class?",
    "what time does the pool open on sunday",
    "thanks, that's great",
    "can I freeze my membership",
    "where can I park my car",
    "I'd like to upgrade to the premium plan",
    "the instructor was amazing today",
]


def test_frustrated_customer_messages_score_above_the_threshold(scorer, config) -> None:
    scores = {text: scorer.score(text) for text in FRUSTRATED}
    assert all(s.score >= config.frustrated for s in scores.values()), {t: round(s.score, 2) for t, s in scores.items()}
    assert all(s.reasons for s in scores.values())


def test_calm_customer_messages_score_below_it_with_no_reasons(scorer, config) -> None:
    scores = {text: scorer.score(text) for text in CALM}
    assert all(s.score < config.frustrated and s.reasons == () for s in scores.values()), \
        {t: round(s.score, 2) for t, s in scores.items()}


def test_the_classifier_alone_separates_angry_from_calm_wording(scorer) -> None:
    angry = [scorer.score(t).classifier for t in ("I am furious with you", "you charged me twice and I'm really annoyed")]
    calm = [scorer.score(t).classifier for t in CALM]
    assert min(angry) > 0.5 > 0.25 > max(calm)
    assert scorer.score("I am furious with you").reasons[0].startswith("frustrated wording (classifier")


def test_cues_raise_the_score_of_the_same_words(scorer) -> None:
    plain = scorer.score("where is my refund")
    loud = scorer.score("WHERE IS MY REFUND!!!")
    assert loud.score > plain.score + 0.3
    assert {c.kind for c in loud.cues} == {"caps", "exclaim"}


def test_score_many_matches_score_and_keeps_embeddings(scorer) -> None:
    many = scorer.score_many(["this is useless", "how do I book a class"])
    assert [round(m.score, 4) for m in many] == [round(scorer.score(t).score, 4) for t in ("this is useless", "how do I book a class")]
    assert many[0].vector is not None and many[0].vector.shape == (scorer.encoder.dimension,)
    assert scorer.score_many([]) == []


def test_request_wording_is_close_to_the_request_examples(scorer) -> None:
    assert scorer.score("could somebody from your staff phone me").request_similarity > 0.6
    assert scorer.score("is the sauna open late on fridays").request_similarity < 0.4


def test_combine_is_a_noisy_or() -> None:
    assert combine(0.0, []) == 0.0
    assert combine(0.5, [Cue("caps", "", 0.5)]) == pytest.approx(0.75)
    assert combine(0.2, [Cue("caps", "", 0.3), Cue("phrase", "", 0.5)]) == pytest.approx(1 - 0.8 * 0.7 * 0.5)


def test_a_head_saves_and_loads_to_the_same_probabilities(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    head = FrustrationHead([(rng.normal(size=(4, 3)), rng.normal(size=3)), (rng.normal(size=(3, 2)), rng.normal(size=2))],
                           np.array([1]), "some-model")
    head.save(tmp_path / "h.npz")
    loaded = FrustrationHead.load(tmp_path / "h.npz")
    x = rng.normal(size=(5, 4)).astype(np.float32)
    assert np.allclose(loaded.probability(x), head.probability(x), atol=1e-5)
    hidden = np.maximum(x @ head.layers[0][0] + head.layers[0][1], 0)
    expected = 1 / (1 + np.exp(-(hidden @ head.layers[1][0] + head.layers[1][1])[:, 1]))
    assert np.allclose(loaded.probability(x), expected, atol=1e-5)


def test_a_head_remembers_the_layers_it_reads(tmp_path: Path) -> None:
    FrustrationHead([(np.zeros((3 * 384, 1)), np.zeros(1))], np.array([0]), "m", (0, 3, 6)).save(tmp_path / "h.npz")
    assert FrustrationHead.load(tmp_path / "h.npz").feature_layers == (0, 3, 6)
    FrustrationHead([(np.zeros((384, 1)), np.zeros(1))], np.array([0]), "m").save(tmp_path / "s.npz")
    assert FrustrationHead.load(tmp_path / "s.npz").feature_layers == ()


def test_the_shipped_head_reads_the_pooled_layers_and_scores_from_them(scorer) -> None:
    layers = scorer.head.feature_layers
    assert layers and scorer.head.input_dimension == len(layers) * scorer.encoder.dimension
    text = "you charged me twice and I'm really annoyed"
    pooled = scorer.encoder.encode_layers([text])[1][:, list(layers)].reshape(1, -1)
    assert scorer.score(text).classifier == pytest.approx(float(scorer.head.probability(pooled)[0]), abs=1e-5)
    # The kept embedding is the knowledge base's sentence vector (repeats are found with it).
    assert np.allclose(scorer.score(text).vector, scorer.encoder.encode([text])[0], atol=1e-5)


def test_a_head_for_another_embedding_model_is_refused(tmp_path: Path) -> None:
    FrustrationHead([(np.zeros((384, 1)), np.zeros(1))], np.array([0]), "other/model").save(tmp_path / "h.npz")
    with pytest.raises(ConfigError, match="retrain it with bench/train_frustration.py"):
        FrustrationScorer.load(Encoder(), tmp_path / "h.npz")


def test_a_broken_head_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "h.npz").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="cannot load the frustration head"):
        FrustrationHead.load(tmp_path / "h.npz")


def test_the_shipped_head_is_small() -> None:
    assert (PROJECT_DIR / "bot" / "detect" / "frustration_head.npz").stat().st_size < 300_000


def test_scoring_loads_neither_tensorflow_nor_rasa(tmp_path: Path) -> None:
    code = ("import sys; from bot.detect import FrustrationScorer, assess; from bot.kb.encoder import Encoder; "
            "FrustrationScorer.load(Encoder()).score('this is useless'); "
            "print(sorted(m for m in ('tensorflow', 'rasa', 'keras') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300,
                            env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "FRONTDESK_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


# Written for these tests, in S-Club's world (the problem head was trained on banking77, clinc150, Bitext and
# bench/data/sclub_dev.csv; none of these is in them).
PROBLEMS = [
    "the spin bikes in studio 1 keep losing resistance",
    "I paid for a guest pass and the barrier wouldn't let my friend in",
    "my refund from last month still hasn't shown up",
    "the app booked me into the wrong class",
]
NOT_PROBLEMS = ["how do I cancel my membership?", "can I pay for a guest pass at reception"] + CALM


def test_problem_reports_score_above_the_problem_threshold_with_reasons(scorer, config) -> None:
    scores = {text: scorer.score(text) for text in PROBLEMS}
    assert all(s.problem >= config.problem and s.problem_reasons for s in scores.values()), \
        {t: round(s.problem, 2) for t, s in scores.items()}


def test_questions_are_not_problems(scorer, config) -> None:
    scores = {text: scorer.score(text) for text in NOT_PROBLEMS}
    assert all(s.problem < config.problem and s.problem_reasons == () for s in scores.values()), \
        {t: round(s.problem, 2) for t, s in scores.items()}


def test_sarcasm_is_named_as_a_reason_and_raises_the_problem_score(scorer, config) -> None:
    plain = scorer.score("Five days and still no refund.")
    sarcastic = scorer.score("Five days and still no refund. Great.")
    assert sarcastic.problem >= config.problem and plain.problem >= config.problem
    assert any("sarcasm" in r for r in sarcastic.problem_reasons)
    # The head, fitted on praise told as statements, reads "Great." as calm and gives the sarcastic
    # message less than the plain one; the cue is what keeps a low head probability a problem.
    assert problem_from("Five days and still no refund. Great.", 0.2)[0] >= config.problem
    assert problem_from("Five days and still no refund.", 0.2)[0] < config.problem


def test_one_encoder_pass_gives_both_signals(scorer, monkeypatch) -> None:
    calls = []
    real = scorer.encoder.encode_layers
    monkeypatch.setattr(scorer.encoder, "encode_layers", lambda texts, *a, **k: calls.append(len(texts)) or real(texts, *a, **k))
    monkeypatch.setattr(scorer.encoder, "encode", lambda *a, **k: pytest.fail("a second pass"))
    results = scorer.score_many(PROBLEMS[:2])
    assert calls == [2] and all(r.problem > 0 and r.vector is not None for r in results)


def test_a_problem_head_for_another_model_is_refused(scorer, tmp_path: Path) -> None:
    head = FrustrationHead.load(PROJECT_DIR / "bot" / "detect" / "problem_head.npz")
    other = FrustrationHead(head.layers, head.frustration_outputs, "some/other-model", head.feature_layers)
    with pytest.raises(ConfigError, match="problem head .* bench/train_problem.py"):
        FrustrationScorer(scorer.encoder, scorer.head, None, other)
