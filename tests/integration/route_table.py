"""Print the Rasa server's route table as JSON lines: built by the same Rasa call `rasa run` makes
(`rasa.core.run.configure_app`) from the credentials `frontdesk run` writes for this environment.

Run as `python -m tests.integration.route_table` with the assistant's environment; used by
tests/integration/test_public_routes.py (a subprocess, so the test process never imports Rasa)."""

from __future__ import annotations

import json

import rasa.core.run as rasa_run

from bot.ops.channels_config import write_credentials
from bot.ops.rasa_process import assemble


def main() -> None:
    settings = assemble().settings  # as bot/ops/rasa_server.py does before Rasa runs
    credentials, _ = write_credentials(settings)
    channels = rasa_run.create_http_input_channels(None, str(credentials))
    app = rasa_run.configure_app(channels, cors=None, auth_token=settings.rasa_api_token, enable_api=True)
    for route in app.router.routes:
        print(json.dumps({"path": "/" + route.path, "methods": sorted(route.methods), "name": route.name}))


if __name__ == "__main__":
    main()
