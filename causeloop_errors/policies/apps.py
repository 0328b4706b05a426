"""Application config of workspace policies: checks, the store's stamp and the change announcements."""

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import m2m_changed, post_delete, post_save


class PoliciesConfig(AppConfig):
    name = "causeloop_errors.policies"
    label = "causeloop_policies"
    verbose_name = "Workspace security policies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from causeloop_errors import changes, wiring
        from causeloop_errors.policies import checks as policy_checks
        from causeloop_errors.policies.models import WorkspacePolicy
        from causeloop_errors.policies.permissions import FEATURE
        from causeloop_errors.policies.store import stamp

        checks.register(policy_checks.check_tables)
        checks.register(policy_checks.check_enforcement)
        wiring.add_feature(FEATURE)

        # Every process sees a policy change within a second; this one at once.
        uid = "causeloop_errors.policies.stamp"
        post_save.connect(stamp.bump_on_commit, sender=WorkspacePolicy, dispatch_uid=f"{uid}.saved")
        post_delete.connect(stamp.bump_on_commit, sender=WorkspacePolicy, dispatch_uid=f"{uid}.deleted")
        through = WorkspacePolicy.break_glass_users.through
        m2m_changed.connect(stamp.bump_on_commit, sender=through, dispatch_uid=f"{uid}.break_glass")
        changes.watch(WorkspacePolicy)
