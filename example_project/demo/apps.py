"""Application config of the example API."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "example_project.demo"
    label = "demo"
    verbose_name = "Causeloop demo API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from example_project.demo import openapi  # noqa: F401  # registers the bearer scheme with drf-spectacular
