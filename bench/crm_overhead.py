"""Does the HubSpot sync slow conversations down? Two assistants side by side, CRM on and off (bench/README.md).

Starts the real assistant twice (as the integration tests do): one with the CRM
sync on against the fake HubSpot API, conversations ending after 1 s idle so
notes are written while the load runs (the worst case), and one with it off;
then runs bench/rest_load.py against both, alternating round by round, and
prints what the fake HubSpot received.

    .venv/bin/python bench/crm_overhead.py --messages 120 --concurrency 1 5 --rounds 3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from tests.conftest import PROJECT_DIR
from tests.fakes.hubspot_api import FakeHubSpotAPI
from tests.integration.conftest import start_assistant

TOKEN = "pat-bench"
API_TOKEN = "bench-api-token"  # both assistants' RASA_API_TOKEN, which rest_load.py sends


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=120)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeHubSpotAPI(TOKEN) as hubspot:
        on_dir, off_dir = Path(tmp) / "on", Path(tmp) / "off"
        on_dir.mkdir()
        off_dir.mkdir()
        settings = yaml.safe_load((PROJECT_DIR / "assistant.yml").read_text())
        settings["knowledge_base"]["folder"] = str(PROJECT_DIR / "knowledge_base")
        settings["crm"] = {"idle_timeout_s": 1, "poll_interval_s": 1}
        assistant_file = Path(tmp) / "assistant-crm.yml"
        assistant_file.write_text(yaml.safe_dump(settings))
        on = start_assistant(on_dir, {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_API_BASE": hubspot.url,
                                      "ASSISTANT_FILE": str(assistant_file), "RASA_API_TOKEN": API_TOKEN})
        off = start_assistant(off_dir, {"RASA_API_TOKEN": API_TOKEN})
        try:
            print(f"CRM on: {on.url}   CRM off: {off.url}", flush=True)
            subprocess.run([sys.executable, str(PROJECT_DIR / "bench" / "rest_load.py"), "--url", on.url, "--url", off.url,
                            "--token", API_TOKEN,
                            "--messages", str(args.messages), "--concurrency", *map(str, args.concurrency),
                            "--rounds", str(args.rounds)], check=True)
        finally:
            on.stop()
            off.stop()
        print(f"fake HubSpot received {len(hubspot.requests)} requests: {hubspot.count('contacts')} contacts, "
              f"{hubspot.count('notes')} notes")


if __name__ == "__main__":
    main()
