"""URLconf of the ``plain`` configuration: only ``/plain/...`` (see ``views.py``)."""

from django.urls import URLResolver, include, path

from benchmarks.views import routes

urlpatterns: list[URLResolver] = [path("plain/", include(routes("plain")))]
