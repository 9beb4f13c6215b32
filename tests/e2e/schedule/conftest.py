"""Fixtures for the schedule tests; helpers live in schedule_support.py."""

from schedule_support import setup

__all__ = ["setup"]
