"""``ROOT_URLCONF``: both configurations' routes. The benchmark's handlers use ``urls_app`` / ``urls_plain``."""

from django.urls import URLResolver, include, path

from benchmarks.views import routes

urlpatterns: list[URLResolver] = [path("app/", include(routes("app"))), path("plain/", include(routes("plain")))]
