"""Test settings: the example project's, with a fast password hasher."""

from example_project.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Audit repeats written at once (each its own UPDATE), so a test reads exact occurrences right after its requests;
# the tests of the flush interval itself (tests/test_audit_repeats.py) set the default back.
CAUSELOOP_ERRORS = {**CAUSELOOP_ERRORS, "AUDIT_FLUSH_SECONDS": 0}  # noqa: F405
