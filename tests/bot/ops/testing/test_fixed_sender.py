"""A conversation may fix its sender id (the survey's NPS draw depends on it); the runner restarts it first."""

from pathlib import Path

import pytest

from bot.ops.testing.conversations import ConversationFileError, load_file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "survey.yml"
    path.write_text(text)
    return path


def test_a_fixed_sender_is_read_and_defaults_to_none(tmp_path) -> None:
    path = write(tmp_path, """
conversations:
  - name: is asked the NPS question
    sender: survey-15
    steps:
      - say: bye
  - name: any sender will do
    steps:
      - say: bye
""")
    fixed, fresh = load_file(path)
    assert fixed.sender == "survey-15" and fresh.sender is None


@pytest.mark.parametrize("sender", ["", "has space", "slash/ed", "x" * 65, "42"])
def test_a_sender_that_is_not_a_plain_id_is_refused_with_its_place(tmp_path, sender) -> None:
    value = sender if sender != "42" else 42
    path = write(tmp_path, f"""
conversations:
  - name: odd sender
    sender: {value!r}
    steps:
      - say: bye
""")
    with pytest.raises(ConversationFileError, match="line 3.*'sender'"):
        load_file(path)
