"""The action server process, assembled in one place: what the custom actions use, built once at start-up.

rasa_sdk imports the `actions` package and makes each Action with no arguments, so the actions cannot
be handed their services by a constructor call of ours. Instead `python -m bot.ops.action_server`
builds `ActionServices` from the Settings and assistant.yml before rasa_sdk's app exists and `serve()`s
it; an action asks `action_services()` when it runs (actions/runtime.py). Importing `actions` builds
and reads nothing. Tests build their own ActionServices (`ActionServices.build(settings, config)`, or
the fields directly) and give it to the action: `ActionAnswerFaq(services)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.config import AssistantConfig, Settings
from bot.detect import FrustrationScorer
from bot.errors import SetupError
from bot.handoff import HandoffDesk, NewAnswers, NewAnswersWatcher
from bot.kb import KnowledgeBase, open_knowledge_base
from bot.learn import Learning, Neighbours, Suggestions
from bot.messaging import open_database
from bot.responses import Responses, open_responses


@dataclass(frozen=True)
class ActionServices:
    """One database engine, the live knowledge base (watched, tuned in the background), the frustration
    scorer on the knowledge base's sentence model, the handoff desk, the responses catalogue (what the
    actions say), the suggestions confirmed wordings become (bot/learn), and the configuration they came from."""

    settings: Settings
    config: AssistantConfig
    engine: Engine
    knowledge_base: KnowledgeBase
    scorer: FrustrationScorer
    desk: HandoffDesk
    responses: Responses
    new_answers: NewAnswersWatcher | None = None  # follow_up.new_answers: answers that now exist (started here)
    learning: Learning | None = None  # confirmed wordings become suggested questions (knowledge_base.learn)

    @classmethod
    def build(cls, settings: Settings, config: AssistantConfig, watch: bool = True) -> ActionServices:
        """Open the database and the knowledge base (loading the sentence model: seconds) and the scorer."""
        settings.state_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite database lives there
        engine = open_database(settings.database_url)
        knowledge_base = open_knowledge_base(settings, config.knowledge_base, watch=watch)
        scorer = FrustrationScorer.load(knowledge_base.encoder)  # shares the knowledge base's sentence model
        responses = open_responses(settings, config.persona)  # what the assistant says, persona filled in
        desk = HandoffDesk.configured(engine, settings.handoff, config, responses)
        watcher = None
        if config.follow_up.new_answers:
            watcher = NewAnswersWatcher(NewAnswers(engine, config.follow_up, confident_answer(knowledge_base)),
                                        lambda: knowledge_base.snapshot.fingerprint, config.knowledge_base.reload_interval_s)
            if watch:
                watcher.start()
        learning = Learning(Suggestions(engine, settings.project_dir / config.knowledge_base.folder, config.knowledge_base,
                                        Neighbours(lambda: knowledge_base.snapshot.encoder)), knowledge_base)
        return cls(settings, config, engine, knowledge_base, scorer, desk, responses, watcher, learning)


def confident_answer(knowledge_base: KnowledgeBase):
    """For new answers: (entry id, its answer for the channel) when the knowledge base answers `text`, else None."""
    def ask(text: str, channel: str) -> tuple[str, str] | None:
        decision = knowledge_base.ask(text).decision
        if decision.kind != "answer" or decision.top is None:
            return None
        entry = decision.top.entry
        return entry.id, (entry.sms if channel == "sms" and entry.sms else entry.answer)
    return ask


_served: ActionServices | None = None


def serve(services: ActionServices) -> None:
    """Make `services` the ones this process's actions use (once, at start-up, before rasa_sdk's app)."""
    global _served
    if _served is not None and _served is not services:
        raise RuntimeError("the action server process is assembled already")
    _served = services


def action_services() -> ActionServices:
    """The services the action server built at start-up; SetupError when there are none (an action made
    outside the action server must be given its own: `ActionAnswerFaq(services)`)."""
    if _served is None:
        raise SetupError("the actions have no services: the action server builds them at start-up "
                         "(python -m bot.ops.action_server); a test passes its own to the action")
    return _served
