"""The armband's patient context is read in two FHIR requests, from a real sekmet-fhir server, with no
patient id in any URL."""

from __future__ import annotations

import pytest

from kiosk.config import Settings
from kiosk.fhir.census import unit_census
from kiosk.fhir.client import FhirClient, count_requests
from kiosk.fhir.errors import FhirNotFound
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.patient_context import encounter_context
from tests.support.fhir_faults import DiffersFromSekmet, Watched


def _an_inpatient_with_alerts(gw: FhirGateway):  # type: ignore[no-untyped-def]
    census = unit_census(gw)
    for enc in census.encounters:
        flags = census.flags.get(enc.patient or "", [])
        if enc.status == "in-progress" and any(f.category == "drug" for f in flags):
            return enc, flags
    raise AssertionError("the demo hospital has an inpatient with an allergy flag")


def test_context_has_patient_encounter_attending_and_alerts_in_two_requests(gateway: FhirGateway) -> None:
    enc, flags = _an_inpatient_with_alerts(gateway)
    patient_id = enc.patient.split("/")[1]
    with count_requests() as counter:
        ctx = encounter_context(gateway, enc.id, patient_id)
    assert counter.total == 2
    assert counter.by_kind == {"search Encounter": 1, "search Flag": 1}
    assert ctx.patient.id == patient_id and ctx.patient.mrn and ctx.patient.birth_date
    assert ctx.encounter.number == enc.number
    assert ctx.attending is not None and ctx.attending.name.family
    allergy_texts = {f.text for f in flags if f.category == "drug"}
    assert allergy_texts <= set(ctx.armband_alerts)
    assert not any("isolation" in a.lower() for a in ctx.armband_alerts)


def test_an_encounter_of_another_patient_is_not_found(gateway: FhirGateway) -> None:
    enc, _ = _an_inpatient_with_alerts(gateway)
    with pytest.raises(FhirNotFound):
        encounter_context(gateway, enc.id, "not-this-patient")
    with pytest.raises(FhirNotFound):
        encounter_context(gateway, "no-such-encounter")


def test_a_patient_the_server_did_not_include_is_read_without_its_id_in_a_url(gateway: FhirGateway,
                                                                              demo_settings: Settings) -> None:
    enc, _ = _an_inpatient_with_alerts(gateway)
    patient_id = enc.patient.split("/")[1]
    watched = Watched(DiffersFromSekmet(ignores_includes=True))
    gw = FhirGateway.from_settings(demo_settings)
    gw.client.close()
    gw.client = FhirClient(gateway.client.base_url, transport=watched)
    try:
        gw.capabilities  # noqa: B018  (read once, as a running kiosk has)
        with count_requests() as counter:
            ctx = encounter_context(gw, enc.id, patient_id)
    finally:
        gw.close()
    assert counter.by_kind == {"search Encounter": 1, "search Patient": 1, "search Flag": 1}
    assert ctx.patient.id == patient_id and ctx.patient.mrn and ctx.encounter.id == enc.id
    assert sum(url.startswith("POST ") and url.endswith("/_search") for url in watched.urls) == 2
    assert not [url for url in watched.urls if patient_id in url]
