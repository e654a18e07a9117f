"""The `kiosk` command: serve the web app, load the demo hospital, migrate the database, and the
commands each workflow adds (users, scheduler ...).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import click

from kiosk.cli_context import KioskContext, pass_kiosk
from kiosk.config import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Unit Coordinator Kiosk."""


@cli.command()
@click.option("--host", help="Address to listen on (default: web.host).")
@click.option("--port", type=int, help="Port to listen on (default: web.port).")
@click.option("--workers", type=int, help="Gunicorn worker processes (default: web.workers).")
@pass_kiosk
def serve(kiosk: KioskContext, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the kiosk under gunicorn (migrates the database first)."""
    from gunicorn.app.base import BaseApplication

    from kiosk import configure_logging, create_app
    from kiosk.db import Database

    settings = kiosk.settings
    configure_logging()
    # Built once before forking so that a wrong feature file (par levels ...) stops start-up with its one
    # sentence here, instead of a traceback in every gunicorn worker; each worker builds its own app.
    create_app(settings).extensions["kiosk"].database.dispose()
    Database(settings.database_url).upgrade()
    bind = f"{host or settings.web.host}:{port or settings.web.port}"

    class KioskServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers or settings.web.workers)
            # Each screen's open event stream (kiosk.push) holds a thread: they get their own, so that the
            # web.threads always answer pages, polls and sign-in.
            self.cfg.set("threads", settings.web.threads + settings.web.event_streams)
            self.cfg.set("worker_class", "gthread")
            # gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): a second
            # kiosk on the machine would take it over. Each instance has its own, or none.
            if settings.web.control_socket:
                self.cfg.set("control_socket", str(Path(settings.web.control_socket).resolve()))
            else:
                self.cfg.set("control_socket_disable", True)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 10)
            # Access log lines carry paths only (ids, never names or MRNs: see DESIGN.md privacy rules).
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss')
            self.cfg.set("logger_class", "kiosk.accesslog.RedactingLogger")

        def load(self) -> Any:
            app = create_app(settings)
            # What the app loaded (modules, templates, settings) lives as long as the worker: out of the
            # garbage collector's way, a full collection during a board render costs a few ms, not ~90
            # (docs/benchmarks.md, the board against the bare fetch).
            gc.freeze()
            return app

    click.echo(f"Kiosk listening on http://{bind}")
    KioskServer().run()


@cli.command("seed-demo")
@click.option("--beds", type=click.IntRange(1, 5000), help="Build a larger hospital with about N beds.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the demo hospital is already loaded.")
@click.option("--admissions", type=click.IntRange(1, 200), help="Also add N new bed requests for the unit.")
@pass_kiosk
def seed_demo(kiosk: KioskContext, beds: int | None, if_empty: bool, admissions: int | None) -> None:
    """Load the demo hospital into the FHIR server, then each workflow's demo data (idempotent: a second
    run creates nothing). Migrates the kiosk's database first: some workflows seed it too."""
    from kiosk.db import Database
    from kiosk.demo.extras import DemoContext, seed_extras
    from kiosk.demo.loader import demo_loaded, load_demo
    from kiosk.fhir.gateway import FhirGateway

    gw = FhirGateway.from_settings(kiosk.settings)
    database = Database(kiosk.settings.database_url)
    try:
        database.upgrade()
        if if_empty and not beds and demo_loaded(gw):
            click.echo("Demo hospital already loaded.")
        else:
            report = load_demo(gw, beds, say=click.echo)
            click.echo(f"Done: {report.created} resources created, {report.existing} already there.")
        ctx = DemoContext(kiosk.settings, gw, database, click.echo)
        seed_extras(ctx)
        if admissions:
            from kiosk.demo.placement import admissions as new_admissions

            click.echo(new_admissions(ctx, admissions))
    finally:
        gw.close()
        database.dispose()


@cli.group()
def db() -> None:
    """The kiosk's own database."""


@db.command("upgrade")
@pass_kiosk
def db_upgrade(kiosk: KioskContext) -> None:
    """Apply every database migration."""
    from kiosk.db import Database

    Database(kiosk.settings.database_url).upgrade()
    click.echo("Database is up to date.")


@cli.command()
@pass_kiosk
def check(kiosk: KioskContext) -> None:
    """Check the settings and that the FHIR server answers."""
    from kiosk.fhir.gateway import FhirGateway

    gw = FhirGateway.from_settings(kiosk.settings)
    try:
        caps = gw.capabilities
        unit = gw.read_location(gw.unit_location_id())
        click.echo(f"Settings OK ({kiosk.settings.source}).")
        click.echo(f"FHIR server: {caps.software}, FHIR {caps.fhir_version or 'version not stated'}; unit: "
                   f"{unit.name}.")
        click.echo(f"Capabilities: {caps.source_words}.")
        for refused in sorted(caps.refused_searches):
            click.echo(f"  refused by the server: {refused}")
    finally:
        gw.close()


def register_feature_commands() -> None:
    """Commands that workflows add to `kiosk` (imported here so the CLI stays one entry point)."""
    from kiosk.audit.cli import audit
    from kiosk.auth.cli import user
    from kiosk.scheduler.cli import scheduler

    cli.add_command(user)
    cli.add_command(audit)
    cli.add_command(scheduler)


def main(argv: list[str] | None = None) -> None:
    register_feature_commands()
    try:
        cli.main(args=argv, prog_name="kiosk", standalone_mode=False)
    except ConfigError as e:
        click.echo(f"kiosk: {e}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except Exception as e:
        from kiosk.fhir.errors import FhirError

        if isinstance(e, FhirError):
            click.echo(f"kiosk: {e.message}", err=True)
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
