"""The bad-input tests every area runs on its endpoints that take a JSON body, driven by the area's table.

An area's test module describes its endpoints (`BodyEndpoint`) and the
invalid values it wants refused, and subclasses `BadBodyTests` with them.
It provides two fixtures: `send_body(endpoint_name, **request)`, which sends
a request to that endpoint as its usual caller (the keyword arguments are the
test client's: `json=`, `data=`, `content_type=`), and `database_state()`, a
snapshot of everything a request could change. Every test asserts a clear
JSON error with the right status and an unchanged database.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class BodyEndpoint:
    """An endpoint that takes a JSON body."""

    method: str
    path: str  # may hold {placeholders}: the area's `send_body` fills them
    caller: str  # who sends it, a name the area's `send_body` knows
    valid_body: dict[str, Any]
    # The fields an empty body's 422 names ("_schema" for a change that needs
    # at least one field); None where an empty body is accepted.
    empty_body_errors: frozenset[str] | None = None
    # False where the endpoint is refused before its body is read, at any size.
    size_checked: bool = True


def _cases(choose: Callable[["BadBodyTests"], tuple[str, list]]):
    """Mark a test with the cases it runs: `choose(test class)` gives argument names and values."""
    def mark(test):
        test.choose_cases = choose
        return test
    return mark


class BadBodyTests:
    """Subclass with `endpoints` (name -> BodyEndpoint) and `invalid_fields` ((name, changes, field), ...)."""

    endpoints: dict[str, BodyEndpoint] = {}
    invalid_fields: list[tuple[str, dict[str, Any], str]] = []

    def pytest_generate_tests(self, metafunc) -> None:
        choose = getattr(metafunc.function, "choose_cases", None)
        if choose is not None:
            argnames, values = choose(self)
            metafunc.parametrize(argnames, values)

    @_cases(lambda tests: ("endpoint", list(tests.endpoints)))
    def test_malformed_json_is_a_400(self, send_body, database_state, endpoint):
        before = database_state()

        response = send_body(endpoint, data='{"reason": ', content_type="application/json")

        assert response.status_code == 400
        assert response.get_json()["code"] == "bad_request"
        assert database_state() == before

    @_cases(lambda tests: ("endpoint", [name for name, spec in tests.endpoints.items()
                                        if spec.empty_body_errors is not None]))
    def test_an_empty_body_is_a_422_naming_each_missing_field(self, send_body, database_state, endpoint):
        before = database_state()

        response = send_body(endpoint, json={})

        assert response.status_code == 422
        assert response.get_json()["code"] == "validation_error"
        assert set(response.get_json()["errors"]) == self.endpoints[endpoint].empty_body_errors
        assert database_state() == before

    @_cases(lambda tests: ("endpoint", list(tests.endpoints)))
    def test_a_body_that_is_not_an_object_is_a_422(self, send_body, database_state, endpoint):
        before = database_state()

        response = send_body(endpoint, json=["a", "list"])

        assert response.status_code == 422
        assert response.get_json()["errors"]
        assert database_state() == before

    @_cases(lambda tests: ("endpoint", [name for name, spec in tests.endpoints.items() if spec.size_checked]))
    def test_an_oversized_body_is_a_413(self, app, send_body, database_state, endpoint):
        before = database_state()
        padding = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)

        response = send_body(endpoint, json={**self.endpoints[endpoint].valid_body, "padding": padding})

        assert response.status_code == 413
        assert response.get_json()["code"] == "payload_too_large"
        assert database_state() == before

    @_cases(lambda tests: ("endpoint, changes, field", tests.invalid_fields))
    def test_an_invalid_or_unknown_field_is_a_422_naming_it(self, send_body, database_state, endpoint, changes,
                                                          field):
        before = database_state()

        response = send_body(endpoint, json={**self.endpoints[endpoint].valid_body, **changes})

        assert response.status_code == 422
        assert response.get_json()["code"] == "validation_error"
        assert list(response.get_json()["errors"]) == [field]
        assert database_state() == before
