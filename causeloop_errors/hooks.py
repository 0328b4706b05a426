"""How a feature app takes part in every request without the core importing it (registered in its ``ready()``).

- A *view guard* runs before each view (``process_view`` of the middleware) with ``(request, view_func)``; it
  refuses the request by raising an ``APIError``, which is answered as its envelope.
- An *after-view* step runs once the view has returned and ``error_emitted`` was sent, outside the view's
  transaction, for the requests its ``pending(request)`` says have work (e.g. audit events to write). ``pending``
  must not do I/O (it runs on the event loop under ASGI); a ``run`` that raises is logged, never answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

ViewGuard = Callable[[Any, Any], None]


class AfterView(NamedTuple):
    pending: Callable[[Any], bool]
    run: Callable[[Any], None]


# Tuples, replaced on registration: every request reads them, only ``ready()`` writes them.
_view_guards: tuple[ViewGuard, ...] = ()
_after_view: tuple[AfterView, ...] = ()


def add_view_guard(guard: ViewGuard) -> None:
    """Run ``guard(request, view_func)`` before every view (once, however often ``ready()`` runs)."""
    global _view_guards
    if guard not in _view_guards:
        _view_guards = (*_view_guards, guard)


def add_after_view(pending: Callable[[Any], bool], run: Callable[[Any], None]) -> None:
    """Run ``run(request)`` after every view for which ``pending(request)`` is true."""
    global _after_view
    step = AfterView(pending, run)
    if step not in _after_view:
        _after_view = (*_after_view, step)


def view_guards() -> tuple[ViewGuard, ...]:
    """Return the registered view guards, in registration order."""
    return _view_guards


def after_view_steps() -> tuple[AfterView, ...]:
    """Return the registered after-view steps, in registration order."""
    return _after_view
