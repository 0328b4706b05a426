"""The trace id: format, validation of incoming ids, context isolation and the logging filter."""

from __future__ import annotations

import logging
import threading

from asgiref.sync import async_to_sync

from causeloop_errors import trace
from tests.contract import is_uuid


def test_new_trace_id_is_a_canonical_uuid_like_the_contracts_example() -> None:
    import uuid

    values = {trace.new_trace_id() for _ in range(1000)}
    assert len(values) == 1000
    for value in values:
        assert is_uuid(value) and len(value) == len("7f3a1b2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c")
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)


def test_incoming_ids_must_be_8_to_128_safe_characters() -> None:
    assert trace.is_valid_incoming_id("abcd-123")
    assert trace.is_valid_incoming_id("a" * 128)
    assert trace.is_valid_incoming_id("edge:req.1_2-3")
    assert trace.is_valid_incoming_id("req_" + "0123456789abcdef" * 2)  # the identity and helpdesk styles' ids
    for bad in (None, "", "short12", "a" * 129, "a b c d e", "abc/def/ghi", "id\nwith-newline", "ünïcode-id"):
        assert not trace.is_valid_incoming_id(bad)


def test_set_and_reset_restore_the_previous_id() -> None:
    token = trace.set_trace_id("outer-id-1")
    inner = trace.set_trace_id("inner-id-2")
    assert trace.get_trace_id() == "inner-id-2"
    trace.reset_trace_id(inner)
    assert trace.get_trace_id() == "outer-id-1"
    trace.reset_trace_id(token)


def test_trace_id_does_not_leak_between_threads() -> None:
    trace.set_trace_id("main-thread-id")
    seen: list[str | None] = []
    thread = threading.Thread(target=lambda: seen.append(trace.get_trace_id()))
    thread.start()
    thread.join()
    assert seen == [None]
    trace.clear_trace_id()


def test_trace_id_follows_async_code() -> None:
    async def inside() -> str | None:
        return trace.get_trace_id()

    trace.set_trace_id("async-trace-id")
    assert async_to_sync(inside)() == "async-trace-id"
    trace.clear_trace_id()


def test_logging_filter_adds_the_current_trace_id_or_a_dash() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    trace.clear_trace_id()
    assert trace.TraceIdFilter().filter(record) and record.trace_id == "-"  # type: ignore[attr-defined]
    trace.set_trace_id("log-trace-id")
    trace.TraceIdFilter().filter(record)
    assert record.trace_id == "log-trace-id"  # type: ignore[attr-defined]
    trace.clear_trace_id()


def test_current_or_new_starts_an_id_outside_a_request() -> None:
    trace.clear_trace_id()
    value = trace.current_or_new_trace_id()
    assert is_uuid(value) and trace.get_trace_id() == value
    trace.clear_trace_id()
