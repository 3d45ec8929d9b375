"""`frontdesk kb suggestions [--entry ID] | approve | reject | undo` and `frontdesk kb simulate`.

The suggestions commands work on DATABASE_URL and the knowledge-base folder of assistant.yml (`--kb` for another);
the running assistant picks an approved wording up like any edit. Refusals are one line on stderr, exit code 1,
and change nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.learn.suggestions import Group, Suggestions


def _open(args: argparse.Namespace) -> Suggestions:
    from bot.config import AssistantConfig, Settings
    from bot.learn.suggestions import Suggestions
    from bot.messaging import open_database

    settings = Settings.from_env()
    config = AssistantConfig.load(settings.assistant_file).knowledge_base
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    root = Path(args.kb) if args.kb else settings.project_dir / config.folder
    return Suggestions(open_database(settings.database_url), root, config)


def _line(group: Group) -> str:
    how = ", ".join(f"{kind} {count}" for kind, count in sorted(group.evidence.items()))
    last = time.strftime("%Y-%m-%d", time.gmtime(max(r["created_at"] for r in group.rows)))
    by = f"  {group.status} by {group.rows[0]['decided_by']}" if group.status != "pending" else ""
    held = f"  ({group.held})" if group.held else ""
    return (f"  #{group.id:<5} {json.dumps(group.wording, ensure_ascii=False)}  {group.customers} customer(s): {how}; "
            f"last {last}{by}{held}")


def _cmd_list(args: argparse.Namespace) -> int:
    from bot.kb import load_entries

    suggestions = _open(args)
    entries = {e.id: e for e in load_entries(suggestions.root).entries}
    for note in suggestions.drop_deleted(entries):
        print(note)
    statuses = ("applied", "undone") if args.applied else ("pending",)
    groups = suggestions.groups(args.entry, statuses)
    clear = [g for g in groups if not g.ambiguous_with]
    by_entry: dict[str, list[Group]] = {}
    for group in clear:
        by_entry.setdefault(group.entry_id, []).append(group)
    for entry_id, found in by_entry.items():  # the entry with the most confirmed wording first
        entry = entries.get(entry_id)
        print(f"{entry_id} ({entry.title}) {suggestions.root / entry.path}" if entry else entry_id)
        for group in found:
            print(_line(group))
    ambiguous = [g for g in groups if g.ambiguous_with]
    if ambiguous:
        print("ambiguous: suggested for several entries (the assistant clarifies these; reject them, or write an "
              "overview entry: docs/editors-guide.md)")
        for group in ambiguous:
            print(f"{_line(group)}  for {group.entry_id}, also {', '.join(group.ambiguous_with)}")
    print(f"{sum(g.customers for g in groups)} suggestion(s) in {len(groups)} wording(s)"
          + ("" if args.applied else ": approve with `frontdesk kb suggestions approve ID`"))
    return 0


def _ids(args: argparse.Namespace, suggestions: Suggestions) -> list[int]:
    from bot.learn.suggestions import LearnError

    if args.all:
        if not args.entry:
            raise LearnError("--all needs --entry ID (approve one entry's suggestions at a time)")
        return [g.id for g in suggestions.groups(args.entry) if not g.ambiguous_with]
    if not args.ids:
        raise LearnError("name the suggestions (IDs from `frontdesk kb suggestions`), or --entry ID --all")
    return args.ids


def _cmd_approve(args: argparse.Namespace) -> int:
    suggestions = _open(args)
    for line in suggestions.approve(_ids(args, suggestions), args.by):
        print(line)
    return 0


def _cmd_reject(args: argparse.Namespace) -> int:
    for line in _open(args).reject(args.ids, args.by):
        print(line)
    return 0


def _cmd_undo(args: argparse.Namespace) -> int:
    print(_open(args).undo(args.id, args.by))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from bot.config import AssistantConfig, Settings
    from bot.learn.simulate import simulate
    from bot.messaging import open_database

    settings = Settings.from_env()
    config = AssistantConfig.load(settings.assistant_file).knowledge_base
    result = simulate(Path(args.kb), Path(args.traffic), Path(args.queries), settings, config, noise=args.noise,
                      details=Path(args.details) if args.details else None, seed=args.seed,
                      limit=args.limit, log=lambda text: print(text, file=sys.stderr),
                      state=Path(args.state) if args.state else None, open_db=open_database)
    print(json.dumps(result))
    return 0


def add_parser(kb: argparse._SubParsersAction) -> None:
    """`kb suggestions ...` and `kb simulate` under `frontdesk kb`."""
    suggest = kb.add_parser("suggestions", help="customer wordings confirmed in conversations, to review")
    suggest.add_argument("--entry", help="only this entry's suggestions")
    suggest.add_argument("--applied", action="store_true", help="list what was applied (by whom, `auto` included)")
    suggest.add_argument("--kb", help="knowledge-base folder (default: knowledge_base/)")
    suggest.set_defaults(func=_cmd_list)
    actions = suggest.add_subparsers(dest="suggestions_command")
    approve = actions.add_parser("approve", help="add the wordings to their entries' questions (one line each)")
    approve.add_argument("ids", nargs="*", type=int, metavar="ID")
    approve.add_argument("--entry", help="with --all: every clear suggestion for this entry")
    approve.add_argument("--all", action="store_true")
    reject = actions.add_parser("reject", help="never suggest these wordings for their entries again")
    reject.add_argument("ids", nargs="+", type=int, metavar="ID")
    undo = actions.add_parser("undo", help="take an applied wording out of its entry again (auto ones included)")
    undo.add_argument("id", type=int, metavar="ID")
    for parser, func in ((approve, _cmd_approve), (reject, _cmd_reject), (undo, _cmd_undo)):
        parser.add_argument("--kb", help="knowledge-base folder (default: knowledge_base/)")
        parser.add_argument("--by", default="cli", help="who decided, for the record (default: cli)")
        parser.set_defaults(func=func)

    simulate = kb.add_parser("simulate", help="play labelled traffic through the learning loop; before/after metrics JSON")
    simulate.add_argument("--kb", required=True, help="knowledge-base folder (copied; the original is not changed)")
    simulate.add_argument("--traffic", required=True, help="CSV text,expected: the customers' questions")
    simulate.add_argument("--queries", required=True, help="CSV text,expected: evaluated before and after (kb eval)")
    simulate.add_argument("--noise", type=float, default=0.0, help="share of clarifications where the customer picks a wrong entry")
    simulate.add_argument("--details", help="write one CSV row per traffic row here")
    simulate.add_argument("--limit", type=int, help="only the first N traffic rows (the curve against traffic size)")
    simulate.add_argument("--seed", type=int, default=0)
    simulate.add_argument("--state", help="keep the knowledge base's index and fine-tuned model as it is before "
                          "learning in this folder (as kb eval --state), so several runs tune it once")
    simulate.set_defaults(func=_cmd_simulate)
