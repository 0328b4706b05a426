"""The built wheel in a clean virtualenv with the newest Django: it installs, imports, migrates and passes its checks.

First the core alone (django-otp and django-ratelimit must not even be installed), then with the ``[mfa]`` and
``[ratelimit]`` extras and every feature app.

Run by ``make package`` after ``python -m build`` and ``twine check --strict``: ``python tests/smoke_wheel.py dist``.
Uses pyenv's newest Python when there is one (Django 6.1 needs 3.12+), else the running one with Django 5.2.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HOST = textwrap.dedent(
    """
    import importlib.util
    import sys

    import django
    from django.conf import settings

    FEATURES = sys.argv[1:] == ["features"]
    FEATURE_APPS = ["causeloop_errors.policies", "causeloop_errors.ratelimits", "causeloop_errors.audit"]
    if not FEATURES:  # the core's dependencies are Django and DRF alone
        assert importlib.util.find_spec("django_otp") is None and importlib.util.find_spec("django_ratelimit") is None

    settings.configure(
        DEBUG=False,
        SECRET_KEY="smoke",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "causeloop_errors",
            *(FEATURE_APPS + ["django_otp"] if FEATURES else []),
        ],
        MIDDLEWARE=["causeloop_errors.middleware.ErrorEnvelopeMiddleware"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        REST_FRAMEWORK={"EXCEPTION_HANDLER": "causeloop_errors.handler.exception_handler",
                        "DEFAULT_PARSER_CLASSES": ["causeloop_errors.parsers.JSONParser"]},
        SILENCED_SYSTEM_CHECKS=["causeloop_errors.W001"],
    )
    django.setup()
    urlpatterns = []

    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("check", fail_level="WARNING")
    response = Client().get("/api/nope")
    body = response.json()
    assert response.status_code == 404 and body["error"]["code"] == "not_found", response.content
    assert body["error"]["trace_id"] == response["X-Request-Id"]
    import rest_framework
    apps = "every feature app" if FEATURES else "the core alone"
    print(f"smoke: Django {django.__version__}, DRF {rest_framework.VERSION}, {apps}: migrate, check, a 404 envelope")
    """
)


def newest_python() -> tuple[str, str]:
    """Return (interpreter, Django requirement): pyenv's 3.13 or 3.12 with Django 6.1, else this one with 5.2."""
    for version in ("3.13", "3.12"):
        found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
        if found:
            return found[-1], "Django~=6.1.0"
    return sys.executable, "Django~=5.2.0"


def main(dist: str) -> int:
    [wheel] = glob.glob(str(Path(dist) / "causeloop_errors-*.whl"))
    python, django = newest_python()
    with tempfile.TemporaryDirectory() as place:
        venv = Path(place) / "venv"
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, wheel, django], check=True)
        host = Path(place) / "host.py"
        host.write_text(HOST)
        subprocess.run([str(venv / "bin" / "python"), str(host)], check=True, cwd=place)
        subprocess.run([*pip, f"{wheel}[mfa,ratelimit]", django], check=True)
        subprocess.run([str(venv / "bin" / "python"), str(host), "features"], check=True, cwd=place)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "dist"))
