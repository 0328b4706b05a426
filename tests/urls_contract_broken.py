"""A URLconf whose routes break the contract on purpose, next to ones that keep it, for the contract check's tests.

No ``handler404``: an unknown path gets Django's HTML page, which the middleware rewrites only on API paths.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.http import require_GET
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class Good(APIView):
    """Reads its body: an unknown method is 405, an unsupported media type 415."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response({"ok": True})

    def post(self, request: Request, **kwargs: Any) -> Response:
        return Response({"received": request.data}, status=201)


class IgnoresBody(Good):
    """Never reads its body, so any media type is accepted with a 201."""

    def post(self, request: Request, **kwargs: Any) -> Response:
        return Response({"created": True}, status=201)


def any_method(request: HttpRequest) -> HttpResponse:
    """Answer 200 whatever the method."""
    return JsonResponse({"ok": True})


def any_file(request: HttpRequest, name: str) -> HttpResponse:
    """Answer 200 for any name, so an unknown sub-path is a success."""
    return JsonResponse({"name": name})


@require_GET
def html_not_found(request: HttpRequest, name: str) -> HttpResponse:
    """Answer an HTML 404 for any name (and Django's HTML 405 for a method other than GET or HEAD)."""
    return HttpResponseNotFound("<html><body><h1>No such file</h1></body></html>")


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<html><body>A page</body></html>")


urlpatterns = [
    path("api/good", Good.as_view()),
    path("api/items/<int:pk>", Good.as_view()),
    path("api/v2/", include([path("things/<uuid:thing_id>/<slug:part>", Good.as_view())])),
    re_path(r"^api/legacy/(?P<pk>[0-9]+)/$", Good.as_view()),
    re_path(r"^api/dated/(?P<year>[0-9]{4})$", Good.as_view()),  # no sample fits: left out of the check
    path("api/any-method", any_method),
    path("api/ignores-body", IgnoresBody.as_view()),
    path("api/files/<path:name>", any_file),
    path("api/html/<path:name>", html_not_found),  # rewritten into envelopes by the middleware: keeps the contract
    path("pages/only-get", page),
    path("pages/html/<path:name>", html_not_found),
]
