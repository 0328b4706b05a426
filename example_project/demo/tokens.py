"""Mint API tokens and digest them: the secret goes to the client once, only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from example_project.demo.models import ApiToken, Scope, Workspace

PREFIX = "clk_"
LIFETIME = timedelta(hours=1)
TOKEN_TYPE = "Bearer"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def digest(raw: str) -> str:
    """Return the hex SHA-256 of ``raw``, the only form in which a token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class MintedToken:
    """A token just created: the stored row and the secret the client receives once."""

    token: ApiToken
    secret: str

    def grant(self) -> dict[str, Any]:
        """Return the OAuth-style body answering a token request."""
        return {
            "access_token": self.secret,
            "token_type": TOKEN_TYPE,
            "expires_in": int(LIFETIME.total_seconds()),
            "scope": self.token.scope,
        }


def mint(user: Any, workspace: Workspace, *, amr: list[str], scope: str = Scope.READ_WRITE) -> MintedToken:
    """Create a token of ``user`` in ``workspace`` and return it with its one-time secret."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        digest=digest(secret),
        user=user,
        workspace=workspace,
        scope=scope,
        amr=list(amr),
        expires_at=timezone.now() + LIFETIME,
    )
    return MintedToken(token, secret)
