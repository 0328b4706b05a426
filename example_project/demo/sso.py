"""The demo identity provider: subject tokens signed with ``django.core.signing``, valid five minutes.

A stand-in for a real IdP, so ``/auth/exchange`` can be tried with one management command.
"""

from __future__ import annotations

from django.core import signing

SALT = "causeloop.demo.sso"
MAX_AGE_SECONDS = 300


def issue(username: str) -> str:
    """Return a subject token asserting ``username``."""
    return signing.dumps({"sub": username}, salt=SALT)


def subject(token: str) -> str | None:
    """Return the username a subject token asserts, or None if it is malformed, badly signed or expired."""
    try:
        claims = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    except ValueError:  # validly signed by a plain Signer with our salt, but without a timestamp
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and sub else None
