"""Every feature's tables, imported so that Base.metadata (and Alembic) sees them all."""

from kiosk.db import Base
from kiosk.labels import models as labels_models  # noqa: F401

__all__ = ["Base"]
