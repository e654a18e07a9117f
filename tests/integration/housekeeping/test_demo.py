"""The demo's cleaning jobs (`make run`): kinds of clean, a stat job and one being cleaned by the demo
housekeeper, as the housekeeping list reads them."""

from __future__ import annotations

from kiosk.auth.services import DEMO_STAFF
from kiosk.demo.hospital import DEMO_HOUSEKEEPER, MED_SURG
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.housekeeping.services import job_list, utc_now


def test_the_demo_unit_has_every_kind_of_cleaning_job(gateway: FhirGateway) -> None:
    census = unit_census(gateway, UnitRef(system=gateway.identifiers.location, value=MED_SURG.code))
    jobs = job_list(census, utc_now()).jobs
    assert any(j.cleaning and j.owner_name == DEMO_HOUSEKEEPER for j in jobs)
    assert any(j.terminal and j.stat and not j.cleaning for j in jobs)
    assert any(j.clean_type == "routine" and not j.stat and not j.cleaning for j in jobs)
    assert jobs[0].stat  # stat first
    assert any(name == DEMO_HOUSEKEEPER for _b, name, _r, _p, _x in DEMO_STAFF)
