"""Fixtures of the orders tests: a fresh unit per test with a kiosk serving it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support import labels as printing
from tests.support.beds import unit_env, unit_gateway
from tests.support.labels import RawPrinter
from tests.support.orders import OrdersUnit

zebra_port = printing.zebra_port
printer_files = printing.printer_files


@pytest.fixture
def zebra(zebra_port: int) -> Iterator[RawPrinter]:
    printer = RawPrinter(zebra_port).start()
    yield printer
    printer.stop()


@pytest.fixture
def orders_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
                make_app: Callable[..., Flask]) -> Callable[..., OrdersUnit]:
    def build(beds: int = 4, **env: str) -> OrdersUnit:
        ref = make_unit(beds)
        return OrdersUnit(ref=ref, gw=unit_gateway(gateway, ref), app=make_app(**unit_env(ref), **env))

    return build
