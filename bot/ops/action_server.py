"""Run the action server (`python -m bot.ops.action_server`): rasa_sdk's app, on loopback, for the Rasa server only.

rasa_sdk listens on every interface and runs any action for whoever calls it.
Here the server binds `ACTIONS_HOST` (default 127.0.0.1; a warning is printed
when it is not loopback) and every request but `GET /health` must carry the
shared secret `ACTIONS_SECRET` in the `X-Frontdesk-Action-Secret` header, which
`frontdesk run` gives the Rasa server through endpoints.yml. A request without
it gets 401 with a one-line reason and runs no action. Errors inside an action
answer 500 with the action's name only, never the request body (it holds the
conversation). With `--reuse-port` (ACTION_SERVERS > 1) several of these processes share one port and the
kernel spreads the Rasa server's connections across them.

The process is assembled here: the settings are read once, and the actions' services (knowledge
base, sentence model, database, handoff desk: bot/ops/action_process.py) are built before rasa_sdk
imports the actions, which load nothing themselves.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import logging
import sys

SECRET_HEADER = "X-Frontdesk-Action-Secret"
PUBLIC_PATHS = ("/health",)

logger = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; False for wildcards (0.0.0.0, ::) and other addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def binding_warning(host: str) -> str | None:
    """The line printed at start-up when the action server is reachable from other machines."""
    if is_loopback(host):
        return None
    return (f"WARNING: the action server listens on {host} (ACTIONS_HOST), not only on loopback: only callers with "
            "ACTIONS_SECRET can run actions, but keep the port behind a firewall or a private network.")


def secret_accepted(given: str | None, secret: str) -> bool:
    """Constant-time check of the header value against the shared secret."""
    return bool(given) and hmac.compare_digest(given.encode(), secret.encode())


def create_app(actions_package: str, secret: str):
    """rasa_sdk's Sanic app with the secret check in front of every route but /health."""
    from rasa_sdk.endpoint import create_app as sdk_app
    from sanic import response

    app = sdk_app(actions_package, cors_origins=None)

    @app.middleware("request")
    async def require_secret(request):
        if request.path in PUBLIC_PATHS:
            return None
        if not secret_accepted(request.headers.get(SECRET_HEADER), secret):
            return response.json({"error": f"missing or wrong {SECRET_HEADER}: only the Rasa server may call actions"},
                                 status=401)
        return None

    @app.exception(Exception)
    async def failed(request, exception: Exception):
        try:
            name = str((request.json or {}).get("next_action") or request.path)
        except Exception:  # the body is not JSON: name the path only
            name = request.path
        logger.error("action call %s failed", name, exc_info=exception)
        return response.json({"error": f"{name} failed ({type(exception).__name__})"}, status=500)

    return app


def shared_socket(host: str, port: int):
    """A listening socket on host:port with SO_REUSEPORT, so several action server processes share the port."""
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    from bot.config import AssistantConfig, Settings
    from bot.errors import FrontdeskError
    from bot.ops.action_process import ActionServices, serve

    try:
        settings = Settings.from_env()  # the one read of the environment in this process
    except FrontdeskError as error:
        print(f"action server: {error}", file=sys.stderr)
        return 1
    parser = argparse.ArgumentParser(prog="python -m bot.ops.action_server", description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions", help="the package with the custom actions")
    parser.add_argument("--host", default=settings.actions_host)
    parser.add_argument("--port", type=int, default=settings.actions_port)
    parser.add_argument("--reuse-port", action="store_true",
                        help="share the port with other action servers (ACTION_SERVERS): the kernel spreads connections")
    parser.add_argument("--without-services", action="store_true",
                        help="build no knowledge base, model or database (for a package whose actions use none)")
    args = parser.parse_args(argv)
    if settings.actions_secret_generated:
        print("action server: ACTIONS_SECRET is not set (or shorter than 16 characters); `frontdesk run` sets it, "
              "or set the same long random value for the action server and the Rasa server.", file=sys.stderr)
        return 1
    warning = binding_warning(args.host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    from rasa_sdk import utils

    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    if not args.without_services:
        try:  # assembled here, before rasa_sdk imports the actions: they are handed these (bot/ops/action_process.py)
            serve(ActionServices.build(settings, AssistantConfig.load(settings.assistant_file)))
        except FrontdeskError as error:
            print(f"action server: {error}", file=sys.stderr)
            return 1
    app = create_app(args.actions, settings.actions_secret)
    if args.reuse_port:  # bound only now, once the services are built: connections go to servers that are ready
        app.run(sock=shared_socket(args.host, args.port), workers=1, access_log=False)
    else:
        app.run(args.host, args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
