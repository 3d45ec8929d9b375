"""The `frontdesk` command: run, train and chat (later issues add more).

Errors Frontdesk raises on purpose are printed as one line, exit code 1.
"""

from __future__ import annotations

import argparse
import sys

from bot.errors import FrontdeskError


def _cmd_run(args: argparse.Namespace) -> int:
    from bot import supervisor
    from bot.settings import Settings

    return supervisor.run(Settings.from_env())


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.training import ensure_trained

    echo = (lambda *a: print(*a, file=sys.stderr)) if args.path_only else print
    path = ensure_trained(Settings.from_env(), force=args.force, echo=echo)
    print(path if args.path_only else f"Model: {path}")
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import chat
    from bot.settings import Settings

    return chat(args.url or Settings.from_env().rasa_url, sender=args.sender, name=args.name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description="S-Club's customer-service assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="train if needed, then start the action server and the Rasa server")
    run.set_defaults(func=_cmd_run)

    train = sub.add_parser("train", help="train the Rasa model if config, domain or data changed")
    train.add_argument("--force", action="store_true", help="train even if a model for these inputs exists")
    train.add_argument("--path-only", action="store_true", help="print only the model's path (for scripts)")
    train.set_defaults(func=_cmd_train)

    chat = sub.add_parser("chat", help="chat with the running assistant in this terminal")
    chat.add_argument("--url", help="the Rasa server (default: http://127.0.0.1:$RASA_PORT)")
    chat.add_argument("--sender", help="conversation id (default: a new random one)")
    chat.add_argument("--name", help="your first name, as a messaging channel would pass it")
    chat.set_defaults(func=_cmd_chat)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except FrontdeskError as error:
        print(f"frontdesk: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
