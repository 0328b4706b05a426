"""Application config of audit events: receivers of the app's signals, the after-view writer, the repeat flush."""

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_finished


class AuditConfig(AppConfig):
    name = "causeloop_errors.audit"
    label = "causeloop_audit"
    verbose_name = "Audit events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from causeloop_errors import hooks, signals
        from causeloop_errors.audit import checks as audit_checks
        from causeloop_errors.audit import receivers, writer
        from causeloop_errors.audit.repeats import repeats

        checks.register(audit_checks.check_tables)
        checks.register(audit_checks.check_settings)
        checks.register(audit_checks.check_shared_cache)
        # Events queued during a view are written after it returned, outside its transaction.
        hooks.add_after_view(writer.has_pending, writer.flush)
        # Repeats of an event are written once their interval has passed, after the response went out.
        request_finished.connect(repeats.flush_if_due, dispatch_uid="causeloop_errors.audit_repeats_flush")
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
