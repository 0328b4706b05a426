"""URLs of the example API."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("example_project.demo.urls")),
]

handler400 = "causeloop_errors.views.bad_request"
handler403 = "causeloop_errors.views.permission_denied"
handler404 = "causeloop_errors.views.page_not_found"
handler500 = "causeloop_errors.views.server_error"
