"""Every feature's tables, imported so that Base.metadata (and Alembic) sees them all."""

from kiosk.db import Base

__all__ = ["Base"]
