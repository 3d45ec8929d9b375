"""`frontdesk responses check [FILE ...]`: check responses catalogues the way the assistant reads them at start-up.

Prints every problem as `path:line: message` (warnings as `path:line: warning: ...`), then one summary
line per file; exit code 1 when any file has an error.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    responses = sub.add_parser("responses", help="the responses catalogue (what the assistant says), for editors")
    commands = responses.add_subparsers(dest="responses_command", required=True)
    check = commands.add_parser("check", help="unknown or missing keys, variables, SMS length: prints path:line: "
                                "message, exit 1 on errors")
    check.add_argument("files", nargs="*", metavar="FILE",
                       help="catalogue files (default: RESPONSES_FILE when set, else every responses/*.yml)")
    check.set_defaults(func=_cmd_check)


def default_files(settings) -> list[Path]:
    """RESPONSES_FILE when set, else every language's file in responses/."""
    if settings.env.get("RESPONSES_FILE", "").strip():
        return [settings.responses_file("")]
    return sorted((settings.project_dir / "responses").glob("*.yml"))


def _cmd_check(args: argparse.Namespace) -> int:
    from bot.config import Persona, Settings
    from bot.responses.catalogue import persona_values
    from bot.responses.reading import read_catalogue

    settings = Settings.from_env()
    persona = persona_values(Persona.load(settings.assistant_file))
    paths = [Path(f) for f in args.files] or default_files(settings)
    if not paths:
        print(f"{settings.project_dir / 'responses'}: no catalogue (*.yml) to check")
        return 1
    failed = False
    for path in paths:
        responses, problems = read_catalogue(path, persona)
        for problem in problems:
            print(problem)
        errors = sum(p.severity == "error" for p in problems)
        failed = failed or errors > 0
        print(f"{len(responses)} responses checked in {path}: {errors} error(s), {len(problems) - errors} warning(s)")
    return 1 if failed else 0
