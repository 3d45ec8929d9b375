"""Rasa custom actions: thin wrappers that read slots, call `bot`, and return events.

One module per feature; the action server (`python -m rasa_sdk --actions
actions`) imports every module named here.
"""

from actions.boundaries import ActionOutOfScope, ActionSetBoundary
from actions.closing import ActionCloseConversation
from actions.faq import ActionAnswerFaq
from actions.feedback import (
    ActionAskFeedbackComment,
    ActionAskFeedbackCsat,
    ActionAskFeedbackNps,
    ActionFeedbackDone,
    ValidateFeedbackForm,
)
from actions.follow_up import ActionFollowUp
from actions.greet import ActionGreet

__all__ = [
    "ActionAnswerFaq",
    "ActionAskFeedbackComment",
    "ActionAskFeedbackCsat",
    "ActionAskFeedbackNps",
    "ActionCloseConversation",
    "ActionFeedbackDone",
    "ActionFollowUp",
    "ActionGreet",
    "ActionOutOfScope",
    "ActionSetBoundary",
    "ValidateFeedbackForm",
]
