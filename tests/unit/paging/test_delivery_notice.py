"""What the compose screen says of a send, including when another sender (the scheduler, another kiosk
instance) took the message first."""

from __future__ import annotations

from kiosk.paging.models import MessageStatus
from kiosk.paging.outbox import SendOutcome
from kiosk.paging.views import _delivery_notice


def test_a_message_another_sender_is_sending_is_on_its_way_not_failed() -> None:
    notice = _delivery_notice(SendOutcome(1, MessageStatus.SENDING, "not waiting", claimed=False), "Dr Lee", "pager")
    assert (notice.kind, notice.title) == ("ok", "Page being sent")
    assert "Call" not in notice.text


def test_a_message_another_sender_already_sent_is_sent() -> None:
    notice = _delivery_notice(SendOutcome(1, MessageStatus.SENT, "not waiting", claimed=False), "Dr Lee", "pager")
    assert notice.title == "Page sent"


def test_a_failed_send_still_says_call_another_way() -> None:
    notice = _delivery_notice(SendOutcome(1, MessageStatus.FAILED, "Refused."), "Dr Lee", "pager")
    assert notice.kind == "error" and "Call Dr Lee another way" in notice.text
