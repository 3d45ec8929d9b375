"""`frontdesk privacy forget|export|purge`: the right to erasure, the right of access and retention, from a terminal.

Works on DATABASE_URL (or `--database-url`) while the assistant runs. `forget` and
`purge` print a JSON receipt as their last line (scripts take `| tail -1`); the
same receipt is kept in `frontdesk_erasures`. Bad input (an unknown channel, a
contact in the wrong format) and a database that cannot be opened are one line
on stderr and exit code 1, and change nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.config import AssistantConfig
from bot.errors import PrivacyError
from bot.privacy.erasure import RECENT_S, SWEEP_AFTER_S, open_eraser, utc_iso
from bot.privacy.export import export_document, write_export
from bot.privacy.holdings import TABLES
from bot.privacy.retention import purge
from bot.privacy.subjects import CHANNELS, Subject, subject_for, subject_of_conversation


def open_existing(url: str) -> Engine:
    """The database at `url` with Frontdesk's tables; PrivacyError (nothing created) when it does not exist, cannot
    be opened, or holds no Frontdesk or Rasa table."""
    from bot.messaging import open_database

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise PrivacyError("cannot open the database: the URL is malformed (e.g. sqlite:///path/frontdesk.db)") from None
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise PrivacyError(f"cannot open the database: {parsed.database or url} does not exist")
    try:
        probe = sa.create_engine(parsed)
        with probe.connect() as db:
            tables = set(sa.inspect(db).get_table_names())
        probe.dispose()
        if not tables & set(TABLES):
            raise PrivacyError(f"cannot open the database at {parsed!r}: it holds no Frontdesk tables (is DATABASE_URL right?)")
        return open_database(url)
    except sa.exc.SQLAlchemyError as error:
        reason = (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0]
        raise PrivacyError(f"cannot open the database at {parsed!r}: {reason[:200]}") from None


def _settings():
    from bot.config import Settings

    return Settings.from_env()


def _subject(args: argparse.Namespace) -> Subject:
    if args.conversation:
        if args.contact:
            raise PrivacyError("give --conversation or --channel with --contact, not both")
        return subject_of_conversation(args.conversation, args.channel)
    if not args.channel or not args.contact:
        raise PrivacyError("say whose data: --channel CHANNEL --contact CONTACT, or --conversation ID")
    return subject_for(args.channel, args.contact)


def _held_lines(counts: dict[str, int]) -> list[str]:
    return [f"  {table}: {n} row(s)" for table, n in counts.items() if n]


def _confirmed(prompt: str) -> bool:
    print(prompt, end="", flush=True)
    try:
        return sys.stdin.readline().strip().lower() in ("y", "yes")
    except (OSError, KeyboardInterrupt):
        return False


def _cmd_forget(args: argparse.Namespace) -> int:
    subject = _subject(args)
    settings = _settings()
    crm = AssistantConfig.load(settings.assistant_file).crm
    eraser = open_eraser(settings, open_existing(args.database_url or settings.database_url), crm)
    counts = eraser.preview(subject)
    crm = eraser.hubspot is not None
    if any(counts.values()) or crm:
        print(f"Frontdesk holds about {subject.shown()}:")
        print("\n".join(_held_lines(counts)) or "  nothing in its database")
        if crm:
            print("  HubSpot: their contact (GDPR delete) and the notes and tickets Frontdesk wrote about them")
        if not args.yes and not _confirmed("Erase all of it for good? Type yes: "):
            print("Not erased: nothing was changed.", file=sys.stderr)
            return 1
    receipt = asyncio.run(_forget(eraser, subject))
    if receipt.active_at is not None and time.time() - receipt.active_at < RECENT_S:
        print(f"They wrote moments ago: checking again in {SWEEP_AFTER_S:g} s for a reply being written.")
        time.sleep(SWEEP_AFTER_S)
        eraser.sweep(subject, receipt)
    data = receipt.data
    if data["found"]:
        print(f"Erased {data['rows_deleted']} row(s) about {subject.shown()}"
              + (f", and in HubSpot: {data['hubspot']['status']}" if crm else "") + ".")
    else:
        earlier = f" (erased before: {', '.join(data['earlier_erasures'])})" if data["earlier_erasures"] else ""
        print(f"Nothing held about {subject.shown()}{earlier}: nothing to erase.")
    if receipt.hubspot_failed:
        print(f"frontdesk: HubSpot did not finish ({data['hubspot'].get('error')}); our own records are erased. "
              "Run the same command again to finish HubSpot.", file=sys.stderr)
    print(json.dumps(data))
    return 1 if receipt.hubspot_failed else 0


async def _forget(eraser, subject: Subject):
    try:
        return await eraser.forget(subject, requested_by="cli")
    finally:
        await eraser.aclose()


def _cmd_export(args: argparse.Namespace) -> int:
    subject = _subject(args)
    settings = _settings()
    engine = open_existing(args.database_url or settings.database_url)
    document = export_document(engine, subject, time.time())
    out = Path(args.out)
    write_export(document, out)
    counts = document["counts"]
    messages = sum(len(s["messages"]) for s in document["conversations"])
    if not any(counts.values()):
        print(f"Nothing held about {subject.shown()}; wrote an empty export to {out}.")
    else:
        print(f"Wrote {out}: {messages} message(s) in {len(document['conversations'])} conversation session(s), "
              f"{len(document['handoffs'])} handoff(s), {len(document['surveys'])} survey answer(s), "
              f"{sum(counts.values())} stored row(s) in all.")
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    settings = _settings()
    config = AssistantConfig.load(settings.assistant_file).privacy
    engine = open_existing(args.database_url or settings.database_url)
    receipt = purge(engine, config, dry_run=args.dry_run)
    verb = "Would delete" if args.dry_run else "Deleted"
    print(f"{verb} {receipt['conversations']} conversation(s) quiet since {receipt['quiet_since']} "
          f"({receipt['rows_deleted']} row(s)) and {sum(receipt['queue_rows_deleted'].values())} delivery record(s) "
          f"older than {config.queue_retention_days:g} days; report figures kept for {receipt['report_figures_kept']}.")
    print(json.dumps(receipt))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `frontdesk privacy ...` on the top-level parser's subcommands."""
    privacy = sub.add_parser("privacy", help="customer data: erase a customer, export their data, purge old data "
                             "(docs/customer-data.md)").add_subparsers(dest="privacy_command", required=True)
    whose = argparse.ArgumentParser(add_help=False)
    whose.add_argument("--channel", help=f"one of {', '.join(CHANNELS)}")
    whose.add_argument("--contact", help="the phone number in E.164 (sms, whatsapp), the chat id (telegram), "
                       "the visitor's conversation id (webchat:…, rest:…)")
    whose.add_argument("--conversation", metavar="ID", help="a conversation id as stored, instead of channel and contact")
    whose.add_argument("--database-url", help="the database (default: DATABASE_URL, else .state/frontdesk.db)")
    forget = privacy.add_parser("forget", parents=[whose], help="erase everything held about a customer, here and in "
                                "HubSpot; prints a JSON receipt as the last line")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(func=_cmd_forget)
    export = privacy.add_parser("export", parents=[whose], help="write everything held about a customer to one JSON "
                                "file (a subject access request)")
    export.add_argument("--out", required=True, metavar="FILE.json")
    export.set_defaults(func=_cmd_export)
    purge_cmd = privacy.add_parser("purge", help="delete conversations older than privacy.retention_days and done "
                                   "delivery records (the running assistant does it daily); JSON receipt last")
    purge_cmd.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    purge_cmd.add_argument("--database-url", help="the database (default: DATABASE_URL, else .state/frontdesk.db)")
    purge_cmd.set_defaults(func=_cmd_purge)
