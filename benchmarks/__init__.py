"""Benchmarks of causeloop_errors: ``make bench`` runs ``benchmarks/run.py``."""
