"""What is embedded for an entry: its questions, its title, and, when it has few questions, its answer's first passage."""

from __future__ import annotations

import re

from bot.kb.entries import Entry

# An entry with at most this many questions also embeds its answer's first passage (ANSWER_PASSAGE_CHARS at most):
# evidence where questions are few; with many questions the questions say it better (bench/README.md). 0: never.
ANSWER_EVIDENCE_UP_TO = 3
ANSWER_PASSAGE_CHARS = 300
_FOLLOW_UPS = re.compile(r"\[\[.*?\]\]")  # "[[Would you like to know more?]]" prompts in imported answers
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"^[#>*\-+\s]+|[*_`]+")


def answer_passage(answer: str, limit: int = ANSWER_PASSAGE_CHARS) -> str:
    """The answer's first paragraph as plain text, cut at a sentence end within `limit` characters."""
    for paragraph in re.split(r"\n\s*\n", answer):
        text = _FOLLOW_UPS.sub(" ", _LINK.sub(r"\1", paragraph))
        text = " ".join(_MARKUP.sub("", line).strip() for line in text.splitlines())
        text = " ".join(text.split())
        if len(text) < 20:  # a heading or a stray line: not a passage
            continue
        if len(text) <= limit:
            return text
        cut = max(text.rfind(". ", 0, limit), text.rfind("? ", 0, limit), text.rfind("! ", 0, limit))
        return text[: cut + 1] if cut >= limit // 3 else text[:limit].rsplit(" ", 1)[0]
    return ""


def entry_texts(entry: Entry) -> list[str]:
    """What is embedded for an entry: its questions, its title, and for few questions its answer's first passage.

    A title or passage that repeats a question (ignoring case and end punctuation) is not embedded twice.
    """
    def same(text: str) -> str:
        return text.strip().rstrip(".?!").casefold()

    texts = list(entry.questions)
    seen = {same(t) for t in texts}
    extra = [entry.title]
    if len(entry.questions) <= ANSWER_EVIDENCE_UP_TO:
        extra.append(answer_passage(entry.answer))
    for text in extra:
        if text and same(text) not in seen:
            texts.append(text)
            seen.add(same(text))
    return texts
