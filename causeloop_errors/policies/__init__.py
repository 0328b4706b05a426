"""Workspace security policies: require MFA (django-otp) or SSO per workspace, set in the Django admin.

Add ``"causeloop_errors.policies"`` to ``INSTALLED_APPS`` (after ``causeloop_errors``), install the ``[mfa]``
extra, and enforce with ``causeloop_errors.policies.permissions.EnforceWorkspacePolicy``. The flow:
``models`` → ``store`` (per-process snapshots) → ``decisions`` → ``permissions`` (DRF and Django adapters).
"""
