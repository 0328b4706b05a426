"""Application config: wiring happens here and nowhere else."""

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_finished, setting_changed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save


class CauseloopErrorsConfig(AppConfig):
    name = "causeloop_errors"
    verbose_name = "Causeloop errors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from causeloop_errors import (
            catalog,
            faults,
            policies,
            receivers,
            rules,
            signals,
            table_check,
            trace,
            versioning,
            wiring_checks,
            workspaces,
        )
        from causeloop_errors import checks as app_checks
        from causeloop_errors.audit_repeats import repeats
        from causeloop_errors.conf import app_settings
        from causeloop_errors.models import RateLimitRule, WorkspacePolicy

        checks.register(app_checks.check_exception_handler)
        checks.register(app_checks.check_middleware)
        checks.register(app_checks.check_settings)
        checks.register(app_checks.check_error_views, checks.Tags.urls)
        checks.register(app_checks.check_json_parser)
        checks.register(app_checks.check_problem_negotiation)
        checks.register(table_check.check_tables)
        checks.register(table_check.check_shared_cache)
        checks.register(wiring_checks.check_enforcement)

        setting_changed.connect(app_settings.reset, dispatch_uid="causeloop_errors.settings_reset")
        setting_changed.connect(catalog.reset_on_setting_change, dispatch_uid="causeloop_errors.catalog_reset")
        setting_changed.connect(versioning.reset_on_setting_change, dispatch_uid="causeloop_errors.versioning_reset")
        setting_changed.connect(workspaces.reset_on_setting_change, dispatch_uid="causeloop_errors.workspaces_reset")
        setting_changed.connect(faults.reset, dispatch_uid="causeloop_errors.faults_reset")
        request_finished.connect(trace.clear_trace_id, dispatch_uid="causeloop_errors.trace_clear")
        # Version stamps read and audit repeats written once their interval has passed, after the response went out.
        request_finished.connect(versioning.refresh_due_stamps, dispatch_uid="causeloop_errors.stamps_refresh")
        request_finished.connect(repeats.flush_if_due, dispatch_uid="causeloop_errors.audit_repeats_flush")

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

        # Audit events: the app's signals become rows; admin changes are diffed into config_changed.
        audited = (
            (signals.error_emitted, receivers.on_error_emitted, "error_emitted"),
            (signals.policy_denied, receivers.on_policy_denied, "policy_denied"),
            (signals.break_glass_used, receivers.on_break_glass, "break_glass_used"),
            (signals.rate_limit_exceeded, receivers.on_rate_limit_exceeded, "rate_limit_exceeded"),
            (signals.rate_limit_observed, receivers.on_rate_limit_observed, "rate_limit_observed"),
            (signals.config_changed, receivers.on_config_changed, "config_changed"),
        )
        for signal, receiver, name in audited:
            signal.connect(receiver, dispatch_uid=f"causeloop_errors.audit.{name}")
        for model in (WorkspacePolicy, RateLimitRule):
            label = model.__name__
            pre_save.connect(receivers.before_save, sender=model, dispatch_uid=f"causeloop_errors.before_{label}")
            post_save.connect(receivers.after_save, sender=model, dispatch_uid=f"causeloop_errors.saved_{label}")
            pre_delete.connect(receivers.before_delete, sender=model, dispatch_uid=f"causeloop_errors.deleting_{label}")
            post_delete.connect(receivers.after_delete, sender=model, dispatch_uid=f"causeloop_errors.deleted_{label}")
        m2m_changed.connect(
            receivers.on_m2m_changed,
            sender=WorkspacePolicy.break_glass_users.through,
            dispatch_uid="causeloop_errors.break_glass_diff",
        )
