"""Helpers for host projects' test suites: assert the error contract (pytest plugin and unittest mixin)."""
