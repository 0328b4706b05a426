"""Application config of rate-limit rules: checks, the middleware's guard, the store's stamp and announcements."""

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_delete, post_save


class RateLimitsConfig(AppConfig):
    name = "causeloop_errors.ratelimits"
    label = "causeloop_ratelimits"
    verbose_name = "Rate-limit rules"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from causeloop_errors import changes, hooks, wiring
        from causeloop_errors.ratelimits import checks as rule_checks
        from causeloop_errors.ratelimits.models import RateLimitRule
        from causeloop_errors.ratelimits.store import stamp
        from causeloop_errors.ratelimits.throttling import FEATURE, check_view

        checks.register(rule_checks.check_tables)
        checks.register(rule_checks.check_enforcement)
        hooks.add_view_guard(check_view)  # IP rules before the view, every rule for plain Django views
        wiring.add_feature(FEATURE)

        uid = "causeloop_errors.ratelimits.stamp"
        post_save.connect(stamp.bump_on_commit, sender=RateLimitRule, dispatch_uid=f"{uid}.saved")
        post_delete.connect(stamp.bump_on_commit, sender=RateLimitRule, dispatch_uid=f"{uid}.deleted")
        changes.watch(RateLimitRule)
