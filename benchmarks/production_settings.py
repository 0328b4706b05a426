"""Settings of the production rows: those of one of several worker processes sharing Redis and PostgreSQL.

Everything of ``benchmarks/settings.py`` is kept but the database, the caches, authentication and the app's
settings: ``CACHES["default"]`` is the shared Redis through django-redis (with socket timeouts, as the README
recommends for several processes), and the rate-limit counters (``RATELIMIT_USE_CACHE``), the app's version
stamps and audit counters (``POLICY_CACHE_ALIAS``) and DRF's throttle history (``default_cache``) are all on it.
The database is PostgreSQL, named by ``BENCH_DATABASE_URL`` (``DATABASE_URL`` syntax; not ``DATABASE_URL``
itself, which names the project's own database: the bench deletes the rows of its tables), with persistent
connections as a production process keeps them. The app's settings are its defaults (audit on, with the default
``AUDIT_CODES``) but the API path prefixes of the bench. Requests authenticate with a bench token
(``production_auth.py``); every view needs an authenticated user (``IsAuthenticated``), and an anonymous user is
Django's ``AnonymousUser`` as in any project with ``django.contrib.auth``. ``production_rows.py`` runs in its
own process with these settings.
"""

import os

import dj_database_url

from benchmarks.settings import *  # noqa: F403
from benchmarks.settings import INSTALLED_APPS, REDIS_URL, REST_FRAMEWORK

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/causeloop_bench"
REDIS_KEY_PREFIX = "causeloop-bench-production"

INSTALLED_APPS = [*INSTALLED_APPS, "django_otp", "django_otp.plugins.otp_totp"]  # the MFA user's confirmed device
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_KEY_PREFIX,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    },
}
RATELIMIT_USE_CACHE = "default"

CAUSELOOP_ERRORS = {"API_PATH_PREFIXES": ["/app/", "/plain/"], "POLICY_CACHE_ALIAS": "default"}

REST_FRAMEWORK = {
    **{name: value for name, value in REST_FRAMEWORK.items() if name != "UNAUTHENTICATED_USER"},
    "DEFAULT_AUTHENTICATION_CLASSES": ["benchmarks.production_auth.BenchTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
ROOT_URLCONF = "benchmarks.production_views"  # each handler resolves its own URLconf (production_views.urlconf)
