"""The conversation tests' questions sit well inside the knowledge base's thresholds, so an edit to the content
(by hand, or a learned question) does not flip them: a step expecting a direct answer must be answered with a
clear margin on every threshold, a step expecting a clarification must be clarified with its runner-up or its
similarity clearly on the clarifying side. A content change that moves one of them to the edge fails here,
naming the step and the margin, instead of making a conversation test fragile."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import AssistantConfig, Settings
from bot.dialogue import conversation
from bot.kb import decide_ranked, effective_thresholds, open_knowledge_base
from bot.ops.testing.conversations import find_files, load_file
from tests.conftest import PROJECT_DIR

MARGIN = 0.05  # on every threshold: probability, similarity and runner-up (a share, or a cosine)
REPLIES = ("yes", "no", "nope", "the ", "none", "neither", "ok", "thanks")


def steps(key: str) -> list:
    found = []
    for path in find_files([PROJECT_DIR / "tests" / "conversations"]):
        for conversation in load_file(path):
            for step in conversation.steps:
                if step.expect.get(key) and not step.say.startswith("/") and not step.say.lower().startswith(REPLIES):
                    found.append(pytest.param(step, id=f"{Path(path).name}:{step.line}"))
    return found


@pytest.fixture(scope="module")
def knowledge_base():
    settings = Settings.from_env()
    config = AssistantConfig.load(PROJECT_DIR / "assistant.yml").knowledge_base
    kb = open_knowledge_base(settings, config, root=PROJECT_DIR / config.folder, tuning="wait")  # `make test` tuned it
    yield kb
    kb.stop()


@pytest.mark.parametrize("step", steps("kb_answered"))
def test_a_question_the_conversations_expect_answered_is_answered_with_a_margin(knowledge_base, step) -> None:
    ranked = knowledge_base.rank(step.say, 3)
    config = effective_thresholds(knowledge_base.config, len(ranked[0].entry.questions))
    assert decide_ranked(ranked, knowledge_base.config).kind == "answer"
    assert ranked[0].entry.id == step.expect["kb_answered"]
    assert ranked[0].probability >= config.answer_confidence + MARGIN, ranked[0]
    assert ranked[0].similarity >= config.answer_similarity + MARGIN, ranked[0]
    assert ranked[1].probability <= config.answer_runner_up - MARGIN, ranked[1]


@pytest.mark.parametrize("step", steps("kb_offered"))
def test_a_question_the_conversations_expect_clarified_is_clarified_with_a_margin(knowledge_base, step) -> None:
    if step.expect.get("kb_answered"):
        pytest.skip("answered: checked above")
    ranked = knowledge_base.rank(step.say, 3)
    config = effective_thresholds(knowledge_base.config, len(ranked[0].entry.questions))
    decision = decide_ranked(ranked, knowledge_base.config)
    if conversation.is_description(step.say):
        assert decision.kind in ("answer", "clarify")  # several sentences are said back whatever the decision
    else:
        assert decision.kind == "clarify"
        # asked about because a second entry is plausible, or because the closest question is not close enough
        runner_up_side = ranked[1].probability >= config.answer_runner_up + MARGIN
        similarity_side = ranked[0].similarity <= config.answer_similarity - MARGIN
        assert runner_up_side or similarity_side, ranked
    offered = {s.entry.id for s in ranked[: knowledge_base.config.max_choices]}
    assert set(step.expect["kb_offered"]) <= offered

