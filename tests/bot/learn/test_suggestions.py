"""Suggestions: recorded under the rules, grouped for review, applied to the markdown, rejected, undone; real SQLite."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.config import DecisionConfig
from bot.kb import load_entries
from bot.learn import LearnError, Neighbours, Suggestions, asked, teaches
from bot.messaging import open_database
from tests.bot.kb.conftest import encoder, small_kb, write_entry  # noqa: F401 - fixtures

NOW = 1_800_000_000.0


@pytest.fixture
def suggestions(tmp_path: Path, small_kb: Path) -> Suggestions:  # noqa: F811
    return Suggestions(open_database(f"sqlite:///{tmp_path / 'fd.db'}"), small_kb, DecisionConfig())


def entry(suggestions: Suggestions, entry_id: str):
    return {e.id: e for e in load_entries(suggestions.root).entries}[entry_id]


def questions(suggestions: Suggestions, entry_id: str) -> tuple[str, ...]:
    return entry(suggestions, entry_id).questions


def test_confirmations_of_one_wording_are_one_group_most_confirmed_first(suggestions: Suggestions) -> None:
    cancel = entry(suggestions, "cancel_booking")
    for i, evidence in enumerate(["clarification", "clarification", "helpful"]):
        assert suggestions.record("Ditch my yoga slot?", cancel, evidence, f"rest:{i}", now=NOW) == "recorded"
    suggestions.record("pilates tomorrow cant come", cancel, "paraphrase", "rest:9", now=NOW)
    first, second = suggestions.groups()
    assert (first.wording, first.customers, first.evidence) == ("Ditch my yoga slot?", 3, {"clarification": 2, "helpful": 1})
    assert (second.wording, second.customers) == ("pilates tomorrow cant come", 1)


def test_approving_adds_the_wording_to_the_entry_and_the_group_is_applied(suggestions: Suggestions) -> None:
    suggestions.record("ditch my yoga slot", entry(suggestions, "cancel_booking"), "clarification", "rest:a", now=NOW)
    suggestions.record("Ditch my yoga slot!", entry(suggestions, "cancel_booking"), "helpful", "rest:b", now=NOW)
    suggestions.record("gym hours on bank holidays", entry(suggestions, "opening_hours"), "paraphrase", "rest:c", now=NOW)
    [group] = suggestions.groups("cancel_booking")
    lines = suggestions.approve([group.id], "ana", now=NOW)
    assert lines == ["bookings/cancel_booking.md: added 'ditch my yoga slot' (suggestion 1, 2 customer(s))"]
    assert questions(suggestions, "cancel_booking")[-1] == "ditch my yoga slot"
    assert suggestions.groups("cancel_booking") == []
    assert [g.customers for g in suggestions.groups("cancel_booking", ("applied",))] == [2]
    # the other entry's suggestion is still pending and still approvable
    [other] = suggestions.groups("opening_hours")
    suggestions.approve([other.id], "ana", now=NOW)
    assert "gym hours on bank holidays" in questions(suggestions, "opening_hours")


def test_two_suggestions_for_one_entry_can_be_approved_together(suggestions: Suggestions) -> None:
    cancel = entry(suggestions, "cancel_booking")
    suggestions.record("ditch my yoga slot", cancel, "clarification", "rest:a", now=NOW)
    suggestions.record("pilates tomorrow cant come", cancel, "paraphrase", "rest:b", now=NOW)
    suggestions.approve([g.id for g in suggestions.groups("cancel_booking")], "cli", now=NOW)
    assert questions(suggestions, "cancel_booking")[-2:] == ("ditch my yoga slot", "pilates tomorrow cant come")


def test_an_unknown_id_changes_nothing(suggestions: Suggestions) -> None:
    suggestions.record("ditch my yoga slot", entry(suggestions, "cancel_booking"), "clarification", "rest:a", now=NOW)
    before = (suggestions.root / "bookings/cancel_booking.md").read_bytes()
    with pytest.raises(LearnError, match="^no suggestion 99: "):
        suggestions.approve([1, 99], "cli")
    assert (suggestions.root / "bookings/cancel_booking.md").read_bytes() == before
    assert [g.status for g in suggestions.groups()] == ["pending"]


def test_an_entry_changed_on_disk_since_the_suggestion_is_refused(suggestions: Suggestions) -> None:
    suggestions.record("ditch my yoga slot", entry(suggestions, "cancel_booking"), "clarification", "rest:a", now=NOW)
    path = suggestions.root / "bookings/cancel_booking.md"
    path.write_text(path.read_text().replace("tap Cancel", "tap Cancel booking"))
    edited = path.read_bytes()
    with pytest.raises(LearnError, match="changed on disk since it was suggested"):
        suggestions.approve([1], "cli")
    assert path.read_bytes() == edited


def test_a_deleted_entry_drops_its_suggestions_with_a_note(suggestions: Suggestions) -> None:
    suggestions.record("ditch my yoga slot", entry(suggestions, "cancel_booking"), "clarification", "rest:a", now=NOW)
    (suggestions.root / "bookings/cancel_booking.md").unlink()
    with pytest.raises(LearnError, match="entry cancel_booking no longer exists"):
        suggestions.approve([1], "cli")
    assert suggestions.groups() == []
    assert [g.rows[0]["note"] for g in suggestions.groups(statuses=("dropped",))] == ["entry cancel_booking no longer exists"]


def test_a_rejected_wording_is_not_suggested_again(suggestions: Suggestions) -> None:
    cancel = entry(suggestions, "cancel_booking")
    suggestions.record("I want to cancel", cancel, "clarification", "rest:a", now=NOW)
    suggestions.reject([1], "ana")
    assert suggestions.record("i want to cancel.", cancel, "clarification", "rest:b", now=NOW) == "rejected before"
    assert suggestions.groups() == []


def test_one_customer_makes_at_most_learn_per_day(suggestions: Suggestions) -> None:
    cancel = entry(suggestions, "cancel_booking")
    outcomes = [suggestions.record(f"cancel my class number {i}", cancel, "helpful", "rest:a", now=NOW) for i in range(5)]
    assert outcomes[:3] == ["recorded"] * 3
    assert outcomes[3].startswith("this customer made 3 suggestions today")
    assert suggestions.record("cancel my class number 9", cancel, "helpful", "rest:a", now=NOW + 25 * 3600) == "recorded"


def test_a_wording_close_to_an_existing_question_is_dropped(suggestions: Suggestions, encoder) -> None:  # noqa: F811
    def similarity(wording, entry) -> float:
        vectors = encoder.encode([wording, *entry.questions])
        return float(np.max(vectors[1:] @ vectors[0]))

    cancel = entry(suggestions, "cancel_booking")
    assert suggestions.record("how do I cancel my class?!", cancel, "helpful", "rest:a", similarity, NOW) \
        == "already a question of the entry"
    assert suggestions.record("how can I cancel my class", cancel, "helpful", "rest:a", similarity, NOW) \
        == "near-duplicate of one of the entry's questions"
    assert suggestions.record("pilates tomorrow, can't come any more", cancel, "helpful", "rest:a", similarity, NOW) == "recorded"


def test_masked_wordings_are_never_suggested(suggestions: Suggestions) -> None:
    cancel = entry(suggestions, "cancel_booking")
    assert suggestions.record("cancel, my card is [card number removed]", cancel, "helpful", "rest:a", now=NOW) != "recorded"
    assert suggestions.record("cancel, card 4111 1111 1111 1111", cancel, "helpful", "rest:a", now=NOW) != "recorded"


def test_auto_applies_a_wording_confirmed_by_enough_customers_but_not_an_ambiguous_one(suggestions: Suggestions) -> None:
    suggestions.config = replace(suggestions.config, learn="auto", learn_confirmations=2)
    cancel, quit_ = entry(suggestions, "cancel_booking"), entry(suggestions, "cancel_membership")
    suggestions.record("ditch my yoga slot", cancel, "clarification", "rest:a", now=NOW)
    assert "ditch my yoga slot" not in questions(suggestions, "cancel_booking")
    suggestions.record("ditch my yoga slot", cancel, "helpful", "rest:b", now=NOW)
    assert "ditch my yoga slot" in questions(suggestions, "cancel_booking")
    [applied] = suggestions.groups(statuses=("applied",))
    assert applied.rows[0]["decided_by"] == "auto"
    for conversation, chosen in (("rest:c", entry(suggestions, "cancel_booking")), ("rest:d", quit_), ("rest:e", quit_)):
        suggestions.record("I want to cancel", chosen, "clarification", conversation, now=NOW)
    assert {g.entry_id: g.ambiguous_with for g in suggestions.groups()} == {"cancel_membership": ("cancel_booking",),
                                                                          "cancel_booking": ("cancel_membership",)}
    assert "I want to cancel" not in questions(suggestions, "cancel_membership")
    # every automatic change is reversible with one command, and not suggested again
    suggestions.undo(applied.id, "ana")
    assert "ditch my yoga slot" not in questions(suggestions, "cancel_booking")
    assert suggestions.record("ditch my yoga slot", entry(suggestions, "cancel_booking"), "helpful", "rest:f", now=NOW) \
        == "rejected before"


def user(text: str, intent: str = "faq", confidence: float = 0.9, **metadata) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": confidence}},
            "metadata": metadata}


def test_the_wording_is_the_question_before_the_replies() -> None:
    events = [user("hi", "greet"), user("ditch my yoga slot"), user('/choose_entry{"kb_entry": "x"}', "choose_entry"),
              user("yes", "affirm")]
    assert asked(events) == "ditch my yoga slot"
    assert asked([user("what's the weather", "out_of_scope", 0.95), user("yes", "affirm")]) is None
    # the NLU unsure, the knowledge base clarified and the customer confirmed: in scope after all
    assert asked([user("I can't make it to spin tonight", "out_of_scope", 0.51), user("yes", "affirm")]) \
        == "I can't make it to spin tonight"
    assert teaches(events)
    assert not teaches(events + [user("cancel", test=True)])
    assert not teaches(events + [user("my password is [password removed]", masked=["password"])])
    assert not teaches(events + [user("you stupid useless bot", "insult")])


def test_auto_leaves_a_wording_nearer_to_another_entry_for_an_editor(suggestions: Suggestions, encoder) -> None:  # noqa: F811
    # two customers picked "Cancel a class booking" for an opening-hours question (a wrong pick nobody reported)
    suggestions.config = replace(suggestions.config, learn="auto", learn_confirmations=2)
    suggestions.neighbours = Neighbours(lambda: encoder)
    cancel = entry(suggestions, "cancel_booking")
    for conversation in ("rest:a", "rest:b"):
        suggestions.record("what time do you open on saturdays", cancel, "clarification", conversation, now=NOW)
        suggestions.record("please cancel my booking for tomorrow's class", cancel, "clarification", conversation, now=NOW)
    assert "please cancel my booking for tomorrow's class" in questions(suggestions, "cancel_booking")
    assert "what time do you open on saturdays" not in questions(suggestions, "cancel_booking")
    [held] = suggestions.groups()
    assert held.wording == "what time do you open on saturdays"
    assert held.held == "nearer to opening_hours's questions: left for an editor"
    # the editor decides: approving it anyway works, the note goes with the decision
    suggestions.approve([held.id], "ana")
    assert "what time do you open on saturdays" in questions(suggestions, "cancel_booking")
    assert suggestions.groups(statuses=("applied",))[0].held == ""


def test_neighbours_count_other_customers_wordings_and_never_the_wording_itself(suggestions: Suggestions, encoder) -> None:  # noqa: F811
    entries = load_entries(suggestions.root).entries
    hours = {e.id: e for e in entries}["opening_hours"]
    for number, text in enumerate(["is the gym open on bank holidays", "are you open on easter monday",
                                   "holiday opening times", "open on christmas day?"]):
        suggestions.record(text, hours, "clarification", f"rest:{number}", now=NOW)
    pool = suggestions.groups()
    [probe] = [g for g in pool if g.wording == "holiday opening times"]
    neighbours = Neighbours(lambda: encoder, k=3)
    assert neighbours.disagreeing([probe], entries, pool) == {}
    # the same wording for another entry: its own group is not its neighbour, the hours wordings outvote it
    suggestions.record("holiday opening times", entry(suggestions, "cancel_membership"), "clarification", "rest:x", now=NOW)
    [wrong] = [g for g in suggestions.groups() if g.entry_id == "cancel_membership"]
    assert neighbours.disagreeing([wrong], entries, suggestions.groups()) == {wrong.id: "opening_hours"}


def test_wordings_that_kb_check_takes_for_one_question_are_one_group(suggestions: Suggestions) -> None:
    cancel = entry(suggestions, "cancel_booking")
    suggestions.record("Can I cancel my spin-class booking?", cancel, "clarification", "rest:a", now=NOW)
    suggestions.record("can i cancel my spin class booking", cancel, "helpful", "rest:b", now=NOW)
    [group] = suggestions.groups()
    assert group.customers == 2
    assert suggestions.record("Remove my booking!", cancel, "helpful", "rest:c", now=NOW) == "already a question of the entry"
