"""Every workflow's tables, imported so that Base.metadata (and Alembic) sees them all. A workflow with
tables adds its models module here (one line)."""

from importlib import import_module

from kiosk.db import Base

MODEL_MODULES = (
    "kiosk.audit.models",
    "kiosk.auth.models",
    "kiosk.calls.models",
    "kiosk.census.models",
    "kiosk.discharge.models",
    "kiosk.labels.models",
    "kiosk.orders.models",
    "kiosk.paging.models",
    "kiosk.readiness.models",
    "kiosk.scheduler.models",
    "kiosk.supplies.models",
    "kiosk.transport.models",
)

for _module in MODEL_MODULES:
    import_module(_module)

__all__ = ["MODEL_MODULES", "Base"]
