"""Helpers for host projects' test suites: assert the error contract (pytest plugin and unittest mixin).

The names below are imported on first use, so that loading the pytest plugin (a submodule) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from causeloop_errors.testing.assertions import (
        assert_error_envelope,
        assert_not_error_envelope,
        causeloop_error,
        is_error_envelope,
        read_error,
    )
    from causeloop_errors.testing.unittest import ErrorContractMixin
    from causeloop_errors.testing.urlcontract import ContractProblem, assert_url_contract, check_url_contract

_EXPORTS = {
    "assert_error_envelope": "assertions",
    "assert_not_error_envelope": "assertions",
    "causeloop_error": "assertions",
    "is_error_envelope": "assertions",
    "read_error": "assertions",
    "ErrorContractMixin": "unittest",
    "ContractProblem": "urlcontract",
    "assert_url_contract": "urlcontract",
    "check_url_contract": "urlcontract",
}
__all__ = [
    "ContractProblem",
    "ErrorContractMixin",
    "assert_error_envelope",
    "assert_not_error_envelope",
    "assert_url_contract",
    "causeloop_error",
    "check_url_contract",
    "is_error_envelope",
    "read_error",
]


def __getattr__(name: str) -> Any:
    """Import ``name`` from its submodule on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
