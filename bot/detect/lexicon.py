"""Frustration cues in the wording itself: capitals, "!!!", profanity, exasperated phrases.

`cues(text)` returns the cues a message shows, each with a weight in (0, 1):
how much it alone raises the message's frustration score (combined with the
classifier's probability as a noisy-OR in bot/detect/scorer.py). Weights are
deliberate product choices (the guidelines: a customer shouting or swearing
at the assistant is to be taken seriously), not fitted; bench/README.md
measures what they add on the development data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROFANITY = (
    "fuck", "fucking", "fucked", "fuckin", "fck", "fk", "shit", "shitty", "bullshit", "crap", "crappy",
    "damn", "dammit", "goddamn", "bloody", "bollocks", "wtf", "ffs", "piss", "pissed", "arse", "ass",
    "asshole", "bastard", "bastards", "bitch", "wanker", "sucks", "screw",
)
# Exasperation a customer directs at the service; matched on word boundaries, case-insensitive.
PHRASES = (
    "ridiculous", "useless", "pathetic", "hopeless", "pointless", "rubbish", "a joke", "joke of a",
    "waste of time", "wasting my time", "waste of money", "unacceptable", "not acceptable",
    "fed up", "sick of", "sick and tired", "had enough", "not good enough", "not helpful",
    "no help", "doesn't help", "does not help", "didn't help", "did not help", "still not working",
    "still doesn't work", "still waiting", "how many times", "again and again", "for the last time",
    "terrible", "awful", "horrible", "worst", "disgusting", "disgraceful", "appalling", "shocking service",
    "annoying", "annoyed", "frustrating", "frustrated", "angry", "furious", "livid", "outraged",
    "disappointed", "disappointing", "ugh", "are you kidding", "you're not listening", "you are not listening",
    "not listening", "you don't understand", "you do not understand", "stupid", "dumb", "idiot",
    "incompetent", "what the hell", "the hell", "seriously?", "give me a break", "i give up",
    "this is a scam", "scam", "rip off", "ripoff", "never again", "cancel everything",
    "not happy", "unhappy", "third time", "fourth time", "still no", "nobody has", "no one has", "never answer",
)
_WORD = re.compile(r"[A-Za-z']+")
_PROFANITY = re.compile(r"\b(" + "|".join(map(re.escape, PROFANITY)) + r")\b", re.IGNORECASE)
_PHRASES = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, PHRASES)) + r")(?![a-z])", re.IGNORECASE)
_EXCLAIM = re.compile(r"!{3,}|[!?]{4,}")
_DOUBLE_EXCLAIM = re.compile(r"!!|\?!|!\?")

WEIGHTS = {"caps": 0.4, "exclaim": 0.3, "double_exclaim": 0.15, "profanity": 0.45, "phrase": 0.45}


@dataclass(frozen=True)
class Cue:
    kind: str  # caps, exclaim, double_exclaim, profanity, phrase
    detail: str  # what matched, for the reasons shown to an agent
    weight: float


def shouting(text: str) -> bool:
    """Mostly capital letters: at least 2 words of 2+ capitals and 8 capitals, 70% of the letters."""
    words = [w for w in _WORD.findall(text) if len(w) >= 2]
    caps_words = [w for w in words if w.isupper()]
    letters = [c for c in text if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    return len(caps_words) >= 2 and upper >= 8 and upper >= 0.7 * len(letters)


def cues(text: str) -> list[Cue]:
    """The frustration cues in one message (each kind at most once), strongest first."""
    found: list[Cue] = []
    if shouting(text):
        found.append(Cue("caps", "written in capitals", WEIGHTS["caps"]))
    if _EXCLAIM.search(text):
        found.append(Cue("exclaim", "repeated '!!!'", WEIGHTS["exclaim"]))
    elif _DOUBLE_EXCLAIM.search(text):
        found.append(Cue("double_exclaim", "'!!'", WEIGHTS["double_exclaim"]))
    swear = _PROFANITY.search(text)
    if swear:
        found.append(Cue("profanity", "profanity", WEIGHTS["profanity"]))
    phrase = _PHRASES.search(text)
    if phrase:
        found.append(Cue("phrase", f"'{phrase.group(1).lower()}'", WEIGHTS["phrase"]))
    return sorted(found, key=lambda c: -c.weight)


# -- problem cues: a bad experience told without emotional words ---------------------------------
# Sarcasm: praise or thanks next to a fact that went wrong ("Five days and still no refund. Great.",
# "Thanks for cancelling my class with ten minutes' notice"). The praise alone is not a cue ("Great thanks").
_PRAISE = r"(great|brilliant|lovely|wonderful|fantastic|perfect|superb|nice|marvell?ous|amazing|awesome|excellent|cheers)"
_SARCASM = re.compile(
    rf"(^|[.!?]\s+)(oh |just |well |how |so )?{_PRAISE}\s*[.!]"  # "Great." as a sentence of its own
    rf"|(^|[.!?]\s+)(oh |just |well )?{_PRAISE}\s*,\s*(another|again|more|now|yet|so)\b"  # "Wonderful, another ..."
    rf"|[.!?]\s*(just |oh )?{_PRAISE}\s*[.!]*\s*$"  # "... Great."
    r"|\b(thanks|thank you|cheers) (a lot |so much )?for (nothing|cancell?ing|charging|overcharging|billing|ignoring|wasting"
    r"|losing|deleting|leaving|keeping me|the (surprise|extra|late|wait|delay|price))"  # "Thanks for cancelling my class ..."
    r"|\b(nice|great|lovely|good) to see .{0,40}\b(again|still|broken|closed|out of order)\b"
    r"|\b(love|loving) (paying|being|getting|how|it when)\b",
    re.IGNORECASE,
)
_LETDOWN = re.compile(
    r"\b(still|again|another|no|not|never|nobody|no one|without|broken|stuck|cancell?ed|closed|charged|late|missing|out of order"
    r"|(second|third|fourth|fifth) time"
    r"|doesn'?t|don'?t|didn'?t|won'?t|isn'?t|wasn'?t|hasn'?t|haven'?t|can'?t|cancell?ing|charging|ignoring|wasting|surprise|notice)\b",
    re.IGNORECASE,
)
PROBLEM_WEIGHTS = {"sarcasm": 0.6}


def problem_cues(text: str) -> list[Cue]:
    """Cues that a message reports something that went wrong, for the problem signal."""
    if _SARCASM.search(text) and _LETDOWN.search(text):
        return [Cue("sarcasm", "praise around something that went wrong (sarcasm)", PROBLEM_WEIGHTS["sarcasm"])]
    return []
