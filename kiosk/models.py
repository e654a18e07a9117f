"""Every feature's tables, imported so that Base.metadata (and Alembic) sees them all."""
# ruff: noqa: F401

import kiosk.audit.models
import kiosk.auth.models
import kiosk.labels.models
import kiosk.scheduler.models
import kiosk.supplies.models
from kiosk.db import Base
