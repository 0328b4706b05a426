"""Same answers with DEBUG on as off: 413, a bad Host, a POST missing its trailing slash; odd-cased API paths."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.contract import assert_envelope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_defaults")]


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request: pytest.FixtureRequest, settings: Any) -> bool:
    settings.DEBUG = request.param
    return bool(request.param)


@pytest.mark.urls("tests.urls")
def test_a_form_body_over_the_limit_read_by_a_middleware_is_413(debug: bool, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies[settings.CSRF_COOKIE_NAME] = "A" * 32  # with a cookie, the CSRF middleware reads POST for its token

    response = client.post("/api/plain/csrf", {"field": "x" * 3000})

    assert_envelope(response, 413, "payload_too_large")


@pytest.mark.urls("tests.urls")
def test_a_host_not_allowed_is_a_malformed_request(debug: bool, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client(raise_request_exception=False)

    error = assert_envelope(client.get("/api/ok", HTTP_HOST="evil.example"), 400, "validation_error")

    assert error["message"] == "Malformed request."


@pytest.mark.urls("tests.urls_router")
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_body_method_missing_the_trailing_slash_is_a_404_naming_the_url(debug: bool, method: str) -> None:
    client = Client(raise_request_exception=False)

    response = getattr(client, method)("/api/groups", {"name": "x"}, content_type="application/json")

    error = assert_envelope(response, 404, "not_found")
    assert error["details"] == {"url": "/api/groups/"}
    assert "/api/groups/" in error["message"]


@pytest.mark.urls("tests.urls_router")
def test_a_get_missing_the_trailing_slash_is_still_redirected_as_django_does(debug: bool) -> None:
    response = Client().get("/api/groups")

    assert (response.status_code, response["Location"]) == (301, "/api/groups/")


@pytest.mark.urls("tests.urls")
@pytest.mark.parametrize("path", ["/API/nope", "/Api/ok", "//api/nope", "/api//nope"])
def test_paths_differing_from_an_api_prefix_by_case_or_slashes_get_the_envelope(debug: bool, path: str) -> None:
    client = Client(raise_request_exception=False)
    # PATH_INFO as a server passes it: the test client would read "//api/nope" as a host ("api") and a path.
    assert_envelope(client.get("/", PATH_INFO=path), 404, "not_found")


def test_a_urlconf_a_middleware_set_as_a_module_object_is_used_as_it_is() -> None:
    # Django's own CommonMiddleware passes request.urlconf on as it is; a module object there was a 500.
    from django.test import RequestFactory

    import tests.urls_router as router_module
    from causeloop_errors.request_checks import slashed_path

    request = RequestFactory().post("/api/groups", {}, content_type="application/json")
    request.urlconf = router_module  # type: ignore[attr-defined]

    assert slashed_path(request) == "/api/groups/"
