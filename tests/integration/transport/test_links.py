"""The bed board's links into a transport request on the real FHIR server: from the transfer form with the
new bed chosen there (the destination is that bed, on this unit or another), from a transfer planned on the
encounter, and from the discharge form (the discharge places first). The bed board names no workflow: the
links are those transport registered (kiosk.nav.PatientLink, `when`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from kiosk.auth import Role
from kiosk.fhir.locations import available_beds_elsewhere
from tests.support.beds import page_text
from tests.support.transport import Occupant, TransportUnit, request_form

Factory = Callable[..., TransportUnit]
HTMX = {"HX-Request": "true"}


def bed_id(occupant: Occupant) -> str:
    return (occupant.bed.reference or "").split("/")[1]


def chosen(html: str, name: str) -> list[str]:
    """The values of the checked radios or boxes named `name`."""
    return re.findall(rf'name="{name}" value="([^"]+)"\s+checked', html)


def test_the_transfer_form_asks_for_a_transport_to_the_bed_chosen_there(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    target = available_beds_elsewhere(unit.gw, unit.gw.unit_location_id(unit.ref))[0]
    client = unit.client()
    form = client.get(f"/beds/bed/{bed_id(occupant)}?open=transfer", headers=HTMX).get_data(as_text=True)
    button = re.search(r'<button[^>]*class="button button-secondary transfer-link"[^>]*hx-get="([^"]+)"[^>]*>'
                       r"Request transport to the new bed</button>", form)
    assert button, "the transfer form offers a transport to the bed chosen"
    url = button.group(1).replace("&amp;", "&")
    assert urlsplit(url).path == f"/beds/transfer-link/{occupant.patient_id}/{occupant.encounter_id}/0"
    # No bed chosen yet: the form again, saying so next to the beds.
    missing = client.get(url, headers=HTMX)
    assert missing.status_code == 422
    assert "Choose the new bed first" in page_text(missing.get_data(as_text=True))
    # A bed chosen (htmx sends the checked radio): the browser goes to the request form for it.
    went = client.get(f"{url}&target={target.bed.id}", headers=HTMX)
    assert went.status_code == 200
    to = urlsplit(went.headers["HX-Redirect"])
    assert to.path == f"/transport/request/{occupant.patient_id}/{occupant.encounter_id}"
    assert parse_qs(to.query) == {"purpose": ["transfer"], "destination": [target.bed.reference]}
    html = client.get(went.headers["HX-Redirect"]).get_data(as_text=True)
    assert chosen(html, "destination") == [target.bed.reference] and chosen(html, "purpose") == ["transfer"]
    assert f"from {occupant.bed.name}" in page_text(html)  # the pickup is the bed the patient is in now
    # Without a script, the same address redirects.
    plain = client.get(f"{url}&target={target.bed.id}")
    assert plain.status_code == 302 and plain.headers["Location"] == went.headers["HX-Redirect"]
    # Only those who may move patients; a link that was not registered is not found.
    assert unit.client(Role.TRANSPORTER).get(f"{url}&target={target.bed.id}").status_code == 403
    assert client.get(url.replace("/0?", "/7?") + f"&target={target.bed.id}").status_code == 404


def test_a_planned_transfer_offers_a_transport_to_its_bed(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    target = available_beds_elsewhere(unit.gw, unit.gw.unit_location_id(unit.ref))[0]
    encounter = unit.gw.client.read("Encounter", occupant.encounter_id)
    version = encounter.pop("meta")["versionId"]
    encounter["location"].append({"location": {"reference": target.bed.reference}, "status": "planned"})
    unit.gw.client.update(encounter, version=version)
    client = unit.client()
    panel = client.get(f"/beds/bed/{bed_id(occupant)}", headers=HTMX).get_data(as_text=True)
    link = re.search(r'<a class="button button-secondary transfer-link" href="([^"]+)">([^<]+)</a>', panel)
    assert link and link.group(2) == f"Request transport to the new bed ({target.bed.name})"
    to = urlsplit(link.group(1).replace("&amp;", "&"))
    assert parse_qs(to.query) == {"purpose": ["transfer"], "destination": [target.bed.reference]}
    html, _ = request_form(client, occupant, "?" + to.query)
    assert chosen(html, "destination") == [target.bed.reference]
    # A patient with no transfer planned has no such link.
    other = unit.occupants()[1]
    assert "transfer-link" not in client.get(f"/beds/bed/{bed_id(other)}", headers=HTMX).get_data(as_text=True)


def test_the_discharge_form_asks_for_a_transport_to_the_discharge_places(transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    client = unit.client()
    form = client.get(f"/beds/bed/{bed_id(occupant)}?open=discharge", headers=HTMX).get_data(as_text=True)
    link = re.search(r'<a class="button button-secondary discharge-link" href="([^"]+)">'
                     r"Request transport for the discharge</a>", form)
    assert link
    to = urlsplit(link.group(1).replace("&amp;", "&"))
    assert to.path == f"/transport/request/{occupant.patient_id}/{occupant.encounter_id}"
    assert parse_qs(to.query) == {"purpose": ["discharge"]}
    html, _ = request_form(client, occupant, "?" + to.query)
    assert chosen(html, "purpose") == ["discharge"]
    groups = re.findall(r'<details class="place-group"( open)?>\s*<summary class="group-title">([^<(]+)', html)
    assert groups[0] == (" open", "Discharge")  # first and the only group unfolded
    assert all(not opened for opened, _ in groups[1:]) and len(groups) > 1
    for place in ("Discharge lounge", "Main lobby", "Main entrance (car waiting)"):
        assert place in page_text(html)
    # The patient's panel without a form open has the plain link only.
    panel = client.get(f"/beds/bed/{bed_id(occupant)}", headers=HTMX).get_data(as_text=True)
    assert "discharge-link" not in panel and "Request transport</a>" in panel
