"""Content gaps: real phrasings clustered with the real MiniLM model against the real knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import AssistantConfig, ReportConfig
from bot.kb.service import KnowledgeBase, open_knowledge_base
from bot.report.gaps import find_gaps
from bot.report.records import GapMessage
from tests.bot.report.conftest import report_settings

PHRASINGS = [
    ("do you have a swimming pool", "clarify"),
    ("Is there a swimming pool?", "clarify"),
    ("is there a pool at the club", "clarify"),
    ("can I bring my dog", "fallback"),
    ("can my dog come with me", "fallback"),
    ("are dogs allowed inside", "fallback"),
    ("do you sell protein shakes", "fallback"),
    ("do you have a swimming pool", "clarify"),  # asked again, by someone else
]


@pytest.fixture(scope="module")
def kb(kb_state_dir: Path) -> KnowledgeBase:
    settings = report_settings(kb_state_dir, "sqlite://")
    return open_knowledge_base(settings, AssistantConfig.load(settings.assistant_file).knowledge_base)


def messages(pairs: list[tuple[str, str]]) -> list[GapMessage]:
    return [GapMessage(text, decision, "rest", f"c{i}", 1000.0 + i) for i, (text, decision) in enumerate(pairs)]


def test_phrasings_of_one_question_form_one_cluster_with_the_entry_to_extend(kb: KnowledgeBase) -> None:
    gaps = find_gaps(messages(PHRASINGS), kb.encoder, kb.snapshot, ReportConfig())
    assert (gaps["messages"], gaps["distinct"], gaps["left_out_messages"]) == (8, 7, 0)
    clusters = gaps["clusters"]
    assert [(c["size"], c["fallback"], c["clarify"]) for c in clusters] == [(4, 0, 4), (3, 3, 0), (1, 1, 0)]
    pool, dogs, shakes = clusters
    assert pool["samples"][0] == "do you have a swimming pool"  # the most frequent phrasing first
    assert set(pool["samples"]) == {"do you have a swimming pool", "Is there a swimming pool?", "is there a pool at the club"}
    assert pool["nearest_entry"] == "swimming_lessons"
    assert pool["suggestion"] == "add these as questions to swimming_lessons (Swimming lessons for children)"
    assert set(dogs["samples"]) == {"can I bring my dog", "can my dog come with me", "are dogs allowed inside"}
    assert dogs["suggestion"] == "no entry covers this" and dogs["similarity"] < 0.6
    assert shakes["samples"] == ["do you sell protein shakes"] and shakes["suggestion"] == "no entry covers this"


def test_clustering_is_deterministic_whatever_the_order(kb: KnowledgeBase) -> None:
    first = find_gaps(messages(PHRASINGS), kb.encoder, kb.snapshot, ReportConfig())
    again = find_gaps(messages(list(reversed(PHRASINGS))), kb.encoder, kb.snapshot, ReportConfig())
    assert [sorted(c["samples"]) for c in first["clusters"]] == [sorted(c["samples"]) for c in again["clusters"]]


def test_only_the_most_frequent_messages_are_clustered_past_the_cap(kb: KnowledgeBase) -> None:
    gaps = find_gaps(messages(PHRASINGS), kb.encoder, kb.snapshot, ReportConfig(gap_max_messages=2))
    assert (gaps["clustered_distinct"], gaps["left_out_messages"]) == (2, 5)
    assert sum(c["size"] for c in gaps["clusters"]) == 3  # "do you have a swimming pool" twice, then one other


def test_no_gap_messages_need_no_model() -> None:
    gaps = find_gaps([], None, None, ReportConfig())
    assert gaps == {"messages": 0, "distinct": 0, "clustered_distinct": 0, "left_out_messages": 0, "clusters": []}
