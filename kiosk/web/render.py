"""One view answers both the full page and, when htmx asks, the fragment that the page includes (the
Hypermedia Systems contact app's pattern): `page_or_fragment("labels/queue.html",
"labels/_queue_table.html", jobs=...)`."""

from __future__ import annotations

from typing import Any

from flask import render_template

from kiosk.extensions import htmx


def is_htmx() -> bool:
    """An htmx request that swaps a fragment (a boosted link wants the whole page)."""
    return bool(htmx) and not htmx.boosted


def page_or_fragment(page: str, fragment: str, **context: Any) -> str:
    """The fragment for an htmx request, else the page (which includes the fragment)."""
    return render_template(fragment if is_htmx() else page, **context)
