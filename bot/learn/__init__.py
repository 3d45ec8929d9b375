"""The knowledge base learning from its conversations: customer wordings confirmed for an entry become suggested
questions (confirmations), editors review them (suggestions, commands) and approving adds one line to the entry's
markdown (markdown); `frontdesk kb simulate` measures the loop on labelled traffic (simulate)."""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "EditError": "bot.learn.markdown",
    "Group": "bot.learn.suggestions",
    "LearnError": "bot.learn.suggestions",
    "Neighbours": "bot.learn.neighbours",
    "Learning": "bot.learn.confirmations",
    "Suggestions": "bot.learn.suggestions",
    "add_question": "bot.learn.markdown",
    "asked": "bot.learn.confirmations",
    "remove_question": "bot.learn.markdown",
    "teaches": "bot.learn.confirmations",
    "wording_key": "bot.learn.suggestions",
}
# public modules: commands (`frontdesk kb suggestions`, `frontdesk kb simulate`)
_MODULES = ('commands',)

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
