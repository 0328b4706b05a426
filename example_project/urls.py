"""URLs of the example API."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("example_project.demo.urls")),
]

handler400 = "causeloop_errors.views.bad_request"
handler403 = "causeloop_errors.views.permission_denied"
handler404 = "causeloop_errors.views.page_not_found"
handler500 = "causeloop_errors.views.server_error"
