"""The index with the real MiniLM model and real FAISS."""

from pathlib import Path

import numpy as np

from bot.kb.entries import load_entries
from bot.kb.index import build_index
from tests.bot.kb.conftest import write_entry


def top_id(index, encoder, text: str) -> str:
    return index.rank(encoder.encode([text])[0])[0].entry.id


def test_paraphrased_questions_rank_the_right_entry_first(small_kb: Path, encoder, tmp_path: Path) -> None:
    index = build_index(load_entries(small_kb).entries, encoder, tmp_path / "state")
    assert top_id(index, encoder, "I've forgotten my login password") == "reset_password"
    assert top_id(index, encoder, "are you open early on weekdays?") == "opening_hours"
    assert top_id(index, encoder, "I no longer want to be a member") == "cancel_membership"


def test_scores_are_probabilities_and_cosines(small_kb: Path, encoder, tmp_path: Path) -> None:
    index = build_index(load_entries(small_kb).entries, encoder, tmp_path / "state")
    ranked = index.rank(encoder.encode(["I forgot my password"])[0], limit=4)
    assert abs(sum(s.probability for s in ranked) - 1.0) < 1e-3
    assert ranked[0].similarity > 0.99  # the exact question is in the entry
    assert all(-1.0 <= s.similarity <= 1.0001 for s in ranked)


def test_unchanged_content_loads_the_saved_snapshot_without_embedding(small_kb: Path, encoder, tmp_path: Path) -> None:
    first = build_index(load_entries(small_kb).entries, encoder, tmp_path / "state")
    assert first.embedded == 4
    second = build_index(load_entries(small_kb).entries, encoder, tmp_path / "state")
    assert second.fingerprint == first.fingerprint and second.embedded == 0
    query = encoder.encode(["when do you open"])[0]
    assert [s.entry.id for s in second.rank(query)] == [s.entry.id for s in first.rank(query)]
    assert np.allclose([s.probability for s in second.rank(query)], [s.probability for s in first.rank(query)], atol=1e-5)


def test_editing_one_file_re_embeds_only_that_file(small_kb: Path, encoder, tmp_path: Path) -> None:
    first = build_index(load_entries(small_kb).entries, encoder, tmp_path / "state")
    write_entry(small_kb, "hours/opening_hours.md", "Opening hours", ["what time do you open", "are you open on christmas day"])
    second = build_index(load_entries(small_kb).entries, encoder, tmp_path / "state")
    assert second.fingerprint != first.fingerprint and second.embedded == 1


def test_a_different_model_name_changes_the_fingerprint(small_kb: Path, encoder, tmp_path: Path) -> None:
    from bot.kb.index import fingerprint

    entries = load_entries(small_kb).entries
    assert fingerprint(entries, "model-a", 384) != fingerprint(entries, "model-b", 384)
    assert fingerprint(entries, "model-a", 384) != fingerprint(entries, "model-a", 768)


def test_empty_and_single_entry_knowledge_bases(tmp_path: Path, encoder) -> None:
    empty = build_index((), encoder, tmp_path / "s1")
    assert empty.rank(encoder.encode(["hello"])[0]) == []
    root = tmp_path / "one"
    write_entry(root, "only.md", "Parking", ["is there parking", "where can I park"])
    single = build_index(load_entries(root).entries, encoder, tmp_path / "s2")
    [best] = single.rank(encoder.encode(["can I park my car"])[0])
    assert best.entry.id == "only" and best.similarity > 0.5


def test_every_entrys_probability_is_the_one_rank_reports(small_kb: Path, encoder, tmp_path: Path) -> None:
    index = build_index(load_entries(small_kb).entries, encoder, tmp_path / "state")
    query = encoder.encode(["I can't remember my password"])[0]
    probabilities = index.probabilities(query)
    ranked = index.rank(query, limit=len(index))
    assert probabilities.shape == (len(index),) and abs(probabilities.sum() - 1.0) < 1e-5
    assert [s.entry.id for s in ranked] == [index.entries[i].id for i in np.argsort(-probabilities)]
    assert np.allclose([s.probability for s in ranked], np.sort(probabilities)[::-1], atol=1e-6)
