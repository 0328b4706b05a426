"""Minimal settings for the benchmark: no auth, no templates, an in-memory SQLite only to count queries.

``MIDDLEWARE`` and ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` are the host wiring the app asks for; the
plain-DRF configuration is built from the same settings with the app's middleware left out (see
``run.py``) and views whose ``get_exception_handler`` returns DRF's default (see ``views.py``).
"""

SECRET_KEY = "benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]

INSTALLED_APPS = [
    "rest_framework",
    "causeloop_errors",
]

APP_MIDDLEWARE = "causeloop_errors.middleware.ErrorEnvelopeMiddleware"
MIDDLEWARE = [APP_MIDDLEWARE]

ROOT_URLCONF = "benchmarks.urls"
TEMPLATES: list[dict[str, object]] = []  # Django's 500 view falls back to its built-in "Server Error (500)" page
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
}

# Both prefixes are API paths, so the app would envelope either; only the /app/ handler has its middleware.
CAUSELOOP_ERRORS = {"API_PATH_PREFIXES": ["/app/", "/plain/"]}

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
