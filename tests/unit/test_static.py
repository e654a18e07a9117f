"""The vendored htmx is the pinned 2.0.x release, byte for byte, and no template loads a CDN."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kiosk import HTMX_ASSET, HTMX_SSE_ASSET

STATIC = Path(__file__).resolve().parents[2] / "kiosk" / "static"
TEMPLATES = STATIC.parent / "templates"
# sha256 of htmx.org@2.0.11 dist/htmx.min.js from the npm registry
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_vendored_htmx_is_the_pinned_release() -> None:
    data = (STATIC / HTMX_ASSET).read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SHA256
    assert b'version:"2.0.11"' in data

# sha256 of htmx-ext-sse@2.2.4 dist/sse.min.js from the npm registry
# (the tarball's sha1, as the registry lists it: 56c131924e57c862f42a1a963949633815fd4192)
HTMX_SSE_SHA256 = "98a46496de0c3605fbffdce9167ba427bdd9553184f83f149c261891a92c0136"


def test_vendored_sse_extension_is_the_pinned_release() -> None:
    data = (STATIC / HTMX_SSE_ASSET).read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SSE_SHA256
    assert b'htmx.defineExtension("sse"' in data


def test_no_template_loads_scripts_from_elsewhere_or_inline() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for cdn in ("unpkg.com", "jsdelivr", "cdnjs", "googleapis"):
            assert cdn not in text, template
        # Content-Security-Policy allows no inline script: every <script> has a src.
        for chunk in text.split("<script")[1:]:
            assert "src=" in chunk.split(">", 1)[0], template
        assert " on" + "click=" not in text, template


def test_every_workflow_has_a_drawn_icon() -> None:
    from kiosk import create_app
    from kiosk.config import load_settings
    from kiosk.nav import nav_items

    icons = (TEMPLATES / "_icons.html").read_text()
    app = create_app(load_settings(env={"KIOSK_WEB_SECRET_KEY": "x" * 32}), testing=True)
    for item in nav_items(app):
        assert f'name == "{item.icon}"' in icons, item
