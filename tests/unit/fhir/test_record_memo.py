"""Records read once per resource version (kiosk.fhir.records.read_all with `memo`)."""

from __future__ import annotations

import copy
from typing import Any

from kiosk.fhir.records import read_all, read_patient

MRN = "http://hospital.example.org/mrn"


def patient(version: str | None = "1", changed: str | None = "2026-11-29T08:00:00Z", family: str = "ALVAREZ"
            ) -> dict[str, Any]:
    meta = {k: v for k, v in (("versionId", version), ("lastUpdated", changed)) if v is not None}
    return {"resourceType": "Patient", "id": "memo-1", "meta": meta, "gender": "female",
            "identifier": [{"system": MRN, "value": "MRN1"}], "name": [{"family": family, "given": ["Rosa"]}]}


class CountingReader:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, resource: dict[str, Any]) -> Any:
        self.calls += 1
        return read_patient(resource, MRN)


def test_a_version_read_before_is_not_read_again() -> None:
    reader = CountingReader()
    first = read_all([patient()], reader, memo=("test-patient", MRN)).records[0]
    again = read_all([copy.deepcopy(patient())], reader, memo=("test-patient", MRN)).records[0]
    assert reader.calls == 1 and again is first


def test_a_new_version_or_a_new_time_of_change_is_read() -> None:
    reader = CountingReader()
    memo = ("test-patient-versions", MRN)
    read_all([patient()], reader, memo=memo)
    renamed = read_all([patient(version="2", family="BAKER")], reader, memo=memo).records[0]
    touched = read_all([patient(version="2", changed="2026-11-29T09:00:00Z", family="CRUZ")], reader,
                       memo=memo).records[0]
    assert reader.calls == 3
    assert (renamed.name.family, touched.name.family) == ("BAKER", "CRUZ")


def test_a_resource_without_version_and_time_is_read_every_time() -> None:
    reader = CountingReader()
    memo = ("test-patient-unversioned", MRN)
    for meta in ((None, None), ("1", None), (None, "2026-11-29T08:00:00Z")):
        read_all([patient(*meta)], reader, memo=memo)
        read_all([patient(*meta)], reader, memo=memo)
    assert reader.calls == 6


def test_what_the_reader_was_given_is_part_of_the_key() -> None:
    reader = CountingReader()
    read_all([patient()], reader, memo=("test-patient-settings", MRN))
    read_all([patient()], reader, memo=("test-patient-settings", "urn:other-mrn"))
    assert reader.calls == 2


def test_an_unreadable_resource_is_listed_every_time_and_never_kept() -> None:
    broken = patient(version="7")
    broken["gender"] = {"not": "a code"}
    for _ in range(2):
        out = read_all([broken], lambda r: read_patient(r, MRN), memo=("test-patient-broken", MRN))
        assert out.records == [] and out.unreadable == ["Patient/memo-1"]
