"""URLconf of the ``app`` configuration: only ``/app/...`` (see ``views.py``)."""

from django.urls import URLResolver, include, path

from benchmarks.views import routes

urlpatterns: list[URLResolver] = [path("app/", include(routes("app")))]
