"""Application config of the envelope core: wiring happens here and nowhere else."""

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_finished, setting_changed


class CauseloopErrorsConfig(AppConfig):
    name = "causeloop_errors"
    verbose_name = "Causeloop errors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from causeloop_errors import catalog, faults, settings_checks, trace, versioning, workspaces
        from causeloop_errors import checks as app_checks
        from causeloop_errors.conf import app_settings

        checks.register(app_checks.check_exception_handler)
        checks.register(app_checks.check_middleware)
        checks.register(settings_checks.check_settings)
        checks.register(app_checks.check_error_views, checks.Tags.urls)
        checks.register(app_checks.check_json_parser)
        checks.register(app_checks.check_problem_negotiation)

        setting_changed.connect(app_settings.reset, dispatch_uid="causeloop_errors.settings_reset")
        setting_changed.connect(catalog.reset_on_setting_change, dispatch_uid="causeloop_errors.catalog_reset")
        setting_changed.connect(versioning.reset_on_setting_change, dispatch_uid="causeloop_errors.versioning_reset")
        setting_changed.connect(workspaces.reset_on_setting_change, dispatch_uid="causeloop_errors.workspaces_reset")
        setting_changed.connect(faults.reset, dispatch_uid="causeloop_errors.faults_reset")
        request_finished.connect(trace.clear_trace_id, dispatch_uid="causeloop_errors.trace_clear")
        # Version stamps of the feature apps' stores, read once their interval has passed, after the response.
        request_finished.connect(versioning.refresh_due_stamps, dispatch_uid="causeloop_errors.stamps_refresh")
