"""Builders for the resource shapes the kiosk writes (DESIGN.md "FHIR modelling"), shared by the
workflows and the demo hospital so that both write exactly the same thing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from . import codes


def fhir_instant(moment: datetime) -> str:
    """An aware datetime as a FHIR instant in UTC, to the second."""
    if moment.tzinfo is None:
        raise ValueError("FHIR instants need a time zone")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def reference(target: str, display: str | None = None) -> dict[str, str]:
    ref = {"reference": target}
    if display:
        ref["display"] = display
    return ref


def identifier(system: str, value: str) -> dict[str, str]:
    return {"system": system, "value": value}


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def bed_status(code: str) -> dict[str, str]:
    """Location.operationalStatus (a Coding from v2-0116)."""
    return coding(codes.V2_0116, code, codes.BED_STATUS_DISPLAY[code])


def physical_type(code: str) -> dict[str, Any]:
    display = {codes.WARD: "Ward", codes.ROOM: "Room", codes.BED: "Bed", "si": "Site", "bu": "Building"}
    return concept(codes.LOCATION_PHYSICAL_TYPE, code, display.get(code))


def location(
    *,
    name: str,
    ident: dict[str, str],
    kind: str,
    part_of: str | None = None,
    status_code: str | None = None,
    description: str | None = None,
    organization: str | None = None,
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Location",
        "identifier": [ident],
        "status": "active",
        "name": name,
        "mode": "instance",
        "physicalType": physical_type(kind),
    }
    if status_code:
        res["operationalStatus"] = bed_status(status_code)
    if description:
        res["description"] = description
    if part_of:
        res["partOf"] = reference(part_of)
    if organization:
        res["managingOrganization"] = reference(organization)
    return res


def encounter_location(bed: str, status: str, start: datetime | None = None,
                       end: datetime | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"location": reference(bed), "status": status}
    period = {}
    if start:
        period["start"] = fhir_instant(start)
    if end:
        period["end"] = fhir_instant(end)
    if period:
        entry["period"] = period
    return entry


def participant(practitioner: str, type_code: str) -> dict[str, Any]:
    display = {codes.ATTENDING: "attender", codes.PARTICIPANT: "participation"}[type_code]
    return {"type": [concept(codes.V3_PARTICIPATION_TYPE, type_code, display)],
            "individual": reference(practitioner)}


def planned_end(day: date) -> dict[str, str]:
    return {"url": codes.PLANNED_END_EXTENSION, "valueDate": day.isoformat()}


def inpatient_class() -> dict[str, str]:
    return coding(codes.V3_ACT_CODE, "IMP", "inpatient encounter")


def cleaning_task(*, bed: str, task_kind_system: str, authored: datetime, status: str = "requested",
                  ident: dict[str, str] | None = None, requester: str | None = None,
                  clean_type: str = codes.CLEAN_ROUTINE) -> dict[str, Any]:
    """The housekeeping job for a bed that a patient has left (focus = the bed Location), with its kind of
    clean (routine, or terminal for a bed that was isolated) as a coded Task.input."""
    if clean_type not in codes.CLEAN_TYPES:
        raise ValueError(f"'{clean_type}' is not a kind of clean")
    task: dict[str, Any] = {
        "resourceType": "Task",
        "status": status,
        "intent": "order",
        "priority": "routine",
        "code": concept(task_kind_system, codes.TASK_BED_CLEANING, "Bed cleaning", "Clean and make up the bed"),
        "focus": reference(bed),
        "authoredOn": fhir_instant(authored),
        "lastModified": fhir_instant(authored),
        "businessStatus": {"text": "Waiting for housekeeping" if status == "requested" else "Cleaning"},
        "input": [clean_type_input(task_kind_system, clean_type)],
    }
    if ident:
        task["identifier"] = [ident]
    if requester:
        task["requester"] = reference(requester)
    return task


def clean_type_input(task_kind_system: str, clean_type: str) -> dict[str, Any]:
    """The Task.input that says which kind of clean a cleaning job is."""
    return {
        "type": concept(codes.sibling_system(task_kind_system, codes.TASK_INPUT_CONCEPT), codes.TASK_INPUT_CLEAN_TYPE,
                        "Kind of clean"),
        "valueCodeableConcept": concept(codes.sibling_system(task_kind_system, codes.CLEAN_TYPE_CONCEPT), clean_type,
                                        codes.CLEAN_TYPES[clean_type]),
    }


FLAG_CATEGORY_DISPLAY = {codes.FLAG_ISOLATION: "Subject Contact", codes.FLAG_ALLERGY: "Drug",
                         codes.FLAG_FALL_RISK: "Safety"}


def alert_flag(*, patient: str, category: str, code: str, text: str, alert_system: str,
               ident: dict[str, str] | None = None, start: datetime | None = None) -> dict[str, Any]:
    """A Flag shown on the board and printed on armbands (isolation, allergy, fall risk)."""
    flag: dict[str, Any] = {
        "resourceType": "Flag",
        "status": "active",
        "category": [concept(codes.FLAG_CATEGORY, category, FLAG_CATEGORY_DISPLAY.get(category))],
        "code": concept(alert_system, code, text=text),
        "subject": reference(patient),
    }
    if ident:
        flag["identifier"] = [ident]
    if start:
        flag["period"] = {"start": fhir_instant(start)}
    return flag
