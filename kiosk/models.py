"""Every feature's tables, imported so that Base.metadata (and Alembic) sees them all."""

from kiosk.db import Base
from kiosk.scheduler import models as _scheduler_models  # noqa: F401
from kiosk.supplies import models as _supplies_models  # noqa: F401

__all__ = ["Base"]
