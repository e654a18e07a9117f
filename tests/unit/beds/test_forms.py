"""The bed action form takes back the versions of a transfer panel that offers many free beds."""

from __future__ import annotations

import uuid

from flask import Flask
from werkzeug.datastructures import MultiDict

from kiosk.beds.forms import SEEN_MAX, ActionForm
from kiosk.fhir.change import Seen


def test_the_versions_of_a_transfer_panel_offering_a_thousand_free_beds_are_taken() -> None:
    seen = Seen({f"Location/{uuid.uuid4()}": "12" for _ in range(1000)}).text()
    assert 4000 < len(seen) <= SEEN_MAX
    app = Flask(__name__)
    app.config.update(WTF_CSRF_ENABLED=False, SECRET_KEY="x")
    with app.test_request_context(method="POST"):
        form = ActionForm(formdata=MultiDict({"panel": "bed:b1", "seen": seen}))
        assert form.validate(), form.errors
        assert len(Seen.parse(form.seen.data)) == 1000
