"""`kiosk user ...`: staff accounts on the command line."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli_context import KioskContext, pass_kiosk

from .roles import Role
from .services import (
    DEMO_STAFF,
    AccountError,
    add_account,
    disable_account,
    ensure_demo_staff,
    list_accounts,
    reset_pin,
)


def _db(kiosk: KioskContext):  # type: ignore[no-untyped-def]
    from kiosk.db import Database

    database = Database(kiosk.settings.database_url)
    database.upgrade()
    return database


@click.group()
def user() -> None:
    """Staff accounts: badge, name, role, PIN."""


@user.command("add")
@click.option("--badge", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--practitioner", help="For providers: Practitioner/<id> (or an identifier query) on the FHIR server.")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True)
@pass_kiosk
def add(kiosk: KioskContext, badge: str, display_name: str, role: str, practitioner: str | None, pin: str) -> None:
    """Add a staff account."""
    with _db(kiosk).session() as db:
        try:
            add_account(db, badge=badge, display_name=display_name, role=Role(role), pin=pin,
                        practitioner_ref=practitioner, min_pin_length=kiosk.settings.auth.pin_min_length)
        except AccountError as e:
            raise click.ClickException(str(e)) from None
    click.echo(f"Added {display_name} ({Role(role).label}), badge {badge}.")


@user.command("disable")
@click.argument("badge")
@pass_kiosk
def disable(kiosk: KioskContext, badge: str) -> None:
    """Disable an account (its open sessions end at once)."""
    with _db(kiosk).session() as db:
        try:
            account = disable_account(db, badge)
        except AccountError as e:
            raise click.ClickException(str(e)) from None
        click.echo(f"Disabled {account.display_name}, badge {account.badge}.")


@user.command("reset-pin")
@click.argument("badge")
@click.option("--pin", prompt="New PIN", hide_input=True, confirmation_prompt=True)
@pass_kiosk
def reset(kiosk: KioskContext, badge: str, pin: str) -> None:
    """Set a new PIN (and clear a badge lockout)."""
    with _db(kiosk).session() as db:
        try:
            account = reset_pin(db, badge, pin, kiosk.settings.auth.pin_min_length)
        except AccountError as e:
            raise click.ClickException(str(e)) from None
        click.echo(f"New PIN set for {account.display_name}.")


@user.command("list")
@pass_kiosk
def list_(kiosk: KioskContext) -> None:
    """List the accounts (never the PINs)."""
    with _db(kiosk).session() as db:
        for a in list_accounts(db):
            state = "active" if a.active else "disabled"
            click.echo(f"{a.badge:<10} {a.display_name:<28} {Role(a.role).label:<15} {state}")


@user.command("demo")
@pass_kiosk
def demo(kiosk: KioskContext) -> None:
    """Create the demo accounts (one per role) and write var/demo-sign-in.txt for `make run`."""
    with _db(kiosk).session() as db:
        created = ensure_demo_staff(db, kiosk.settings.identifiers.practitioner)
    lines = ["  Demo sign-in (badge / PIN):"]
    lines += [f"    {name:<20} {role.label:<15} badge {badge}  PIN {pin}" for badge, name, role, pin, _ in DEMO_STAFF]
    path = Path(kiosk.settings.var_dir) / "demo-sign-in.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    click.echo(f"Demo accounts: {len(created)} created, {len(DEMO_STAFF) - len(created)} already there.")
