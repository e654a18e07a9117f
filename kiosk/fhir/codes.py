"""Code systems and codes the kiosk reads and writes (R4). Standard systems where a fitting code exists."""

from __future__ import annotations

V2_0116 = "http://terminology.hl7.org/CodeSystem/v2-0116"
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
ADMINISTRATIVE_GENDER = "http://hl7.org/fhir/administrative-gender"

#: R5 Encounter.plannedEndDate carried in R4 as a cross-version extension (the expected discharge date).
PLANNED_END_EXTENSION = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedEndDate"

# Location.physicalType
WARD = "wa"
ROOM = "ro"
BED = "bd"

# v2-0116 bed status (Location.operationalStatus)
BED_CLOSED = "C"
BED_HOUSEKEEPING = "H"
BED_ISOLATED = "I"
BED_CONTAMINATED = "K"
BED_OCCUPIED = "O"
BED_UNOCCUPIED = "U"

BED_STATUS_DISPLAY = {
    BED_CLOSED: "Closed",
    BED_HOUSEKEEPING: "Housekeeping",
    BED_ISOLATED: "Isolated",
    BED_CONTAMINATED: "Contaminated",
    BED_OCCUPIED: "Occupied",
    BED_UNOCCUPIED: "Unoccupied",
}

# Encounter.participant.type (v3-ParticipationType)
ATTENDING = "ATND"
PARTICIPANT = "PART"

#: Standard discharge dispositions (terminology.hl7.org discharge-disposition), in the order shown to users.
DISCHARGE_DISPOSITIONS: dict[str, str] = {
    "home": "Home",
    "alt-home": "Alternative home",
    "other-hcf": "Other healthcare facility",
    "hosp": "Hospice",
    "long": "Long-term care",
    "aadvice": "Left against advice",
    "exp": "Expired",
    "psy": "Psychiatric hospital",
    "rehab": "Rehabilitation",
    "snf": "Skilled nursing facility",
    "oth": "Other",
}

# Flag.category (flag-category) tells the kind of alert.
FLAG_ISOLATION = "contact"
FLAG_ALLERGY = "drug"
FLAG_FALL_RISK = "safety"


def local_system(base: str, concept: str) -> str:
    """The kiosk's own CodeSystem for one concept, under the configured base URL."""
    return f"{base.rstrip('/')}/{concept}"


#: Local concepts (one CodeSystem each, under identifiers.code_systems).
ALERT_CONCEPT = "alert"
TASK_KIND_CONCEPT = "task-kind"
#: The identifier system of Tasks the kiosk creates (under identifiers.code_systems), so that a create a
#: retry or a double tap could repeat is conditional on it.
TASK_IDENTIFIER_CONCEPT = "task"

# Task.code in the task-kind CodeSystem: the housekeeping job of a bed a patient has left.
TASK_BED_CLEANING = "bed-cleaning"
#: A cleaning Task's kind of clean: a Task.input whose type is TASK_INPUT_CLEAN_TYPE in the task-input
#: CodeSystem and whose value is coded in the clean-type CodeSystem (both beside the task-kind one).
TASK_INPUT_CONCEPT = "task-input"
TASK_INPUT_CLEAN_TYPE = "clean-type"
CLEAN_TYPE_CONCEPT = "clean-type"
CLEAN_ROUTINE = "routine"
CLEAN_TERMINAL = "terminal"
CLEAN_TYPES: dict[str, str] = {CLEAN_ROUTINE: "Routine clean", CLEAN_TERMINAL: "Terminal clean (isolation)"}


def sibling_system(system: str, concept: str) -> str:
    """Another local CodeSystem under the same base as `system` (the clean-type system beside the
    task-kind system the kiosk was configured with)."""
    return local_system(system.rsplit("/", 1)[0], concept)

#: Encounter.status groups (R4 encounter-status).
#: Open: the patient is expected, here, or away for a while; the census reads these.
OPEN_ENCOUNTER_STATUSES = ("planned", "arrived", "triaged", "in-progress", "onleave")
#: Admitted: the patient has arrived and holds a bed (transfer and discharge apply).
ADMITTED_ENCOUNTER_STATUSES = ("arrived", "triaged", "in-progress", "onleave")
#: Ended: nothing more happens to the stay.
ENDED_ENCOUNTER_STATUSES = ("finished", "cancelled", "entered-in-error")

#: The kind of alert a Flag is, by its category (flag-category), as the screens and labels name it.
FLAG_KINDS = {FLAG_ISOLATION: "isolation", FLAG_ALLERGY: "allergy", FLAG_FALL_RISK: "fall"}


def flag_kind(category: str | None) -> str:
    """'isolation', 'allergy', 'fall', or 'other' for a Flag of another (or no) category."""
    return FLAG_KINDS.get(category or "", "other")


def flag_rank(category: str | None) -> int:
    """Alerts in order of importance: isolation, allergy, fall risk, then the others."""
    return list(FLAG_KINDS).index(category) if category in FLAG_KINDS else len(FLAG_KINDS)

#: Task.status values of a job that is still open (R4 task-status minus the final ones).
OPEN_TASK_STATUSES = ("draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold")
