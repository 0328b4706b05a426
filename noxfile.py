"""The supported matrix: Python x Django x DRF where they pair upstream (README: Supported versions).

``nox -s tests`` runs every cell; ``nox -s "tests(oldest)"`` or ``nox -s "tests(newest)"`` one (``.ci/run`` runs
those two). Each cell installs the project with its ``dev`` extra, then the cell's Django and DRF, and runs the
suite on SQLite with the local-memory cache (``make test-services`` covers PostgreSQL and Redis on the default
versions).
"""

from __future__ import annotations

import glob
import os

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

# (id, python, Django, DRF). Django 6.x needs Python 3.12+; Django 6.1 needs DRF 3.18 (3.17 imports
# django.utils.cache.cc_delim_re, which 6.1 removed; 3.16 does not import at all).
CELLS = [
    ("oldest", "3.11", "5.2", "3.16"),
    ("py311-dj52-drf317", "3.11", "5.2", "3.17"),
    ("py311-dj52-drf318", "3.11", "5.2", "3.18"),
    ("py312-dj60-drf316", "3.12", "6.0", "3.16"),
    ("py312-dj60-drf318", "3.12", "6.0", "3.18"),
    ("py313-dj52-drf318", "3.13", "5.2", "3.18"),
    ("py312-dj61-drf318", "3.12", "6.1", "3.18"),
    ("newest", "3.13", "6.1", "3.18"),
]


def interpreter(version: str) -> str:
    """Return pyenv's interpreter of ``version`` where there is one (its shims find only the global version)."""
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    return found[-1] if found else version


@nox.session
@nox.parametrize(
    ("python", "django", "drf"),
    [(interpreter(python), django, drf) for _, python, django, drf in CELLS],
    ids=[cell[0] for cell in CELLS],
)
def tests(session: nox.Session, django: str, drf: str) -> None:
    session.install("-e", ".[dev]")
    session.install(f"Django~={django}.0", f"djangorestframework~={drf}.0")
    session.run("python", "-c", "import django, rest_framework; print(django.__version__, rest_framework.VERSION)")
    session.run("pytest", "-q", "-m", "not fuzz and not browser", "-p", "no:randomly", *session.posargs)
