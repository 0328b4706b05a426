"""A root URLconf that does not wire the app's error views (for check W001)."""

from django.urls import path

from tests.core_views import Ok

urlpatterns = [path("api/ok", Ok.as_view())]
