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
