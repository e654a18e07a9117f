"""WSGI entry point for gunicorn: `gunicorn wsgi:app` (or simply `kiosk serve`)."""

from kiosk import create_app

app = create_app()
