from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb.entries import SMS_MAX_CHARS, load_entries
from tests.bot.kb.conftest import write_entry
from tests.conftest import PROJECT_DIR


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in load_entries(root).problems]


def test_a_valid_entry_is_read_with_all_fields(small_kb: Path) -> None:
    content = load_entries(small_kb)
    assert content.problems == ()
    entry = {e.id: e for e in content.entries}["reset_password"]
    assert entry.title == "Reset your password"
    assert entry.questions[0] == "I forgot my password"
    assert entry.paraphrase == "you'd like to reset your password"
    assert entry.sms == "Tap Forgot password on the login screen."
    assert entry.answer == "Tap **Forgot password** on the login screen."
    assert entry.path == "account/reset_password.md"


def test_id_defaults_to_the_file_name_and_can_be_set(tmp_path: Path) -> None:
    write_entry(tmp_path, "a.md", "A", ["q a"])
    write_entry(tmp_path, "b.md", "B", ["q b"], id="custom_id")
    assert sorted(e.id for e in load_entries(tmp_path).entries) == ["a", "custom_id"]


def test_missing_front_matter_is_reported_at_line_1(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("Just an answer\n")
    assert problems_of(tmp_path) == ["x.md:1: no front matter: the file must start with a '---' line, the YAML fields, then '---'"]


def test_bad_yaml_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("---\ntitle: ok\nquestions:\n  - fine\n  - [broken\n---\nanswer\n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith("x.md:") and "not valid YAML" in problem
    assert int(problem.split(":")[1]) in (5, 6)


def test_required_fields_and_empty_answer(tmp_path: Path) -> None:
    (tmp_path / "no_title.md").write_text("---\nquestions:\n  - a question\n---\nanswer\n")
    (tmp_path / "no_questions.md").write_text("---\ntitle: T\n---\nanswer\n")
    (tmp_path / "empty_questions.md").write_text("---\ntitle: T\nquestions: []\n---\nanswer\n")
    (tmp_path / "no_answer.md").write_text("---\ntitle: T\nquestions:\n  - another question\n---\n\n")
    found = problems_of(tmp_path)
    assert "no_title.md:1: 'title' is required and must be text" in found
    assert "no_questions.md:1: 'questions' is required: list the ways customers ask this" in found
    assert "empty_questions.md:3: 'questions' must be a non-empty list of text" in found
    assert any(p.startswith("no_answer.md:") and "answer is empty" in p for p in found)
    assert load_entries(tmp_path).entries == ()


def test_sms_too_long(tmp_path: Path) -> None:
    write_entry(tmp_path, "x.md", "T", ["q"], sms="a" * (SMS_MAX_CHARS + 1))
    assert problems_of(tmp_path) == [f"x.md:5: 'sms' is {SMS_MAX_CHARS + 1} characters; keep it to {SMS_MAX_CHARS}"]


def test_duplicate_ids_and_shared_questions(tmp_path: Path) -> None:
    write_entry(tmp_path, "a/one.md", "One", ["How do I pay?"])
    write_entry(tmp_path, "b/one.md", "Other one", ["something else entirely"])
    write_entry(tmp_path, "c.md", "C", ["how do i pay"])
    found = problems_of(tmp_path)
    assert "b/one.md:1: duplicate id 'one' (also a/one.md)" in found
    assert "c.md:4: question 'how do i pay' is also in a/one.md: keep it in one entry" in found


def test_broken_relative_links_in_links_and_answer(tmp_path: Path) -> None:
    write_entry(tmp_path, "a/x.md", "X", ["qx"], answer="See [y](../b/y.md) and [gone](../b/gone.md) and [web](https://s-club.example).",
                links="[../b/y.md, ../b/missing.md]")
    write_entry(tmp_path, "b/y.md", "Y", ["qy"])
    found = problems_of(tmp_path)
    assert "a/x.md:5: broken link: ../b/missing.md (no such file)" in found
    assert "a/x.md:8: broken link: ../b/gone.md (no such file)" in found
    assert len(found) == 2


def test_unknown_fields_are_warnings_and_the_entry_is_kept(tmp_path: Path) -> None:
    write_entry(tmp_path, "x.md", "T", ["q"], colour="blue")
    content = load_entries(tmp_path)
    assert [str(p) for p in content.problems] == [
        "x.md:5: warning: unknown field 'colour' (known: id, links, paraphrase, questions, sms, tags, title)"
    ]
    assert content.errors == () and len(content.entries) == 1


def test_non_utf8_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    assert problems_of(tmp_path) == ["x.md:2: file is not valid UTF-8"]


def test_an_empty_or_missing_folder_is_a_valid_empty_knowledge_base(tmp_path: Path) -> None:
    assert load_entries(tmp_path).entries == () and load_entries(tmp_path).problems == ()
    assert load_entries(tmp_path / "missing").entries == ()


def test_the_starter_knowledge_base_is_clean_and_complete() -> None:
    content = load_entries(PROJECT_DIR / "knowledge_base")
    assert content.problems == ()
    assert len(content.entries) >= 40
    assert all(4 <= len(e.questions) <= 10 for e in content.entries)
    assert all(e.paraphrase and e.sms for e in content.entries)


def test_an_unquoted_colon_in_a_title_is_reported_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("---\ntitle: Cancel: your membership\nquestions:\n  - how do I cancel\n---\nanswer\n")
    assert problems_of(tmp_path) == [
        "x.md:2: front matter is not valid YAML: the title contains ': ', which YAML reads as a new field: "
        'put the title in quotes, e.g. "Cancel: your membership"']


def test_an_unquoted_colon_in_a_question_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("---\ntitle: T\nquestions:\n  - how do I cancel\n  - Note: can I pause instead\n---\nanswer\n")
    assert problems_of(tmp_path) == [
        "x.md:5: the question contains ': ', which YAML reads as a new field: "
        'put the question in quotes, e.g. "Note: can I pause instead"']


UNCLOSED = ("---\ntitle: Reset your password\nquestions:\n  - I forgot my password\n"
            "  - \"The reset email hasn't arrived\n  - how to change my password\n{rest}---\nanswer\n")


@pytest.mark.parametrize("rest", [
    "tags:\n  - account\n  - password\nlinks:\n  - ../a.md\n  - ../b.md\n",  # YAML gives up at the end (line 12)
    "paraphrase: \"you'd like a new password\"\nsms: \"Tap Forgot password\"\n",  # ... or at the next quote
], ids=["at-the-end", "at-the-next-quote"])
def test_an_unterminated_quote_is_reported_at_the_line_it_opens(tmp_path: Path, rest: str) -> None:
    (tmp_path / "x.md").write_text(UNCLOSED.format(rest=rest))
    assert problems_of(tmp_path) == [
        'x.md:5: front matter is not valid YAML: the " that opens the question is not closed: '
        'end the question with " on the same line']


def test_a_quote_inside_quoted_text_is_reported_with_the_other_quotes(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("---\ntitle: T\nquestions:\n  - q\nparaphrase: 'you'd like to cancel'\n---\nanswer\n")
    assert problems_of(tmp_path) == [
        "x.md:5: front matter is not valid YAML: the paraphrase has a ' inside its quotes, which ends the text early: "
        "write it as \"you'd like to cancel\""]


def test_a_quoted_text_over_several_lines_is_still_valid(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text('---\ntitle: T\nquestions:\n  - "I forgot\n    my password"\n---\nanswer\n')
    assert [e.questions for e in load_entries(tmp_path).entries] == [("I forgot my password",)]


@pytest.mark.parametrize("written, read_as", [
    ("no", "the boolean false"), ("yes", "the boolean true"), ("1e3", "a number"), ("0123", "the number 83"),
    ("12", "the number 12"), ("2024-01-01", "a date"),
])
def test_an_id_yaml_reads_as_something_else_than_text_is_an_error_with_the_fix(tmp_path: Path, written: str,
                                                                                read_as: str) -> None:
    write_entry(tmp_path, "x.md", "T", ["q"], id=written)
    assert problems_of(tmp_path) == [
        f"x.md:5: 'id' must be text, but id: {written} is read as {read_as}: put it in quotes (id: \"{written}\")"]
    assert load_entries(tmp_path).entries == ()


def test_a_quoted_id_is_the_text_written(tmp_path: Path) -> None:
    write_entry(tmp_path, "x.md", "T", ["q"], id='"no"')
    write_entry(tmp_path, "y.md", "U", ["r"], id="'1e3'")
    assert sorted(e.id for e in load_entries(tmp_path).entries) == ["1e3", "no"]
