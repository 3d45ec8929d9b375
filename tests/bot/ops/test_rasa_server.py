"""cached_validate must accept and reject exactly what jsonschema.validate does."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.ops.rasa_server import _original_validate, cached_validate

SPEC = RemoteAction.action_response_format_spec()

RESPONSES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "customer_name", "value": "Ana"}], "responses": [{"text": "hi"}]},
    {"events": "not a list", "responses": []},
    {"events": [{"no_event_key": 1}], "responses": []},
    {"responses": [{"text": 5}]},
    [],
]


def outcome(validate, instance) -> str:
    try:
        validate(instance, SPEC)
    except jsonschema.ValidationError as error:
        return f"invalid: {error.message}"
    return "valid"


@pytest.mark.parametrize("instance", RESPONSES)
def test_same_verdict_as_jsonschema_validate(instance) -> None:
    assert outcome(cached_validate, instance) == outcome(_original_validate, instance)
    assert outcome(cached_validate, instance) == outcome(_original_validate, instance)  # from the cache


def test_a_broken_schema_is_still_refused() -> None:
    with pytest.raises(jsonschema.SchemaError):
        cached_validate({}, {"type": "no-such-type"})
