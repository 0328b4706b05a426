"""Application config: wiring happens here and nowhere else."""

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_finished, setting_changed
from django.db.models.signals import m2m_changed, post_delete, post_save


class CauseloopErrorsConfig(AppConfig):
    name = "causeloop_errors"
    verbose_name = "Causeloop errors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from causeloop_errors import catalog, policies, rules, trace, workspaces
        from causeloop_errors import checks as app_checks
        from causeloop_errors.conf import app_settings
        from causeloop_errors.models import RateLimitRule, WorkspacePolicy

        checks.register(app_checks.check_exception_handler)
        checks.register(app_checks.check_middleware)
        checks.register(app_checks.check_settings)
        checks.register(app_checks.check_error_views, checks.Tags.urls)
        checks.register(app_checks.check_json_parser)

        setting_changed.connect(app_settings.reset, dispatch_uid="causeloop_errors.settings_reset")
        setting_changed.connect(catalog.reset_on_setting_change, dispatch_uid="causeloop_errors.catalog_reset")
        setting_changed.connect(workspaces.reset_on_setting_change, dispatch_uid="causeloop_errors.workspaces_reset")
        request_finished.connect(trace.clear_trace_id, dispatch_uid="causeloop_errors.trace_clear")

        # Every process sees a policy change on its next request.
        post_save.connect(
            policies.stamp.bump_on_commit, sender=WorkspacePolicy, dispatch_uid="causeloop_errors.policy_saved"
        )
        post_delete.connect(
            policies.stamp.bump_on_commit, sender=WorkspacePolicy, dispatch_uid="causeloop_errors.policy_deleted"
        )
        m2m_changed.connect(
            policies.stamp.bump_on_commit,
            sender=WorkspacePolicy.break_glass_users.through,
            dispatch_uid="causeloop_errors.policy_break_glass_changed",
        )
        post_save.connect(rules.stamp.bump_on_commit, sender=RateLimitRule, dispatch_uid="causeloop_errors.rule_saved")
        post_delete.connect(
            rules.stamp.bump_on_commit, sender=RateLimitRule, dispatch_uid="causeloop_errors.rule_deleted"
        )
