"""Causeloop errors: one published error envelope for every failure of a Django REST framework API."""

__version__ = "0.1.0"
