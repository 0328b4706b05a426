"""Building the body: members, details only when non-empty, Retry-After rounding."""

from __future__ import annotations

from django.test import override_settings

from causeloop_errors import catalog
from causeloop_errors.envelope import Failure, build_body
from causeloop_errors.paths import FieldError

TRACE = "7f3a1b2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c"


def _failure(code: str, **kwargs: object) -> Failure:
    entry = catalog.get(code)
    assert entry is not None
    return Failure(entry, entry.status, kwargs.pop("message", entry.message), **kwargs)  # type: ignore[arg-type]


def test_body_reproduces_the_contracts_example_exactly() -> None:
    failure = _failure("not_found", message="Issue iss_01abc123 not found", details={"id": "iss_01abc123"})
    assert build_body(failure, TRACE) == {
        "error": {
            "code": "not_found",
            "message": "Issue iss_01abc123 not found",
            "trace_id": TRACE,
            "details": {"id": "iss_01abc123"},
        }
    }


def test_details_are_omitted_when_empty() -> None:
    assert "details" not in build_body(_failure("forbidden", details={}), TRACE)["error"]


def test_validation_errors_always_have_details() -> None:
    assert build_body(_failure("validation_error"), TRACE)["error"]["details"] == {
        "non_field_errors": "Request validation failed"
    }


def test_retry_after_is_rounded_up_to_a_whole_second_of_at_least_one() -> None:
    for wait, expected in ((0.0, 1), (0.2, 1), (1.0, 1), (1.01, 2), (59.5, 60)):
        failure = _failure("rate_limited")
        failure.set_retry_after(wait)
        assert failure.headers["Retry-After"] == str(expected)
        assert failure.details == {"retry_after": expected}


def test_field_errors_member_only_when_enabled() -> None:
    failure = _failure("validation_error", details={"a": "m"}, field_errors=[FieldError("a", "m", "required")])
    assert "field_errors" not in build_body(failure, TRACE)["error"]
    with override_settings(CAUSELOOP_ERRORS={"INCLUDE_FIELD_ERRORS": True}):
        assert build_body(failure, TRACE)["error"]["field_errors"] == [
            {"path": "a", "message": "m", "code": "required"}
        ]


def test_details_become_plain_json_lazy_keys_sets_and_tuples_included() -> None:
    from django.utils.translation import gettext_lazy

    failure = _failure("conflict", details={gettext_lazy("title"): ("a", "b"), "allowed": {"write", "read"}})
    assert build_body(failure, TRACE)["error"]["details"] == {"title": ["a", "b"], "allowed": ["read", "write"]}
