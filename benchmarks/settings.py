"""Minimal settings for the benchmark: no templates, an in-memory SQLite for the rules, audit events and query counts.

``MIDDLEWARE``, ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` and ``DEFAULT_THROTTLE_CLASSES`` are the host
wiring the app asks for; the plain-DRF configuration is built from the same settings with the app's
middleware left out (see ``harness.py``) and views whose ``get_exception_handler`` returns DRF's default and
that have no throttle (see ``views.py``). ``harness.py`` migrates the database (the auth apps are installed only
because ``AuditEvent`` has a foreign key to the user model; no authentication is configured).
"""

import hashlib
import os

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"

SECRET_KEY = "benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "causeloop_errors",
    "causeloop_errors.policies",
    "causeloop_errors.ratelimits",
    "causeloop_errors.audit",
]

APP_MIDDLEWARE = "causeloop_errors.middleware.ErrorEnvelopeMiddleware"
MIDDLEWARE = [APP_MIDDLEWARE]

ROOT_URLCONF = "benchmarks.urls"
TEMPLATES: list[dict[str, object]] = []  # Django's 500 view falls back to its built-in "Server Error (500)" page
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The rate-limit rows of the benchmark count on each of these in turn (``RATELIMIT_USE_CACHE`` and the app's
# ``POLICY_CACHE_ALIAS``, which holds the rules' version stamp, are switched together). ``redis`` is the
# configuration the README and the example project recommend: django-redis, whose ``incr`` is one round trip
# (a Lua EXISTS+INCRBY), so a rule costs two (``add``, ``incr``); ``redis_django`` is Django's own
# ``RedisCache``, whose ``incr`` checks existence first and costs two, so a rule costs three.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench"},
    "redis": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "causeloop-bench-django-redis",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    },
    "redis_django": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "causeloop-bench-django",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
}
RATELIMIT_USE_CACHE = "default"
# Stated as the README recommends: django-ratelimit reads these on every count, and a missing setting is an
# AttributeError caught per read; a dotted-path hash algorithm would be imported per read.
RATELIMIT_ENABLE = True
RATELIMIT_CACHE_PREFIX = "rl:"
RATELIMIT_HASH_ALGORITHM = hashlib.sha256

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "causeloop_errors.handler.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["causeloop_errors.ratelimits.throttling.RateLimitRuleThrottle"],
}

# Both prefixes are API paths, so the app would envelope either; only the /app/ handler has its middleware.
# Audit events are off here: these rows compare the envelope with plain DRF, which writes nothing. The audit rows
# of ``audit_rows.py`` turn them on (the default AUDIT_CODES) with ``override_settings`` around their own blocks only.
CAUSELOOP_ERRORS = {"API_PATH_PREFIXES": ["/app/", "/plain/"], "AUDIT_CODES": []}

# Records are still created at the usual levels (Django's "Not Found" warnings, the 500's error with its
# traceback) in both configurations, but every handler discards them: no formatting, no I/O, no admin mail.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"discard": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["discard"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["discard"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["discard"], "level": "WARNING", "propagate": False},
        "causeloop_errors": {"handlers": ["discard"], "level": "WARNING", "propagate": False},
    },
}
