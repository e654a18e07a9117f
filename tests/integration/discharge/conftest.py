"""Fixtures of these integration tests: a fresh unit per test, with its nurses and aides."""

from tests.support.whiteboard import ward

__all__ = ["ward"]
