"""Signals the app sends. Hosts connect their own receivers (e.g. to ship events to a SIEM).

Each signal's sender and keyword arguments are documented where it is defined.
"""

from django.dispatch import Signal

# An error envelope was sent (once per request, by the middleware, after the view returned).
# sender: ErrorEnvelopeMiddleware; kwargs: request, code, status, details (the envelope's details or None).
error_emitted = Signal()

# A workspace policy denied a request.
# sender: the WorkspacePolicy model class; kwargs: request, user, workspace_key, code ("mfa_required" or
# "sso_required"), details (the envelope's details).
policy_denied = Signal()

# A break-glass user passed a workspace's SSO requirement without SSO.
# sender: the WorkspacePolicy model class; kwargs: request, user, workspace_key.
break_glass_used = Signal()

# An enforcing rate-limit rule refused a request (429).
# sender: the RateLimitRule model class; kwargs: request, rule (its name), key ("ip", "user", "token" or
# "workspace"), counted (the value counted: the IP, user pk, token pk or workspace key), limit,
# window_seconds, retry_after, window_end (epoch seconds when the window in force resets).
rate_limit_exceeded = Signal()

# An observe-mode rule would have refused a request; it was let through.
# sender and kwargs: as rate_limit_exceeded.
rate_limit_observed = Signal()

# A workspace policy or a rate-limit rule was created, changed or deleted.
# sender: the model class (WorkspacePolicy or RateLimitRule); kwargs: instance, operation ("created",
# "changed" or "deleted"), changes ({field: [before, after]}; before is None on creation, after on deletion).
config_changed = Signal()
