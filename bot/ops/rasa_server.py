"""Start Rasa's own CLI (`python -m bot.ops.rasa_server run ...`): assemble the process first, with one speed fix.

Before Rasa runs, `main` reads the settings and assistant.yml once and builds the process's services
(bot/ops/rasa_process.py), so a configuration error stops start-up with its one-line reason, and the
connectors Rasa then creates are handed what was built here.

Rasa 3.6 checks every custom action's response with `jsonschema.validate`,
which first validates the *schema itself* against its meta-schema, on every
call. With jsonschema 4.17 that meta-check was over half of the Rasa server's
time per custom action (profiled with py-spy; figures in bench/README.md).
`cached_validate` does the same validation of the instance, but checks each
distinct schema only once. Behaviour is unchanged: an invalid response still
raises the same `ValidationError`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

_validators: dict[str, Any] = {}
_original_validate = jsonschema.validate


def cached_validate(instance: Any, schema: dict, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    """`jsonschema.validate` that checks each distinct schema only the first time."""
    if cls is not None or args or kwargs:
        return _original_validate(instance, schema, cls, *args, **kwargs)
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _validators.get(key)
    if validator is None:
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        validator = _validators[key] = validator_class(schema)
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def main() -> None:
    jsonschema.validate = cached_validate
    if sys.argv[1:2] == ["run"]:
        from bot.errors import FrontdeskError
        from bot.ops.rasa_process import assemble

        try:
            assemble()
        except FrontdeskError as error:
            print(f"rasa server: {error}", file=sys.stderr)
            sys.exit(1)
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
