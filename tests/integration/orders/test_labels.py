"""A lab order prints its specimen label: one tap from the order to the label print filled in with the
order's accession number, test and container; once printed, the order says so with the time."""

from __future__ import annotations

import re
from collections.abc import Callable

from printers.verify import Decoded, decode, first_format, rasterize_zpl
from tests.integration.labels.test_printing import _field
from tests.support.auth import csrf_token
from tests.support.labels import PrinterFiles, RawPrinter
from tests.support.orders import OrdersUnit, order_form, send_order


def test_a_lab_order_prints_its_specimen_label_and_shows_it(orders_unit: Callable[..., OrdersUnit],
                                                           printer_files: PrinterFiles, zebra: RawPrinter) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    client = unit.client()
    _, number = order_form(client, stay)
    assert send_order(client, stay, number, read_back="y").status_code == 200
    [order] = unit.orders(stay).orders
    page = client.get(stay.base).get_data(as_text=True)
    assert f"Accession {order.accession}" in page and "Print specimen label" in page

    form = page.split(f'/orders/{order.id}/labels"', 1)[1].split("</form>", 1)[0]
    token = _field(form, "print_token")
    data = {"csrf_token": csrf_token(page), "label_type": "specimen", "accession": order.accession,
            "test": _field(form, "test"), "container": _field(form, "container"), "print_token": token}
    step = client.post(f"{stay.base}/orders/{order.id}/labels", data=data)
    target = f"/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}/specimen"
    assert step.status_code == 307 and step.headers["Location"].endswith(target)
    shown = client.post(target, data=data)  # what the browser does with a 307: the same POST, there
    label_page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and f'value="{order.accession}"' in label_page, label_page[:300]
    assert 'value="Lavender top (EDTA)"' in label_page and _field(label_page, "print_token") == token
    sha = _field(label_page, "preview_sha256")
    assert sha, "the prefilled label has a preview"
    printed = client.post(f"/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}/print", data={
        "csrf_token": csrf_token(label_page), "label_type": "specimen", "printer_id": "TEST-ZEBRA", "copies": "1",
        "accession": order.accession, "test": "CBC with differential", "container": "Lavender top (EDTA)",
        "identifiers_confirmed": "y", "print_token": token, "preview_sha256": sha})
    assert printed.status_code == 302, re.findall(r'field-error[^>]*>(.*?)<', printed.get_data(as_text=True))
    assert len(zebra.jobs()) == 1
    # What the printer received, rendered and scanned: its Code 128 is the order's accession number.
    [image] = rasterize_zpl(first_format(zebra.jobs()[0]), 203)
    assert Decoded("Code128", order.accession or "") in decode(image)
    after = client.get(stay.base).get_data(as_text=True)
    assert re.search(r'class="labels-printed">Labels(:| printed)', after), after[:200]
    assert "Print labels again" in after
