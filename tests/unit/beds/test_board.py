"""The board's view objects from plain census records: tiles, timers, side lists, the public view,
and which actions each panel offers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from kiosk.beds.board import (
    SIDE_LISTS_PX,
    BoardBuilder,
    age_text,
    board_name,
    duration_text,
    expected_text,
    public_rooms,
    stay_text,
)
from kiosk.beds.occupancy import BedState
from kiosk.beds.panel import bed_panel, encounter_panel, side_list_panel
from kiosk.beds.settings import BedSettings
from kiosk.fhir import codes
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.census import Census
from kiosk.fhir.change import Seen
from kiosk.fhir.records import (
    EncounterLocation,
    EncounterRecord,
    FlagRecord,
    LocationRecord,
    Participant,
    PatientRecord,
    PersonName,
    PractitionerRecord,
    TaskRecord,
    name_key,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TODAY = NOW.astimezone().date()
SETTINGS = BedSettings(refresh_seconds=15, housekeeping_amber_minutes=45, housekeeping_red_minutes=90)
ALL_ALLOWED = Capabilities.from_statement({"software": {"name": "Test"}, "rest": [{
    "mode": "server", "interaction": [{"code": "transaction"}],
    "resource": [{"type": t, "interaction": [{"code": i} for i in ("read", "update", "create")],
                  "conditionalCreate": True, "searchParam": [{"name": "identifier", "type": "token"}]}
                 for t in ("Encounter", "Location", "Task", "Flag")]}]})


def loc(id_: str, kind: str, part_of: str | None, status: str | None = None, description: str = "") -> LocationRecord:
    return LocationRecord(id=id_, version="7", name=id_, physical_type=kind, part_of=part_of, status="active",
                          operational_status=status, mode="instance", identifier=None, description=description)


def enc(id_: str, status: str, *locations: tuple[str, str], start: datetime | None = None,
        planned_end: date | None = None) -> EncounterRecord:
    return EncounterRecord(id=id_, version="3", status=status, class_code="IMP", patient=f"Patient/{id_}",
                           number=f"N-{id_}", start=start or NOW - timedelta(days=3), end=None,
                           planned_end=planned_end,
                           locations=tuple(EncounterLocation(f"Location/{b}", s, NOW - timedelta(days=3), None)
                                           for b, s in locations),
                           participants=(Participant("Practitioner/d1", codes.ATTENDING),),
                           discharge_disposition=None)


def patient(id_: str, family: str, given: str, birth: date = date(1950, 6, 6), gender: str = "female") -> PatientRecord:
    return PatientRecord(id=id_, name=PersonName(family, (given,)), birth_date=birth, gender=gender, mrn=f"M-{id_}")


def task(bed: str, status: str, minutes: int, id_: str | None = None) -> TaskRecord:
    moment = NOW - timedelta(minutes=minutes)
    return TaskRecord(id=id_ or f"t-{bed}", version="2", status=status, code="bed-cleaning",
                      focus=f"Location/{bed}", authored_on=moment, last_modified=moment, business_status=None,
                      owner=None)


def unit() -> Census:
    """Room 401: one bed; room 402: A and B; room 403: A and B; 404 blocked; plus a bed elsewhere."""
    rooms = [loc(f"R{n}", "ro", "Location/W", None) for n in (401, 402, 403, 404)]
    rooms = [LocationRecord(**{**r.__dict__, "name": f"Room {r.id[1:]}"}) for r in rooms]
    beds = [loc("4W-401", "bd", "Location/R401", "O"), loc("4W-402A", "bd", "Location/R402", "U"),
            loc("4W-402B", "bd", "Location/R402", "H"), loc("4W-403A", "bd", "Location/R403", "H"),
            loc("4W-403B", "bd", "Location/R403", "H"), loc("4W-404", "bd", "Location/R404", "C",
                                                              "Blocked: Bed motor broken")]
    encounters = [
        enc("e1", "in-progress", ("4W-401", "active"), ("3E-301", "planned"), planned_end=TODAY),
        enc("e2", "planned", ("W", "planned"), ("4W-402A", "reserved")),
        enc("e3", "planned", ("W", "planned")),
        enc("e4", "in-progress", ("3E-305", "active"), ("4W-402A", "planned")),
    ]
    patients = {p.reference: p for p in [patient("e1", "García-López", "María"), patient("e2", "Okafor", "Chinedu",
                                                                                         gender="male"),
                                         patient("e3", "Nguyễn", "Mai", birth=date(2025, 1, 15)),
                                         patient("e4", "O'Brien", "Siobhan")]}
    return Census(
        unit=LocationRecord(id="W", version="1", name="4 West", physical_type="wa", part_of=None, status="active",
                            operational_status=None, mode="instance", identifier=None, description=""),
        rooms=rooms, beds=beds, encounters=encounters, patients=patients,
        practitioners={"Practitioner/d1": PractitionerRecord("d1", PersonName("Adeyemi", ("Tolu",)))},
        flags={"Patient/e1": [FlagRecord("f1", "Patient/e1", codes.FLAG_ALLERGY, "allergy", "Allergy: latex", "4"),
                              FlagRecord("f2", "Patient/e1", codes.FLAG_ISOLATION, "isolation-contact",
                                         "Contact isolation (MRSA)", "4")]},
        tasks=[task("4W-402B", "requested", 30), task("4W-403A", "requested", 50), task("4W-403B", "in-progress", 95)],
        fetched_at=NOW,
    )


ELSEWHERE = {f"Location/{i}": loc(i, "bd", "Location/R3E", "O") for i in ("3E-301", "3E-305")}


def build(census: Census | None = None) -> object:
    return BoardBuilder(census or unit(), SETTINGS, NOW, ELSEWHERE).build()


def test_tiles_grouped_by_room_with_short_labels_and_the_patient() -> None:
    board = build()
    assert [(r.name, [t.label for t in r.beds]) for r in board.rooms] == [
        ("401", ["401"]), ("402", ["402A", "402B"]), ("403", ["403A", "403B"]), ("404", ["404"])]
    tile = board.tile("4W-401")
    p = tile.patient
    assert p.name == "GARCÍA-LÓPEZ, María" and p.age == "76" and p.sex == "F"
    assert p.short_name == "GARCÍA-LÓPEZ, M." and p.name_size == "name-long"
    assert p.attending == "Adeyemi, T." and p.length_of_stay == "3 d"
    assert [f.kind for f in p.flags] == ["isolation", "allergy"] and p.flags[0].label == "Contact"
    assert p.expected_label == "Today" and p.expected_due and p.expected_short == "today"
    assert tile.transfer_to == "3E-301"
    assert board.tile("4W-404").blocked_reason == "Bed motor broken"


def test_housekeeping_time_turns_amber_then_red() -> None:
    board = build()
    levels = {bid: (board.tile(bid).timer.level, board.tile(bid).timer.label)
              for bid in ("4W-402B", "4W-403A", "4W-403B")}
    assert levels == {"4W-402B": ("ok", "30 min"), "4W-403A": ("amber", "50 min"), "4W-403B": ("red", "1 h 35")}
    assert board.tile("4W-403B").state is BedState.CLEANING and board.tile("4W-403B").timer.cleaning


def test_side_lists_and_counts() -> None:
    board = build()
    assert [(i.patient.name, i.detail) for i in board.pending_admissions] == [
        ("OKAFOR, Chinedu", "Bed 4W-402A reserved"), ("NGUYỄN, Mai", "No bed yet")]
    assert [(i.patient.name, i.detail) for i in board.transfers_out] == [("GARCÍA-LÓPEZ, María", "4W-401 to 3E-301")]
    assert [(i.patient.name, i.detail) for i in board.transfers_in] == [("O'BRIEN, Siobhan", "From 3E-305 to 4W-402A")]
    assert [(i.patient.name, i.detail, i.urgent) for i in board.expected_discharges] == [
        ("GARCÍA-LÓPEZ, María", "4W-401 · Today", True)]
    c = board.counts
    assert (c.occupied, c.available, c.reserved, c.housekeeping, c.blocked, c.pending_admissions,
            c.expected_discharges_today) == (1, 0, 1, 3, 1, 2, 1)
    assert c.occupied + c.available + c.reserved + c.housekeeping + c.blocked == c.total_beds == 6
    assert [(t.label, t.number) for t in c.partition] == [
        ("Occupied", 1), ("Available", 0), ("Reserved", 1), ("Dirty / cleaning", 3), ("Blocked", 1)]
    assert c.discharges_line == "1 today, 0 tomorrow"
    # The incoming transfer's bed elsewhere is shown with the version the board read (sent back as seen).
    assert board.transfers_in[0].from_ref == "Location/3E-305" and board.transfers_in[0].from_version == "7"


def test_the_public_view_has_rooms_and_initials_only() -> None:
    rooms = public_rooms(build())
    assert [(r.name, [(b.label, b.initials) for b in r.beds]) for r in rooms] == [
        ("401", [("", "M.G.")]), ("402", [("A", None), ("B", None)]), ("403", [("A", None), ("B", None)]),
        ("404", [("", None)])]


def test_texts() -> None:
    assert duration_text(0) == "just now" and duration_text(1) == "1 min"
    assert age_text(date(2025, 1, 15), date(2026, 11, 26)) == "22 mo"
    assert age_text(None, TODAY) == "age ?"
    assert stay_text(NOW - timedelta(hours=5), NOW) == "5 h" and stay_text(None, NOW) is None
    assert expected_text(date(2026, 11, 24), date(2026, 11, 26)) == "Overdue (Tue 24 Nov)"
    assert expected_text(date(2026, 11, 28), date(2026, 11, 26)) == "Sat 28 Nov"
    assert board_name(PersonName("Ó Súilleabháin", ("Pádraig",))) == "Ó SÚILLEABHÁIN, Pádraig"


def test_each_bed_state_offers_the_actions_that_make_sense() -> None:
    board = build()

    def actions(bed: str) -> list[str]:
        return [a.action for a in bed_panel(board, bed, ALL_ALLOWED).actions]

    assert actions("4W-401") == ["transfer", "expected-discharge", "discharge", "isolate"]
    assert actions("4W-402A") == ["admit", "cancel-reservation"]
    assert actions("4W-402B") == ["cleaning-started", "bed-clean", "block"]
    assert actions("4W-403B") == ["bed-clean", "block"]
    assert actions("4W-404") == ["unblock"]
    panel = bed_panel(board, "4W-402A", ALL_ALLOWED)
    assert [c.patient.name for c in panel.candidates] == ["OKAFOR, Chinedu"]  # only the patient it is reserved for
    empty = bed_panel(board, "4W-402B", ALL_ALLOWED)
    assert (empty.title, empty.kicker) == ("Bed 4W-402B", "Room 402")  # the state is the line below
    pending = encounter_panel(board, "e3", ALL_ALLOWED)
    assert [a.action for a in pending.actions] == ["admit", "reserve"] and pending.beds_here == []
    incoming = encounter_panel(board, "e4", ALL_ALLOWED)
    assert [a.action for a in incoming.actions] == ["transfer"] and [t.id for t in incoming.beds_here] == []


def test_the_panel_carries_the_versions_it_showed() -> None:
    board = build()
    panel = bed_panel(board, "4W-401", ALL_ALLOWED)
    seen = Seen.parse(panel.seen)
    assert seen == {"Location/4W-401": "7", "Encounter/e1": "3", "Flag/f1": "4", "Flag/f2": "4"}
    assert Seen.parse("Location/1@2 junk @3 Task/x@") == {"Location/1": "2"}
    # Every open cleaning job of a bed, and an incoming patient's bed on the other unit.
    census = unit()
    census.tasks.append(task("4W-402B", "requested", 300, "t-older"))
    dirty = bed_panel(build(census), "4W-402B", ALL_ALLOWED)
    assert {r for r in Seen.parse(dirty.seen) if r.startswith("Task/")} == {"Task/t-4W-402B", "Task/t-older"}
    incoming = encounter_panel(board, "e4", ALL_ALLOWED)
    assert Seen.parse(incoming.seen)["Location/3E-305"] == "7"


def test_a_role_that_may_not_change_beds_gets_one_notice_and_no_buttons() -> None:
    board = build()
    reason = "You can look here; only a unit secretary or a charge nurse changes beds."
    for panel in (bed_panel(board, "4W-401", ALL_ALLOWED, reason), encounter_panel(board, "e3", ALL_ALLOWED, reason)):
        assert panel.actions == [] and panel.role_notice == reason
    # A bed whose record disagrees with itself offers nothing to anyone, so it says nothing about roles.
    census = unit()
    census.beds[1] = loc("4W-402A", "bd", "Location/R402", "U")
    census.encounters = [census.encounters[0], enc("e4", "in-progress", ("4W-402A", "active"))]
    assert bed_panel(build(census), "4W-402A", ALL_ALLOWED, reason).role_notice is None
    # A server that does not allow a write still says why, button by button.
    read_only = Capabilities.from_statement({"software": {"name": "Read Only"}, "rest": [{
        "mode": "server",
        "resource": [{"type": t, "interaction": [{"code": "read"}]} for t in ("Encounter", "Location", "Task", "Flag")],
    }]})
    refused = bed_panel(board, "4W-401", read_only)
    assert [a.refused for a in refused.actions] == ["Read Only does not allow updates of Encounter."] * 3 + [
        "Read Only does not allow updates of Location."]


def test_admit_candidates_say_which_bed_is_reserved_for_them_those_without_a_bed_first() -> None:
    census = unit()
    census.beds[1] = loc("4W-402A", "bd", "Location/R402", "U")
    census.encounters = [e for e in census.encounters if e.id != "e4"]
    census.beds.append(loc("4W-405", "bd", "Location/R404", "U"))
    board = build(census)
    panel = bed_panel(board, "4W-405", ALL_ALLOWED)
    assert [(c.patient.name, c.reserved_bed) for c in panel.candidates] == [
        ("NGUYỄN, Mai", None), ("OKAFOR, Chinedu", "4W-402A")]


def test_two_patients_with_the_same_name_carry_a_same_name_alert() -> None:
    census = unit()
    # A second Nguyen M. among the pending admissions (accents and case do not matter to a reader).
    census.encounters.append(enc("e5", "planned", ("W", "planned")))
    census.patients["Patient/e5"] = patient("e5", "NGUYEN", "Minh", gender="male")
    census.encounters.append(enc("e6", "in-progress", ("4W-402B", "active")))  # a patient in bed 402B
    census.patients["Patient/e6"] = patient("e6", "Garcia-Lopez", "Mateo")
    board = build(census)
    alerts = {i.patient.name: i.patient.same_name for i in board.pending_admissions}
    assert alerts == {"OKAFOR, Chinedu": False, "NGUYỄN, Mai": True, "NGUYEN, Minh": True}
    first = board.tile("4W-401").patient
    assert first.same_name and first.flags[0].kind == "name-alert" and first.flags[0].label == "Same name"
    assert board.tile("4W-402B").patient.same_name
    assert name_key(PersonName("Nguyễn", ("Mai",))) == name_key(PersonName("NGUYEN", ("M.",)))
    # Two chips on a tile, then "+n": same name, isolation (+ allergy, discharge today, transfer).
    shown, more = board.tile("4W-401").tile_chips
    assert [c.kind for c in shown] == ["name-alert", "isolation"] and more == 3


def test_side_lists_share_the_room_on_screen_and_open_whole_in_the_panel() -> None:
    census = unit()
    for n in range(8):
        census.encounters.append(enc(f"p{n}", "planned", ("W", "planned")))
        census.patients[f"Patient/p{n}"] = patient(f"p{n}", f"Family{n}", "Given")
    for n in range(6):  # and more expected discharges than fit
        census.encounters.append(enc(f"d{n}", "in-progress", ("4W-402B", "active"), planned_end=TODAY))
        census.patients[f"Patient/d{n}"] = patient(f"d{n}", f"Leaving{n}", "Given")
    board = build(census)
    lists = {s.key: (len(s.shown), s.more) for s in board.side_lists}
    # Every list keeps a row (here all four have patients, and nothing more fits) ...
    assert lists == {"admissions": (1, 9), "in": (1, 0), "out": (1, 0), "discharges": (1, 6)}
    # ... and with the transfers lists empty, the long lists take a second row each, in turn.
    census.encounters = [e for e in census.encounters if e.id not in ("e1", "e4")]
    lists = {s.key: (len(s.shown), s.more) for s in build(census).side_lists}
    assert lists == {"admissions": (2, 8), "in": (0, 0), "out": (0, 0), "discharges": (2, 4)}
    assert SIDE_LISTS_PX >= 2 * (10 + 48 + 2 * 51 - 3) + 2 * 30
    whole = side_list_panel(board, "admissions")
    assert whole is not None and len(whole.items) == 10 and whole.title == "Pending admissions"
    assert side_list_panel(board, "nonsense") is None


def test_a_bed_marked_for_housekeeping_without_a_job_says_so() -> None:
    census = unit()
    census.tasks = []
    board = BoardBuilder(census, SETTINGS, NOW).build()
    assert board.tile("4W-402B").timer is None
    assert "no cleaning job is recorded" in board.tile("4W-402B").warnings[0]


def test_no_links_to_workflows_that_are_not_installed() -> None:
    from flask import Flask

    from kiosk.beds.views import _finish

    board = build()
    panel = bed_panel(board, "4W-401", ALL_ALLOWED)
    with Flask(__name__).test_request_context():
        _finish(panel, board)
    assert panel.patient is not None and panel.links == [] and panel.transfer_links == [] and panel.moves == []


def test_long_names_are_set_smaller_on_tiles_and_pathological_ones_are_bounded_and_marked() -> None:
    census = unit()
    long_real = "WOLFESCHLEGELSTEINHAUSENBERGERDORFF-KEIHANAIKUKAUAKAHIHULIHEEKAHAUNAELE"
    census.patients["Patient/e1"] = patient("e1", long_real, "Y" * 10_000)
    p = build(census).tile("4W-401").patient
    assert p.short_name == f"{long_real}, Y." and p.name_size == "name-xxlong" and not p.name_too_long
    assert p.name.startswith(f"{long_real}, YYY") and len(p.name) == len(long_real) + 2 + 100
    census.patients["Patient/e1"] = patient("e1", "X" * 10_000, "Ann")
    p = build(census).tile("4W-401").patient
    assert p.name_too_long and p.short_name == "X" * 99 + "…, A."
    assert p.name == "X" * 99 + "…, Ann"
    census.flags["Patient/e1"][0] = FlagRecord("f1", "Patient/e1", codes.FLAG_ALLERGY, "allergy", "z" * 10_000, "4")
    flags = build(census).tile("4W-401").patient.flags
    assert max(len(f.text) for f in flags) == 200 and all(len(f.label) <= 16 for f in flags)
