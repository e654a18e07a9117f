"""The kiosk's version (shown on /healthz and in AuditEvents)."""

__version__ = "0.1.0"
