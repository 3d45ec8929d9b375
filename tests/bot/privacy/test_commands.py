"""`frontdesk privacy forget|export|purge` from a terminal: bad input is one line and changes nothing."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest

from bot.errors import PrivacyError
from bot.ops import main
from bot.privacy import subject_for, subject_of_conversation
from tests.bot.privacy.world import ANA, PHRASE, scan, write_world


@pytest.mark.parametrize("channel, contact, conversation_id", [
    ("sms", "+447700900123", "+447700900123"),
    ("whatsapp", "+447700900123", "whatsapp:+447700900123"),
    ("whatsapp", "whatsapp:+447700900123", "whatsapp:+447700900123"),
    ("telegram", "123456789", "123456789"),
    ("webchat", "3q2-7wAAAAB_aZcdefGhiA", "webchat:3q2-7wAAAAB_aZcdefGhiA"),
    ("webchat", "webchat:3q2-7wAAAAB_aZcdefGhiA", "webchat:3q2-7wAAAAB_aZcdefGhiA"),
    ("rest", "rest:Q2xhcmEgaXMgaGVyZQ", "rest:Q2xhcmEgaXMgaGVyZQ"),
])
def test_a_channel_and_contact_name_the_conversation(channel: str, contact: str, conversation_id: str) -> None:
    assert subject_for(channel, contact).conversation_id == conversation_id


@pytest.mark.parametrize("channel, contact, reason", [
    ("fax", "+447700900123", "unknown channel 'fax'"),
    ("sms", "07700900123", "E.164"),
    ("sms", "+44 7700 900123", "E.164"),
    ("whatsapp", "447700900123", "E.164"),
    ("telegram", "@ana", "chat id"),
    ("webchat", "web chat 1", "conversation id"),
    ("rest", "", "conversation id"),
])
def test_a_contact_in_the_wrong_format_is_refused(channel: str, contact: str, reason: str) -> None:
    with pytest.raises(PrivacyError, match=reason):
        subject_for(channel, contact)


def test_a_conversation_id_names_its_channel() -> None:
    assert subject_of_conversation("whatsapp:+447700900123").channel == "whatsapp"
    assert subject_of_conversation("+447700900123").channel == "sms"
    assert subject_of_conversation("123456789").channel == "telegram"
    assert subject_of_conversation("convtest-1").channel == "rest"
    with pytest.raises(PrivacyError):
        subject_of_conversation("two words")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "frontdesk.db"
    write_world(f"sqlite:///{path}").dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("FRONTDESK_STATE_DIR", str(tmp_path / "state"))
    return path


def run(capsys, *argv: str, answer: str = "") -> tuple[int, str, str]:
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(answer)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, reason", [
    (["--channel", "fax", "--contact", ANA], "unknown channel"),
    (["--channel", "sms", "--contact", "07700900123"], "E.164"),
    (["--contact", ANA], "--channel CHANNEL --contact CONTACT"),
    (["--conversation", ANA, "--contact", ANA], "not both"),
])
def test_bad_input_is_one_line_and_changes_nothing(database: Path, capsys, argv: list[str], reason: str) -> None:
    before = database.read_bytes()
    for command in ("forget", "export"):
        extra = ["--out", str(database.parent / "x.json")] if command == "export" else ["--yes"]
        code, out, err = run(capsys, "privacy", command, *argv, *extra)
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and reason in err
    assert database.read_bytes() == before and not (database.parent / "x.json").exists()


def test_a_database_it_cannot_open_is_one_line(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    missing, garbage = tmp_path / "missing.db", tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    for url, reason in ((f"sqlite:///{missing}", "does not exist"), (f"sqlite:///{garbage}", "not a database"),
                        ("nonsense://", "cannot open the database")):
        monkeypatch.setenv("DATABASE_URL", url)
        for argv in (["forget", "--channel", "sms", "--contact", ANA, "--yes"], ["purge"]):
            code, out, err = run(capsys, "privacy", *argv)
            assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and reason in err, err
    assert not missing.exists() and garbage.read_bytes() == b"this is not a database" * 100


def test_forget_asks_first_and_no_answer_changes_nothing(database: Path, capsys) -> None:
    before = database.read_bytes()
    code, out, err = run(capsys, "privacy", "forget", "--channel", "sms", "--contact", ANA, answer="no\n")
    assert code == 1 and "frontdesk_handoffs: 1 row(s)" in out and "Type yes" in out and "nothing was changed" in err
    assert database.read_bytes() == before


def test_forget_prints_a_json_receipt_last_and_a_second_run_finds_nothing(database: Path, capsys) -> None:
    code, out, _ = run(capsys, "privacy", "forget", "--channel", "sms", "--contact", ANA, answer="yes\n")
    receipt = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and receipt["found"] and receipt["rows_deleted"] > 10 and ANA not in out.splitlines()[-1]
    assert "Erased" in out
    from bot.messaging import open_database

    assert scan(open_database(f"sqlite:///{database}"), PHRASE) == []
    code, out, _ = run(capsys, "privacy", "forget", "--channel", "sms", "--contact", ANA, "--yes")
    again = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and not again["found"] and "Nothing held" in out and again["earlier_erasures"] == [receipt["at"]]


def test_export_writes_one_readable_file_for_its_owner_only(database: Path, capsys, tmp_path: Path) -> None:
    out_file = tmp_path / "sar" / "ana.json"
    code, out, _ = run(capsys, "privacy", "export", "--channel", "sms", "--contact", ANA, "--out", str(out_file))
    assert code == 0 and f"Wrote {out_file}" in out and "4 message(s)" in out
    document = json.loads(out_file.read_text())
    assert document["customer"] == {"channel": "sms", "conversation_id": ANA} and PHRASE in out_file.read_text()
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    assert out_file.read_text().startswith("{\n  \"about\"")  # indented, the explanation first


def test_purge_dry_run_prints_its_receipt_last(database: Path, capsys) -> None:
    code, out, _ = run(capsys, "privacy", "purge", "--dry-run")
    receipt = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and receipt["dry_run"] and out.startswith("Would delete")
