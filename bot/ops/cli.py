"""The `frontdesk` command: run, train, chat, knowledge-base tools, the responses check, conversation tests, the
service report, database upgrades, agent accounts, customer data (privacy), Telegram set-up, the configuration check.

Each command is its own process: it reads the Settings once (`Settings.from_env()`) and assistant.yml
once (`_assistant`), and builds what it needs from them.

Errors Frontdesk raises on purpose are printed as one line, exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bot.agents import commands as agents_commands
from bot.responses import commands as responses_commands
from bot.errors import FrontdeskError
from bot.learn import commands as learn_commands
from bot.privacy import commands as privacy_commands


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.config import AssistantConfig, Settings
    from bot.ops import supervisor

    settings = Settings.from_env()
    AssistantConfig.load(settings.assistant_file)  # a problem in assistant.yml stops here, before anything starts
    return supervisor.run(settings)


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.config import Settings
    from bot.ops.training import ensure_trained

    echo = (lambda *a: print(*a, file=sys.stderr)) if args.path_only else print
    path = ensure_trained(Settings.from_env(), force=args.force, echo=echo)
    print(path if args.path_only else f"Model: {path}")
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    from bot.ops.chat import chat
    from bot.config import Settings

    return chat(args.url or Settings.from_env().rasa_url, name=args.name)


def _cmd_kb_check(args: argparse.Namespace) -> int:
    from bot.kb import few_questions, load_entries
    from bot.config import Settings

    settings = Settings.from_env()
    root = Path(args.dir) if args.dir else _default_kb(settings)
    if not root.is_dir():
        print(f"{root}: no such folder", file=sys.stderr)
        return 1
    content = load_entries(root)
    problems = sorted([*content.problems, *few_questions(root, content.entries, _assistant(settings).knowledge_base.questions_full)])
    for problem in problems:
        print(f"{root.as_posix().rstrip('/')}/{problem}")
    errors, warnings = len(content.errors), len(problems) - len(content.errors)
    print(f"{len(content.entries)} entries checked in {root}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def _default_kb(settings) -> Path:
    return settings.project_dir / _assistant(settings).knowledge_base.folder


def _assistant(settings):
    """assistant.yml, read and checked (the one reader: bot/config/assistant.py)."""
    from bot.config import AssistantConfig

    return AssistantConfig.load(settings.assistant_file)


def _cmd_kb_search(args: argparse.Namespace) -> int:
    from bot.kb import effective_thresholds, explain
    from bot.kb import open_knowledge_base
    from bot.config import Settings

    settings = Settings.from_env()
    kb = open_knowledge_base(settings, _assistant(settings).knowledge_base, root=Path(args.kb) if args.kb else None)
    answer = kb.ask(args.text, limit=args.top)
    print(f"decision: {answer.decision.kind}", end="")
    if answer.decision.kind != "fallback":
        print(f" -> {', '.join(c.entry.id for c in answer.decision.candidates)}", end="")
    print(f"   ({len(kb.snapshot)} entries, {answer.elapsed_ms:.1f} ms)")
    print(f"{'rank':>4}  {'probability':>11}  {'similarity':>10}  entry")
    for rank, scored in enumerate(answer.ranked[: args.top], start=1):
        print(f"{rank:>4}  {scored.probability:>11.3f}  {scored.similarity:>10.3f}  {scored.entry.id}  ({scored.entry.title})")
    print(f"why: {explain(answer.decision, list(answer.ranked), kb.config)}")
    if answer.ranked:
        top = answer.ranked[0].entry
        limits = effective_thresholds(kb.config, len(top.questions))
        print(f"thresholds for {top.id} ({len(top.questions)} question{'s' if len(top.questions) != 1 else ''}): "
              f"answer_confidence {limits.answer_confidence:g}, answer_similarity {limits.answer_similarity:g}, "
              f"answer_runner_up {limits.answer_runner_up:g}, clarify_confidence {limits.clarify_confidence:g}, "
              f"clarify_similarity {limits.clarify_similarity:g}")
    print(f"model: {kb.describe_model()}")
    return 0


def _cmd_kb_tune(args: argparse.Namespace) -> int:
    """Fine-tune the encoder for the knowledge base now (the assistant otherwise does it in the background)."""
    from bot.kb import open_knowledge_base
    from bot.config import Settings

    settings = Settings.from_env()
    config = _assistant(settings).knowledge_base
    if not config.fine_tune:
        print("fine_tune is off in assistant.yml: nothing to do")
        return 0
    started = time.perf_counter()
    kb = open_knowledge_base(settings, config, root=Path(args.kb) if args.kb else None, tuning="wait")
    if len(kb.snapshot) < 2:
        print(f"{len(kb.snapshot)} entries: nothing to fine-tune")
        return 0
    if not kb.settled:
        print(f"fine-tuning failed: {kb.last_tuning.get('error', 'unknown error')}", file=sys.stderr)
        return 1
    how = "saved already" if kb.last_tuning.get("cached", True) else "trained"
    print(f"{len(kb.snapshot)} entries: fine-tuned encoder {kb.last_tuning.get('key')} ({how}, "
          f"{time.perf_counter() - started:.1f} s) in {settings.models_dir / 'kb-tuned'}; serving: {kb.describe_model()}")
    return 0


def _cmd_kb_eval(args: argparse.Namespace) -> int:
    from bot.kb import Encoder
    from bot.kb import evaluate
    from bot.config import Settings

    settings = Settings.from_env()
    metrics = evaluate(
        Path(args.kb), Path(args.queries),
        Encoder(settings.embedding_model, threads=settings.torch_threads),
        _assistant(settings).knowledge_base,
        details=Path(args.details) if args.details else None,
        state=Path(args.state) if args.state else None,
    )
    print(json.dumps(metrics))
    return 0


def _cmd_test_conversations(args: argparse.Namespace) -> int:
    from bot.config import Settings
    from bot.ops.testing.runner import run_command

    settings = Settings.from_env()
    paths = [Path(p) for p in args.paths] or [settings.project_dir / "tests" / "conversations"]
    return run_command(paths, args.url, args.token, settings)


def _cmd_detect_eval(args: argparse.Namespace) -> int:
    from bot.detect import evaluate, read_messages
    from bot.detect import FrustrationScorer
    from bot.kb import Encoder
    from bot.config import Settings
    from bot.ops.training import ensure_trained

    settings = Settings.from_env()
    rows = read_messages(Path(args.messages))
    config = _assistant(settings).detection
    scorer = FrustrationScorer.load(Encoder(settings.embedding_model, threads=settings.torch_threads))
    model = ensure_trained(settings, echo=lambda *a: print(*a, file=sys.stderr))
    metrics = evaluate(
        rows, scorer, config, model,
        details=Path(args.details) if args.details else None,
    )
    print(json.dumps(metrics))
    return 0


def _cmd_telegram(args: argparse.Namespace) -> int:
    from bot.errors import ConfigError, VendorError
    from bot.config import Settings
    from bot.vendors import register_webhook

    telegram = Settings.from_env().telegram
    token, secret = telegram.bot_token, telegram.webhook_secret
    if not token or (args.telegram_command == "set-webhook" and not secret):
        raise ConfigError("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET (environment or .env) first")
    try:
        ok = register_webhook(token, telegram.api_base or None,
                              args.url if args.telegram_command == "set-webhook" else None, secret)
    except VendorError as error:
        print(f"frontdesk: Telegram refused: {error}", file=sys.stderr)
        return 1
    print(f"{args.telegram_command}: {'done' if ok else 'Telegram said no'}")
    return 0 if ok else 1


def _cmd_report(args: argparse.Namespace) -> int:
    import time

    from bot.report import build_report, resolve_period
    from bot.config import Settings

    settings = Settings.from_env()
    now = time.time()
    assistant = _assistant(settings)
    period = resolve_period(assistant.report.zone, now, since=args.since, from_date=args.from_date, to_date=args.to_date)
    report = build_report(settings, assistant, period, database_url=args.database_url,
                          out=Path(args.out) if args.out else None, now=now)
    print(report.summary)
    print(f"Written: {report.folder}/report.html, metrics.json, gaps.csv")
    return 0


def _cmd_crm_status(args: argparse.Namespace) -> int:
    from bot.ops.channels_config import crm_line
    from bot.crm import status
    from bot.config import Settings
    from bot.messaging import open_database

    settings = Settings.from_env()
    print(f"HubSpot CRM: {crm_line(settings)}")
    print(json.dumps(status(open_database(settings.database_url)), indent=2))
    return 0


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.config import Settings
    from bot.messaging.schema import shown, upgrade_database

    settings = Settings.from_env()
    before, after = upgrade_database(settings.database_url)
    change = "already there" if before == after else f"upgraded from {before or 'no revision'}"
    print(f"Database {shown(settings.database_url)}: schema revision {after} ({change})")
    return 0


def _cmd_db_revision(args: argparse.Namespace) -> int:
    from bot.messaging.schema import write_revision

    print(f"Written: {write_revision(args.message)} (read it; a new table or nullable column needs nothing more)")
    return 0


def _cmd_config_check(args: argparse.Namespace) -> int:
    """Print the effective configuration (secrets as ***); exit 1 with one line per problem."""
    from bot.config import PROJECT_DIR, AssistantConfig, AssistantConfigError, Settings, describe
    from bot.errors import ConfigError

    problems, settings, config = [], None, None
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        problems.append(f"environment: {error}")
    path = Path(args.file) if args.file else settings.assistant_file if settings else PROJECT_DIR / "assistant.yml"
    try:
        config = AssistantConfig.load(path)
    except AssistantConfigError as error:
        problems += error.problems
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    print(describe(settings, config, path), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description="Frontdesk, the customer-service assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="train if needed, then start the action server and the Rasa server")
    run.set_defaults(func=_cmd_run)

    train = sub.add_parser("train", help="train the Rasa model if config, domain or data changed")
    train.add_argument("--force", action="store_true", help="train even if a model for these inputs exists")
    train.add_argument("--path-only", action="store_true", help="print only the model's path (for scripts)")
    train.set_defaults(func=_cmd_train)

    chat = sub.add_parser("chat", help="chat with the running assistant in this terminal")
    chat.add_argument("--url", help="the Rasa server (default: http://127.0.0.1:$RASA_PORT)")
    chat.add_argument("--name", help="your first name, as a messaging channel would pass it")
    chat.set_defaults(func=_cmd_chat)

    kb = sub.add_parser("kb", help="knowledge-base tools for content editors").add_subparsers(dest="kb_command", required=True)
    check = kb.add_parser("check", help="validate every entry; prints path:line: message, exit 1 on errors")
    check.add_argument("dir", nargs="?", help="knowledge-base folder (default: knowledge_base/)")
    check.set_defaults(func=_cmd_kb_check)
    search = kb.add_parser("search", help="show the decision and top candidates for a question")
    search.add_argument("text")
    search.add_argument("--kb", help="knowledge-base folder (default: knowledge_base/)")
    search.add_argument("--top", type=int, default=5)
    search.set_defaults(func=_cmd_kb_search)
    tune = kb.add_parser("tune", help="fine-tune the sentence encoder for the knowledge base now and save it "
                         "(the running assistant does it in the background; tests run it first so answers are stable)")
    tune.add_argument("--kb", help="knowledge-base folder (default: knowledge_base/)")
    tune.set_defaults(func=_cmd_kb_tune)
    evaluate = kb.add_parser("eval", help="score the assistant's decisions on labelled questions (text,expected CSV)")
    evaluate.add_argument("--kb", required=True, help="knowledge-base folder")
    evaluate.add_argument("--queries", required=True, help="CSV with header text,expected")
    evaluate.add_argument("--details", help="write one CSV row per query here")
    evaluate.add_argument("--state", help="keep the index and the fine-tuned model in this folder "
                          "(default: a temporary one, so build_s and tune_s are from scratch)")
    evaluate.set_defaults(func=_cmd_kb_eval)
    learn_commands.add_parser(kb)

    report = sub.add_parser("report", help="write the service report (report.html, metrics.json, gaps.csv) for a period")
    report.add_argument("--since", help="a period ending now: 7d (the default), 24h, 2w")
    report.add_argument("--from", dest="from_date", metavar="DATE", help="first day, YYYY-MM-DD, in the report's time zone")
    report.add_argument("--to", dest="to_date", metavar="DATE", help="last day, included (default: today)")
    report.add_argument("--out", metavar="DIR", help="write here (default: .state/reports/<time>/ and .state/reports/latest)")
    report.add_argument("--database-url", help="the tracker store's database (default: DATABASE_URL, else .state/frontdesk.db)")
    report.set_defaults(func=_cmd_report)
    conversations = sub.add_parser("test-conversations",
                                   help="play conversation files (YAML) against the real assistant; exit 1 on a failure")
    conversations.add_argument("paths", nargs="*", metavar="PATH",
                               help="files or folders of *.yml (default: tests/conversations)")
    conversations.add_argument("--url", help="a running assistant (default: start one for the run and stop it after)")
    conversations.add_argument("--token", help="its Rasa API token, to play channels and read slots (default: $RASA_API_TOKEN)")
    conversations.set_defaults(func=_cmd_test_conversations)
    detect = sub.add_parser("detect", help="frustration and escalation detection tools").add_subparsers(
        dest="detect_command", required=True)
    detect_eval = detect.add_parser("eval", help="per-label precision/recall/F1 on labelled messages (text,label CSV)")
    detect_eval.add_argument("--messages", required=True, help="CSV with header text,label (escalate, anger, problem, calm; frustrated = anger)")
    detect_eval.add_argument("--details", help="write one CSV row per message here")
    detect_eval.set_defaults(func=_cmd_detect_eval)

    telegram = sub.add_parser("telegram", help="register the Telegram webhook (the server itself never does)")
    telegram_sub = telegram.add_subparsers(dest="telegram_command", required=True)
    set_hook = telegram_sub.add_parser("set-webhook", help="tell Telegram to POST updates to URL with our secret")
    set_hook.add_argument("--url", required=True, help="https://<public host>/webhooks/telegram/webhook")
    set_hook.set_defaults(func=_cmd_telegram)
    telegram_sub.add_parser("delete-webhook", help="stop Telegram posting updates").set_defaults(func=_cmd_telegram)
    config = sub.add_parser("config", help="the configuration").add_subparsers(dest="config_command", required=True)
    check_config = config.add_parser("check", help="check assistant.yml and the environment; print the effective "
                                     "configuration (secrets as ***), or one line per problem and exit 1")
    check_config.add_argument("--file", help="the assistant.yml to check (default: ASSISTANT_FILE, else assistant.yml)")
    check_config.set_defaults(func=_cmd_config_check)
    db = sub.add_parser("db", help="the database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="bring DATABASE_URL's tables to the newest schema revision (frontdesk run does it "
                  "first)").set_defaults(func=_cmd_db_upgrade)
    revision = db.add_parser("revision", help="for developers: write the next migration from bot/messaging/store.py")
    revision.add_argument("message", help="what changed, e.g. 'whatsapp scheduled messages'")
    revision.set_defaults(func=_cmd_db_revision)
    agents_commands.add_parser(sub)
    responses_commands.add_parser(sub)
    privacy_commands.add_parser(sub)
    crm = sub.add_parser("crm", help="the HubSpot CRM sync").add_subparsers(dest="crm_command", required=True)
    crm.add_parser("status", help="notes and tickets written, waiting, failed, and the latest errors").set_defaults(
        func=_cmd_crm_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except FrontdeskError as error:
        for line in str(error).splitlines() or [""]:  # assistant.yml's problems: one line each
            print(f"frontdesk: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
