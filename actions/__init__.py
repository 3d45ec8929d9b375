"""Rasa custom actions: thin wrappers that read slots, call `bot`, and return events.

One module per feature; the action server (`python -m rasa_sdk --actions
actions`) imports every module named here.
"""

from actions.faq import ActionAnswerFaq
from actions.follow_up import ActionFollowUp
from actions.greet import ActionGreet

__all__ = ["ActionAnswerFaq", "ActionFollowUp", "ActionGreet"]
