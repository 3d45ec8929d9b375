from dataclasses import fields, replace

import pytest

from bot.config import AssistantConfig, section
from bot.errors import ConfigError
from bot.kb.decide import DecisionConfig, decide, effective_thresholds, explain, few_questions_weight
from bot.kb.entries import Entry
from bot.kb.index import Scored
from tests.conftest import PROJECT_DIR

CONFIG = DecisionConfig(answer_confidence=0.5, answer_margin=0.2, answer_similarity=0.5,
                        clarify_similarity=0.4, clarify_confidence=0.05, max_choices=3)


def scored(*pairs: tuple[float, float], questions: int = 10) -> list[Scored]:
    """Ranked entries with these (probability, similarity) pairs; the top entry has `questions` questions."""
    return [Scored(Entry(f"e{i}", f"E{i}", tuple(f"q{j}" for j in range(questions if i == 0 else 10)), "a", f"e{i}.md"), p, s)
            for i, (p, s) in enumerate(pairs)]


def test_confident_in_scope_top_entry_is_answered() -> None:
    decision = decide(scored((0.9, 0.8), (0.05, 0.6)), CONFIG)
    assert decision.kind == "answer" and decision.top.entry.id == "e0" and len(decision.candidates) == 1


def test_close_runner_up_means_clarify_with_both() -> None:
    decision = decide(scored((0.55, 0.8), (0.4, 0.7), (0.01, 0.6)), CONFIG)
    assert decision.kind == "clarify"
    assert [c.entry.id for c in decision.candidates] == ["e0", "e1"]  # e2 is below clarify_confidence


def test_plausible_runner_up_means_clarify_even_with_a_wide_margin() -> None:
    # "I'd like to cancel": membership 0.67, booking 0.26 (margin 0.41); whether the margin clears
    # its threshold moves with every re-tuning, a runner-up with a real share does not
    ranked = scored((0.67, 0.75), (0.26, 0.62), (0.03, 0.61))
    capped = DecisionConfig(answer_confidence=0.3, answer_margin=0.3, answer_similarity=0.55,
                            answer_runner_up=0.2, clarify_similarity=0.4, clarify_confidence=0.1)
    decision = decide(ranked, capped)
    assert decision.kind == "clarify" and [c.entry.id for c in decision.candidates] == ["e0", "e1"]
    assert decide(ranked, replace(capped, answer_runner_up=1.0)).kind == "answer"
    assert decide(scored((0.8, 0.75), (0.15, 0.62)), capped).kind == "answer"  # a runner-up under the cap


def test_confident_but_dissimilar_is_not_answered() -> None:
    assert decide(scored((0.95, 0.45), (0.01, 0.3)), CONFIG).kind != "answer"


def test_one_plausible_entry_is_offered_for_confirmation() -> None:
    decision = decide(scored((0.45, 0.6), (0.01, 0.3)), CONFIG)
    assert decision.kind == "clarify" and [c.entry.id for c in decision.candidates] == ["e0"]


def test_one_probable_entry_that_is_not_close_enough_to_answer_is_confirmed() -> None:
    # a fine-tuned encoder's cosines run lower: probable (>= answer_confidence) and in range (>= clarify_similarity)
    decision = decide(scored((0.77, 0.45), (0.04, 0.34)), CONFIG)
    assert decision.kind == "clarify" and [c.entry.id for c in decision.candidates] == ["e0"]
    assert decide(scored((0.3, 0.45), (0.04, 0.34)), CONFIG).kind == "fallback"  # neither probable nor close


def test_nothing_close_falls_back() -> None:
    assert decide(scored((0.3, 0.3), (0.2, 0.25)), CONFIG).kind == "fallback"
    assert decide([], CONFIG).kind == "fallback"


def test_explanation_names_the_settings_that_stopped_an_answer() -> None:
    capped = DecisionConfig(answer_confidence=0.55, answer_margin=0.0, answer_similarity=0.55, answer_runner_up=0.2,
                            clarify_similarity=0.4, clarify_confidence=0.1)

    def why(*pairs: tuple[float, float]) -> str:
        ranked = scored(*pairs)
        return explain(decide(ranked, capped), ranked, capped)

    general = why((0.63, 0.82), (0.35, 0.75))
    assert general.startswith("not answered with e0 because the next entry has 0.35 (answer_runner_up 0.2);")
    assert "answer_similarity" not in general and "which of the choices they mean" in general
    reworded = why((0.93, 0.49), (0.03, 0.35))
    assert "closest question is 0.49 similar (answer_similarity 0.55)" in reworded and "asked to confirm it" in reworded
    unknown = why((0.32, 0.27), (0.12, 0.24))
    assert "its probability is 0.32 (answer_confidence 0.55)" in unknown and "no entry is plausible enough" in unknown
    assert why((0.99, 0.9), (0.0, 0.4)).startswith("answered with e0: ")
    assert why() == "the knowledge base is empty"


def test_the_defaults_are_the_calibrated_thresholds_in_assistant_yml() -> None:
    shipped = AssistantConfig.load(PROJECT_DIR / "assistant.yml").knowledge_base
    thresholds = [f.name for f in fields(DecisionConfig) if f.name.startswith(("answer_", "clarify_"))]
    assert {n: getattr(DecisionConfig(), n) for n in thresholds} == {n: getattr(shipped, n) for n in thresholds}


def test_config_is_read_from_the_knowledge_base_section() -> None:
    config = section("knowledge_base", {"answer_margin": 0.3, "max_choices": 2})
    assert config.answer_margin == 0.3 and config.max_choices == 2 and config.folder == "knowledge_base"


@pytest.mark.parametrize("body, message", [({"answer_marg": 0.3}, "unknown setting .did you mean answer_margin"),
                                           ({"answer_margin": "high"}, "must be a number between 0 and 1 .got 'high'.")])
def test_bad_config_is_one_clear_error(body: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        section("knowledge_base", body)


FEW = replace(CONFIG, answer_confidence_one=0.9, answer_similarity_one=0.8, questions_full=10)


def test_an_entry_with_few_questions_is_answered_only_on_stronger_evidence() -> None:
    pairs = ((0.8, 0.7), (0.05, 0.4))
    assert decide(scored(*pairs, questions=10), FEW).kind == "answer"
    assert decide(scored(*pairs, questions=1), FEW).kind == "clarify"  # the same scores: confirmed, not answered
    assert decide(scored((0.95, 0.85), (0.01, 0.4), questions=1), FEW).kind == "answer"
    assert decide(scored(*pairs, questions=1), replace(FEW, answer_confidence_one=0.5, answer_similarity_one=0.5)).kind == "answer"


def test_effective_thresholds_run_from_the_one_question_values_to_the_settings() -> None:
    one, three, full, more = (effective_thresholds(FEW, n) for n in (1, 3, 10, 30))
    assert (one.answer_confidence, one.answer_similarity) == (0.9, 0.8)
    assert full is FEW and more is FEW
    assert 0.5 < three.answer_confidence < 0.9 and 0.5 < three.answer_similarity < 0.8
    assert effective_thresholds(FEW, 2).answer_confidence > three.answer_confidence > effective_thresholds(FEW, 5).answer_confidence
    # one-question values below the settings never loosen them
    assert effective_thresholds(replace(FEW, answer_confidence_one=0.1), 1).answer_confidence == 0.5


def test_an_entry_with_few_questions_is_offered_on_a_weaker_closest_question() -> None:
    offered = replace(FEW, clarify_similarity_one=0.25)
    pairs = ((0.45, 0.32), (0.3, 0.3))  # in scope only for an entry whose one question is far from customers' words
    assert decide(scored(*pairs, questions=10), offered).kind == "fallback"
    unchanged = replace(FEW, clarify_similarity_one=FEW.clarify_similarity)
    assert decide(scored(*pairs, questions=1), unchanged).kind == "fallback"
    decision = decide(scored(*pairs, questions=1), offered)
    assert decision.kind == "clarify" and [c.entry.id for c in decision.candidates] == ["e0", "e1"]
    assert effective_thresholds(offered, 3).clarify_similarity == pytest.approx(0.4 - 0.15 * few_questions_weight(3, 10), abs=1e-4)
    # a one-question value above the setting never tightens the gate
    assert effective_thresholds(replace(FEW, clarify_similarity_one=0.6), 1).clarify_similarity == 0.4


def test_the_explanation_says_which_thresholds_an_entry_with_few_questions_gets() -> None:
    ranked = scored((0.8, 0.7), (0.05, 0.4), questions=1)
    why = explain(decide(ranked, FEW), ranked, FEW)
    assert "its probability is 0.80 (answer_confidence 0.9)" in why
    assert "thresholds for an entry with 1 question: answer_confidence 0.9, answer_similarity 0.8" in why
    assert "thresholds for" not in explain(decide(scored((0.8, 0.7), (0.05, 0.4)), FEW), scored((0.8, 0.7), (0.05, 0.4)), FEW)
