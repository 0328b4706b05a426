"""Convert any exception, or a bare error status, into a ``Failure``.

The order of the checks matters: django-ratelimit's ``Ratelimited`` is a
``PermissionDenied`` and ``RequestDataTooBig`` is a ``SuspiciousOperation``, so
the narrower class is tested first. Messages that could carry internals (an
``Http404`` from ``get_object_or_404`` names the model, a ``SuspiciousOperation``
names hosts and settings, parser errors give positions) are replaced by the
catalog's default message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core import exceptions as django_exceptions
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.fields import get_error_detail

from causeloop_errors import catalog, faults
from causeloop_errors.codes import BAD_REQUEST, MALFORMED_BODY
from causeloop_errors.conf import app_settings
from causeloop_errors.database_errors import database_unavailable
from causeloop_errors.envelope import Failure
from causeloop_errors.exceptions import APIError, RateLimited, ServiceUnavailable
from causeloop_errors.paths import first_per_path, flatten
from causeloop_errors.status_headers import add_status_headers

DATABASE_RETRY_AFTER = 5
_ONE_ERROR_KEYS = {"detail", "message", "code"}


def _failure(code: str, message: str | None = None, **kwargs: Any) -> Failure:
    entry = catalog.resolve(code, 0)
    return Failure(entry, entry.status, message or entry.message, **kwargs)


def _validation(detail: Any) -> Failure:
    errors = flatten(detail)
    return _failure("validation_error", details=first_per_path(errors), field_errors=errors)


def _authenticate_header(exc: Exception, request: Any) -> str:
    header = getattr(exc, "auth_header", None)
    for authenticator in getattr(request, "authenticators", None) or ():
        if header:
            break
        header = authenticator.authenticate_header(request)
    return header or app_settings.WWW_AUTHENTICATE


def _text(detail: Any) -> str | None:
    if isinstance(detail, (list, tuple)):
        return _text(detail[0]) if detail else None
    if isinstance(detail, Mapping):
        return _text(detail.get("detail", detail.get("message")))
    return None if detail is None else str(detail)


def _third_party(exc: drf.APIException) -> Failure:
    detail = exc.detail
    claimed = detail.get("code") if isinstance(detail, Mapping) else getattr(detail, "code", None)
    entry = next(
        (
            found
            for found in (catalog.get(str(code)) for code in (claimed, exc.default_code) if code)
            if found is not None and found.status == exc.status_code
        ),
        None,
    )
    if entry is None:
        entry = catalog.resolve(f"{claimed or exc.default_code}@{exc.status_code}", exc.status_code)
    if isinstance(detail, Mapping) and not _ONE_ERROR_KEYS & detail.keys():
        errors = flatten(detail)  # a field map, whatever the status
        return Failure(entry, exc.status_code, entry.message, details=first_per_path(errors), field_errors=errors)
    details = None
    if isinstance(detail, Mapping):
        details = {k: v for k, v in detail.items() if k not in _ONE_ERROR_KEYS} or None
    return Failure(entry, exc.status_code, _text(detail) or entry.message, details=details)


def _from_drf(exc: drf.APIException, request: Any) -> Failure:
    if isinstance(exc, drf.ValidationError):
        return _validation(exc.detail)
    if isinstance(exc, drf.ParseError):
        return _failure("validation_error", MALFORMED_BODY)
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return _failure("unauthorized", _text(exc.detail))
    if isinstance(exc, drf.Throttled):
        return _failure("rate_limited")
    simple = {
        drf.PermissionDenied: "forbidden",
        drf.NotFound: "not_found",
        drf.MethodNotAllowed: "method_not_allowed",
        drf.NotAcceptable: "not_acceptable",
        drf.UnsupportedMediaType: "unsupported_media_type",
    }
    for cls, code in simple.items():
        if isinstance(exc, cls):
            return _failure(code, _text(exc.detail))
    return _third_party(exc)


def _from_api_error(exc: APIError) -> Failure:
    entry = catalog.resolve(exc.code, 500)
    failure = Failure(entry, entry.status, exc.message or entry.message, details=exc.details)
    failure.headers.update(exc.headers)
    return failure


# SQLSTATE classes of a database that is unavailable rather than of a query that is wrong: connection exception,
# insufficient resources, operator intervention (shutdown, statement timeout), transaction rollback (deadlock).
def _database_unavailable(exc: Exception) -> Failure:
    """A database that is down, unreachable or locked: 503 with a short ``Retry-After``, never the 500 of a bug."""
    faults.warn(f"database:{exc.__class__.__name__}", "causeloop_errors: answered 503, the database failed: %s", exc)
    return _from_api_error(ServiceUnavailable.retry_in(DATABASE_RETRY_AFTER))


def _is_ratelimited(exc: Exception) -> bool:
    """Return whether ``exc`` is django-ratelimit's ``Ratelimited``, told without importing django-ratelimit."""
    return any(
        klass.__name__ == "Ratelimited" and klass.__module__ == "django_ratelimit.exceptions"
        for klass in type(exc).__mro__
    )


def _from_django(exc: Exception) -> Failure | None:
    if database_unavailable(exc):
        return _database_unavailable(exc)
    if _is_ratelimited(exc):
        return _failure("rate_limited")
    if isinstance(exc, Http404):
        return _failure("not_found")
    if isinstance(exc, django_exceptions.PermissionDenied):
        return _failure("forbidden", str(exc) or None)
    if isinstance(exc, django_exceptions.RequestDataTooBig):
        return _failure("payload_too_large")
    if isinstance(exc, django_exceptions.ValidationError):
        return _validation(get_error_detail(exc))
    if isinstance(exc, (django_exceptions.BadRequest, django_exceptions.SuspiciousOperation)):
        return _failure("validation_error", BAD_REQUEST)
    return None


def _resource(exc: Exception, request: Any, status: int) -> str | None:
    """Return what the failure is about: the exception's ``resource``, else a 404's DRF view ``queryset`` model."""
    named = getattr(exc, "resource", None)
    if named or status != 404:
        return str(named) if named else None
    view = (getattr(request, "parser_context", None) or {}).get("view")
    model = getattr(getattr(view, "queryset", None), "model", None)
    return model._meta.model_name if model is not None else None  # styles show it only when they map it


def from_exception(exc: Exception, request: Any = None) -> Failure:
    """Return the ``Failure`` for ``exc``; anything unknown is an unexpected ``internal_error``."""
    if isinstance(exc, APIError):
        failure = _from_api_error(exc)
    elif isinstance(exc, drf.APIException):
        failure = _from_drf(exc, request)
    else:
        failure = _from_django(exc) or _failure("internal_error", unexpected=True)
    failure.resource = _resource(exc, request, failure.status)
    wait = exc.retry_after if isinstance(exc, RateLimited) else getattr(exc, "wait", None)
    authenticate = _authenticate_header(exc, request) if failure.status == 401 else ""
    return add_status_headers(failure, dict(failure.headers), wait, authenticate)


def from_returned(status: int, data: Any, headers: Mapping[str, str]) -> Failure | None:
    """Return the ``Failure`` of DRF-shaped error data a view returned with a 4xx, or None when it has none.

    ``Response(serializer.errors, status=400)`` keeps its field errors as dot-path ``details``;
    ``Response({"detail": "Not yours."}, status=403)`` keeps its text as the message. A 5xx never passes its
    data on: an unexpected failure's words are internal.
    """
    if not 400 <= status < 500 or not data or not isinstance(data, (Mapping, list)):
        return None
    entry = catalog.generic_for_status(status)
    if isinstance(data, Mapping) and _ONE_ERROR_KEYS & data.keys():
        text = _text(data)
        rest = {key: value for key, value in data.items() if key not in _ONE_ERROR_KEYS} or None
        failure = Failure(entry, status, text or entry.message, details=rest)
    else:
        errors = flatten(data)
        failure = Failure(entry, status, entry.message, details=first_per_path(errors), field_errors=errors)
    return add_status_headers(failure, headers, None, app_settings.WWW_AUTHENTICATE)


def from_status(status: int, headers: Mapping[str, str]) -> Failure:
    """Return the ``Failure`` for a non-envelope error response that carries only a status."""
    entry = catalog.generic_for_status(status)
    return add_status_headers(Failure(entry, status, entry.message), headers, None, app_settings.WWW_AUTHENTICATE)
