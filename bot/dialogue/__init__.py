"""The conversation design: turn logic (turns), what was said (conversation), closing, boundaries, the feedback survey.
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "Context": "bot.dialogue.turns",
    "Turn": "bot.dialogue.turns",
    "abusive_message": "bot.dialogue.boundaries",
    "abusive_messages": "bot.dialogue.boundaries",
    "asked_anything_else": "bot.dialogue.closing",
    "boundary_message": "bot.dialogue.boundaries",
    "chosen_payload": "bot.dialogue.choices",
    "closing_message": "bot.dialogue.closing",
    "covered": "bot.dialogue.closing",
    "customer_name": "bot.dialogue.conversation",
    "knowledge_base_first": "bot.dialogue.boundaries",
    "option_lines": "bot.dialogue.choices",
    "out_of_scope_message": "bot.dialogue.boundaries",
    "transcript": "bot.dialogue.conversation",
}
# public modules: conversation, feedback, turns
_MODULES = ('conversation', 'feedback', 'turns')

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
