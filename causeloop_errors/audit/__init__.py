"""Audit events: refusals, crashes, break-glass uses and admin changes, linked to the trace id of their request.

Add ``"causeloop_errors.audit"`` to ``INSTALLED_APPS`` (after ``causeloop_errors``). The flow: the core's and the
other features' signals → ``receivers`` → ``writer`` (queued on the request, written after the view) →
``repeats`` (repeats counted in memory, flushed through ``counters`` and ``sql``) → ``models``; ``admin`` reads them.
"""
