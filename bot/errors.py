"""The one root of Frontdesk's own errors, and the few kinds the CLI reports.

    FrontdeskError
    ├── ConfigError      a setting is missing or malformed (names the variable)
    ├── SetupError       the machine lacks something (Python, a free port, a venv)
    ├── TrainingError    Rasa could not train or load a model
    └── ReportError      the report cannot read the tracker store or write its files

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
