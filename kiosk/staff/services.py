"""Staff account views for the administrator page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kiosk.auth import Role
from kiosk.auth.models import StaffAccount
from kiosk.auth.services import (
    AccountError,
    add_account,
    disable_account,
    enable_account,
    list_accounts,
    locked_accounts,
    reset_pin,
    unlock_badge,
)
from kiosk.auth.throttle import acknowledge, open_alerts, wait_words


@dataclass(frozen=True)
class StaffRow:
    id: int
    badge: str
    display_name: str
    role: Role
    practitioner_ref: str | None
    active: bool


def staff_rows(db: Session) -> list[StaffRow]:
    return [StaffRow(a.id, a.badge, a.display_name, Role(a.role), a.practitioner_ref, a.active)
            for a in list_accounts(db)]


def _badge_of(db: Session, staff_id: int) -> str:
    account = db.get(StaffAccount, staff_id)
    if account is None:
        raise AccountError("That account does not exist.")
    return account.badge


def create(db: Session, *, badge: str, display_name: str, role: str, practitioner: str | None, pin: str,
           min_pin_length: int) -> StaffAccount:
    return add_account(db, badge=badge, display_name=display_name, role=Role(role), pin=pin,
                       practitioner_ref=practitioner or None, min_pin_length=min_pin_length)


def disable(db: Session, staff_id: int) -> StaffAccount:
    return disable_account(db, _badge_of(db, staff_id))


def enable(db: Session, staff_id: int) -> StaffAccount:
    return enable_account(db, _badge_of(db, staff_id))


@dataclass(frozen=True)
class LockedRow:
    """A badge locked after wrong PINs, as the charge nurse sees it before unlocking it."""

    id: int
    badge: str
    display_name: str
    role: Role
    locked_until: datetime


def locked_rows(db: Session, now: datetime) -> list[LockedRow]:
    return [LockedRow(a.id, a.badge, a.display_name, Role(a.role), until) for a, until in locked_accounts(db, now)]


def unlock(db: Session, staff_id: int, now: datetime) -> str:
    """Unlock an account's badge; the account's name. AccountError when it is not locked (any more)."""
    account = db.get(StaffAccount, staff_id)
    if account is None:
        raise AccountError("That account does not exist.")
    if not unlock_badge(db, account.badge, now):
        raise AccountError(f"{account.display_name}'s badge is not locked (any more).")
    return account.display_name


def new_pin(db: Session, staff_id: int, pin: str, min_pin_length: int) -> StaffAccount:
    return reset_pin(db, _badge_of(db, staff_id), pin, min_pin_length)


@dataclass(frozen=True)
class SignInAlertRow:
    """A client (kiosk station or other address) that went past its free wrong PINs across badges."""

    id: int
    client: str
    started_at: datetime
    last_at: datetime
    failures: int
    longest_wait: str


def sign_in_alerts(db: Session) -> list[SignInAlertRow]:
    return [SignInAlertRow(a.id, a.client, a.started_at, a.last_at, a.failures, wait_words(a.longest_wait_seconds))
            for a in open_alerts(db)]


def acknowledge_alert(db: Session, alert_id: int, by: str, now: datetime) -> bool:
    """True when the alert was open and is now acknowledged."""
    return acknowledge(db, alert_id, by, now) is not None
