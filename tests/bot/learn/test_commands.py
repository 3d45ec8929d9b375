"""`frontdesk kb suggestions ...` on a temporary database and knowledge base, as an editor types it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import DecisionConfig
from bot.kb import load_entries
from bot.learn import Neighbours, Suggestions
from bot.messaging import open_database
from bot.ops.cli import main
from tests.bot.kb.conftest import encoder, small_kb  # noqa: F401 - fixtures


@pytest.fixture
def suggestions(tmp_path: Path, small_kb: Path, monkeypatch) -> Suggestions:  # noqa: F811
    monkeypatch.setenv("FRONTDESK_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "state").mkdir()
    found = Suggestions(open_database(f"sqlite:///{tmp_path / 'state' / 'frontdesk.db'}"), small_kb, DecisionConfig())
    entries = {e.id: e for e in load_entries(small_kb).entries}
    found.record("ditch my yoga slot", entries["cancel_booking"], "clarification", "rest:a")
    found.record("Ditch my yoga slot", entries["cancel_booking"], "helpful", "rest:b")
    found.record("pilates tomorrow, can't come", entries["cancel_booking"], "paraphrase", "rest:c")
    found.record("gym hours on bank holidays", entries["opening_hours"], "paraphrase", "rest:c")
    return found


def frontdesk(capsys, suggestions: Suggestions, *argv: str) -> tuple[int, list[str], list[str]]:
    code = main(["kb", "suggestions", *argv, "--kb", str(suggestions.root)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_the_list_is_grouped_by_entry_most_confirmed_first(suggestions, capsys) -> None:
    code, lines, _ = frontdesk(capsys, suggestions)
    assert code == 0
    assert lines[0].startswith("cancel_booking (Cancel a class booking) ")
    assert lines[1].startswith('  #1     "ditch my yoga slot"  2 customer(s): clarification 1, helpful 1; last ')
    assert lines[2].startswith('  #3     "pilates tomorrow, can\'t come"  1 customer(s): paraphrase 1')
    assert lines[3].startswith("opening_hours (Opening hours) ")
    assert lines[-1].startswith("4 suggestion(s) in 3 wording(s)")


def test_a_wording_auto_mode_held_says_which_entry_it_is_nearer_to(suggestions, capsys, encoder) -> None:  # noqa: F811
    suggestions.config = replace(suggestions.config, learn="auto", learn_confirmations=2)
    suggestions.neighbours = Neighbours(lambda: encoder)
    cancel = {e.id: e for e in load_entries(suggestions.root).entries}["cancel_booking"]
    for conversation in ("rest:x", "rest:y"):  # two customers picked the booking entry for an opening-hours question
        suggestions.record("what time do you open on saturdays", cancel, "clarification", conversation)
    assert [g.wording for g in suggestions.due()[1]] == ["what time do you open on saturdays"]
    code, lines, _ = frontdesk(capsys, suggestions, "--entry", "cancel_booking")
    [line] = [line for line in lines if "what time do you open on saturdays" in line]
    assert code == 0 and line.endswith("(nearer to opening_hours's questions: left for an editor)")
    assert not [line for line in lines if "ditch my yoga slot" in line and "nearer to" in line]


def test_approve_all_of_an_entry_then_undo_one(suggestions, capsys) -> None:
    path = suggestions.root / "bookings" / "cancel_booking.md"
    before = path.read_text()
    code, lines, _ = frontdesk(capsys, suggestions, "approve", "--entry", "cancel_booking", "--all", "--by", "ana")
    assert code == 0 and len(lines) == 2
    added = [line for line in path.read_text().splitlines() if line not in before.splitlines()]
    assert added == ["  - ditch my yoga slot", "  - pilates tomorrow, can't come"]
    code, lines, _ = frontdesk(capsys, suggestions, "--applied")
    assert any("applied by ana" in line for line in lines)
    assert frontdesk(capsys, suggestions, "undo", "1")[0] == 0
    assert [line for line in path.read_text().splitlines() if line not in before.splitlines()] == \
        ["  - pilates tomorrow, can't come"]


@pytest.mark.parametrize("argv, reason", [
    (("approve", "1", "77"), "frontdesk: no suggestion 77: `frontdesk kb suggestions` lists them"),
    (("approve", "--all"), "frontdesk: --all needs --entry ID"),
    (("reject", "99"), "frontdesk: no suggestion 99"),
    (("undo", "1"), "frontdesk: suggestion 1 is pending, not applied"),
])
def test_a_refusal_is_one_line_and_changes_nothing(suggestions, capsys, argv, reason) -> None:
    files = {p: p.read_bytes() for p in suggestions.root.rglob("*.md")}
    code, _, err = frontdesk(capsys, suggestions, *argv)
    assert code == 1 and len(err) == 1 and err[0].startswith(reason)
    assert {p: p.read_bytes() for p in suggestions.root.rglob("*.md")} == files
    assert [g.status for g in suggestions.groups()] == ["pending"] * 3
