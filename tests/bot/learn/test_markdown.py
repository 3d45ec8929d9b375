"""Approving a suggestion adds exactly one line to the entry's markdown, whatever the file's layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb import load_entries
from bot.learn import EditError, add_question, remove_question

UNUSUAL = (
    "---\r\n"
    "# Owner: the membership team. Keep the questions in customers' words.\r\n"
    "title: 'Cancel: your membership'   # quoted because of the colon\r\n"
    "questions:    # most asked first\r\n"
    "    -   how do I cancel my membership\r\n"
    "    # seasonal:\r\n"
    "    -   \"I'm moving away: can I end my contract?\"\r\n"
    "    -   stop my monthly\r\n"
    "        membership please\r\n"
    "\r\n"
    "    # keep this comment after the list\r\n"
    "tags: [membership]\r\n"
    "---\r\n"
    "\r\n"
    "Give 30 days' notice in the app.\r\n"
)


def entry_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kb" / "membership" / "cancel_membership.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode())
    return path


def test_one_line_is_added_after_the_last_question_and_nothing_else_changes(tmp_path: Path) -> None:
    path = entry_file(tmp_path, UNUSUAL)
    add_question(path, "get me out of my gym contract")
    after = path.read_bytes().decode()
    before_lines, after_lines = UNUSUAL.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(after_lines) == len(before_lines) + 1
    assert after_lines[9] == "    -   get me out of my gym contract\r\n"
    assert after_lines[:9] + after_lines[10:] == before_lines
    entry = load_entries(tmp_path / "kb").entries[0]
    assert entry.questions[-1] == "get me out of my gym contract"
    assert entry.questions[:-1] == ("how do I cancel my membership", "I'm moving away: can I end my contract?",
                                    "stop my monthly membership please")


@pytest.mark.parametrize("question", ["cancel: membership", "#1 question", "'quoted' start", "yes", "[bracket] word"])
def test_a_question_yaml_would_misread_is_quoted(tmp_path: Path, question: str) -> None:
    path = entry_file(tmp_path, UNUSUAL)
    add_question(path, question)
    assert load_entries(tmp_path / "kb").entries[0].questions[-1] == question


def test_undo_takes_out_exactly_the_added_line(tmp_path: Path) -> None:
    path = entry_file(tmp_path, UNUSUAL)
    add_question(path, "cancel: membership")
    remove_question(path, "cancel: membership")
    assert path.read_bytes().decode() == UNUSUAL


def test_a_flow_list_is_refused_and_left_untouched(tmp_path: Path) -> None:
    text = "---\ntitle: Towels\nquestions: [do you have towels, towel hire]\n---\n\nYes.\n"
    path = entry_file(tmp_path, text)
    with pytest.raises(EditError, match="add the question by hand"):
        add_question(path, "can I borrow a towel")
    assert path.read_text() == text


def test_undo_of_a_line_edited_since_is_refused(tmp_path: Path) -> None:
    path = entry_file(tmp_path, UNUSUAL)
    add_question(path, "get me out of my contract")
    edited = path.read_text().replace("get me out of my contract", "get me out of my contract now")
    path.write_text(edited)
    with pytest.raises(EditError, match="by hand"):
        remove_question(path, "get me out of my contract")
