"""Content gaps: real phrasings clustered with the real MiniLM model against the real knowledge base."""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import AssistantConfig, ReportConfig
from bot.kb.service import KnowledgeBase, open_knowledge_base
from bot.report.config import resolve_period
from bot.report.gaps import find_gaps, write_csv
from bot.report.metrics import compute
from bot.report.records import GapMessage
from bot.report.render import render_html
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


def messages(pairs: list[tuple[str, str]], intent: str | None = "faq") -> list[GapMessage]:
    return [GapMessage(text, decision, "rest", f"c{i}", 1000.0 + i, intent) for i, (text, decision) in enumerate(pairs)]


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
    nothing = {"messages": 0, "distinct": 0, "clustered_distinct": 0, "left_out_messages": 0, "clusters": []}
    assert gaps == {**nothing, "not_questions": 0, "out_of_scope": nothing}


def test_a_general_question_is_left_to_the_clarification_not_added_to_one_entry(kb: KnowledgeBase) -> None:
    # the editors' guide: "I want to cancel" fits two entries and is asked about on purpose
    general = messages([("I want to cancel", "clarify"), ("can I cancel?", "clarify"), ("I'd like to cancel", "clarify")])
    [cluster] = find_gaps(general, kb.encoder, kb.snapshot, ReportConfig(), kb.config)["clusters"]
    assert cluster["fits"] == ["cancel_membership", "cancel_a_booking"]
    assert cluster["suggestion"] == (
        "customers ask this generally: it fits cancel_membership (Cancel your membership) and cancel_a_booking "
        "(Cancel a class or court booking); the assistant clarifies; no change needed, or write an overview entry")


def test_a_question_the_knowledge_base_is_merely_unsure_about_still_gets_its_entry(kb: KnowledgeBase) -> None:
    pool = messages(PHRASINGS[:3] + PHRASINGS[-1:])
    [cluster] = find_gaps(pool, kb.encoder, kb.snapshot, ReportConfig(), kb.config)["clusters"]
    assert cluster["fits"] == [] and cluster["suggestion"].startswith("add these as questions to swimming_lessons")


def test_replies_and_small_talk_are_not_content_gaps(kb: KnowledgeBase) -> None:
    said = (messages([("no", "clarify")], intent="deny")  # "no" to "did that help?": the next entry was offered
            + messages([("nope", "fallback"), ("ok thanks", "fallback"), ("how are you", "fallback"), ("👍", "fallback")],
                       intent="nlu_fallback")
            + messages([("hello there", "clarify")], intent="greet")
            + messages([("can I bring my dog", "fallback")]))
    gaps = find_gaps(said, kb.encoder, kb.snapshot, ReportConfig(), kb.config)
    assert (gaps["messages"], gaps["not_questions"]) == (1, 6)
    assert [c["samples"] for c in gaps["clusters"]] == [["can I bring my dog"]]


def test_out_of_scope_questions_are_listed_apart(kb: KnowledgeBase) -> None:
    outside = messages([("what's the weather like tomorrow", "fallback"), ("tell me a joke", "fallback")],
                       intent="out_of_scope")
    answered_first = messages([("do you have a swimming pool", "clarify")], intent="out_of_scope")  # the KB offered entries
    gaps = find_gaps(outside + answered_first, kb.encoder, kb.snapshot, ReportConfig(), kb.config)
    assert [c["samples"] for c in gaps["clusters"]] == [["do you have a swimming pool"]]
    assert gaps["out_of_scope"]["messages"] == 2
    assert sorted(c["samples"][0] for c in gaps["out_of_scope"]["clusters"]) == ["tell me a joke",
                                                                                  "what's the weather like tomorrow"]
    assert all(c["suggestion"].startswith("outside what the assistant covers") for c in gaps["out_of_scope"]["clusters"])


def test_the_csv_and_the_page_show_the_out_of_scope_questions_apart(kb: KnowledgeBase, tmp_path: Path) -> None:
    said = (messages([("can I bring my dog", "fallback")]) + messages([("no", "clarify")], intent="deny")
            + messages([("tell me a joke", "fallback")], intent="out_of_scope"))
    gaps = find_gaps(said, kb.encoder, kb.snapshot, ReportConfig(), kb.config)
    write_csv(tmp_path / "gaps.csv", gaps)
    with (tmp_path / "gaps.csv").open(encoding="utf-8") as f:
        assert [(r["samples"], r["scope"]) for r in csv.DictReader(f)] == [("can I bring my dog", "in scope"),
                                                                          ("tell me a joke", "out of scope")]
    period = resolve_period(ZoneInfo("UTC"), 2000.0, since="1h")
    metrics = compute([], [], period, 2000.0)
    metrics["empty"] = False  # a page with figures (none needed here) and the gaps
    html = render_html({**metrics, "agents": {}}, gaps, {}, period.describe(), "S-Club")
    content = html[html.index("<h2>Content gaps</h2>"):]
    assert 'Not counted as gaps: 1 replies to the assistant or small talk ("no", "thanks", "ok").' in content
    assert content.index("can I bring my dog") < content.index("<h3>Outside the assistant's scope</h3>") < content.index(
        "tell me a joke")
