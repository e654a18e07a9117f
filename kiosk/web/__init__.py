"""Web pieces every workflow shares: the notice a screen shows, one way to answer a full page or an
htmx fragment, and one way to carry out a FHIR change and tell the person how it ended."""

from .notices import Notice
from .render import is_htmx, page_or_fragment

__all__ = ["Notice", "is_htmx", "page_or_fragment"]
