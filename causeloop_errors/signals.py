"""Signals the app sends. Hosts connect their own receivers (e.g. to ship events to a SIEM).

Each signal's sender and keyword arguments are documented where it is defined.
"""

from django.dispatch import Signal

# A workspace policy denied a request.
# sender: the WorkspacePolicy model class; kwargs: request, user, workspace_key, code ("mfa_required" or
# "sso_required"), details (the envelope's details).
policy_denied = Signal()

# A break-glass user passed a workspace's SSO requirement without SSO.
# sender: the WorkspacePolicy model class; kwargs: request, user, workspace_key.
break_glass_used = Signal()

# An enforcing rate-limit rule refused a request (429).
# sender: the RateLimitRule model class; kwargs: request, rule (its name), key ("ip", "user", "token" or
# "workspace"), limit, window_seconds, retry_after.
rate_limit_exceeded = Signal()

# An observe-mode rule would have refused a request; it was let through.
# sender and kwargs: as rate_limit_exceeded.
rate_limit_observed = Signal()
