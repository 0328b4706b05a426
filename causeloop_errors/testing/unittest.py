"""``ErrorContractMixin``: the contract assertions as methods of a ``django.test`` test case."""

from __future__ import annotations

from typing import Any

from causeloop_errors.testing.assertions import assert_error_envelope, assert_not_error_envelope
from causeloop_errors.testing.urlcontract import assert_url_contract
from causeloop_errors.versioning import forget_snapshots


class ErrorContractMixin:
    """Add ``assertErrorEnvelope``, ``assertNotErrorEnvelope`` and ``assertUrlContract`` to a test case."""

    client_class: Any

    def setUp(self) -> None:
        """Start and end with the rules and policies of the database, not those a rolled-back test saw."""
        super().setUp()  # type: ignore[misc]
        forget_snapshots()
        self.addCleanup(forget_snapshots)  # type: ignore[attr-defined]

    def error_client(self, **defaults: Any) -> Any:
        """Return a client of the test case's ``client_class`` that answers server errors instead of raising."""
        return self.client_class(raise_request_exception=False, **defaults)

    def assertErrorEnvelope(
        self, response: Any, status: int, code: str, details: Any = ..., **options: Any
    ) -> dict[str, Any]:
        """Assert ``response`` is the envelope of ``status`` and ``code``; return its ``error`` member."""
        return assert_error_envelope(response, status, code, details, **options)

    def assertNotErrorEnvelope(self, response: Any, **options: Any) -> None:
        """Assert ``response`` is not an error envelope."""
        assert_not_error_envelope(response, **options)

    def assertUrlContract(self, client: Any = None, **options: Any) -> None:
        """Assert every API route keeps the contract, probed through ``client`` (default: ``error_client()``)."""
        assert_url_contract(client if client is not None else self.error_client(), **options)
