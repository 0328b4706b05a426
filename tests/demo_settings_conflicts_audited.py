"""The example project's settings (as ``make demo`` runs them) with refusals of duplicates audited too.

Used by ``tests/test_demo_server_concurrency.py`` for a server process of its own: 409 ``conflict`` joins the
audited codes, and repeats are written at once, so the occurrences of concurrent refusals can be counted right
after their responses.
"""

from causeloop_errors.conf import DEFAULTS
from example_project.settings import *  # noqa: F403

CAUSELOOP_ERRORS = {
    **CAUSELOOP_ERRORS,  # noqa: F405
    "AUDIT_CODES": [*DEFAULTS["AUDIT_CODES"], "conflict"],  # the defaults and 409s
    "AUDIT_FLUSH_SECONDS": 0,
}
