"""Conversation files: the format testers write, read strictly, and each check able to fail."""

from pathlib import Path

import pytest

from bot.ops.testing.conversations import ConversationFileError, Reply, check, find_files, load_file, needs_tracker


def write(tmp_path: Path, text: str, name: str = "topic.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


FULL = """
conversations:
  - name: greets a WhatsApp customer by profile name
    channel: whatsapp
    name: Ana
    steps:
      - say: hi
        expect:
          contains: ["Ana", "Sam"]
          not_contains: nlu_fallback
          matches: "virtual assistant"
          buttons: Yes
          kb_answered: reset-password
          kb_offered: [reset-password]
          slots: {kb_decision: answer, handoff_id: null}
          handed_over: false
          silent: false
      - say: yes
        channel: sms
        name: Bea
      - say: no
"""


def test_the_documented_example_is_read_with_conversation_defaults_and_step_overrides(tmp_path) -> None:
    [conversation] = load_file(write(tmp_path, FULL))
    assert conversation.name == "greets a WhatsApp customer by profile name"
    first, second, third = conversation.steps
    assert (first.say, first.channel, first.profile_name) == ("hi", "whatsapp", "Ana")
    assert first.expect["contains"] == ["Ana", "Sam"] and first.expect["not_contains"] == ["nlu_fallback"]
    assert first.expect["buttons"] == ["Yes"] and first.expect["slots"] == {"kb_decision": "answer", "handoff_id": None}
    assert first.expect["handed_over"] is False and first.line == 7
    assert (second.say, second.channel, second.profile_name, second.expect) == ("yes", "sms", "Bea", {})
    assert (third.say, third.channel, third.profile_name) == ("no", "whatsapp", "Ana")  # yes/no stay words


def test_profile_name_key_is_the_unambiguous_spelling(tmp_path) -> None:
    path = write(tmp_path, "conversations:\n  - name: goal\n    profile_name: Ana\n    steps: [{say: hi}]\n")
    assert load_file(path)[0].steps[0].profile_name == "Ana"


@pytest.mark.parametrize("text, reason", [
    ("just text", "must hold 'conversations:'"),
    ("conversations: []", "non-empty list"),
    ("conversations: [{steps: [{say: hi}]}]", "'name' (the customer's goal) is required"),
    ("conversations: [{name: g}]", "'steps' must be a non-empty list"),
    ("conversations: [{name: g, steps: [{say: 3}]}]", "'say' (what the customer sends) must be a string"),
    ("conversations: [{name: g, channel: fax, steps: [{say: hi}]}]", "channel 'fax' is not one of"),
    ("conversations: [{name: g, steps: [{say: hi, channel: pigeon}]}]", "channel 'pigeon' is not one of"),
    ("conversations: [{name: g, steps: [{say: hi, expect: {contain: x}}]}]", "unknown check(s) contain"),
    ("conversations: [{name: g, steps: [{say: hi, wait: 3}]}]", "unknown key(s) wait"),
    ("conversations: [{name: g, colour: red, steps: [{say: hi}]}]", "unknown key(s) colour"),
    ("conversations: [{name: g, steps: [{say: hi, expect: {matches: '('}}]}]", "not a valid regular expression"),
    ("conversations: [{name: g, steps: [{say: hi, expect: {contains: []}}]}]", "'contains' must be a string or a list"),
    ("conversations: [{name: g, steps: [{say: hi, expect: {slots: [a]}}]}]", "'slots' must be a mapping"),
    ("conversations: [{name: g, steps: [{say: hi, expect: {silent: maybe}}]}]", "'silent' must be true or false"),
    ("conversations: [{name: g, steps: [{say: hi, expect: {max_chars: 0}}]}]", "'max_chars' must be a positive"),
    ("conversations:\n  - name: g\n    steps: [{say: hi, say: ho}]\n", "key 'say' appears twice"),
    ("conversations: [{name: g, steps: [{say: hi}]\n", "not valid YAML"),
])
def test_a_malformed_file_is_refused_with_the_file_place_and_reason(tmp_path, text: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConversationFileError) as error:
        load_file(path)
    assert str(error.value).startswith(str(path)) and reason in str(error.value)


def test_folders_are_searched_for_yaml_files_in_order_and_missing_paths_refused(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.yml", "a.yaml", "sub/c.yml", "notes.txt"):
        (tmp_path / name).write_text("")
    assert [p.name for p in find_files([tmp_path])] == ["a.yaml", "b.yml", "c.yml"]
    with pytest.raises(ConversationFileError, match="no such file or folder"):
        find_files([tmp_path / "missing.yml"])


REPLY = Reply(
    messages=[{"text": "Hi Ana! I'm Sam, S-Club's virtual assistant."},
              {"text": "Did that answer your question?", "buttons": [{"title": "Yes", "payload": "/affirm"},
                                                                    {"title": "No", "payload": "/deny"}]}],
    slots={"kb_answered": "reset_password", "kb_offered": ["a", "b"], "kb_decision": "answer", "handoff_id": None},
    paused=False,
)

PASSING_AND_FAILING = [
    ("contains", ["ana", "SAM"], ["Bob"], "does not contain 'Bob'"),
    ("not_contains", ["nlu_fallback"], ["virtual"], "contains 'virtual'"),
    ("matches", r"Sam, S-Club's virtual\s+assistant", r"^Did", "does not match"),
    ("not_matches", r"intent_\w+", r"answer your", "matches /answer your/"),
    ("max_chars", 200, 20, "more than 20"),
    ("buttons", ["yes", "No"], ["Maybe"], "no button titled like 'Maybe' (offered: 'Yes', 'No')"),
    ("kb_answered", "reset_password", "parking", "expected 'parking', slot is 'reset_password'"),
    ("kb_offered", ["a", "b"], ["a", "c"], "'c' not offered"),
    ("slots", {"kb_decision": "answer", "handoff_id": None}, {"kb_decision": "clarify"}, "kb_decision expected 'clarify'"),
    ("handed_over", False, True, "expected true, but handoff_id=None, paused=False"),
    ("silent", False, True, "the assistant sent 2 message(s)"),
]


@pytest.mark.parametrize("key, holds, fails, reason", PASSING_AND_FAILING)
def test_each_check_passes_when_it_holds_and_fails_with_a_reason_when_not(key, holds, fails, reason) -> None:
    assert check({key: holds}, REPLY) == []
    [failure] = check({key: fails}, REPLY)
    assert failure.startswith(f"{key}:") and reason in failure


def test_handed_over_needs_both_a_handoff_id_and_a_paused_conversation() -> None:
    handed = Reply([], {"handoff_id": "h1"}, paused=True)
    assert check({"handed_over": True, "silent": True}, handed) == []
    assert check({"handed_over": True}, Reply([], {"handoff_id": "h1"}, paused=False)) != []
    assert check({"silent": False}, handed) == ["silent: expected a reply, the assistant sent nothing"]


def test_a_slot_the_assistant_does_not_have_is_reported() -> None:
    assert check({"slots": {"mood": None}}, REPLY) == ["slots: the assistant has no slot 'mood'"]


def test_all_failures_of_a_step_are_reported_together() -> None:
    assert len(check({"contains": ["qq", "zz"], "kb_answered": None}, REPLY)) == 3


def test_only_checks_on_slots_or_handoff_read_the_tracker() -> None:
    assert not needs_tracker({"contains": ["x"], "silent": True})
    assert all(needs_tracker({key: 1}) for key in ("kb_answered", "kb_offered", "slots", "handed_over"))


def test_picked_checks_the_position_among_the_previous_choices_not_the_entry() -> None:
    offered = ["cancel_membership", "cancel_a_booking"]
    assert check({"picked": 2}, Reply([], {"kb_answered": "cancel_a_booking"}, offered_before=offered)) == []
    assert check({"picked": -1}, Reply([], {"kb_answered": "cancel_a_booking"}, offered_before=offered)) == []
    # after an edit swapped the ranking, the same conversation still holds
    assert check({"picked": 2}, Reply([], {"kb_answered": "cancel_membership"}, offered_before=offered[::-1])) == []
    [wrong] = check({"picked": 1}, Reply([], {"kb_answered": "cancel_a_booking"}, offered_before=offered))
    assert wrong == "picked: expected choice 1 ('cancel_membership') answered, slot kb_answered is 'cancel_a_booking'"
    [none] = check({"picked": 3}, Reply([], {"kb_answered": "x"}, offered_before=offered))
    assert none.startswith("picked: the previous reply offered 2 choice(s)")
    [unread] = check({"picked": 1}, Reply([], {"kb_answered": "x"}))
    assert "give it a kb_offered check" in unread
    assert needs_tracker({"picked": 2})


def test_picked_must_be_a_position(tmp_path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("conversations:\n  - name: x\n    steps:\n      - say: the second one\n        expect: {picked: zero}\n")
    with pytest.raises(ConversationFileError, match="'picked' must be a position"):
        load_file(path)
