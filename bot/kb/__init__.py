"""The FAQ knowledge base: markdown entries, their embedding index, and the answer/clarify/fallback decision."""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "DecisionConfig": "bot.kb.decide",
    "Encoder": "bot.kb.encoder",
    "decide_ranked": "bot.kb.decide",
    "effective_thresholds": "bot.kb.decide",
    "Entry": "bot.kb.entries",
    "KBIndex": "bot.kb.index",
    "KnowledgeBase": "bot.kb.service",
    "TunedModels": "bot.kb.tune",
    "Problem": "bot.kb.entries",
    "evaluate": "bot.kb.evaluation",
    "explain": "bot.kb.decide",
    "load_entries": "bot.kb.entries",
    "normalise_question": "bot.kb.entries",
    "few_questions": "bot.kb.entries",
    "open_knowledge_base": "bot.kb.service",
}
# public modules: replies
_MODULES = ('replies',)

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
