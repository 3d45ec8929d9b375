from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.kb.encoder import Encoder


def write_entry(root: Path, rel: str, title: str, questions: list[str], answer: str = "The answer.", **extra) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"title: {title}", "questions:"] + [f"  - {q}" for q in questions]
    for key, value in extra.items():
        lines.append(f"{key}: {value}")
    lines += ["---", "", textwrap.dedent(answer).strip(), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder()


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write_entry(root, "account/reset_password.md", "Reset your password",
                ["I forgot my password", "how do I reset my password", "send me a password reset link", "can't remember my password"],
                "Tap **Forgot password** on the login screen.", paraphrase="you'd like to reset your password",
                sms="Tap Forgot password on the login screen.")
    write_entry(root, "hours/opening_hours.md", "Opening hours",
                ["what time do you open", "when are you open", "opening hours on sunday", "what time do you close tonight"],
                "We open 06:00-22:00 on weekdays.")
    write_entry(root, "bookings/cancel_booking.md", "Cancel a class booking",
                ["how do I cancel my class", "cancel my booking", "I can't make my spin class, can I cancel", "remove my booking"],
                "Open **My bookings** and tap Cancel.")
    write_entry(root, "membership/cancel_membership.md", "Cancel your membership",
                ["how do I cancel my membership", "I want to quit the gym", "end my membership", "stop my monthly membership"],
                "Give 30 days' notice in the app.")
    return root
