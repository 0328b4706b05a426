"""Drive the benchmark's WSGI handlers in-process: Django setup, handlers, environs, requests and timed blocks.

Shared by every part of ``make bench`` (``core.py``, ``audit_rows.py``, ``ratelimit_rows.py``); the method is
described in ``run.py``.
"""

from __future__ import annotations

import gc
import io
import os
import sys
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ("app", "plain")
PATHS = ("success", "not_found", "validation", "server_error")
SUCCESS_TARGET = 1.10
ERROR_TARGET = 1.25
QUERY_SAMPLE = 10

Environ = dict[str, Any]
Handler = Callable[[Environ, Callable[..., Any]], Any]


class BenchmarkError(Exception):
    """The benchmark is not measuring what it claims to (wrong wiring, wrong responses)."""


@dataclass(frozen=True)
class Case:
    """One benchmarked path: its view name, request, expected status and target ratio."""

    name: str
    method: str
    body: bytes
    status: int
    target: float
    headers: tuple[tuple[str, str], ...] = ()  # extra WSGI environ entries, e.g. ("HTTP_AUTHORIZATION", "...")


def expect(condition: bool, message: str) -> None:
    """Raise ``BenchmarkError`` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise BenchmarkError(message)


def verdict(ok: bool) -> str:
    """Return the word a report prints for a target that holds or not."""
    return "PASS" if ok else "FAIL"


def setup_django(settings_module: str = "benchmarks.settings") -> None:
    """Configure Django with ``settings_module`` and migrate its database (in-memory SQLite by default)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module  # never a host's settings from the shell
    import django

    django.setup()
    from django.core.management import call_command

    # The app reads its rate-limit rules from the database (once per process, then when their stamp changes)
    # and writes audit events there; AuditEvent's foreign key to the user model brings in the auth tables.
    call_command("migrate", run_syncdb=True, verbosity=0)


def build_handlers(urlconfs: dict[str, Any] | None = None) -> dict[str, Handler]:
    """Return one ``WSGIHandler`` per configuration, differing only in middleware and URLconf.

    Each handler's request class carries ``urlconf`` (Django's per-request URLconf hook), so each
    configuration resolves its own one-prefix URLconf and URL resolving costs the same in both. ``urlconfs``
    maps a configuration to its URLconf (a dotted path or a module); by default ``benchmarks.urls_<config>``.
    """
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
    from django.test import override_settings

    app_middleware = list(settings.MIDDLEWARE)
    expect(app_middleware[:1] == [settings.APP_MIDDLEWARE], "the app's middleware must come first in MIDDLEWARE")
    plain_middleware = [name for name in app_middleware if name != settings.APP_MIDDLEWARE]
    handlers: dict[str, Handler] = {}
    for config, middleware in (("app", app_middleware), ("plain", plain_middleware)):
        name = config.title()
        urlconf = urlconfs[config] if urlconfs else f"benchmarks.urls_{config}"
        request_class = type(f"{name}Request", (WSGIRequest,), {"urlconf": urlconf})
        handler_class = type(f"{name}WSGIHandler", (WSGIHandler,), {"request_class": request_class})
        with override_settings(MIDDLEWARE=middleware):
            handlers[config] = handler_class()  # __init__ runs load_middleware() under the override
    return handlers


def environ(config: str, case: Case) -> Environ:
    """Return a fresh WSGI environ for ``case`` under ``config``'s prefix."""
    environ: Environ = {
        "REQUEST_METHOD": case.method,
        "PATH_INFO": f"/{config}/{case.name}",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(case.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if case.body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(case.body))
    environ.update(case.headers)
    return environ


def _ignore_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def drive(handler: Handler, environs: Iterable[Environ]) -> None:
    """Serve each environ the way a WSGI server does: call, consume the body, close."""
    for environ in environs:
        response = handler(environ, _ignore_start_response)
        for _chunk in response:
            pass
        response.close()


@dataclass(frozen=True)
class Reply:
    """What a client would see, plus whether DRF's ``handle_exception`` produced the response."""

    status: int
    headers: dict[str, str]
    body: bytes
    from_view_handler: bool  # APIView.handle_exception marks its responses ``exception = True``


def request(handler: Handler, environ: Environ) -> Reply:
    """Serve one environ and return what the client would see."""
    started: list[Any] = []
    response = handler(environ, lambda status, headers, exc_info=None: started.extend((status, headers)))
    body = b"".join(response)
    response.close()
    status, headers = started
    return Reply(
        int(status.split()[0]),
        {name.lower(): value for name, value in headers},
        body,
        getattr(response, "exception", False) is True,
    )


@contextmanager
def _app_receivers_off() -> Iterator[None]:
    """Disconnect the app's ``request_started``/``request_finished`` receivers, reconnect them after.

    They are connected for the whole process (``AppConfig.ready``), so without this ``plain`` requests would run
    them too: the trace id's reset, and whatever periodic work the app hangs there (writing audit repeats once an
    interval has passed), which would then be counted on the plain side.
    """
    from django.core.signals import request_finished, request_started

    removed = []
    for signal in (request_started, request_finished):
        for lookup_key, reference, _is_async in list(signal.receivers):
            receiver = reference() if isinstance(reference, weakref.ReferenceType) else reference
            if receiver is not None and str(getattr(receiver, "__module__", "")).startswith("causeloop_errors"):
                uid = lookup_key[0] if isinstance(lookup_key[0], str) else None
                signal.disconnect(receiver, dispatch_uid=uid)
                removed.append((signal, receiver, uid))
    try:
        yield
    finally:
        for signal, receiver, uid in removed:
            signal.connect(receiver, dispatch_uid=uid)


def receivers_for(config: str) -> Any:
    """Return a context for serving ``config``'s requests: ``plain`` runs without the app's request receivers."""
    return _app_receivers_off() if config == "plain" else nullcontext()


def time_block(handler: Handler, config: str, case: Case, requests: int) -> float:
    """Return the mean µs per request of one block of ``requests`` requests."""
    environs = [environ(config, case) for _ in range(requests)]
    gc.collect()
    with receivers_for(config):
        start = time.perf_counter_ns()
        drive(handler, environs)
        elapsed = time.perf_counter_ns() - start
    return elapsed / requests / 1000
