"""The one root of Frontdesk's own errors, and the few kinds the CLI reports.

    FrontdeskError
    ├── ConfigError      a setting is missing or malformed (names the variable)
    ├── SetupError       the machine lacks something (Python, a free port, a venv)
    ├── TrainingError    Rasa could not train or load a model
    ├── ReportError      the report cannot read the tracker store or write its files
    ├── VendorError      a vendor's API refused a one-off call (bot/vendors/: e.g. registering a webhook)
    ├── PrivacyError     an erasure, export or purge cannot run (bad channel or contact, a database it cannot open)
    └── RefusedError     an operation is refused, with the HTTP status an API answers
        ├── HandoffError (bot/handoff/store.py)   a handoff cannot be claimed, answered, closed ...
        ├── AgentError (bot/agents/accounts.py)   a credential, a permission or an account change
        └── LearnError (bot/learn/suggestions.py) a suggestion cannot be approved, rejected, undone or linked

The CLI prints `str(error)` as one line and exits non-zero; it never shows
a traceback for these.
"""


class FrontdeskError(Exception):
    """Base of every error Frontdesk raises on purpose."""


class ConfigError(FrontdeskError):
    """A setting is missing or malformed; the message names the variable."""


class SetupError(FrontdeskError):
    """Something the assistant needs from the machine is not there."""


class TrainingError(FrontdeskError):
    """Rasa failed to train or load a model."""


class ReportError(FrontdeskError):
    """The service report cannot read the tracker store or write its files."""


class VendorError(FrontdeskError):
    """A vendor's API (Telegram, Twilio, HubSpot) refused a one-off call; the message is the vendor's reason."""


class PrivacyError(FrontdeskError):
    """`frontdesk privacy` cannot run as asked (an unknown channel, a contact in the wrong format, a database it
    cannot open); nothing was changed."""


class RefusedError(FrontdeskError):
    """An operation is refused; `status` is the HTTP status an API answers with, the message its one-line reason."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


class UnavailableError(FrontdeskError):
    """A service messages are stored in (the database, Redis) cannot be reached now: a webhook answers 503 so
    the provider sends it again, and a turn waits for it without using up its attempts."""
