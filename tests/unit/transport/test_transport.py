"""Transport logic on plain data: the settings file, the clock turning amber then red, the marks on the
bed tiles, the armband check, the change each action builds with and without transactions, the
percentiles and the chart."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.armband import parse_scan
from kiosk.config import ConfigError, load_settings
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.records import EncounterRecord, PatientRecord, PersonName
from kiosk.transport.actions import JOB_ACTIONS, ActionInput, build_change
from kiosk.transport.board import bed_marks, overdue, waiting_clock
from kiosk.transport.fhir import JobSet, PlaceRef, Systems, read_job
from kiosk.transport.figures import Period, PriorityFigures, chart, nearest_rank
from kiosk.transport.seeding import JobSpec, job_transaction
from kiosk.transport.services import Refused, check_identity
from kiosk.transport.settings import TRANSPORT_FILE

ROOT = Path(__file__).resolve().parents[3]
SYS = Systems("https://kiosk.example.org/fhir/CodeSystem")
NOW = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
BED = PlaceRef("4W-401", "Location/bed1", unit="Location/unit", unit_name="4 West", is_bed=True)
IMAGING = PlaceRef("Imaging", "Location/img")


def legs(**spec: Any) -> JobSet:
    """The legs of one job as the server would hand them back (ids and versions given here)."""
    tx = job_transaction(JobSpec(number="TR-0000000A", patient="Patient/p1", encounter="Encounter/e1", origin=BED,
                                 destination=IMAGING, **spec), SYS, NOW, {"display": "Desk"})
    out = JobSet()
    ids = {}
    for n, entry in enumerate(tx.entries):
        resource = json.loads(json.dumps(entry["resource"]))
        resource["id"] = f"r{n}"
        resource["meta"] = {"versionId": "1"}
        ids[entry["fullUrl"]] = f"{resource['resourceType']}/r{n}"
        for ref in [*resource.get("basedOn", []), resource.get("focus") or {},
                    *(i.get("valueReference") or {} for i in resource.get("input", []))]:
            if ref.get("reference") in ids:
                ref["reference"] = ids[ref["reference"]]
        if resource["resourceType"] == "ServiceRequest":
            out.requests[f"ServiceRequest/r{n}"] = resource
        else:
            out.raw[f"Task/r{n}"] = resource
            out.jobs.append(read_job(resource, SYS))
    return out


def caps(transaction: bool) -> Capabilities:
    statement = {"rest": [{"mode": "server", "interaction": [{"code": "transaction"}] if transaction else [],
                           "resource": [{"type": t, "interaction": [{"code": "update"}, {"code": "read"}]}
                                        for t in ("Task", "ServiceRequest")]}]}
    return Capabilities.from_statement(statement)


def test_the_shipped_settings_and_a_wrong_entry_named_by_its_line(tmp_path: Path) -> None:
    settings = load_settings(env={"KIOSK_WEB_SECRET_KEY": "x"})
    shipped = TRANSPORT_FILE.read(settings, env={})
    assert shipped.targets.minutes("stat") == 10 and shipped.targets.minutes("routine") == 45
    assert shipped.place("discharge-lounge").kind == "discharge" and shipped.zones[0].units == ("4W", "3E")
    assert TRANSPORT_FILE.read(settings, env={"KIOSK_TRANSPORT_TARGETS_STAT_MINUTES": "8"}).targets.stat_minutes == 8
    bad = tmp_path / "transport.toml"
    bad.write_text('refresh_seconds = 15\n\n[[places]]\ncode = "lounge"\nname = "Lounge"\nkind = "roof"\n')
    with pytest.raises(ConfigError, match=r"transport.toml line 6: kind must be one of discharge, department, "
                                          r"other, not 'roof'\."):
        TRANSPORT_FILE.read(settings, env={"KIOSK_TRANSPORT_CONFIG": str(bad)})
    bad.write_text("[targets]\nstat_minute = 8\n")
    with pytest.raises(ConfigError, match=r"'targets\.stat_minute' is not a transport setting"):
        TRANSPORT_FILE.read(settings, env={"KIOSK_TRANSPORT_CONFIG": str(bad)})


def test_the_clock_turns_amber_at_the_share_then_red_past_the_target() -> None:
    [job] = legs(asked_ago=0).jobs  # routine: 45 minutes from NOW
    assert waiting_clock(job, NOW + timedelta(minutes=10), 75).tone == "ok"
    assert waiting_clock(job, NOW + timedelta(minutes=34), 75).tone == "amber"  # 34 of 45 >= 75 %
    clock = waiting_clock(job, NOW + timedelta(minutes=46), 75)
    assert clock.tone == "red" and clock.words == "46 of 45 min"
    assert not overdue(job, NOW + timedelta(minutes=45)) and overdue(job, NOW + timedelta(minutes=46))
    [later] = legs(asked_ago=0, pickup_in=90).jobs
    ahead = waiting_clock(later, NOW + timedelta(minutes=30), 75)
    assert ahead.ahead and ahead.words == "in 60 min"
    [moving] = legs(state="picked-up").jobs
    assert waiting_clock(moving, NOW, 75) is None


def test_the_bed_marks_say_transport_or_off_unit() -> None:
    occupants = {"Location/bed1": ("Patient/p1", "Encounter/e1")}
    waiting = legs(asked_ago=60).jobs
    assert bed_marks(waiting, occupants, NOW)["Location/bed1"][0].urgent  # past its 45 minutes
    assert bed_marks(legs(state="picked-up").jobs, occupants, NOW)["Location/bed1"][0].label == "Off unit"
    # At the department, the way back still open: away.
    away = [j for j in legs(state="back-waiting").jobs if j.is_open]
    assert [j.leg for j in away] == ["return"]
    assert bed_marks(away, occupants, NOW)["Location/bed1"][0].kind == "off-unit"
    # Round trip not started yet: on the unit, a transport coming.
    ready = legs(round_trip=True).jobs
    assert bed_marks(ready, occupants, NOW)["Location/bed1"][0].label == "Transport"
    assert bed_marks(ready, {"Location/bed2": ("Patient/p2", None)}, NOW) == {}


def test_the_armband_must_give_two_identifiers_of_the_jobs_patient() -> None:
    jobs = legs()
    [job] = jobs.jobs
    jobs.patients["Patient/p1"] = PatientRecord("p1", PersonName("Okafor", ("Ada",)), date(1950, 3, 4), "female",
                                                "20000001")
    jobs.encounters["Encounter/e1"] = EncounterRecord("e1", "1", "in-progress", "IMP", "Patient/p1", "610000013",
                                                      None, None, None, (), (), None)
    assert check_identity(job, jobs, parse_scan("MRN:20000001|ENC:610000013"), None).startswith("armband Data")
    for wrong in ("MRN:20000001|ENC:610000099", "MRN:20000002|ENC:610000013", "20000002"):
        with pytest.raises(Refused, match="This armband is not this job's patient") as refused:
            check_identity(job, jobs, parse_scan(wrong), None)
        assert refused.value.field == "code"
    with pytest.raises(Refused, match="Ask the patient their date of birth") as asked:
        check_identity(job, jobs, parse_scan("610000013"), None)
    assert asked.value.field == "birth_date"
    with pytest.raises(Refused, match="That date of birth is not"):
        check_identity(job, jobs, parse_scan("20000001"), date(1950, 4, 3))
    assert check_identity(job, jobs, parse_scan("20000001"), date(1950, 3, 4)) == \
        "armband barcode: MRN; date of birth asked"


def test_delivering_closes_the_request_only_where_transactions_are_allowed() -> None:
    jobs = legs(state="picked-up")
    [job] = jobs.jobs
    action = JOB_ACTIONS["deliver"]
    with_tx = build_change(action, job, jobs, SYS, caps(True), NOW, ActionInput())
    assert with_tx.interactions() == [("Task", "update"), ("ServiceRequest", "update"), ("", "transaction")]
    assert with_tx.updates[1][0]["status"] == "completed"
    without = build_change(action, job, jobs, SYS, caps(False), NOW, ActionInput())
    assert without.interactions() == [("Task", "update")] and without.updates[0][0]["status"] == "completed"


def test_cancelling_before_pickup_takes_the_way_back_and_the_request_with_it() -> None:
    jobs = legs(round_trip=True)
    out = next(j for j in jobs.jobs if j.leg == "outbound")
    change = build_change(JOB_ACTIONS["cancel"], out, jobs, SYS, caps(True), NOW, ActionInput(reason="Refused"))
    statuses = [(r["resourceType"], r["status"]) for r, _ in change.updates]
    assert statuses == [("Task", "cancelled"), ("Task", "cancelled"), ("ServiceRequest", "revoked")]
    # After the pickup, a stop midway is a failure and the way back stays.
    jobs = legs(state="picked-up", round_trip=True)
    out = next(j for j in jobs.jobs if j.leg == "outbound")
    change = build_change(JOB_ACTIONS["cancel"], out, jobs, SYS, caps(True), NOW, ActionInput(reason="Unwell"))
    assert [(r["resourceType"], r["status"]) for r, _ in change.updates] == [("Task", "failed")]


def test_nearest_rank_percentiles_and_the_chart() -> None:
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([50, 10, 40, 20, 30], 0.5) == 30 and nearest_rank([50, 10, 40, 20, 30], 0.9) == 50
    assert nearest_rank([4, 12], 0.5) == 4 and nearest_rank([4, 12], 0.9) == 12
    rows = (PriorityFigures("stat", "Stat", 10, 2, 2, 0, (4.0, 12.0), (9.0, 17.0), 1, 2),
            PriorityFigures("urgent", "Urgent", 20, 0, 0, 0, (None, None), (None, None), 0, 0),
            PriorityFigures("routine", "Routine", 45, 5, 5, 0, (30.0, 50.0), (40.0, 60.0), 4, 5))
    drawn = chart(Period("Last 7 days", NOW, 7, rows))
    assert [b.label for b in drawn.bars] == ["4", "12", "30", "50"] and not drawn.empty
    tallest = max(drawn.bars, key=lambda b: b.height)
    assert tallest.label == "50" and tallest.y >= 16  # inside the drawing
    assert drawn.ticks[-1][1] == "50" and [g[1] for g in drawn.groups] == ["Stat", "Urgent", "Routine"]
