"""How a browser reads what the kiosk answers (for tests of redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit


def browser_target(location: str, own_host: str = "kiosk") -> str:
    """The host a browser on http://<own_host>/ goes to for a Location header: it drops tabs and
    newlines and reads '\\' as '/' before it resolves the address."""
    cleaned = location.strip().replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    if cleaned.startswith("//"):
        return urlsplit("http:" + cleaned).netloc
    return urlsplit(cleaned).netloc or own_host
