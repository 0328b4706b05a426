"""The envelope core alone: no feature app in INSTALLED_APPS, and django-otp and django-ratelimit not importable.

Run by ``tests/test_core_alone.py`` in a process of its own (``pytest --noconftest``), so nothing of the main
suite's settings, fixtures or imports leaks in.
"""

import importlib.abc
import sys
from typing import Any

BLOCKED = ("django_otp", "django_ratelimit")


class _Uninstalled(importlib.abc.MetaPathFinder):
    """Refuse the feature apps' dependencies, as an environment without the ``[mfa]`` and ``[ratelimit]`` extras."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: the core runs alone)", name=name)


sys.meta_path.insert(0, _Uninstalled())

SECRET_KEY = "core-alone-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "causeloop_errors",
]
MIDDLEWARE = [
    "causeloop_errors.middleware.ErrorEnvelopeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.core_alone.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "causeloop_errors.handler.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["causeloop_errors.parsers.JSONParser", "causeloop_errors.parsers.FormParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "causeloop_errors.openapi.ErrorAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [],
}
CAUSELOOP_ERRORS = {"API_PATH_PREFIXES": ["/api/"]}
