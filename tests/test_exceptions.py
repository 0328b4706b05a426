"""Exceptions: one class per built-in code, raisable with a message and details."""

from __future__ import annotations

import pytest

from causeloop_errors import catalog, exceptions
from causeloop_errors.conversion import from_exception


def test_there_is_one_exception_class_per_builtin_code() -> None:
    classes = [
        cls for cls in vars(exceptions).values() if isinstance(cls, type) and issubclass(cls, exceptions.APIError)
    ]
    assert sorted(cls.code for cls in classes if cls is not exceptions.APIError) == sorted(
        entry.code for entry in catalog.BUILTIN
    )


@pytest.mark.parametrize("entry", catalog.BUILTIN, ids=lambda entry: entry.code)
def test_each_exception_renders_its_catalog_status(entry: catalog.ErrorCode) -> None:
    cls = next(c for c in vars(exceptions).values() if isinstance(c, type) and getattr(c, "code", None) == entry.code)
    failure = from_exception(cls("Custom message", details={"k": "v"}))
    assert (failure.status, failure.error.code, failure.message) == (entry.status, entry.code, "Custom message")
    assert failure.details is not None and failure.details["k"] == "v"


def test_host_subclass_with_a_registered_code() -> None:
    from django.test import override_settings

    class InsufficientBalance(exceptions.APIError):
        code = "insufficient_balance"

    codes = [{"code": "insufficient_balance", "status": 402, "message": "Insufficient balance."}]
    with override_settings(CAUSELOOP_ERRORS={"CODES": codes}):
        failure = from_exception(InsufficientBalance(details={"balance": 0}))
    assert (failure.status, failure.message, failure.details) == (402, "Insufficient balance.", {"balance": 0})


def test_extra_headers_travel_with_the_exception() -> None:
    failure = from_exception(exceptions.ServiceUnavailable(headers={"Retry-After": "30"}))
    assert failure.headers == {"Retry-After": "30"}
