"""DRF content negotiation that lets a client ask for problem details without losing its successes.

A client that sends ``Accept: application/problem+json`` says how it wants its errors; DRF alone
would find no renderer for that type and answer every request, even a valid one, with 406. With
``NEGOTIATE_PROBLEM_DETAILS`` on, this class reads ``application/problem+json`` in ``Accept`` as
``application/json`` when choosing the renderer, so successes are JSON and errors problem details.
"""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation

from causeloop_errors.conf import app_settings
from causeloop_errors.styles.problem import PROBLEM_JSON

JSON = "application/json"


class ProblemDetailsNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with ``application/problem+json`` accepted as JSON while problem details are negotiable."""

    def get_accept_list(self, request: Any) -> list[str]:
        accepted = super().get_accept_list(request)
        if not app_settings.NEGOTIATE_PROBLEM_DETAILS:
            return accepted
        return [_as_json(media_type) for media_type in accepted]


def _as_json(media_type: str) -> str:
    """Return ``media_type`` with ``application/problem+json`` spelled ``application/json`` (parameters kept)."""
    name, _, parameters = media_type.partition(";")
    if name.strip().lower() != PROBLEM_JSON:
        return media_type
    return f"{JSON};{parameters}" if parameters else JSON
