"""Settings of the example API: SQLite and the local-memory cache unless DATABASE_URL / REDIS_URL say otherwise."""

import hashlib
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_ratelimit",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from here, not from a CDN (works offline)
    "causeloop_errors",  # the envelope core
    "causeloop_errors.policies",  # workspace MFA and SSO policies (extra [mfa])
    "causeloop_errors.ratelimits",  # rate-limit rules (extra [ratelimit])
    "causeloop_errors.audit",  # audit events
    "example_project.demo",
]

MIDDLEWARE = [
    "causeloop_errors.middleware.ErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite under runserver's threads: a DEFERRED transaction (SQLite's default) reads, then upgrades to the write
    # lock, and if another request holds it SQLite answers "database is locked" at once, without waiting: concurrent
    # writes became server errors (audit writes failed alike). IMMEDIATE takes the write lock at BEGIN, where the
    # busy timeout makes the others wait their turn; WAL lets reads go on while one request writes. The price: with
    # ATOMIC_REQUESTS each request's view runs alone, one after the other (a demo; use PostgreSQL for more).
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,  # seconds a request waits for the write lock before "database is locked"
        "init_command": "PRAGMA journal_mode=WAL;",
    }

if os.environ.get("REDIS_URL"):
    # django-redis: its incr is one round trip, so a rate-limit rule costs two (add, incr); Django's own
    # RedisCache checks existence before INCR and spends three.
    # Socket timeouts bound what a stalled Redis costs a request (REDIS_SOCKET_TIMEOUT seconds, default 1).
    REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT") or 1.0)
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT, "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The local-memory cache counts for this one process only: right for `make demo` and the tests, wrong for
    # several processes, which need REDIS_URL. Only here are django-ratelimit's cache checks silenced.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_USE_CACHE = "default"
# django-ratelimit's defaults, stated: each setting it reads and finds unset costs an exception per rule and request.
RATELIMIT_ENABLE = True
RATELIMIT_FAIL_OPEN = False  # the per-rule fault modes of causeloop_errors decide
RATELIMIT_CACHE_PREFIX = "rl:"
RATELIMIT_HASH_ALGORITHM = hashlib.sha256  # the function, not its dotted path: a path is imported per count

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# Never empty: Django's live server (tests) serves MEDIA_URL from MEDIA_ROOT, and an empty MEDIA_URL would make
# it look up every request path as a file in the working directory before the app sees it.
MEDIA_URL = "/media/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CSRF_FAILURE_VIEW = "causeloop_errors.views.csrf_failure"

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "causeloop_errors.handler.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["example_project.demo.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "causeloop_errors.policies.permissions.EnforceWorkspacePolicy",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["causeloop_errors.ratelimits.throttling.RateLimitRuleThrottle"],
    "DEFAULT_PARSER_CLASSES": [
        "causeloop_errors.parsers.JSONParser",
        "causeloop_errors.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "LIST_SERIALIZER_ERRORS_AS_DICT": True,
    # OpenAPI: every operation documents the errors it can answer (served at /api/schema, /api/docs, /api/redoc)
    "DEFAULT_SCHEMA_CLASS": "causeloop_errors.openapi.ErrorAutoSchema",
    # Lets a client send Accept: application/problem+json alone when NEGOTIATE_PROBLEM_DETAILS is on (no 406)
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "causeloop_errors.negotiation.ProblemDetailsNegotiation",
}

# The envelope style (README, "Envelope styles"): causeloop, problem, identity, capi or helpdesk.
ERROR_STYLE = os.environ.get("CAUSELOOP_STYLE") or "causeloop"

SPECTACULAR_SETTINGS = {
    "TITLE": "Causeloop demo API",
    "DESCRIPTION": f"Every failure is an error body of the {ERROR_STYLE!r} envelope style; each operation lists the "
    "error statuses it can answer, the codes of each status and their details.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,  # the schema endpoint does not document itself
    "ENFORCE_NON_BLANK_FIELDS": True,  # DRF refuses "" in a CharField without allow_blank: minLength 1 says so
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CAUSELOOP_ERRORS: dict[str, object] = {
    "API_PATH_PREFIXES": ["/api/", "/auth/"],
    # Workspace policies name the demo's workspaces by slug; the admin counts members a change would block.
    "WORKSPACE_MODEL": "demo.Workspace",
    "WORKSPACE_KEY_FIELD": "slug",
    "WORKSPACE_MEMBERS": "example_project.demo.models.workspace_members",
    "STYLE": ERROR_STYLE,
    "PROBLEM_TYPE_BASE_URL": "https://docs.example.com/errors/",  # a placeholder for your error documentation
    "ALLOW_DEBUG_HEADER": True,  # X-Debug answers only with DJANGO_DEBUG=1, and only to staff
    # The contract's own words for four built-in codes, whose built-in descriptions are neutral (statuses stay).
    "CODES": [
        {
            "code": "invalid_grant",
            "description": "The subject_token passed to /auth/exchange is invalid or could not be verified.",
        },
        {"code": "forbidden", "description": "Valid token but insufficient scope for this operation."},
        {
            "code": "conflict",
            "description": "The operation would create a duplicate (e.g. a service account with the same name).",
        },
        {"code": "rate_limited", "description": "Too many requests from this IP. See the Retry-After header."},
    ],
}

# The issuer shown by authenticator apps for the demo's TOTP devices.
OTP_TOTP_ISSUER = "Causeloop demo"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"trace_id": {"()": "causeloop_errors.trace.TraceIdFilter"}},
    "formatters": {"traced": {"format": "%(asctime)s %(levelname)s [trace_id=%(trace_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["trace_id"], "formatter": "traced"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}
