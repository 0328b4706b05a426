"""The CSRF failure view: envelope on API paths, Django's page elsewhere."""

from __future__ import annotations

import json

from django.test import RequestFactory

from causeloop_errors.views import csrf_failure


def test_csrf_failure_view_answers_forbidden_with_the_reason_on_api_paths() -> None:
    response = csrf_failure(RequestFactory().post("/api/issues"), reason="CSRF cookie not set.")
    body = json.loads(response.content)
    assert response.status_code == 403
    assert body["error"]["code"] == "forbidden"
    assert body["error"]["details"] == {"reason": "CSRF cookie not set."}


def test_csrf_failure_view_defers_to_django_elsewhere() -> None:
    response = csrf_failure(RequestFactory().post("/admin/login/"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
