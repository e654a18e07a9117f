"""The demo hospital on a real server: realistic, complete, and idempotent."""

from __future__ import annotations

from pathlib import Path

from kiosk.beds.occupancy import BedState, unit_counts
from kiosk.demo.hospital import CARDIAC, MED_SURG
from kiosk.demo.loader import demo_loaded, load_demo
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.fhir.locations import available_beds_elsewhere
from tests.conftest import make_settings
from tests.support.beds import BedUnit, unit_gateway
from tests.support.numbers import BLOCK, next_block
from tests.support.sekmet import start_sekmet


def unit(gw: FhirGateway, code: str) -> UnitRef:
    return UnitRef(system=gw.identifiers.location, value=code)


def test_a_second_load_creates_nothing(gateway: FhirGateway) -> None:
    assert demo_loaded(gateway)
    report = load_demo(gateway, say=lambda _: None)
    assert report.created == 0 and report.existing > 200


def test_two_units_with_rooms_of_one_and_two_beds(gateway: FhirGateway) -> None:
    med_surg = unit_census(gateway, unit(gateway, MED_SURG.code))
    cardiac = unit_census(gateway, unit(gateway, CARDIAC.code))
    assert len(med_surg.beds) == 32 and len(cardiac.beds) == CARDIAC.bed_count == 23
    beds_per_room = {r.id: sum(1 for b in med_surg.beds if b.part_of == r.reference) for r in med_surg.rooms}
    assert set(beds_per_room.values()) == {1, 2}
    assert all(b.is_bed and b.mode == "instance" for b in med_surg.beds)
    assert med_surg.unreadable == [] and cardiac.unreadable == []


def test_the_unit_is_three_quarters_full_with_every_bed_state(gateway: FhirGateway) -> None:
    census = unit_census(gateway, unit(gateway, MED_SURG.code))
    counts = unit_counts(census)
    assert 0.65 <= counts.occupied / counts.total_beds <= 0.85
    assert counts.housekeeping >= 2 and counts.blocked == 1 and counts.isolated == 1
    assert counts.pending_admissions == 3 and counts.reserved == 2
    assert {b.operational_status for b in census.beds} == {"O", "U", "H", "I", "C"}
    attendings = {e.participant("ATND") for e in census.encounters}
    residents = {e.participant("PART") for e in census.encounters}
    assert None not in attendings and len(attendings) > 2 and len(residents - {None}) > 1
    kinds = {f.category for flags in census.flags.values() for f in flags}
    assert kinds == {"contact", "drug", "safety"}


def test_names_are_varied_like_real_ones(gateway: FhirGateway) -> None:
    # The patient waiting to move from 4 West to 3 East is in both censuses: count each patient once.
    patients = list({**unit_census(gateway, unit(gateway, MED_SURG.code)).patients,
                     **unit_census(gateway, unit(gateway, CARDIAC.code)).patients}.values())
    assert len(patients) >= 40
    names = [p.name.last_first for p in patients]
    assert any("-" in n for n in names) and any("'" in n for n in names)
    assert any(any(ord(ch) > 127 for ch in n) for n in names)
    assert max(len(n) for n in names) >= 60
    twins = [p for p in patients if p.name.last_first == "Johnson, Michael"]
    assert len(twins) == 2 and twins[0].birth_date != twins[1].birth_date and twins[0].mrn != twins[1].mrn
    assert len({p.mrn for p in patients}) == len(patients)


def test_a_pending_transfer_out_points_at_a_bed_on_the_other_unit(gateway: FhirGateway) -> None:
    med_surg = unit_census(gateway, unit(gateway, MED_SURG.code))
    cardiac = unit_census(gateway, unit(gateway, CARDIAC.code))
    cardiac_beds = {b.reference for b in cardiac.beds}
    moving = [e for e in med_surg.encounters if e.status == "in-progress"
              and any(loc.status == "planned" and loc.location in cardiac_beds for loc in e.locations)]
    assert len(moving) == 1


def test_3_east_has_free_clean_beds_to_transfer_into(tmp_path: Path) -> None:
    """Besides its two reserved beds and the bed a 4 West patient is planned to move into, 3 East keeps
    at least three beds free and clean: on its own board, and offered by a transfer from 4 West. On a
    server of its own with the demo just loaded (on the shared one, other tests move patients into them)."""
    server = start_sekmet(tmp_path / "sekmet")
    gw = FhirGateway.from_settings(make_settings(server.base_url, tmp_path / "kiosk.db"))
    try:
        load_demo(gw, say=lambda _line: None)
        cardiac = unit(gw, CARDIAC.code)
        free = BedUnit(ref=cardiac, gw=unit_gateway(gw, cardiac)).beds(BedState.AVAILABLE, free=True)
        assert len(free) >= 3
        assert all(t.cleaning_task is None and not t.cleaning_tasks for t in free)
        offered = [o.bed.name for o in available_beds_elsewhere(gw, gw.unit_location_id())
                   if o.unit is not None and o.unit.name == CARDIAC.name]
        assert len(offered) >= 3 and {t.name for t in free} <= set(offered)
    finally:
        gw.close()
        server.stop()


class LimitsTransactions:
    """The real server behind a proxy that refuses transactions of more than `most` entries (HTTP 413)."""

    def __init__(self, most: int):
        import httpx

        self.inner = httpx.HTTPTransport()
        self.most = most
        self.sizes: list[int] = []
        self.accepted: list[int] = []

    def handle_request(self, request):  # type: ignore[no-untyped-def]
        import json

        import httpx

        if request.method == "POST" and request.url.path.rstrip("/").endswith("/fhir"):
            bundle = json.loads(request.read())
            if bundle.get("type") == "transaction":
                self.sizes.append(len(bundle["entry"]))
                if len(bundle["entry"]) > self.most:
                    return httpx.Response(413, json={"resourceType": "OperationOutcome", "issue": [
                        {"severity": "error", "code": "too-costly", "diagnostics": "Bundle too large"}]},
                        request=request)
                self.accepted.append(len(bundle["entry"]))
        return self.inner.handle_request(request)


def test_a_server_that_refuses_large_transactions_gets_each_unit_in_consistent_parts(gateway: FhirGateway) -> None:
    import uuid

    import httpx

    from kiosk.demo.hospital import DemoBuilder, unit_plan
    from kiosk.demo.loader import LoadReport, load_transaction
    from kiosk.fhir.client import FhirClient

    code = f"CH{uuid.uuid4().hex[:5].upper()}"
    proxy = LimitsTransactions(most=40)
    gw = FhirGateway(FhirClient(gateway.client.base_url, transport=httpx.MockTransport(proxy.handle_request)),
                     gateway.identifiers, unit(gateway, code))
    first_number = BLOCK * next_block()
    tx = DemoBuilder(gateway.identifiers, first_number=first_number).unit_transaction(
        unit_plan(code, "Chunked Unit", 24, seed=5))
    assert len(tx) > 40
    said: list[str] = []
    report = LoadReport()
    load_transaction(gw, "unit CH", tx, report, said.append)
    assert proxy.sizes[0] == len(tx) and max(proxy.accepted) <= 40 and sum(proxy.accepted) == len(tx)
    assert said[0].startswith(f"unit CH: the server refused {len(tx)} entries in one transaction")
    assert report.created == len(tx) and report.existing == 0
    census = unit_census(gateway, unit(gateway, code))
    assert len(census.beds) == 24 and census.unreadable == []
    assert all(e.patient in census.patients for e in census.encounters)  # every stay points at its patient
    again = LoadReport()
    load_transaction(gw, "unit CH", DemoBuilder(gateway.identifiers, first_number=first_number).unit_transaction(
        unit_plan(code, "Chunked Unit", 24, seed=5)), again, said.append)
    assert again.created == 0  # a rerun finds everything
