"""The kiosk's record of the orders providers disagreed with on PostgreSQL, as on SQLite
(tests/unit/orders/test_disagreements.py, run here against a fresh PostgreSQL database of each test's own):
a mark is made once, a mark whose audit row fails is not made, and two units keep and mark one disagreement
each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.db import Database
from tests.unit.orders import test_disagreements as on_sqlite


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    database.upgrade()
    yield database
    database.dispose()


test_a_disagreement_is_counted_until_someone_marks_it_seen_however_old = \
    on_sqlite.test_a_disagreement_is_counted_until_someone_marks_it_seen_however_old
test_the_mark_and_its_audit_row_are_one_transaction = on_sqlite.test_the_mark_and_its_audit_row_are_one_transaction
test_two_units_keep_the_same_disagreement_and_each_marks_its_own = \
    on_sqlite.test_two_units_keep_the_same_disagreement_and_each_marks_its_own
